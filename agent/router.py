"""Intent routing for the agent: the promoted router, hot-reloaded, with fallbacks.

Each turn resolves ``models/intents/current`` (one ``readlink``); when a new version has
been promoted (or an old one, for rollback) the router loads it before answering, so the
running agent picks up promotions without a restart, whatever approach trained the version
(fine-tune, embedding heads, SetFit, ensemble: ``finetune.classifier.IntentClassifier``
reads them all and checks their labels on load). If no usable model exists (missing,
corrupt), the router degrades to ``KeywordRouter`` and marks its predictions ``degraded``
instead of failing the conversation.

Extension points:

* ``multilingual``: a ``LanguageRouter`` that claims messages the English router should not
  read (``handles``) and routes them; without one, mostly-Chinese messages go through the
  explicit Chinese rules below.
* ``keyword_tie_break`` (default ``intents.keyword_tie_break``): the keyword rules may pick among
  the model's own top candidates when it is unsure; ``aisle experiment router`` measures the
  router with and without them on dev.

``router_status`` reports what the staff console shows: the promoted version, its approach
and dev figures, and the state of a background training run.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agent.human_request import explicit_human_request
from agent.search import content_terms
from agent.slots import Slots, routing_text
from aisle.errors import ModelNotFoundError
from aisle.labels import HUMAN_REQUEST
from finetune.classifier import IntentClassifier, IntentPrediction
from finetune.registry import ModelRegistry
from retrieval.vocab import CJK_RE

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)
TIE_BREAK_BELOW = 0.85
TIE_BREAK_CANDIDATES = 5
RULE_CONFIDENCE = 0.6
RESCUE_MIN_PROB = 0.25
ZH_RULE_CONFIDENCE = 0.75

# Whole-message small talk in common languages: unambiguous, so no model is needed for it.
SMALL_TALK_LEXICON: dict[str, str] = {
    **{
        w: "greeting"
        for w in (
            "hi",
            "hello",
            "hey",
            "hiya",
            "yo",
            "hola",
            "bonjour",
            "hallo",
            "ciao",
            "salut",
            "olá",
            "ola",
            "namaste",
            "namaskar",
            "你好",
            "您好",
            "नमस्ते",
            "привет",
            "merhaba",
            "salaam",
            "assalamualaikum",
            "good morning",
            "good evening",
            "good afternoon",
            "hey there",
            "hello there",
            "hi there",
            "wassup",
            "sup",
            "howdy",
            "greetings",
        )
    },
    **{
        w: "thank_you"
        for w in (
            "thanks",
            "thank you",
            "thx",
            "ty",
            "thanks a lot",
            "thank you so much",
            "gracias",
            "merci",
            "danke",
            "谢谢",
            "多谢",
            "धन्यवाद",
            "shukriya",
            "dhanyavaad",
            "obrigado",
            "obrigada",
            "спасибо",
            "grazie",
            "arigato",
        )
    },
    **{
        w: "goodbye"
        for w in (
            "bye",
            "goodbye",
            "bye bye",
            "see you",
            "see ya",
            "adios",
            "adiós",
            "au revoir",
            "再见",
            "tschüss",
            "ciao bye",
            "alvida",
            "अलविदा",
            "до свидания",
            "arrivederci",
            "take care",
            "good night",
        )
    },
}


def lexicon_small_talk(text: str) -> str | None:
    """The small-talk intent when the *whole* message is a known greeting/thanks/goodbye."""
    key = re.sub(r"[\s!.,?¡¿~🙂👋🙏😊]+", " ", text.lower()).strip()
    return SMALL_TALK_LEXICON.get(key)


@dataclass
class Routed:
    prediction: IntentPrediction
    degraded: bool = False


_RULES: list[tuple[str, str]] = [
    (r"\bcancel\w*\b.*\b(fee|charge|penalt|cost)|\b(fee|charge|penalt|cost)\w*\b.*\bcancel", "check_cancellation_fee"),
    (r"\bcancel", "cancel_order"),
    (r"\brefund\w*\b.*\b(status|where|when|track|received)|\b(where|status).*\brefund", "track_refund"),
    (
        r"\breturn\w*\b.*\b(policy|window|days)|\b(can i|is it possible to|are .* returnable)\b.*\breturn|\brefund policy|returnable",
        "check_refund_policy",
    ),
    (r"\b(refund|return|money back)", "get_refund"),
    (r"\b(track|where is|where's|status of|has .* shipped|when will my)\b.*\b(order|package|parcel)|\bORD-\d+", "track_order"),
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
    (r"^\s*(hi|hello|hey|good (morning|evening|afternoon)|namaste)( there)?[\s!.,]*$", "greeting"),
    (r"\b(thanks|thank you|thx)\b", "thank_you"),
    (r"\b(bye|goodbye|see you)\b", "goodbye"),
]


# The fine-tuned encoder reads English only. Chinese messages go to the multilingual router
# (``agent/multilingual_router.py``); these rules (checked in order) are its fallback when no
# multilingual router can be loaded. On the Chinese dev split they never improved on the
# multilingual router (accuracy 0.92 alone, lower with any rule override), so they only stand in.
_ZH_RULES: list[tuple[str, str]] = [
    (r"人工|真人|客服|转人工", "contact_human_agent"),
    (r"取消.*(费|收费)", "check_cancellation_fee"),
    (r"取消", "cancel_order"),
    (r"退款.*(进度|状态|到账|什么时候|多久)", "track_refund"),
    (r"(退货|退款|换货).*(政策|规定|条件|期限|几天|多少天)", "check_refund_policy"),
    (r"退货|退款|退钱", "get_refund"),
    (r"订单|物流|快递|包裹|到哪|发货了吗|ORD-\d+", "track_order"),
    (r"发票", "get_invoice"),
    (r"付款|支付|货到付款|信用卡", "check_payment_methods"),
    (r"运费|邮费|包邮|免运费", "delivery_options"),
    (r"多久.*(到|送达)|几天.*(到|送达)|配送|送货", "delivery_period"),
    (r"密码", "recover_password"),
    (r"推荐|礼物|送给", "recommendation"),
    (r"便宜|更贵|买|找|想要|有没有|有.*吗", "product_search"),
]


def mostly_chinese(text: str) -> bool:
    """At least half of the message's letters are CJK (order ids and e-mails don't tip it)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if CJK_RE.match(c)) >= 0.5 * len(letters)


