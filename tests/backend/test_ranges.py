"""The adaptive eth_getLogs range: halves on refusals, grows on light batches, shrinks on heavy ones, and does not
grow back past a refused size until the cooldown has passed."""

from __future__ import annotations

import pytest

from backend.indexer.ranges import RangeController


def test_a_refusal_halves_the_range() -> None:
    ranges = RangeController(size=2000)
    ranges.failed()
    assert ranges.size == 1000
    ranges.failed()
    ranges.failed()
    assert ranges.size == 250


def test_the_range_never_shrinks_below_the_minimum() -> None:
    ranges = RangeController(size=3, min_size=2)
    ranges.failed()
    ranges.failed()
    assert ranges.size == 2
    assert ranges.at_minimum


def test_the_range_a_node_suggests_is_taken_instead_of_halving() -> None:
    ranges = RangeController(size=2000)
    ranges.failed(suggested=300)
    assert ranges.size == 300
    ranges.failed(suggested=250)  # the node knows what it will answer: better than a blind halving to 150
    assert ranges.size == 250
    ranges.failed(suggested=400)  # not smaller than what was refused: ignored
    assert ranges.size == 125


def test_light_batches_grow_the_range_up_to_the_maximum() -> None:
    ranges = RangeController(size=2000, max_size=10_000, target_logs=5000)
    ranges.succeeded(blocks=2000, logs=0)
    assert ranges.size == 4000
    ranges.succeeded(blocks=4000, logs=100)
    assert ranges.size == 8000
    ranges.succeeded(blocks=8000, logs=10)
    assert ranges.size == 10_000


def test_growth_stops_at_the_size_the_density_predicts_for_the_target() -> None:
    ranges = RangeController(size=1000, target_logs=5000)
    ranges.succeeded(blocks=1000, logs=2000)  # 2 logs a block: 2500 blocks would hold 5000
    assert ranges.size == 2000
    ranges.succeeded(blocks=2000, logs=2400)  # 1.2 a block: 4166 blocks, but at most double
    assert ranges.size == 4000


def test_a_heavy_batch_shrinks_the_range_toward_the_target() -> None:
    ranges = RangeController(size=2000, target_logs=5000)
    ranges.succeeded(blocks=2000, logs=40_000)  # 20 logs a block: 250 blocks hold 5000
    assert ranges.size == 250


def test_a_batch_cut_short_by_the_head_changes_nothing() -> None:
    ranges = RangeController(size=2000)
    ranges.succeeded(blocks=3, logs=0)
    assert ranges.size == 2000


def test_after_a_refusal_the_range_stays_below_the_refused_size_until_the_cooldown() -> None:
    ranges = RangeController(size=1000, cooldown=5)
    ranges.failed()  # 1000 refused
    assert ranges.size == 500
    for _ in range(3):
        ranges.succeeded(blocks=ranges.size, logs=0)
    assert ranges.size == 999  # grows, but not back to the size that failed
    ranges.succeeded(blocks=ranges.size, logs=0)
    ranges.succeeded(blocks=ranges.size, logs=0)  # fifth success: the ceiling lifts
    assert ranges.size > 1000


def test_next_end_never_passes_the_target() -> None:
    ranges = RangeController(size=100)
    assert ranges.next_end(1, 1_000_000) == 100
    assert ranges.next_end(950, 1000) == 1000


def test_bounds_are_validated() -> None:
    with pytest.raises(ValueError, match="min_size"):
        RangeController(min_size=10, max_size=5)
