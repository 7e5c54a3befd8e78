"""Settings the document tools read from the environment (``HUNDI_`` prefix)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hundi.documents.crypto import decode_key, is_placeholder_key
from hundi.documents.errors import DocumentKeyError
from hundi.paths import project_root

# anvil / hardhat (31337) and ganache / geth --dev (1337): the chains where a throwaway key is fine.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})
DEFAULT_IPFS_API = "/ip4/127.0.0.1/tcp/5001/http"


def default_docs_dir() -> Path:
    """``var/docs`` under the project root (see :mod:`hundi.paths`)."""
    return project_root() / "var" / "docs"


class DocumentSettings(BaseSettings):
    """``HUNDI_DOCUMENT_KEY``, ``HUNDI_CHAIN_ID``, ``HUNDI_DOCS_DIR`` and ``HUNDI_IPFS_API``."""

    model_config = SettingsConfigDict(env_prefix="HUNDI_", extra="ignore")

    document_key: SecretStr | None = None
    chain_id: int | None = None
    docs_dir: Path | None = None
    ipfs_api: str = DEFAULT_IPFS_API

    def local_docs_dir(self) -> Path:
        """``HUNDI_DOCS_DIR``, else ``var/docs`` under the project root."""
        return self.docs_dir if self.docs_dir is not None else default_docs_dir()

    @property
    def on_local_chain(self) -> bool:
        return self.chain_id is None or self.chain_id in LOCAL_CHAIN_IDS

    def operator_key(self) -> bytes:
        """The decoded operator key.

        Raises:
            DocumentKeyError: when it is unset or malformed, or a placeholder while HUNDI_CHAIN_ID names a
                non-local chain.
        """
        if self.document_key is None or not self.document_key.get_secret_value().strip():
            raise DocumentKeyError(
                "HUNDI_DOCUMENT_KEY is not set. Generate one with `hundi doc keygen` and export it: "
                "export HUNDI_DOCUMENT_KEY=$(hundi doc keygen)"
            )
        key = decode_key(self.document_key.get_secret_value())
        if is_placeholder_key(key) and not self.on_local_chain:
            raise DocumentKeyError(
                f"HUNDI_DOCUMENT_KEY is a placeholder (every byte the same) and HUNDI_CHAIN_ID="
                f"{self.chain_id} is not a local chain; generate a real key with `hundi doc keygen`"
            )
        return key
