"""API keys: compared in constant time, never logged or echoed."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from fastapi.security import APIKeyHeader
from pydantic import SecretStr

from replyscore.serving.errors import ServiceError
from replyscore.serving.settings import Settings

API_KEY_HEADER = "X-API-Key"
api_key_header = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="A key from REPLYSCORE_API_KEYS (or the admin key)."
)


def _matches(given: str, keys: Iterable[SecretStr]) -> bool:
    given_bytes = given.encode("utf-8")
    # Compare with every key, so the time taken does not tell which one (or whether any) matched.
    results = [hmac.compare_digest(given_bytes, key.get_secret_value().encode("utf-8")) for key in keys]
    return any(results)


class KeyChecker:
    def __init__(self, settings: Settings) -> None:
        admin = [settings.admin_key] if settings.admin_key else []
        self.client_keys = [*settings.api_keys, *admin]
        self.admin_keys = admin
        self.enabled = settings.auth_enabled

    def check_client(self, given: str | None) -> None:
        if self.enabled:
            self._check(given, self.client_keys, "an API key")

    def check_admin(self, given: str | None) -> None:
        if self.admin_keys:
            self._check(given, self.admin_keys, "the admin key")

    @staticmethod
    def _check(given: str | None, keys: list[SecretStr], what: str) -> None:
        if not given:
            raise ServiceError(
                401,
                "auth",
                f"{what} is required in the {API_KEY_HEADER} header",
                {"WWW-Authenticate": API_KEY_HEADER},
            )
        if not _matches(given, keys):
            raise ServiceError(
                401,
                "auth",
                f"the {API_KEY_HEADER} header does not hold {what}",
                {"WWW-Authenticate": API_KEY_HEADER},
            )
