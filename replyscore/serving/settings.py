"""Service settings: environment variables prefixed REPLYSCORE_ or a `.env` file in the working directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPLYSCORE_", env_file=".env", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port.")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Keys accepted in the X-API-Key header, comma-separated; empty = no authentication.",
    )
    admin_key: SecretStr | None = Field(
        default=None,
        description="Key for /metrics (X-API-Key or 'Authorization: Bearer'); also works as an API key.",
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Largest request body (413 above).")
    max_text_chars: int = Field(
        default=10_000, ge=1, description="Longest reply in characters (422 on /v1, 413 on /v2/check)."
    )
    max_batch_items: int = Field(default=100, ge=1, description="Most items in one /v1/score/batch call.")
    batch_max_size: int = Field(default=32, ge=1, description="Most texts the model scores in one batch.")
    batch_max_wait_ms: float = Field(
        default=2.0, ge=0, description="How long a batch waits for more texts once the first has arrived."
    )
    queue_max: int = Field(
        default=512,
        ge=1,
        description="Most texts waiting for the model; a call that would pass it gets 503 with Retry-After "
        "(a call is always let in when nothing is waiting).",
    )
    model_path: Path | None = Field(default=None, description="Model directory; unset = the default model.")
    rules_only: bool = Field(default=False, description="Score with rules only; load no language model.")
    model_runtime: Literal["int8", "int8-per-token", "fp32"] = Field(
        default="int8",
        description="Encoder runtime: int8 (ONNX Runtime, exported once into the cache), int8-per-token "
        "(activation scales per token: a reply scores the same in any batch, about 16 % slower) or fp32 "
        "(torch).",
    )
    model_threads: int | None = Field(
        default=None, ge=1, description="Threads for the model; unset = one per physical core."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("admin_key", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)
