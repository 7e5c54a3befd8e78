"""``hundi bank-sim``: play the bank, sending correctly signed payment webhooks to a local oracle.

It stands in for the platform bank's webhook on a developer machine: it looks up the invoice number the oracle knows
for an invoice id, builds the seed body, signs it exactly as a bank would, posts it and says what happened.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import click
import httpx

from oracle.bank.router import PATH
from oracle.bank.schema import STATUSES, SUCCESS, notice_body, parse_rupees
from oracle.bank.signature import HEADER, sign_header

_START_HINT = "start it with `hundi oracle run` or `make dev`, or point --oracle at it"
_HINTS = {
    "signature_invalid": "the secret differs from the oracle's: pass --secret, or set HUNDI_BANK_WEBHOOK_SECRET to the "
    "value the oracle uses",
    "signature_expired": "this machine's clock and the oracle's differ by more than the tolerance (300 s): fix the "
    "clock",
    "payment_conflict": "that transaction id was already used with other content: to redeliver, repeat every option "
    "(including --paid-at); for a new payment, omit --transaction-id to get a new one",
    "invalid_payment": "fix the options named above and retry",
    "intake_unavailable": "the oracle's database is down: check the oracle's log, then retry",
}


def _default_oracle_url() -> str:
    from oracle.settings import OracleSettings  # read only when no --oracle is given

    settings = OracleSettings()
    host = "127.0.0.1" if settings.oracle_host in ("0.0.0.0", "::", "") else settings.oracle_host  # noqa: S104
    return f"http://{host}:{settings.oracle_port}"


def _default_secret() -> bytes:
    from oracle.settings import OracleSettings

    configured = OracleSettings().bank_secrets()
    if not configured:
        raise click.UsageError("HUNDI_BANK_WEBHOOK_SECRET is empty: pass --secret")
    return configured[0]


def _unreachable(url: str, exc: httpx.TransportError) -> click.ClickException:
    return click.ClickException(f"the oracle at {url} is unreachable ({type(exc).__name__}): {_START_HINT}")


def _lookup_invoice_number(client: httpx.Client, base: str, invoice_id: int) -> str:
    url = f"{base}/oracle/v1/invoices/{invoice_id}"
    try:
        response = client.get(url)
    except httpx.TransportError as exc:
        raise _unreachable(base, exc) from exc
    if response.status_code == 404:
        raise click.ClickException(
            f"invoice {invoice_id} is unknown to the oracle at {base}: check the id (the oracle learns invoices from "
            "InvoiceMinted events), or pass --invoice-number"
        )
    if response.status_code != 200:
        raise click.ClickException(
            f"looking up invoice {invoice_id} failed: HTTP {response.status_code} {response.text[:200]!r}; check the "
            "oracle's log, or pass --invoice-number"
        )
    try:
        number = response.json().get("invoiceNumber")
    except (ValueError, AttributeError) as exc:
        raise click.ClickException(f"{url} did not answer with a JSON object; is --oracle an oracle?") from exc
    if not isinstance(number, str) or not number:
        raise click.ClickException(
            f"the oracle has no invoice number for invoice {invoice_id} yet (its document was not read); pass "
            "--invoice-number"
        )
    return number


def _refusal(response: httpx.Response) -> click.ClickException:
    try:
        error: dict[str, Any] = response.json()["error"]
        code, message, detail = str(error["code"]), str(error["message"]), error.get("detail")
    except (ValueError, KeyError, TypeError):
        return click.ClickException(
            f"the oracle answered HTTP {response.status_code} without the error shape: {response.text[:200]!r}; "
            "check its log"
        )
    lines = [f"the oracle refused the payment (HTTP {response.status_code} {code}): {message}"]
    if isinstance(detail, list):
        lines += [f"  {item.get('field')}: {item.get('message')}" for item in detail if isinstance(item, dict)]
    lines.append(_HINTS.get(code, "check the oracle's log" if response.status_code >= 500 else "see the message above"))
    return click.ClickException("\n".join(lines))


@click.group("bank-sim", context_settings={"help_option_names": ["-h", "--help"]})
def bank_sim() -> None:
    """Play the bank: send HMAC-signed payment webhooks to a local oracle."""


@bank_sim.command("pay")
@click.option("--invoice", "invoice_id", type=click.IntRange(min=1), help="Invoice id; its number is looked up.")
@click.option("--amount", required=True, help="Rupees paid, e.g. 125000 or 125000.50 (at most 2 decimals).")
@click.option(
    "--oracle",
    "oracle_urls",
    envvar="HUNDI_ORACLE_URL",
    multiple=True,
    help="Oracle base URL; repeat it to deliver the same payment to every operator node, as a bank notifies each "
    "operator (each must see the payment itself before it co-signs). Default: HUNDI_ORACLE_URL (space-separated), "
    "else http://HUNDI_ORACLE_HOST:HUNDI_ORACLE_PORT, i.e. http://127.0.0.1:8100.",
)
@click.option(
    "--secret",
    help="Webhook HMAC secret (default: the first of HUNDI_BANK_WEBHOOK_SECRET, else the local default).",
)
@click.option("--status", type=click.Choice(STATUSES), default=SUCCESS, show_default=True, help="Bank status.")
@click.option("--transaction-id", help="The bank's reference (default: a new random SIM-...). Reuse to redeliver.")
@click.option("--invoice-number", help="Put this invoice number in the body instead of looking it up.")
@click.option("--paid-at", help="ISO-8601 with an offset, or unix seconds (default: now).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each answer of the oracle.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the oracle's JSON answer instead of a summary.")
def pay(
    invoice_id: int | None,
    amount: str,
    oracle_urls: tuple[str, ...],
    secret: str | None,
    status: str,
    transaction_id: str | None,
    invoice_number: str | None,
    paid_at: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Report a bank payment for an invoice, signed as the bank would sign it.

    Exits 0 when the oracle accepted the delivery (reported, held for review, recorded, or a redelivery), and
    non-zero with what to do next when it could not be delivered or was refused.
    """
    if invoice_id is None and invoice_number is None:
        raise click.UsageError("give --invoice N (its number is looked up on the oracle) or --invoice-number")
    try:
        parse_rupees(amount, 2)
    except ValueError as exc:
        raise click.BadParameter(f"{amount!r} {exc}", param_hint="--amount") from exc
    bases = [url.rstrip("/") for url in oracle_urls] or [_default_oracle_url()]
    key = secret.encode() if secret is not None else _default_secret()
    if not key:
        raise click.BadParameter("must not be empty", param_hint="--secret")
    transaction_id = transaction_id or f"SIM-{secrets.token_hex(8).upper()}"
    when: int | str = int(time.time()) if paid_at is None else (int(paid_at) if paid_at.isdigit() else paid_at)

    with httpx.Client(timeout=timeout) as client:
        if invoice_number is None:
            assert invoice_id is not None  # noqa: S101 (checked above; narrows the type)
            invoice_number = _lookup_invoice_number(client, bases[0], invoice_id)
        # One body, byte for byte, for every node: they must all compute the same repayment report.
        body = notice_body(
            transaction_id=transaction_id, invoice_number=invoice_number, amount=amount, status=status, paid_at=when
        )
        results = {}
        for base in bases:
            if len(bases) > 1 and not as_json:
                click.echo(f"{base}:")
            results[base] = _deliver(client, base, key, body, transaction_id, amount, invoice_number, status, as_json)
    if as_json:
        click.echo(json.dumps(results[bases[0]] if len(bases) == 1 else results, indent=2))


