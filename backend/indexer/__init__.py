"""The indexer: chain events -> database. sync.py (cursor, batches, reorgs) feeds projections.py (handlers)."""
