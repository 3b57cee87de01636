"""Typed settings: defaults, TOML file, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisle.errors import ConfigError
from aisle.settings import Settings

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`


def test_defaults_put_all_state_under_home(tmp_path: Path) -> None:
    s = Settings.load(env={"AISLE_HOME": str(tmp_path / "h")})
    assert s.home == (tmp_path / "h").resolve()
    assert s.chroma_dir == s.home / "chroma" and s.db_path == s.home / "aisle.db"
    assert s.intent_models_dir == s.home / "models" / "intents"
    assert s.chroma.mode == "persistent"


def test_file_then_env_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "aisle.toml"
    cfg.write_text('[chroma]\nmode = "http"\nport = 9000\n[retrieval]\ntop_k = 7\n', encoding="utf-8")
    s = Settings.load(cfg, env={"AISLE_CHROMA__PORT": "9100", "AISLE_AGENT__CANCELLABLE_STATUSES": '["pending"]'})
    assert s.chroma.mode == "http" and s.chroma.port == 9100 and s.retrieval.top_k == 7
    assert s.agent.cancellable_statuses == ["pending"]


def test_typos_and_bad_values_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown settings section"):
        Settings.load(env={"AISLE_CROMA__MODE": "http"})
    with pytest.raises(ConfigError, match="invalid settings"):
        Settings.load(env={"AISLE_CHROMA__MDOE": "http"})
    with pytest.raises(ConfigError, match="invalid settings"):
        Settings.load(env={"AISLE_CHROMA__MODE": "cloud"})
    bad = tmp_path / "bad.toml"
    bad.write_text("[chroma\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.load(bad)
    with pytest.raises(ConfigError, match="not found"):
        Settings.load(tmp_path / "missing.toml")
