"""The agent's public types: what ``Agent.respond`` returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from retrieval.schema import Product


@dataclass
class ProductCard:
    """A product as shown to the shopper, with the reason it is shown."""

    id: str
    title: str
    price: float | None
    currency: str
    category: str
    brand: str | None
    attributes: dict[str, str]
    url: str | None
    image_url: str | None
    why: str
    rating: float | None = None

    @classmethod
    def from_product(cls, p: Product, why: str) -> ProductCard:
        return cls(p.id, p.title, p.price, p.currency, p.category, p.brand, p.key_attributes(), p.url, p.image_url, why, p.rating)


@dataclass
class Citation:
    """A help-centre entry the answer is grounded on."""

    id: str
    title: str
    snippet: str = ""


@dataclass
class Reply:
    """One agent turn. ``turn_id`` identifies it for ``Agent.feedback``."""

    text: str
    intent: str
    confidence: float
    products: list[ProductCard] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    action: str | None = None
    handoff: bool = False
    handoff_reason: str | None = None
    turn_id: int = 0
    session_id: str = ""
    suggestions: list[str] = field(default_factory=list)
    top_k: list[tuple[str, float]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0
    degraded: bool = False
    model_version: str = ""
    # "done" when ``action`` was performed this turn; "pending_confirmation" when the agent asked the shopper to
    # confirm a cancel/return (``action`` stays None); "refused" when it was not allowed (``action`` None); None otherwise
    action_status: str | None = None
    # the language the reply is written in: "zh", "en" or "other" (a message in another language gets English templates);
    # it follows the shopper's latest message; a message without letters keeps the conversation's language
    language: str = "en"
    placeholder: str = ""  # the chat input's placeholder in the reply's language (the UI shows it as is)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
