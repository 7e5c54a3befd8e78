"""Crash injection for the kill -9 tests: `HUNDI_ORACLE_CRASH_AT=<stage>:<n>` ends the process abruptly (os._exit,
no cleanup, like SIGKILL) the n-th time the code reaches `stage`. Unset, `crash_point` costs one comparison."""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger("hundi.oracle.crash")

#: Every stage the code marks, in the order a report passes them.
STAGES = (
    "event-processed",  # a batch of events applied, cursor not yet committed
    "report-created",  # a report committed as created
    "report-signed",  # own signature committed
    "tx-queued",  # report submitted: transaction queued, no nonce yet
    "tx-signed",  # nonce and signed bytes committed, not broadcast
    "tx-broadcast",  # broadcast, not yet recorded as pending
    "tx-mined",  # receipt seen, not yet recorded
    "report-confirmed",  # report confirmed and committed
)
EXIT_CODE = 86


class CrashPlan:
    """Where to crash: parsed once from the setting."""

    def __init__(self, spec: str | None) -> None:
        self.stage: str | None = None
        self.remaining = 0
        if spec:
            stage, _, count = spec.partition(":")
            if stage not in STAGES:
                raise ValueError(f"HUNDI_ORACLE_CRASH_AT={spec!r}: the stage must be one of {', '.join(STAGES)}")
            self.stage, self.remaining = stage, int(count or "1")

    def point(self, stage: str) -> None:
        """Exit here if this is the planned stage and its count is reached."""
        if stage != self.stage:
            return
        self.remaining -= 1
        if self.remaining <= 0:
            log.warning("crash injected", extra={"stage": stage})
            sys.stderr.flush()
            os._exit(EXIT_CODE)


NO_CRASH = CrashPlan(None)


def plan_from_env() -> CrashPlan:
    """The plan in HUNDI_ORACLE_CRASH_AT (no crash when unset)."""
    return CrashPlan(os.environ.get("HUNDI_ORACLE_CRASH_AT"))
