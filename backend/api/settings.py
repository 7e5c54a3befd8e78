"""Settings of the API process, read from the environment with the ``HUNDI_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from backend.settings import IndexerSettings
from hundi.paths import project_root

#: The JWT secret used when none is configured: fine on a local chain, refused anywhere else.
PLACEHOLDER_JWT_SECRET = "hundi-local-jwt-secret-do-not-use-in-production"  # noqa: S105 (a known placeholder)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def default_frontend_dist() -> Path:
    return project_root() / "frontend" / "dist"


class ApiSettings(IndexerSettings):
    """The indexer's settings (database, RPC, deployment) plus the API's own ``HUNDI_API_*`` knobs."""

    model_config = SettingsConfigDict(env_prefix="HUNDI_", extra="ignore")

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    #: Public origin of the dApp: SIWE messages must name its host as `domain` and its origin as `uri`.
    api_public_url: str = "http://127.0.0.1:8000"
    api_cors_origins: list[str] = Field(default_factory=list, description="extra origins allowed by CORS")
    jwt_secret: SecretStr = SecretStr(PLACEHOLDER_JWT_SECRET)
    jwt_ttl: int = Field(default=12 * 3600, gt=0, description="seconds a sign-in session lasts")
    siwe_nonce_ttl: int = Field(default=300, gt=0, le=300, description="seconds a sign-in nonce stays valid (<= 5 min)")
    max_upload_bytes: int = Field(default=MAX_UPLOAD_BYTES, gt=0)
    frontend_dist: Path = Field(default_factory=default_frontend_dist, description="built dApp served at /")
    dapp_rpc_url: str | None = Field(
        default=None, description="JSON-RPC URL GET /api/v1/config gives the dApp; default: rpc_url"
    )
    oracle_url: str = Field(default="http://127.0.0.1:8100", description="oracle node whose status /operator shows")
    page_limit_max: int = Field(default=100, ge=1)
    sse_poll_interval: float = Field(default=0.5, gt=0, description="seconds between polls of new chain events")
    sse_heartbeat: float = Field(default=15.0, gt=0, description="seconds of silence before an SSE heartbeat")

    @model_validator(mode="after")
    def _no_placeholder_secret_remote(self) -> ApiSettings:
        # The chain id is only known once connected; `require_safe_for(chain_id)` enforces the rule then.
        return self

    def require_safe_for(self, chain_id: int) -> None:
        """Refuse the placeholder JWT secret outside local chains (anyone could forge sessions)."""
        from hundi.chain.devkeys import is_local_chain

        if not is_local_chain(chain_id) and self.jwt_secret.get_secret_value() == PLACEHOLDER_JWT_SECRET:
            raise ValueError(
                f"HUNDI_JWT_SECRET is the local placeholder but chain {chain_id} is not local: "
                "set HUNDI_JWT_SECRET to a random value of at least 32 bytes (e.g. `openssl rand -hex 32`)"
            )
