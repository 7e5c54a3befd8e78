"""The oracle's settings: one pydantic-settings class, read from the environment with the ``HUNDI_`` prefix.

Secrets that have a well-known local default (the bank webhook secret, raw dev keys) are refused outside local
chains: `OracleSettings.check_for_chain` runs once the chain id is known.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hundi.chain.devkeys import is_local_chain
from hundi.db import normalize_database_url
from hundi.paths import var_dir
from oracle.errors import ConfigError

#: The bank secret a local stack uses when none is configured (interface with oracle/bank).
LOCAL_BANK_SECRET = "hundi-local-bank-secret"  # noqa: S105 (a public, local-only placeholder)
#: Admin tokens that are obviously placeholders; refused everywhere.
_PLACEHOLDER_TOKENS = frozenset({"", "changeme", "change-me", "secret", "admin", "token", "test"})


def default_oracle_database_url() -> str:
    """SQLite at ``var/oracle.db`` under the project root."""
    return f"sqlite:///{var_dir() / 'oracle.db'}"


class OracleSettings(BaseSettings):
    """Everything `hundi oracle run` reads from the environment (CLI options override some of these)."""

    model_config = SettingsConfigDict(env_prefix="HUNDI_", extra="ignore")

    database_url: str = Field(
        default_factory=default_oracle_database_url,
        validation_alias=AliasChoices("HUNDI_ORACLE_DATABASE_URL", "DATABASE_URL", "database_url"),
    )
    rpc_url: str = "http://127.0.0.1:8545"
    deployment: str = Field(default="local", description="deployments/<name>.json, or a path to a deployment file")

    oracle_host: str = "127.0.0.1"
    oracle_port: int = Field(default=8100, ge=0, le=65535)
    oracle_admin_token: SecretStr | None = Field(
        default=None, description="bearer token of the operator endpoints; unset: those endpoints refuse everyone"
    )
    oracle_peers: str = Field(default="", description="comma-separated base URLs of the other operators")
    oracle_cors_origins: str = Field(
        default="http://127.0.0.1:8000,http://localhost:8000",
        description="comma-separated origins (the dApp) allowed to read /healthz and /oracle/v1/status in a browser",
    )

    # keys
    oracle_private_key: SecretStr | None = Field(default=None, description="raw signer key: local chains only")
    oracle_keystore_password: SecretStr | None = None
    oracle_keystore_password_file: Path | None = None
    oracle_collector: str | None = Field(
        default=None,
        description="collector account (alias or keystore) that settles bank repayments; 'none' disables; unset on "
        "a local chain: the dev account holding COLLECTOR_ROLE",
    )
    oracle_collector_private_key: SecretStr | None = Field(default=None, description="local chains only")

    bank_webhook_secret: SecretStr = Field(
        default=SecretStr(LOCAL_BANK_SECRET), description="comma-separated HMAC secrets (rotation)"
    )

    # documents and verification
    oracle_gst_registry_url: str | None = Field(default=None, description="HTTP GST registry; unset: the sandbox")
    oracle_gst_registry_key: SecretStr | None = None

    # loops and chain
    oracle_poll_interval: float = Field(default=0.25, gt=0, description="seconds between chain polls when idle")
    oracle_confirmations: int | None = Field(default=None, ge=0, description="unset: 0 on local chains, else 12")
    oracle_max_range: int = Field(default=2000, ge=1, description="largest eth_getLogs block range")
    oracle_report_ttl: int = Field(default=3 * 86400, ge=600, description="seconds a signed report stays valid")
    oracle_submit_stagger: float = Field(
        default=2.0, ge=0, description="seconds each non-leader operator waits per rank before submitting itself"
    )
    oracle_retry_interval: float = Field(default=5.0, gt=0, description="seconds before a held report is retried")

    # transactions
    oracle_max_in_flight: int = Field(default=8, ge=1, description="unmined transactions per sender")
    oracle_replace_after_blocks: int = Field(default=3, ge=1, description="blocks before a stuck tx is replaced")
    oracle_fee_bump_percent: float = Field(default=12.5, ge=12.5, description="replacement fee bump (>= 12.5)")
    oracle_priority_fee_wei: int | None = Field(default=None, ge=0, description="unset: eth_maxPriorityFeePerGas")
    oracle_max_fee_wei: int = Field(default=500 * 10**9, gt=0, description="never offer more than this per gas")
    oracle_receipt_timeout: float = Field(default=60.0, gt=0)

    # keepers
    oracle_keepers: bool = Field(default=True, description="run markDefaulted and auto-payout keepers")
    oracle_claim_batch: int = Field(default=50, ge=1, le=500, description="investors per claimFor transaction")

    # testing: crash injection (`<stage>:<n>` exits the process the n-th time `stage` is reached)
    oracle_crash_at: str | None = None

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        return normalize_database_url(url)

    @property
    def peers(self) -> list[str]:
        """The peer base URLs, without trailing slashes."""
        return [p.strip().rstrip("/") for p in self.oracle_peers.split(",") if p.strip()]

    def bank_secrets(self) -> list[bytes]:
        """The configured webhook secrets, newest first as written."""
        return [s.strip().encode() for s in self.bank_webhook_secret.get_secret_value().split(",") if s.strip()]

    def confirmations_for(self, chain_id: int) -> int:
        """Blocks behind the head the watcher stays: 0 on local chains unless configured."""
        if self.oracle_confirmations is not None:
            return self.oracle_confirmations
        return 0 if is_local_chain(chain_id) else 12

    def check_for_chain(self, chain_id: int) -> None:
        """Refuse local-only secrets and keys outside local chains.

        Raises:
            ConfigError: naming the setting and what to set instead.
        """
        if is_local_chain(chain_id):
            return
        secrets = self.bank_secrets()
        if not secrets or any(s == LOCAL_BANK_SECRET.encode() or len(s) < 16 for s in secrets):
            raise ConfigError(
                f"chain {chain_id} is not local: set HUNDI_BANK_WEBHOOK_SECRET to the bank's real secret (at least "
                "16 characters; the local default is refused)"
            )
        if self.oracle_private_key is not None or self.oracle_collector_private_key is not None:
            raise ConfigError(
                f"chain {chain_id} is not local: raw private keys are refused; use --account with a keystore or an "
                "ape account alias"
            )
        token = self.admin_token()
        if token is None:
            raise ConfigError(f"chain {chain_id} is not local: set HUNDI_ORACLE_ADMIN_TOKEN (operator endpoints)")

    def admin_token(self) -> str | None:
        """The operator bearer token, or None when unset or a placeholder (then operator endpoints refuse all)."""
        if self.oracle_admin_token is None:
            return None
        token = self.oracle_admin_token.get_secret_value().strip()
        if token.lower() in _PLACEHOLDER_TOKENS or len(token) < 16:
            return None
        return token
