"""Configuration shared by every test package.

Hypothesis: ``HUNDI_HYPOTHESIS_PROFILE`` picks the size of every Hypothesis run. ``ci`` is the default
(``make test``), ``deep`` is ``make test-deep`` (the ``properties`` marker only), ``dev`` is a quick loop
while editing. The chain state machines in tests/contracts/properties size themselves from the same variable.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

PROFILE_ENV = "HUNDI_HYPOTHESIS_PROFILE"
# name -> (max_examples, stateful_step_count)
PROFILES = {"dev": (10, 10), "ci": (100, 30), "deep": (1000, 50)}

for _name, (_examples, _steps) in PROFILES.items():
    settings.register_profile(
        _name,
        max_examples=_examples,
        stateful_step_count=_steps,
        # Chain-backed examples take milliseconds to seconds depending on the machine's load, so a
        # wall-clock deadline would only make the tests flaky.
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=True,
    )

_selected = os.environ.get(PROFILE_ENV, "ci")
if _selected not in PROFILES:
    raise pytest.UsageError(f"{PROFILE_ENV}={_selected!r}: expected one of {sorted(PROFILES)}")
settings.load_profile(_selected)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Everything under a properties/ folder is a property test, so `-m properties` (make test-deep) finds it
    # even when a module forgets its pytestmark.
    for item in items:
        if "properties" in item.path.relative_to(config.rootpath).parts:
            item.add_marker(pytest.mark.properties)
