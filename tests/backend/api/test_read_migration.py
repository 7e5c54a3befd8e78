"""Migration 0003 on a database indexed before it: the new projection columns and the auto_payout table are
filled from the stored raw events, exactly as a fresh index fills them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select

from backend.db.models import Position
from backend.db.session import alembic_config, make_engine, migrate
from backend.indexer.store import table_of
from tests.backend.api.conftest import ApiEnv, RepaidScenario
from tests.backend.conftest import assert_same_state, dump


def test_upgrading_an_indexed_database_backfills_the_new_projections(env: ApiEnv, repaid: RepaidScenario) -> None:
    env.sync()
    expected = dump(env.engine)
    with env.engine.connect() as connection:
        corrections = connection.execute(select(table_of(Position).c.correction)).scalars().all()
    assert expected["auto_payout"] and any(corrections)  # the scenario exercises what 0003 adds
    url = env.indexer.settings.database_url
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0002")
        migrate(url)
        assert_same_state(dump(engine), expected)
    finally:
        engine.dispose()
