"""What the CCF operator does outside the TS 29.222 APIs: create onboarding/registration secrets and
restrict who may use an API (the "out of band" parts TS 33.122 clause 6.1 and TS 23.222 leave open)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from impl.apitypes.problems import Cause, NotFoundError
from impl.ccf.core import CoreParts
from impl.ccf.security_targets import mark_stale_entries
from impl.store import apis, policy
from impl.store.database import epoch
from impl.store.secrets import SecretPurpose, insert_secret

SECRET_OCTETS = 32


class Operator:
    """Operator functions of one CCF."""

    def __init__(self, parts: CoreParts) -> None:
        self._parts = parts

    def create_secret(
        self, purpose: SecretPurpose, *, now: datetime, lifetime: timedelta = timedelta(days=1)
    ) -> str:
        """A fresh one-time secret (256 random bits, hexadecimal) valid for ``lifetime``. Hexadecimal
        never begins with ``-``, so the secret can follow ``--secret`` on a command line (a URL-safe
        base64 secret did so once in 64 and was then read as an option).

        Returned once, stored only hashed; hand it to the invoker (``invoker-onboarding``, presented
        as a bearer credential when onboarding) or provider (``provider-registration``, its ``regSec``).
        """
        secret = secrets.token_hex(SECRET_OCTETS)
        with self._parts.database.transaction() as tx:
            insert_secret(
                tx,
                secret,
                ccf_id=self._parts.config.ccf_id,
                purpose=purpose,
                created_at=epoch(now),
                expires_at=epoch(now + lifetime),
            )
        return secret

    def set_api_audience(self, api_id: str, invoker_ids: Sequence[str] | None) -> None:
        """Restrict ``api_id`` to ``invoker_ids``, or (None) open it to every onboarded invoker.

        Security context entries that no longer cover any allowed API become stale.
        """
        with self._parts.database.transaction() as tx:
            record = apis.api(tx, api_id)
            if record is None or record.ccf_id != self._parts.config.ccf_id:
                raise NotFoundError(Cause.RESOURCE_NOT_FOUND, f"no published service API {api_id}")
            policy.set_audience(tx, api_id, invoker_ids)
            aef_ids = {profile.aef_id for profile in record.description.aef_profiles}
            mark_stale_entries(tx, self._parts.config.ccf_id, aef_ids)
