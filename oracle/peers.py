"""Signature exchange with the other operators: each node posts its own signature of a report to every peer's
`POST /oracle/v1/signatures`. The receiving side (`Outbox.accept_peer_signature`) checks it; this is the sender."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("hundi.oracle.peers")

SIGNATURES_PATH = "/oracle/v1/signatures"


class PeerClient:
    """Posts signatures to the configured peers, with a short timeout so a dead peer costs little."""

    def __init__(self, urls: list[str], *, timeout: float = 2.0) -> None:
        self.urls = urls
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def deliver(self, peer: str, report_id: str, signature: str, invoice_id: int) -> int:
        """Post one signature; the peer's HTTP status, or 0 when it could not be reached."""
        body = {"reportId": report_id, "signature": signature, "invoiceId": invoice_id}
        try:
            response = self._http.post(peer + SIGNATURES_PATH, json=body)
        except httpx.HTTPError as exc:
            log.debug("peer unreachable", extra={"peer": peer, "error": str(exc)})
            return 0
        if response.status_code not in (200, 404):  # 404: the peer has not computed the report yet (normal)
            log.warning(
                "peer refused a signature",
                extra={"peer": peer, "status": response.status_code, "body": response.text[:300]},
            )
        return response.status_code
