"""Intent routing for the agent: the promoted fine-tuned classifier, hot-reloaded, with a fallback.

Each turn resolves ``models/intents/current`` (one ``readlink``); when a new version has
been promoted (or an old one, for rollback) the router loads it before answering, so the
running agent picks up promotions without a restart. If no usable model exists (missing,
corrupt), the router degrades to ``KeywordRouter`` and marks its predictions ``degraded``
instead of failing the conversation.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aisle.errors import ModelNotFoundError
from finetune.classifier import IntentClassifier, IntentPrediction
from finetune.registry import ModelRegistry

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Routed:
    prediction: IntentPrediction
    degraded: bool = False


_RULES: list[tuple[str, str]] = [
    (r"\b(human|real person|agent|representative|someone real|speak to (?:a )?person)\b", "contact_human_agent"),
    (r"\bcancel\w*\b.*\b(fee|charge|penalt)", "check_cancellation_fee"),
    (r"\bcancel", "cancel_order"),
    (r"\brefund\w*\b.*\b(status|where|when|track|received)|\b(where|status).*\brefund", "track_refund"),
    (r"\breturn\w*\b.*\b(policy|window|days|can i)|\brefund policy", "check_refund_policy"),
    (r"\b(refund|return|money back)", "get_refund"),
    (r"\b(track|where is|where's|status of|has .* shipped)\b.*\b(order|package|parcel)|\bORD-\d+", "track_order"),
    (r"\bpassword|can'?t log ?in", "recover_password"),
    (r"\b(delete|close|remove)\b.*\baccount", "delete_account"),
    (r"\b(create|open|sign up|register)\b.*\baccount|\bsign ?up\b", "create_account"),
    (r"\binvoice|\bbill\b|receipt", "get_invoice"),
    (r"\b(payment|card|upi)\b.*\b(fail|declin|deduct|error|problem)", "payment_issue"),
    (r"\b(pay|payment|upi|cod|cash on delivery|credit card|emi)\b", "check_payment_methods"),
    (r"\b(how long|when will|how many days)\b.*\b(deliver|arrive|ship)", "delivery_period"),
    (r"\b(shipping|delivery)\b", "delivery_options"),
    (r"\b(newsletter|unsubscribe|subscribe)\b", "newsletter_subscription"),
    (r"\b(complain|complaint|terrible|worst|awful|unacceptable)\b", "complaint"),
    (r"\b(recommend|suggest|gift|what should i (buy|get))\b", "recommendation"),
    (r"\b(are you a (bot|robot|human)|am i talking to a (bot|machine))\b", "are_you_a_bot"),
    (r"^\s*(hi|hello|hey|good (morning|evening|afternoon)|namaste)\b", "greeting"),
    (r"\b(thanks|thank you|thx)\b", "thank_you"),
    (r"\b(bye|goodbye|see you)\b", "goodbye"),
]


class KeywordRouter:
    """Transparent fallback rules, used only when no trained model can be loaded."""

    def classify(self, text: str, product_words: bool = False) -> IntentPrediction:
        lowered = text.lower()
        for pattern, intent in _RULES:
            if re.search(pattern, lowered):
                return IntentPrediction(intent, 0.6, [(intent, 0.6)], False, "keyword-fallback")
        if product_words:
            return IntentPrediction("product_search", 0.55, [("product_search", 0.55)], False, "keyword-fallback")
        return IntentPrediction("out_of_scope", 0.5, [("out_of_scope", 0.5)], True, "keyword-fallback")


class Router:
    def __init__(self, settings: Settings, model_dir: Path | None = None) -> None:
        self.settings = settings
        self.registry = ModelRegistry(settings.intent_models_dir)
        self.fixed_dir = model_dir
        self._clf: IntentClassifier | None = None
        self._loaded_from: Path | None = None
        self._lock = threading.Lock()
        self._fallback = KeywordRouter()
        self._warned = False

    def _target(self) -> Path:
        if self.fixed_dir is not None:
            return self.fixed_dir
        return self.registry.current_path()

    def classifier(self) -> IntentClassifier:
        """The classifier for the currently promoted model (reloaded when ``current`` moves)."""
        target = self._target().resolve()
        if self._clf is None or target != self._loaded_from:
            with self._lock:
                if self._clf is None or target != self._loaded_from:
                    clf = IntentClassifier(target, top_k=self.settings.intents.top_k)
                    clf.warm_up()
                    if self._loaded_from is not None:
                        log.info("intent model changed: %s → %s", self._loaded_from.name, target.name)
                    self._clf, self._loaded_from = clf, target
        assert self._clf is not None
        return self._clf

    @property
    def labels(self) -> list[str]:
        try:
            return self.classifier().labels
        except ModelNotFoundError:
            return []

    def warm_up(self) -> None:
        try:
            self.classifier()
        except ModelNotFoundError as exc:
            log.warning("intent router degraded to keyword rules: %s", exc)

    def route(self, text: str, product_words: bool = False) -> Routed:
        try:
            return Routed(self.classifier().classify(text))
        except ModelNotFoundError as exc:
            if not self._warned:
                log.warning("no usable intent model (%s); routing with keyword rules", exc)
                self._warned = True
            return Routed(self._fallback.classify(text, product_words), degraded=True)