def chinese_rule(text: str, product_words: bool) -> IntentPrediction:
    """The intent of a mostly-Chinese message by rule (out of scope when none applies)."""
    intent = next((i for pattern, i in _ZH_RULES if re.search(pattern, text)), None)
    if intent is None and product_words:
        intent = "product_search"
    if intent is None:  # not something the store's rules recognise: out of scope, not a guess
        return IntentPrediction("out_of_scope", 0.5, [("out_of_scope", 0.5)], True, "zh-rules")
    return IntentPrediction(intent, ZH_RULE_CONFIDENCE, [(intent, ZH_RULE_CONFIDENCE)], False, "zh-rules")


KEYWORD_FALLBACK = "keyword-fallback"
"""``model_version`` of the keyword fallback's predictions (no trained router could be loaded)."""


class KeywordRouter:
    """Transparent fallback rules, used only when no trained model can be loaded."""

    @staticmethod
    def matched_rule(text: str) -> str | None:
        """The intent of the first rule whose words occur in ``text``, if any; a request for a person is
        recognised by the same detector the policy asks (``agent.human_request``), not by a second list."""
        if explicit_human_request(text):
            return HUMAN_REQUEST
        lowered = text.lower()
        return next((intent for pattern, intent in _RULES if re.search(pattern, lowered)), None)

    def classify(self, text: str, product_words: bool = False) -> IntentPrediction:
        intent = self.matched_rule(text)
        if intent is not None:
            return IntentPrediction(intent, 0.6, [(intent, 0.6)], False, KEYWORD_FALLBACK)
        if product_words:
            return IntentPrediction("product_search", 0.55, [("product_search", 0.55)], False, KEYWORD_FALLBACK)
        return IntentPrediction("out_of_scope", 0.5, [("out_of_scope", 0.5)], True, KEYWORD_FALLBACK)


class LanguageRouter(Protocol):
    """Routes the messages the English router should not read (e.g. a multilingual encoder's router)."""

    def handles(self, text: str) -> bool:
        """True when this router, not the English one, should read ``text``."""
        ...

    def classify(self, text: str, product_words: bool = False) -> IntentPrediction | None:
        """The prediction for ``text``, or None to let the built-in rules decide."""
        ...


