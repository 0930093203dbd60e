"""Short-lived blob credentials minted into commands: a job's upload grant, a read token.

Minted afresh on every send, so a resend never carries an expired one (protocol §11, §13).
"""

from __future__ import annotations

from cloud import blobs as blob_store
from cloud.settings import Settings
from protocols.jobs import Fetch, Uploads


class Grants:
    """Mints the blob URLs and tokens a job's command carries."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.secret_key.get_secret_value()
        self._base = f"{settings.base_url}/api/v1/blobs"
        self._upload_ttl_s = settings.upload_grant_ttl_s
        #: print_receipt jobs get a grant too (their proof), unless turned off for old agents
        self.receipt_proof = settings.receipt_proof

    def uploads_for(self, job_id: str) -> Uploads:
        """Where and with which grant job ``job_id`` uploads its blobs (protocol §11)."""
        grant = blob_store.make_grant(self._secret, job_id, self._upload_ttl_s)
        return Uploads(base=self._base, grant=grant, expires=blob_store.grant_expiry(grant))

    def fetch_for(self, sha256: str) -> Fetch:
        """A read URL (with a short-lived get token) for the blob a job prints (§13)."""
        ttl = max(60, min(self._upload_ttl_s, blob_store.MAX_TOKEN_TTL_S))
        token = blob_store.make_token(self._secret, sha256, "get", ttl)
        return Fetch(
            url=f"{self._base}/{sha256}?token={token}", expires=blob_store.token_expiry(token)
        )
