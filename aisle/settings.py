"""Typed configuration: one object, loaded from a TOML file plus environment overrides.

Precedence (later wins): defaults → TOML file → environment. The file is ``$AISLE_CONFIG``
if set, else ``aisle.toml`` in the working directory, else ``$AISLE_HOME/aisle.toml``.
Environment overrides use ``AISLE_<SECTION>__<FIELD>`` (e.g. ``AISLE_CHROMA__MODE=http``),
plus ``AISLE_HOME`` for the state directory. Unknown keys are errors, so a typo in a
setting never silently falls back to a default.

Every piece of state lives under ``home``: ``chroma/``, ``aisle.db``, ``models/``, ``logs/``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aisle.errors import ConfigError

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
PACKAGED_SOURCES = PACKAGE_DATA / "sources"
SHARED_DATA_CANDIDATES = (Path("../shared/data"), Path(__file__).resolve().parents[2] / "shared" / "data")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Device(str, Enum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


class EmbeddingSettings(_Section):
    """The one embedding path used by ingest, search and evaluation."""

    model: str = Field("all-MiniLM-L6-v2", description="local sentence-transformers directory, or the packaged alias")
    device: Device = Device.AUTO
    precision: Literal["auto", "fp32", "fp16", "bf16"] = "auto"
    batch_size: int = Field(64, ge=1, le=65536, description="texts per batch on CPU")
    gpu_token_budget: int = Field(262144, ge=1024, description="padded tokens per GPU batch")
    max_seq_length: int = Field(128, ge=8, le=512)
    query_cache_size: int = Field(2048, ge=0)


class ChromaSettings(_Section):
    mode: Literal["persistent", "http"] = "persistent"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    products_collection: str = "aisle-products"
    faq_collection: str = "aisle-faq"


class DataSettings(_Section):
    """Where source datasets come from. ``None`` means: ../shared/data if present, else packaged copies."""

    shared_dir: Path | None = None
    products: Path | None = None
    faq: Path | None = None


class RetrievalSettings(_Section):
    fusion: Literal["rrf", "score"] = "rrf"
    rrf_k: int = Field(60, ge=1)
    dense_weight: float = Field(1.0, ge=0)
    lexical_weight: float = Field(1.0, ge=0)
    candidates: int = Field(100, ge=1, le=2000, description="candidates per retriever before fusion")
    top_k: int = Field(10, ge=1, le=200)
    max_query_chars: int = Field(1000, ge=10)
    faq_min_score: float = Field(0.35, description="dense cosine below which an FAQ match is 'not sure'")
    exact_search_max_rows: int = Field(50000, ge=0, description="filters matching at most this many products are scored exactly in memory (0: always Chroma)")


class QualitySettings(_Section):
    """Thresholds of the training-data quality gate."""

    near_duplicate_jaccard: float = Field(0.9, gt=0, le=1, description="token-set Jaccard for near-duplicates")
    noise_folds: int = Field(5, ge=2, le=20)
    noise_margin: float = Field(0.5, ge=0, le=1, description="flag when p(given) is this much below p(predicted)")
    noise_max_given_prob: float = Field(0.1, ge=0, le=1, description="…and p(given label) is below this")
    drop_flagged_noise: bool = False
    feedback_noise_max_given: float = Field(0.1, ge=0, le=1, description="feedback: flag when the out-of-fold p(corrected label) is below this…")
    feedback_noise_min_pred: float = Field(0.3, ge=0, le=1, description="…and another label has at least this")
    min_examples_per_label: int = Field(2, ge=1)
    max_text_chars: int = Field(512, ge=16)


class IntentSettings(_Section):
    base_model: str = "all-MiniLM-L6-v2"
    max_length: int = Field(48, ge=8, le=512)
    epochs: int = Field(5, ge=1, le=100)
    batch_size: int = Field(32, ge=1)
    learning_rate: float = Field(1e-4, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.06, ge=0, lt=1)
    patience: int = Field(2, ge=1, description="epochs without dev macro-F1 gain before stopping")
    freeze_embeddings: bool = Field(True, description="freeze the word-embedding matrix (1.4x faster on CPU)")
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    seed: int = 13
    # the ablation on the fixed dev set (README) favours no weighting for the store router:
    # importance (w = p(y|x)/p(y)) and class-balanced weights are options, not the default
    weighting: Literal["none", "balanced", "importance"] = "none"
    weight_clip_min: float = Field(0.2, gt=0)
    weight_clip_max: float = Field(5.0, gt=0)
    device: Device = Device.AUTO
    quantize: bool = Field(False, description="serve the router with dynamic int8 linear layers on CPU (2x faster, see README)")
    oos_label: str = "out_of_scope"
    top_k: int = Field(3, ge=1)
    gate_tolerance: float = Field(0.01, ge=0, le=1, description="allowed drop on any gated metric (retrains vary by ~0.5 point)")
    gate_metrics: list[str] = Field(default_factory=lambda: ["macro_f1", "accuracy", "oos_recall"])
    gate_z: float = Field(1.64, ge=0, le=5, description="a metric may also drop by this many standard errors of its sampling noise (0: tolerance only)")


class AgentSettings(_Section):
    clarify_threshold: float = Field(0.45, ge=0, le=1, description="below: ask one clarifying question")
    max_misunderstandings: int = Field(2, ge=1, description="consecutive failures before offering a human")
    max_message_chars: int = Field(2000, ge=10)
    max_products: int = Field(5, ge=1, le=50)
    return_window_days: int = Field(30, ge=0)
    cancellable_statuses: list[str] = Field(default_factory=lambda: ["pending", "processing"])
    returnable_statuses: list[str] = Field(default_factory=lambda: ["delivered"])
    max_verification_attempts: int = Field(3, ge=1)
    composer: Literal["template", "langchain"] = "template"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(20.0, gt=0)
    pii_salt: str = "aisle-default-salt-change-me"


class UISettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    title: str = "Aisle Store assistant"


class Settings(_Section):
    home: Path = Path("var")
    log_level: str = "INFO"
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    intents: IntentSettings = Field(default_factory=IntentSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    # --- derived locations -------------------------------------------------------------
    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def db_path(self) -> Path:
        return self.home / "aisle.db"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def intent_models_dir(self) -> Path:
        return self.models_dir / "intents"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def ensure_dirs(self) -> None:
        """Create the state directories (idempotent)."""
        for d in (self.home, self.chroma_dir, self.models_dir, self.logs_dir, self.reports_dir):
            d.mkdir(parents=True, exist_ok=True)

    # --- data sources --------------------------------------------------------------------
    @property
    def sources_dir(self) -> Path:
        """Folder holding flipkart/, bitext_cs/, clinc150/, wands_queries/."""
        if self.data.shared_dir is not None:
            return self.data.shared_dir
        for cand in SHARED_DATA_CANDIDATES:
            if (cand / "flipkart" / "products.csv").exists():
                return cand.resolve()
        return PACKAGED_SOURCES

    def source_file(self, relative: str) -> Path:
        """Resolve ``relative`` (e.g. ``flipkart/products.csv``) in the sources, accepting ``.gz`` copies."""
        base = self.sources_dir / relative
        if base.exists():
            return base
        gz = base.with_name(base.name + ".gz")
        if gz.exists():
            return gz
        packaged = PACKAGED_SOURCES / (relative + ".gz")
        return packaged if packaged.exists() else base

    @property
    def products_file(self) -> Path:
        return self.data.products or self.source_file("flipkart/products.csv")

    @property
    def faq_file(self) -> Path:
        return self.data.faq or PACKAGE_DATA / "faq" / "help_centre.jsonl"

    # --- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Load defaults, then the TOML file, then ``AISLE_*`` environment overrides."""
        env = os.environ if env is None else env
        data: dict[str, Any] = {}
        file = _find_config_file(path, env)
        if file is not None:
            try:
                data = tomllib.loads(file.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read settings file {file}: {exc}") from None
        _apply_env(data, env)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            where = f" (from {file} and AISLE_* variables)" if file else " (from AISLE_* variables)"
            raise ConfigError(f"invalid settings{where}:\n{exc}") from None

    def with_home(self, home: Path) -> Settings:
        """A copy of these settings with state under another directory."""
        return self.model_copy(update={"home": home.expanduser().resolve()})


def _find_config_file(path: str | Path | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"settings file not found: {p}")
        return p
    if env.get("AISLE_CONFIG"):
        p = Path(env["AISLE_CONFIG"])
        if not p.exists():
            raise ConfigError(f"AISLE_CONFIG points to a missing file: {p}")
        return p
    for cand in (Path("aisle.toml"), Path(env.get("AISLE_HOME", "var")) / "aisle.toml"):
        if cand.exists():
            return cand
    return None


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    """Fold ``AISLE_HOME`` and ``AISLE_<SECTION>__<FIELD>`` variables into ``data``."""
    if env.get("AISLE_HOME"):
        data["home"] = env["AISLE_HOME"]
    if env.get("AISLE_LOG_LEVEL"):
        data["log_level"] = env["AISLE_LOG_LEVEL"]
    sections = {name for name, f in Settings.model_fields.items() if isinstance(f.default_factory, type)}
    for key, value in env.items():
        if not key.startswith("AISLE_") or "__" not in key:
            continue
        section, _, field = key[len("AISLE_"):].lower().partition("__")
        if section not in sections:
            raise ConfigError(f"{key}: unknown settings section {section!r}; known: {sorted(sections)}")
        target = data.setdefault(section, {})
        target[field] = _parse_env_value(value)


def _parse_env_value(value: str) -> Any:
    """Environment values are strings; accept JSON for lists and numbers, else keep the string."""
    import json

    v = value.strip()
    if v[:1] in "[{" or v in ("true", "false", "null"):
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return value
    return value
