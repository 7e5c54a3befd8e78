"""Settings of the backend services, read from the environment with the ``HUNDI_`` prefix."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hundi.chain.devkeys import is_local_chain
from hundi.db import normalize_database_url
from hundi.paths import var_dir

__all__ = ["DEFAULT_REMOTE_CONFIRMATIONS", "IndexerSettings", "default_database_url", "normalize_database_url"]

#: Confirmations on chains that are not local when HUNDI_INDEXER_CONFIRMATIONS is unset: deeper than the reorgs
#: L2 sequencers and PoS mainnet show in practice, well inside the block hashes the indexer keeps.
DEFAULT_REMOTE_CONFIRMATIONS = 12


def default_database_url() -> str:
    """SQLite at ``var/hundi.db`` under the project root."""
    return f"sqlite:///{var_dir() / 'hundi.db'}"


class IndexerSettings(BaseSettings):
    """``HUNDI_DATABASE_URL`` (or ``DATABASE_URL``), ``HUNDI_RPC_URL``, ``HUNDI_DEPLOYMENT`` and the
    ``HUNDI_INDEXER_*`` tuning knobs."""

    model_config = SettingsConfigDict(env_prefix="HUNDI_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("HUNDI_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    rpc_url: str = "http://127.0.0.1:8545"
    deployment: str = Field(default="local", description="deployments/<name>.json, or a path to a deployment file")

    indexer_confirmations: int | None = Field(
        default=None, ge=0, description="blocks behind the head to stay; unset: 0 on local chains, 12 elsewhere"
    )
    indexer_poll_interval: float = Field(
        default=1.0, gt=0, description="seconds between polls of the head when caught up"
    )
    indexer_initial_range: int = Field(default=2000, ge=1, description="first eth_getLogs block range")
    indexer_min_range: int = Field(default=1, ge=1)
    indexer_max_range: int = Field(default=50_000, ge=1)
    indexer_target_logs: int = Field(
        default=5000, ge=1, description="logs per batch the range adapts toward (one DB transaction per batch)"
    )
    indexer_keep_blocks: int = Field(default=64, ge=2, description="recent block hashes kept for reorg detection")
    indexer_rpc_timeout: float = Field(default=30.0, gt=0)
    indexer_progress_interval: float = Field(default=5.0, gt=0, description="seconds between backfill progress lines")

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        return normalize_database_url(url)

    def confirmations_for(self, chain_id: int) -> int:
        """The configured confirmation depth, else 0 on local chains and DEFAULT_REMOTE_CONFIRMATIONS elsewhere."""
        if self.indexer_confirmations is not None:
            return self.indexer_confirmations
        return 0 if is_local_chain(chain_id) else DEFAULT_REMOTE_CONFIRMATIONS