def _deliver(
    client: httpx.Client,
    base: str,
    key: bytes,
    body: bytes,
    transaction_id: str,
    amount: str,
    invoice_number: str,
    status: str,
    as_json: bool,
) -> dict[str, Any]:
    """Post one signed delivery to one node, print its outcome unless `as_json`, and return its answer; raise on a
    refusal."""
    headers = {"Content-Type": "application/json", HEADER: sign_header(key, body, int(time.time()))}
    try:
        response = client.post(base + PATH, content=body, headers=headers)
    except httpx.TransportError as exc:
        raise _unreachable(base, exc) from exc
    if response.status_code not in (200, 202):
        raise _refusal(response)
    try:
        result: dict[str, Any] = response.json()
        outcome = result["outcome"]
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"unexpected answer from {base}{PATH}: {response.text[:200]!r}") from exc
    if as_json:
        return result
    again = " (a redelivery: the first delivery's outcome)" if result.get("duplicate") else ""
    click.echo(f"transaction {transaction_id}: {amount} rupees for invoice number {invoice_number!r}")
    if outcome == "reported":
        click.echo(f"reported{again}: invoice {result.get('invoiceId')}, repayment report {result.get('reportId')}")
    elif outcome == "held":
        click.echo(f"held for review{again} ({result.get('holdReason')}): {result.get('holdDetail')}")
        click.echo("an operator must review it: it is listed under held.payments on GET /oracle/v1/status")
    else:
        click.echo(f"recorded{again}: status {status!r} moves no money")
    return result