class Router:
    """The agent's router: lexicon small talk → language router → promoted model (+ keyword tie-break)."""

    def __init__(
        self,
        settings: Settings,
        model_dir: Path | None = None,
        multilingual: LanguageRouter | None = None,
        keyword_tie_break: bool | None = None,
    ) -> None:
        self.settings = settings
        self.registry = ModelRegistry(settings.intent_models_dir)
        self.fixed_dir = model_dir
        self.multilingual = multilingual
        self.keyword_tie_break = settings.intents.keyword_tie_break if keyword_tie_break is None else keyword_tie_break
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
                    clf = IntentClassifier(
                        target,
                        top_k=self.settings.intents.top_k,
                        alternatives=TIE_BREAK_CANDIDATES,
                        quantize=self.settings.intents.quantize,
                    )
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

    def route_message(self, text: str, slots: Slots) -> Routed:
        """Route a shopper's message the way the agent does: order ids and e-mails masked, and
        "names a product" taken from its slots (what the keyword and Chinese rules fall back on)."""
        return self.route_messages([text], [slots])[0]

    def route_messages(self, texts: list[str], slots: list[Slots]) -> list[Routed]:
        """``route_message`` for many messages (evaluation, benchmarks), batched through the model."""
        words = [bool(content_terms(s.query_text)) or not s.filters.is_empty() for s in slots]
        return self.route_batch([routing_text(t) for t in texts], words)

    def route(self, text: str, product_words: bool = False) -> Routed:
        return self.route_batch([text], [product_words])[0]

    def route_batch(self, texts: list[str], product_words: list[bool] | None = None) -> list[Routed]:
        """Route many messages at once (one model call for those the lexicon and language routers leave)."""
        words = product_words or [False] * len(texts)
        out: list[Routed | None] = [self._before_model(t, w) for t, w in zip(texts, words)]
        todo = [i for i, r in enumerate(out) if r is None]
        if todo:
            try:
                preds = self.classifier().classify_batch([texts[i] for i in todo])
            except ModelNotFoundError as exc:
                if not self._warned:
                    log.warning("no usable intent model (%s); routing with keyword rules", exc)
                    self._warned = True
                for i in todo:
                    out[i] = Routed(self._fallback.classify(texts[i], words[i]), degraded=True)
            else:
                for i, pred in zip(todo, preds):
                    out[i] = Routed(self.tie_break(pred, texts[i]) if self.keyword_tie_break else pred)
        return [r for r in out if r is not None]

    def _before_model(self, text: str, product_words: bool) -> Routed | None:
        """What is decided without the English model: whole-message small talk, other languages."""
        small = lexicon_small_talk(text)
        if small is not None:
            return Routed(IntentPrediction(small, 0.99, [(small, 0.99)], False, "lexicon"))
        if self.multilingual is not None and self.multilingual.handles(text):
            pred = self.multilingual.classify(text, product_words)
            if pred is not None:
                return Routed(pred)
        if mostly_chinese(text):
            return Routed(chinese_rule(text, product_words))
        return None

    def loaded(self) -> dict[str, Any]:
        """What this process routes with right now (``{}`` before the first message)."""
        if self._clf is None:
            return {}
        return {"version": self._clf.version, "approach": self._clf.approach, "path": str(self._clf.model_dir)}

    def tie_break(self, pred: IntentPrediction, text: str) -> IntentPrediction:
        """When the model is unsure, let explicit words ("refund", "cancel", "track") pick among
        the model's *own* top-k candidates. Never overrides a confident call or one where the
        model's best guess is itself ``out_of_scope``; a prediction that is out of scope only
        because its best in-scope label fell under the threshold ("I want to return my order":
        cancel 0.51 / refund 0.35) is rescued when the words name a candidate the model gives
        at least ``RESCUE_MIN_PROB``."""
        if pred.confidence >= TIE_BREAK_BELOW:
            return pred
        candidates = dict(pred.alternatives or pred.top_k)
        if pred.is_oos:
            best = next(iter(candidates), None)
            if best is None or best == self.settings.intents.oos_label:
                return pred
        rule = self._fallback.matched_rule(text)
        if rule is None or rule == pred.intent or rule not in candidates:
            return pred
        if pred.is_oos and candidates[rule] < RESCUE_MIN_PROB:
            return pred
        return IntentPrediction(rule, max(candidates[rule], RULE_CONFIDENCE), pred.top_k, False, pred.model_version)


@dataclass
class RouterStatus:
    """The router as the staff console shows it (``router_status``)."""

    version: str | None  # the promoted version (None: no model, keyword fallback)
    approach: str | None  # finetune, knn+logreg, setfit, ensemble…
    created_at: str | None
    dev_metrics: dict[str, Any] = field(default_factory=dict)
    serving: dict[str, Any] = field(default_factory=dict)  # what this process has loaded, if a router was given
    training: dict[str, Any] = field(
        default_factory=dict
    )  # the last/ongoing training run: state idle|running|done|failed|interrupted
    versions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def router_status(settings: Settings, router: Router | None = None) -> RouterStatus:
    """Which router version/approach is promoted (and loaded), its dev figures, and any training run.

    Cheap (reads the registry and a small JSON file); safe to call on every page view.
    """
    from finetune.pipeline import job_status

    registry = ModelRegistry(settings.intent_models_dir)
    cur = registry.current()
    training = job_status(settings).read() or {"state": "idle"}
    if training.get("state") == "running" and not _alive(training.get("pid")):
        training["state"] = "interrupted"
    keys = ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece")
    return RouterStatus(
        version=cur.name if cur else None,
        approach=str(cur.manifest.get("approach", "finetune")) if cur else None,
        created_at=cur.manifest.get("created_at") if cur else None,
        dev_metrics={k: cur.metrics.get(k) for k in keys} if cur else {},
        serving=router.loaded() if router is not None else {},
        training=training,
        versions=len(registry.versions()),
    )
