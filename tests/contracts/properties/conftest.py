"""Hypothesis settings for the chain-backed state machines in this folder.

`HUNDI_HYPOTHESIS_PROFILE` picks the size of the run. tests/conftest.py registers the profiles:

| profile        | examples x steps | meant for                                   |
|----------------|------------------|---------------------------------------------|
| `ci` (default) | 100 x 30         | every CI run; must stay under 8 minutes     |
| `deep`         | 1000 x 50        | `make test-deep`, nightly                   |
| `dev`          | 10 x 10          | a quick loop while editing                  |

Here each profile also gets a pytest-timeout that fits it (pyproject's 300 s is for ordinary tests), and the
explain phase is dropped: on a chain it replays a failing example many more times, and the shrunk steps are already
the explanation.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

PROFILE_ENV = "HUNDI_HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "ci"

# Seconds for pytest-timeout; 0 disables it. A failing run may shrink for up to five more minutes before reporting.
_TIMEOUTS = {"ci": 900, "deep": 0, "dev": 900}


def profile_name() -> str:
    """The selected profile; unknown names fail loudly instead of silently running the wrong size."""
    name = os.environ.get(PROFILE_ENV, DEFAULT_PROFILE)
    if name not in _TIMEOUTS:
        raise pytest.UsageError(f"{PROFILE_ENV}={name!r}: expected one of {sorted(_TIMEOUTS)}")
    return name


def profile_timeout() -> int:
    """pytest-timeout for a state machine under the selected profile."""
    return _TIMEOUTS[profile_name()]


@pytest.fixture(scope="session")
def property_settings() -> settings:
    """The selected profile (examples, steps, no deadline, printed blobs), without the explain phase."""
    return settings(
        settings.get_profile(profile_name()),
        derandomize=False,
        phases=tuple(p for p in Phase if p is not Phase.explain),
    )
