"""Settings from the environment and `.env`, and the `serve` subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest

from replyscore.cli import build_parser
from replyscore.serving.settings import Settings


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REPLYSCORE_PORT=9001\nREPLYSCORE_MAX_TEXT_CHARS=500\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPLYSCORE_API_KEYS", " alpha , beta,")
    monkeypatch.setenv("REPLYSCORE_ADMIN_KEY", "")
    monkeypatch.setenv("REPLYSCORE_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("REPLYSCORE_MAX_TEXT_CHARS", "800")  # the environment wins over .env
    s = Settings()
    assert (s.port, s.max_text_chars, s.log_level, s.admin_key) == (9001, 800, "warning", None)
    assert [k.get_secret_value() for k in s.api_keys] == ["alpha", "beta"] and s.auth_enabled
    assert "alpha" not in repr(s) and "alpha" not in str(s.model_dump())


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="batch_max_size"):
        Settings(_env_file=None, batch_max_size=0)  # type: ignore[call-arg]


def test_serve_subcommand_is_registered() -> None:
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert (args.host, args.port) == ("0.0.0.0", 8123)


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [("fp32", "torch-fp32"), ("int8", "onnx-int8"), ("int8-per-token", "onnx-int8-per-token")],
)
def test_model_runtime_setting_picks_the_encoder(runtime: str, expected: str) -> None:
    from replyscore.model.language import ReplyLanguageModel
    from replyscore.serving.state import load_scorer

    settings = Settings(_env_file=None, model_runtime=runtime, model_threads=1)  # type: ignore[call-arg]
    model = load_scorer(settings).language_model
    assert isinstance(model, ReplyLanguageModel) and model.encoder.runtime == expected
    assert model.analyse(["Спасибо, заказ приедет завтра до 14:00."])[0].tone


def test_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="model_runtime"):
        Settings(_env_file=None, model_runtime="fp16")  # type: ignore[call-arg]
