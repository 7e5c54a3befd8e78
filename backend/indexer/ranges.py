"""The adaptive eth_getLogs block range.

Nodes bound eth_getLogs differently (by result count, response size, block span or time), and event density
varies by orders of magnitude along a chain. So the range starts at a guess, halves whenever the node refuses,
grows while batches come back light, and shrinks toward the target when one comes back heavy. After a refusal
it does not grow past the size that failed until enough batches have succeeded, so it does not oscillate.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RangeController:
    """Chooses the block span of the next eth_getLogs call.

    Args:
        size: the first span, in blocks.
        min_size, max_size: bounds on the span.
        target_logs: logs per batch to aim for (a batch is one database transaction).
        cooldown: successes after a refusal before the span may grow past the size that was refused.
    """

    size: int = 2000
    min_size: int = 1
    max_size: int = 50_000
    target_logs: int = 5000
    cooldown: int = 20
    _ceiling: int | None = field(default=None, init=False, repr=False)
    _successes: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError(f"need 1 <= min_size ({self.min_size}) <= max_size ({self.max_size})")
        self.size = self._clamp(self.size)

    def _clamp(self, size: int) -> int:
        return max(self.min_size, min(self.max_size, size))

    def next_end(self, start: int, last: int) -> int:
        """The last block of the batch that starts at `start`, never past `last`."""
        return min(start + self.size - 1, last)

    def succeeded(self, blocks: int, logs: int) -> None:
        """Record a batch of `blocks` blocks that returned `logs` logs."""
        self._successes += 1
        if self._ceiling is not None and self._successes >= self.cooldown:
            self._ceiling = None
        if blocks < self.size:
            return  # a batch cut short by the head says nothing about density
        if logs > 2 * self.target_logs:
            # Shrink toward the density that would have hit the target.
            self.size = self._clamp(max(1, blocks * self.target_logs // logs))
        elif logs < self.target_logs // 2:
            grown = self.size * 2
            if logs:
                grown = min(grown, blocks * self.target_logs // logs)
            if self._ceiling is not None:
                grown = min(grown, self._ceiling)
            self.size = self._clamp(max(self.size, grown))

    def failed(self, suggested: int | None = None) -> None:
        """The node refused the last span (too many results, too large, timed out): take the span the node
        suggested, when it names one smaller than the refused span; otherwise halve."""
        refused = self.size
        smaller = refused // 2
        if suggested is not None and 0 < suggested < refused:
            smaller = suggested
        self.size = self._clamp(smaller)
        self._ceiling = max(self.min_size, refused - 1)
        self._successes = 0

    @property
    def at_minimum(self) -> bool:
        return self.size <= self.min_size
