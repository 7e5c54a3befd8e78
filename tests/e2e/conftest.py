"""Fixtures of the browser tests: the real stack (started once per session), Debian Chromium through Playwright,
people with their own browser context and test wallet, console-error collection and screenshots.

Every page any test opens is watched: a `console` error or an uncaught exception (`pageerror`) fails the test
that caused it, at teardown, with the messages.

Skips (with the reason) when /usr/bin/chromium or frontend/dist is missing, unless CI or HUNDI_E2E_REQUIRED=1
is set: there (make test builds the frontend first) a missing piece is a failure, not a skip.

Run: `ape test tests/e2e --network ethereum:local:foundry` (after `make frontend`). Artefacts: screenshots in
var/e2e/screenshots/, the services' logs of the last run in var/e2e/logs/. HUNDI_E2E_UPDATE_DOCS=1 refreshes the
README's pictures in docs/screenshots/ after a fully passing run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, ViewportSize, sync_playwright

from hundi.paths import project_root
from tests.e2e.stack import Stack, running_stack
from tests.e2e.wallet import Wallet

CHROMIUM = Path("/usr/bin/chromium")
#: The flags of /work/shared/design/TOOLCHAIN.md. Playwright's launch() adds a fresh temporary --user-data-dir per
#: browser (it refuses one in args), so every session starts with an empty profile.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = project_root() / "var" / "e2e"
SCREENSHOTS = ARTEFACTS / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
VIEWPORTS: dict[str, ViewportSize] = {"desktop": DESKTOP, "phone": PHONE}
#: The screenshots the README shows (docs/screenshots/, committed): refreshed from a passing run with
#: HUNDI_E2E_UPDATE_DOCS=1, never on an ordinary run (the pictures would churn with every run's dates).
DOC_SCREENSHOTS = ("marketplace-desktop", "sme-verified-desktop", "invoice-funded-desktop", "portfolio-phone")
DOCS_SCREENSHOTS_DIR = project_root() / "docs" / "screenshots"
#: Milliseconds a UI expectation waits by default (the chain, indexer and SSE make most things appear in < 2 s).
TIMEOUT_MS = 15_000


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Copy the README's screenshots to docs/screenshots/ after a fully passing run, when asked to."""
    if os.environ.get("HUNDI_E2E_UPDATE_DOCS") != "1" or exitstatus != 0:
        return
    DOCS_SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    for name in DOC_SCREENSHOTS:
        source = SCREENSHOTS / f"{name}.png"
        if source.is_file():
            shutil.copyfile(source, DOCS_SCREENSHOTS_DIR / source.name)


def frontend_dist() -> Path:
    return project_root() / "frontend" / "dist"


def require(condition: bool, reason: str) -> None:
    """Skip with `reason`, or fail where the browser tests must run (CI, HUNDI_E2E_REQUIRED=1)."""
    if condition:
        return
    if os.environ.get("CI") or os.environ.get("HUNDI_E2E_REQUIRED") == "1":
        pytest.fail(f"{reason} (the browser tests must run here: CI or HUNDI_E2E_REQUIRED=1 is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole local stack on free ports (so a running `make dev` is untouched); stopped after the session.

    The services' logs are copied to var/e2e/logs/ at the end, for a look after a failure.
    """
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium (make bootstrap does)")
    root = tmp_path_factory.mktemp("e2e-stack")
    try:
        with running_stack(root) as running:
            yield running
    finally:
        logs = ARTEFACTS / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        if (root / "dev" / "logs").is_dir():
            shutil.copytree(root / "dev" / "logs", logs)


@pytest.fixture(scope="session")
def dapp(stack: Stack) -> Stack:
    """The stack, for tests of the dApp's pages: needs frontend/dist (the API serves it at /)."""
    require(
        (frontend_dist() / "index.html").is_file(),
        "frontend/dist is not built: run `make frontend` (make test builds it first)",
    )
    return stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian Chromium, headless (never a browser Playwright downloads)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium (make bootstrap does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Person:
    """Someone using the dApp: a browser context of their own (cookies, storage) with their wallet, and a page."""

    name: str
    context: BrowserContext
    page: Page
    wallet: Wallet
    base_url: str

    def goto(self, path: str = "/") -> Page:
        self.page.goto(self.base_url + path)
        return self.page


@dataclass
class ConsoleWatch:
    """Console errors and uncaught exceptions of every watched page."""

    problems: list[str] = field(default_factory=list)
    #: Substrings of messages a test expects (e.g. a deliberate failure it provokes); everything else fails.
    allowed: list[str] = field(default_factory=list)

    def watch(self, who: str, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                where = message.location.get("url", "") if message.location else ""
                self.problems.append(f"[{who}] console.error: {message.text} ({where})")

        def on_error(error: Error) -> None:
            self.problems.append(f"[{who}] uncaught {error.name}: {error.message}\n{error.stack or ''}")

        page.on("console", on_console)
        page.on("pageerror", on_error)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a in p for a in self.allowed)]


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


PersonFactory = Callable[..., Person]


@pytest.fixture
def people(browser: Browser, stack: Stack, console: ConsoleWatch) -> Iterator[PersonFactory]:
    """`people(name, account_index, chain_id=None, viewport=DESKTOP)` opens a browser context with that dev
    account's wallet (on the stack's chain unless `chain_id` says otherwise) and one page.

    At teardown every context closes and the test fails if any page logged an error.
    """
    opened: list[Person] = []

    def open_person(
        name: str, account_index: int, *, chain_id: int | None = None, viewport: ViewportSize | None = None
    ) -> Person:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="en-IN", timezone_id="Asia/Kolkata", base_url=stack.api_url
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", lambda page: console.watch(name, page))
        wallet = Wallet(stack.rpc_url, stack.chain_id, account_index, chain_id=chain_id or 0).install(context)
        page = context.new_page()
        person = Person(name, context, page, wallet, stack.api_url)
        opened.append(person)
        return person

    yield open_person
    for person in opened:
        person.context.close()
        person.wallet.close()
    problems = console.unexpected()
    if problems:
        pytest.fail("pages logged errors:\n" + "\n".join(problems), pytrace=False)


def screenshot(
    page: Page, name: str, *, settle: Callable[[Page], Any] | None = None, full_page: bool = True
) -> list[Path]:
    """Save `page` at desktop (1280x800) and phone (390x844) width as var/e2e/screenshots/<name>-<width>.png.

    `settle` runs after each resize (e.g. wait for an element) so the picture shows the finished layout;
    `full_page=False` keeps to the viewport (a modal dialog's backdrop covers only the viewport).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    saved = []
    try:
        for label, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            if settle is not None:
                settle(page)
            page.wait_for_timeout(150)  # let layout and transitions finish after the resize
            path = SCREENSHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=full_page)
            saved.append(path)
    finally:
        if original is not None:
            page.set_viewport_size(original)
    return saved
