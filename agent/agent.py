"""The dialogue agent: one message in, one grounded, safe reply out.

``Agent.respond(session_id, text)`` is the public contract used by the chat UI, the CLI, the
HTTP API and external evaluations. Per turn:

1. sanitise the text (control characters, length) and load the session's state;
2. extract slots and route the intent (fine-tuned classifier, keyword fallback);
3. decide, in this order: abuse → what the agent is waiting for (verification, yes/no,
   clarification) → an explicit request for a person → follow-ups that refer to what was
   just shown (context beats the classifier on "cheaper", "in blue", "the second one") →
   low confidence (one clarifying question) → the routed intent;
4. compose the reply, then persist the turn, the session state and any handoff in one
   SQLite transaction. If storage fails the shopper still gets the answer (``degraded``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import slots as slot_lib
from agent.composer import INTENT_PHRASES, LangChainComposer, TemplateComposer
from agent.db import Database
from agent.faq import FaqAnswerer
from agent.handoff import HandoffDesk
from agent.orders import OrderStore
from agent.privacy import pii_hash, redact
from agent.product_qa import answer as answer_product_question
from agent.product_qa import aspect_of
from agent.recommend import GOES_WITH_RE, Recommender
from agent.router import TIE_BREAK_BELOW, ZH_FAQ_QUERIES, KeywordRouter, Router, mostly_chinese
from agent.search import ProductDialog, catalog_terms, content_terms, is_refinement, mentioned_product
from agent.session import Pending, SessionState, SessionStore, now_iso
from agent.types import Citation, ProductCard, Reply
from aisle.errors import AisleError, InputError, NotFoundError, StoreUnavailableError
from aisle.text import tokenize
from finetune.classifier import IntentPrediction

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.factory import RetrievalStack
    from retrieval.schema import Product

log = logging.getLogger(__name__)

SMALL_TALK = {"greeting", "goodbye", "thank_you", "are_you_a_bot", "what_can_i_ask_you"}
ORDER_INTENTS = {"track_order", "cancel_order", "get_refund", "track_refund"}
INVOICE_INTENTS = {"get_invoice", "check_invoice"}
PRODUCT_INTENTS = {"product_search", "product_question", "recommendation"}
SENSITIVE = {"payment_issue", "complaint", "delete_account", "get_refund", "track_refund", "change_shipping_address"}
SENSITIVE_MIN_CONFIDENCE = 0.6
STRONG_NEGATIVE = 0.6
CATALOG_GROUNDED_CONFIDENCE = 0.5
DUPLICATE_WINDOW_S = 3.0
SESSION_ID_RE = re.compile(r"^[\w.:@-]{1,128}$")
ACTION_BY_INTENT = {"track_order": "order_status", "track_refund": "refund_status", "cancel_order": "cancel_order", "get_refund": "start_return"}


@dataclass
class Draft:
    """What a handler decided; the agent turns it into a ``Reply`` and a log row."""

    text: str
    intent: str
    confidence: float
    products: list[ProductCard] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    action: str | None = None
    handoff_reason: str | None = None
    suggestions: list[str] = field(default_factory=list)
    understood: bool = True  # False counts as a misunderstanding


@dataclass
class Turn:
    session_id: str
    text: str
    state: SessionState
    slots: slot_lib.Slots
    pred: IntentPrediction
    degraded: bool = False
    resolved: bool = True


def sanitize(text: str, limit: int) -> tuple[str, bool]:
    """Drop control/format characters and unpaired surrogates, normalise, cut to ``limit``."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", text)).strip()
    if len(text) > limit:
        return text[:limit], True
    return text, False


class Agent:
    """The store's conversational agent (see module docstring)."""

    def __init__(self, settings: Settings, stack: RetrievalStack, router: Router, db: Database, composer: TemplateComposer | None = None, polisher: LangChainComposer | None = None) -> None:
        self.settings = settings
        self.stack = stack
        self.router = router
        self.db = db
        self.compose = composer or TemplateComposer()
        self.polisher = polisher
        self.sessions = SessionStore(db)
        self.orders = OrderStore(settings, db)
        self.desk = HandoffDesk(db)
        self.products = ProductDialog(stack.retriever, settings)
        self.faq = FaqAnswerer(stack.retriever, settings)
        self.recommender = Recommender(stack.retriever, settings.agent.max_products)
        self._catalog_terms: set[str] | None = None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # --- construction ----------------------------------------------------------------------
    @classmethod
    def from_settings(cls, path: str | Path | None = None, settings: Settings | None = None) -> Agent:
        """Build the agent from a settings file (or ``AISLE_*`` environment); state under ``AISLE_HOME``."""
        from aisle import offline
        from aisle.settings import Settings as _Settings
        from retrieval.factory import build_stack

        offline.apply()
        settings = settings or _Settings.load(path)
        settings.ensure_dirs()
        polisher = LangChainComposer.from_settings(settings) if settings.agent.composer == "langchain" else None
        return cls(settings, build_stack(settings), Router(settings), Database(settings.db_path), polisher=polisher)

    def warm_up(self) -> None:
        """Load models and indexes now rather than on the first shopper's message."""
        self.db.migrate()
        self.router.warm_up()
        try:
            self.stack.retriever.warm_up()
            self.stack.retriever.faq_index()
        except AisleError as exc:
            log.warning("retrieval not ready: %s", exc)

    # --- public API --------------------------------------------------------------------------
    def respond(self, session_id: str, text: str) -> Reply:
        """Answer one shopper message in the conversation ``session_id``."""
        t0 = time.perf_counter()
        session_id = self._check_session_id(session_id)
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}")
        clean, truncated = sanitize(text, self.settings.agent.max_message_chars)
        with self._lock_for(session_id):
            state = self._load_state(session_id)
            repeat = self._duplicate(session_id, clean)
            if repeat is not None:
                return repeat
            if not clean:
                draft = Draft(self.compose.empty(), "empty", 1.0, understood=True)
                turn = Turn(session_id, clean, state, slot_lib.Slots(), IntentPrediction("empty", 1.0))
            else:
                vocab = self._vocabulary()
                s = slot_lib.extract(clean, vocab)
                routed = self.router.route_message(clean, s)
                turn = Turn(session_id, clean, state, s, routed.prediction, routed.degraded or vocab is None)
                try:
                    draft = self._decide(turn)
                except InputError:
                    raise
                except AisleError as exc:  # a store or model that is down/missing: answer, never crash
                    log.error("degraded turn (%s): %s", type(exc).__name__, exc)
                    turn.degraded = True
                    draft = Draft("Sorry, I can't reach part of our system right now. Please try again in a minute, or ask me to connect you with a colleague.",
                                  turn.pred.intent, turn.pred.confidence, understood=True)
            if truncated:
                draft.text = self.compose.truncated(self.settings.agent.max_message_chars) + draft.text
            if self.polisher is not None and draft.text:
                draft.text = self.polisher.polish(draft.text, clean)
            return self._finish(turn, draft, t0)

    def feedback(self, session_id: str, turn_id: int, rating: int, correction: str | None = None, comment: str | None = None) -> int:
        """Record 👍/👎 (``rating`` +1/-1), an optional intent correction and comment; returns the feedback id."""
        session_id = self._check_session_id(session_id)
        if rating not in (1, -1) or isinstance(rating, bool):
            raise InputError(f"rating must be +1 or -1, got {rating!r}")
        try:
            turn_id = int(turn_id)
        except (TypeError, ValueError):
            raise InputError(f"turn_id must be an integer, got {turn_id!r}") from None
        rows = self.db.query("SELECT session_id FROM turns WHERE turn_id = ?", (turn_id,))
        if not rows or rows[0]["session_id"] != session_id:
            raise NotFoundError(f"no turn {turn_id} in session {session_id!r}")
        if correction is not None:
            correction = correction.strip()
            labels = set(self.router.labels) | {"out_of_scope"}
            if labels and correction not in labels:
                raise InputError(f"unknown intent {correction!r}; known intents: {', '.join(sorted(labels))}")
        if comment is not None:
            comment = redact(sanitize(str(comment), 2000)[0], self.settings.agent.pii_salt)
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO feedback(turn_id, session_id, created_at, rating, correction, comment) VALUES (?,?,?,?,?,?)",
                (turn_id, session_id, now_iso(), rating, correction or None, comment or None),
            )
            return int(cur.lastrowid)

    def history(self, session_id: str) -> list[dict[str, Any]]:
        """The stored (redacted) turns of a session, oldest first."""
        rows = self.db.query("SELECT turn_id, created_at, user_text, reply_text, intent, confidence, handoff FROM turns WHERE session_id = ? ORDER BY idx", (self._check_session_id(session_id),))
        return [dict(r) for r in rows]

    # --- plumbing ------------------------------------------------------------------------------
    @staticmethod
    def _check_session_id(session_id: Any) -> str:
        if not isinstance(session_id, str) or not SESSION_ID_RE.match(session_id):
            raise InputError("session_id must be 1–128 characters of letters, digits and . _ : @ -")
        return session_id

    def _lock_for(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 10000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(session_id, threading.Lock())

    def _load_state(self, session_id: str) -> SessionState:
        try:
            return self.sessions.load(session_id)
        except StoreUnavailableError as exc:
            log.error("cannot load session %s: %s", session_id, exc)
            return SessionState()

    def _vocabulary(self) -> Any:
        try:
            return self.stack.retriever.catalog().vocabulary
        except AisleError:
            return None

    def _duplicate(self, session_id: str, text: str) -> Reply | None:
        """A double-clicked send: the same text again within a few seconds gets the same reply."""
        if not text:
            return None
        try:
            rows = self.db.query("SELECT * FROM turns WHERE session_id = ? ORDER BY idx DESC LIMIT 1", (session_id,))
        except StoreUnavailableError:
            return None
        if not rows or rows[0]["text_hash"] != self._hash(text):
            return None
        r = rows[0]
        age = (datetime.fromisoformat(now_iso()) - datetime.fromisoformat(r["created_at"])).total_seconds()
        if age > DUPLICATE_WINDOW_S:
            return None
        return Reply(text=r["reply_text"], intent=r["intent"], confidence=r["confidence"], turn_id=r["turn_id"], session_id=session_id,
                     action=r["action"], handoff=bool(r["handoff"]), handoff_reason=r["handoff_reason"],
                     products=[ProductCard.from_product(p, "shown before") for p in self._products_by_id(json.loads(r["product_ids_json"]))])

    @staticmethod
    def _hash(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _products_by_id(self, ids: list[str]) -> list[Product]:
        try:
            return self.stack.retriever.get_products(ids)
        except (NotFoundError, AisleError):
            return []

    def _finish(self, turn: Turn, draft: Draft, t0: float) -> Reply:
        st = turn.state
        st.turns += 1
        st.intents = [*st.intents, draft.intent][-20:]
        turn.resolved = draft.understood and draft.handoff_reason is None
        if draft.understood:
            st.misunderstandings = 0
        else:
            st.misunderstandings += 1
        if draft.handoff_reason:
            st.handed_off = True
        latency = (time.perf_counter() - t0) * 1000
        reply = Reply(
            text=draft.text, intent=draft.intent, confidence=round(float(draft.confidence), 4), products=draft.products,
            citations=draft.citations, action=draft.action, handoff=draft.handoff_reason is not None,
            handoff_reason=draft.handoff_reason, session_id=turn.session_id, suggestions=draft.suggestions,
            top_k=turn.pred.top_k, slots=turn.slots.to_log(), latency_ms=round(latency, 2),
            degraded=turn.degraded, model_version=turn.pred.model_version,
        )
        try:
            reply.turn_id = self._persist(turn, reply)
        except StoreUnavailableError as exc:
            log.error("could not save turn of session %s: %s", turn.session_id, exc)
            reply.degraded = True
        return reply

    def _persist(self, turn: Turn, reply: Reply) -> int:
        salt = self.settings.agent.pii_salt
        with self.db.transaction() as cur:
            SessionStore.save(cur, turn.session_id, turn.state)
            idx = cur.execute("SELECT COALESCE(MAX(idx), 0) + 1 FROM turns WHERE session_id = ?", (turn.session_id,)).fetchone()[0]
            cur.execute(
                """INSERT INTO turns(session_id, idx, created_at, user_text, reply_text, intent, confidence, is_oos, top_k_json, slots_json,
                   product_ids_json, citation_ids_json, action, handoff, handoff_reason, latency_ms, model_version, degraded, text_hash, resolved)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (turn.session_id, idx, now_iso(), redact(turn.text, salt), redact(reply.text, salt), reply.intent, reply.confidence,
                 int(reply.intent == "out_of_scope"), json.dumps(reply.top_k), json.dumps(reply.slots, ensure_ascii=False),
                 json.dumps([p.id for p in reply.products]), json.dumps([c.id for c in reply.citations]), reply.action,
                 int(reply.handoff), reply.handoff_reason, reply.latency_ms, reply.model_version, int(reply.degraded), self._hash(turn.text),
                 int(turn.resolved)),
            )
            turn_id = int(cur.lastrowid)
            if reply.handoff_reason:
                rows = cur.execute("SELECT user_text, reply_text FROM turns WHERE session_id = ? ORDER BY idx DESC LIMIT 10", (turn.session_id,)).fetchall()
                transcript = [{"user": r[0], "agent": r[1]} for r in reversed(rows)]
                self.desk.open(cur, turn.session_id, turn_id, reply.handoff_reason, turn.state, transcript)
        return turn_id

    # --- decision ------------------------------------------------------------------------------
    def _decide(self, t: Turn) -> Draft:
        s, st, pred = t.slots, t.state, t.pred
        intent, conf = pred.intent, pred.confidence
        if s.injection:
            return Draft(self.compose.injection(), intent, conf, understood=True, suggestions=["Track my order", "Show me bestsellers"])
        if st.pending is not None:
            draft = self._continue_pending(t)
            if draft is not None:
                return draft
        if intent == "contact_human_agent" and conf >= self.settings.agent.clarify_threshold:
            return self._handoff(t, "requested")
        if (s.order_ids or s.emails) and (intent in ORDER_INTENTS | INVOICE_INTENTS or conf < 0.7 or pred.is_oos):
            return self._order_flow(t, self._order_intent(t))
        follow_up = self._follow_up(t)
        if follow_up is not None:
            return follow_up
        if intent in SENSITIVE and conf < SENSITIVE_MIN_CONFIDENCE and conf >= self.settings.agent.clarify_threshold:
            return self._handoff(t, "sensitive_low_confidence")
        if (pred.is_oos or conf < TIE_BREAK_BELOW) and s.negative >= STRONG_NEGATIVE:
            return self._handoff(t, "negative_sentiment", cite_intent="complaint")
        if (pred.is_oos or conf < self.settings.agent.clarify_threshold) and self._names_catalog_items(s.query_text):
            # before giving up, check the catalog: "analog watch for men" is a search even if the router balks
            t.pred = IntentPrediction("product_search", max(conf, CATALOG_GROUNDED_CONFIDENCE), t.pred.top_k, False, t.pred.model_version)
            return self._search(t)
        if conf < self.settings.agent.clarify_threshold and not pred.is_oos:
            return self._clarify(t)
        if pred.is_oos:
            return self._out_of_scope(t)
        return self._by_intent(t, intent)

    @staticmethod
    def _order_intent(t: Turn) -> str:
        """Which order action a message with an order id/e-mail asks for: the router's intent, else its best
        order-related candidate (a low-confidence OOS call still ranks them), else the explicit words."""
        wanted = ORDER_INTENTS | INVOICE_INTENTS
        if t.pred.intent in wanted:
            return t.pred.intent
        for label, p in t.pred.alternatives or t.pred.top_k:
            if label in wanted and p >= 0.2:
                return label
        rule = KeywordRouter.matched_rule(slot_lib.routing_text(t.text))
        return rule if rule in wanted else "track_order"

    def _by_intent(self, t: Turn, intent: str) -> Draft:
        if intent in SMALL_TALK:
            return Draft(self.compose.small_talk(intent), intent, t.pred.confidence)
        if intent == "product_search":
            return self._search(t)
        if intent == "product_question":
            return self._product_question(t)
        if intent == "recommendation":
            return self._recommend(t)
        if intent in ORDER_INTENTS:
            return self._order_flow(t, intent)
        if intent in INVOICE_INTENTS and t.slots.order_ids:
            return self._order_flow(t, intent)
        if intent in ("complaint", "review") and t.slots.negative >= 0.34:
            return self._handoff(t, "negative_sentiment", cite_intent="complaint")
        return self._faq(t, intent)

    def _follow_up(self, t: Turn) -> Draft | None:
        """Messages that only make sense against what was just shown."""
        s, st, intent = t.slots, t.state, t.pred.intent
        if not st.last_results:
            return None
        new_words = content_terms(s.query_text)
        productish = intent in PRODUCT_INTENTS or t.pred.confidence < 0.7
        if s.more and not new_words and productish:
            return self._products_draft(t, self.products.more(st), paged=True)
        if (s.cheaper or s.pricier) and not new_words and productish:
            shown = self._products_by_id(st.last_results)
            return self._products_draft(t, self.products.cheaper(st, shown, pricier=s.pricier))
        if s.ordinal is not None and (productish or len(t.text) <= 40):
            i = s.ordinal if s.ordinal >= 0 else len(st.last_results) + s.ordinal
            if not 0 <= i < len(st.last_results):
                return Draft(self.compose.ordinal_out_of_range(len(st.last_results)), "product_question", t.pred.confidence, understood=False)
            return self._product_question(t)
        if GOES_WITH_RE.search(t.text) or re.search(r"\b(similar|alternatives?|like (?:this|that|it))\b", t.text, re.IGNORECASE):
            return self._recommend(t)
        if intent == "product_question":
            return None
        refers = s.ordinal is not None or re.search(r"\b(it|this|that|these|those|they|them|this one|that one)\b", t.text, re.IGNORECASE)
        if aspect_of(t.text) != "summary" and (refers or mentioned_product(t.text, self._products_by_id(st.last_results))):
            # "what's it made of?" right after a search is about the shown items, whatever the router says
            return self._product_question(t)
        if is_refinement(s.query_text, s.filters, st) and productish:
            return self._products_draft(t, self.products.refine(s.filters, st))
        return None

    def _continue_pending(self, t: Turn) -> Draft | None:
        st, s = t.state, t.slots
        p = st.pending
        assert p is not None
        if p.kind == "verify":
            if s.order_ids or s.emails:
                return self._order_flow(t, p.intent)
            if t.pred.confidence >= 0.7 and t.pred.intent not in ORDER_INTENTS:
                st.pending = None  # the shopper moved on
                return None
            return Draft(self.compose.ask_verification(p.intent, p.order_id, p.email), p.intent, t.pred.confidence, understood=False)
        if p.kind in ("confirm_cancel", "confirm_return"):
            st.pending = None
            if s.yes and not s.no:
                action = "cancel_order" if p.kind == "confirm_cancel" else "start_return"
                result = self.orders.cancel(p.order_id, t.session_id) if action == "cancel_order" else self.orders.start_return(p.order_id, t.session_id)
                return Draft(self.compose.action_result(result), p.intent, t.pred.confidence, action=action)
            if s.no:
                return Draft(self.compose.declined(), p.intent, t.pred.confidence)
            return None
        if p.kind == "offer_human":
            st.pending = None
            if s.yes and not s.no:
                return self._handoff(t, p.intent or "requested")
            if s.no:
                return Draft("No problem. What else can I help with?", t.pred.intent, t.pred.confidence)
            return None
        if p.kind == "clarify":
            st.pending = None
            choice = None
            if s.ordinal is not None and abs(s.ordinal) < len(p.options):
                choice = p.options[s.ordinal]
            elif s.yes and p.options:
                choice = p.options[0]
            else:
                lowered = t.text.lower()
                choice = next((o for o in p.options if any(w in lowered for w in INTENT_PHRASES.get(o, o).split() if len(w) > 4)), None)
            if choice is not None and not (t.pred.confidence >= 0.8 and t.pred.intent != choice):
                t.pred = IntentPrediction(choice, max(t.pred.confidence, 0.8), t.pred.top_k, False, t.pred.model_version)
                return self._by_intent(t, choice)
            return None
        st.pending = None
        return None

    def _names_catalog_items(self, query_text: str) -> bool:
        return bool(self._catalog_words(query_text))

    def _catalog_words(self, query_text: str) -> set[str]:
        """The words of the message that name a kind of item the store sells ("kurta", "watch")."""
        terms = content_terms(query_text)
        if not terms:
            return set()
        if self._catalog_terms is None:
            try:
                self._catalog_terms = catalog_terms(self.stack.retriever.catalog().vocabulary.categories)
            except AisleError:
                return set()
        return terms & self._catalog_terms

    # --- handlers --------------------------------------------------------------------------------
    def _cards(self, items: list[tuple[Product, str]]) -> list[ProductCard]:
        return [ProductCard.from_product(p, why) for p, why in items]

    def _products_draft(self, t: Turn, outcome: Any, paged: bool = False) -> Draft:
        products = [p for p, _ in outcome.hits]
        text = self.compose.products(products, outcome.query, outcome.filters.describe(), outcome.relaxed, outcome.note, paged)
        if outcome.degraded:
            text += self.compose.degraded()
        chips = []
        if products:
            chips = ["Cheaper", "Show me more", "Tell me about the first one"]
            colors = [c for c in ("blue", "black", "red", "white") if c not in outcome.filters.colors]
            chips.insert(1, f"In {colors[0]}")
        intent = t.pred.intent if t.pred.intent in PRODUCT_INTENTS else "product_search"
        t.degraded = t.degraded or outcome.degraded
        return Draft(text, intent, t.pred.confidence, products=self._cards(outcome.hits), suggestions=chips, understood=bool(products) or outcome.note is not None)

    def _search(self, t: Turn) -> Draft:
        s = t.slots
        if not content_terms(s.query_text) and s.filters.is_empty():
            return Draft("What are you looking for? For example \"red sandals under 500\" or \"a gift for my sister\".", "product_search", t.pred.confidence)
        outcome = self.products.new_search(s.query_text, s.filters, t.state, sort_by_price=s.wants_cheap and s.filters.max_price is None)
        return self._products_draft(t, outcome)

    def _target_product(self, t: Turn) -> Product | None:
        st, s = t.state, t.slots
        shown = self._products_by_id(st.last_results)
        if s.ordinal is not None and shown:
            i = s.ordinal if s.ordinal >= 0 else len(shown) + s.ordinal
            if 0 <= i < len(shown):
                return shown[i]
        named = mentioned_product(t.text, shown) if shown else None
        if named is not None:
            return named
        kinds = self._catalog_words(s.query_text)

        def fits(p: Product) -> bool:  # "the fabric of the kurta" is not about the speaker in focus
            return not kinds or bool(kinds & set(tokenize(f"{p.title} {p.category}")))

        if st.focus:
            focus = self._products_by_id([st.focus])
            if focus and fits(focus[0]):
                return focus[0]
        terms = content_terms(s.query_text)
        if kinds or len(terms) >= 2:
            res = self.products.search(s.query_text, s.filters.__class__(), relax=False)
            if res.hits:
                return res.hits[0][0]
        return shown[0] if shown and fits(shown[0]) else None

    def _product_question(self, t: Turn) -> Draft:
        product = self._target_product(t)
        if product is None:
            return Draft(self.compose.which_product(), "product_question", t.pred.confidence, understood=False)
        t.state.focus = product.id
        t.state.remember_view([product.id])
        ans = answer_product_question(t.text, product, self.stack.retriever, t.slots.filters)
        cards = [ProductCard.from_product(product, f"the item you asked about ({ans.aspect})")]
        cards += [ProductCard.from_product(v, "another listing of the same item") for v in ans.variants]
        text = ans.text
        if not ans.found:
            t.state.pending = Pending("offer_human", "unanswerable_product_question")
            text += " " + self.compose.offer_human()
        intent = t.pred.intent if t.pred.intent in PRODUCT_INTENTS else "product_question"
        return Draft(text, intent, t.pred.confidence, products=cards, suggestions=["Similar items", "What goes with it?"])

    def _recommend(self, t: Turn) -> Draft:
        from agent.recommend import recommendation_query

        s = t.slots
        rec = self.recommender.recommend(t.text, recommendation_query(s.query_text), s.filters, t.state)
        t.state.remember_view([p.id for p, _ in rec.items])
        if rec.items:
            t.state.last_results = [p.id for p, _ in rec.items]
            t.state.last_query = recommendation_query(s.query_text) or (rec.anchor.title if rec.anchor else "")
            t.state.last_filters = {k: v for k, v in s.filters.to_dict().items() if k != "exclude_ids"}
        text = self.compose.recommendations(rec.items, rec.mode, rec.anchor)
        return Draft(text, "recommendation", t.pred.confidence, products=self._cards(rec.items), suggestions=["Cheaper", "Show me more"], understood=bool(rec.items))

    def _faq(self, t: Turn, intent: str) -> Draft:
        question = ZH_FAQ_QUERIES.get(intent, t.text) if mostly_chinese(t.text) else t.text
        ans = self.faq.answer(question, intent, t.pred.confidence)
        if ans.entry is not None and ans.confident:
            chips = [a.title for a in ans.alternatives[:1]] + ["Talk to a person"]
            return Draft(self.compose.faq(ans.entry.title, ans.entry.body), intent, t.pred.confidence,
                         citations=[Citation(ans.entry.id, ans.entry.title, ans.entry.body[:160])], suggestions=chips)
        t.state.pending = Pending("offer_human", "not_sure")
        return Draft(self.compose.faq_not_sure(ans.entry.title if ans.entry else None), intent, t.pred.confidence, understood=False)

    def _clarify(self, t: Turn) -> Draft:
        options = [lbl for lbl, _ in t.pred.top_k if lbl != "out_of_scope"][:2]
        if t.state.misunderstandings + 1 > self.settings.agent.max_misunderstandings:
            return self._handoff(t, "repeated_misunderstanding")
        t.state.pending = Pending("clarify", options=options)
        return Draft(self.compose.clarify(options), t.pred.intent, t.pred.confidence, understood=False,
                     suggestions=[INTENT_PHRASES.get(o, o).capitalize() for o in options])

    def _out_of_scope(self, t: Turn) -> Draft:
        n = t.state.misunderstandings + 1
        limit = self.settings.agent.max_misunderstandings
        if n > limit:
            return self._handoff(t, "repeated_misunderstanding")
        offer = n >= limit
        if offer:
            t.state.pending = Pending("offer_human", "repeated_misunderstanding")
        return Draft(self.compose.out_of_scope(offer), "out_of_scope", t.pred.confidence, understood=False,
                     suggestions=["Find a product", "Track my order", "Return policy"])

    def _handoff(self, t: Turn, reason: str, cite_intent: str | None = None) -> Draft:
        t.state.pending = None
        citations = []
        entry = self.faq.entry_for(cite_intent or "contact_human_agent")
        if entry is not None:
            citations.append(Citation(entry.id, entry.title, entry.body[:160]))
        intent = t.pred.intent if not t.pred.is_oos else "out_of_scope"
        return Draft(self.compose.handoff(reason), intent, t.pred.confidence, citations=citations, handoff_reason=reason, understood=True)

    # --- orders ------------------------------------------------------------------------------------
    def _returnable(self, order: Any) -> bool:
        if order.status not in self.settings.agent.returnable_statuses or not order.delivered_at or order.return_status:
            return False
        age = (datetime.now(UTC) - datetime.fromisoformat(order.delivered_at)).days
        return age <= self.settings.agent.return_window_days

    def _order_flow(self, t: Turn, intent: str) -> Draft:
        st, s = t.state, t.slots
        limit = self.settings.agent.max_verification_attempts
        cite = self.faq.entry_for(intent)
        citations = [Citation(cite.id, cite.title, cite.body[:160])] if cite else []
        if st.failed_verifications >= limit:
            return Draft(self.compose.verification_locked(), intent, t.pred.confidence, citations=citations)
        pending = st.pending if st.pending is not None and st.pending.kind == "verify" else None
        order_id = s.order_ids[0] if s.order_ids else (pending.order_id if pending else None)
        email = s.emails[0] if s.emails else (pending.email if pending else None)
        if order_id is None and len(st.verified) == 1 and not s.emails:
            order_id = next(iter(st.verified))
        if order_id and order_id in st.verified and (email is None or pii_hash(email, self.settings.agent.pii_salt) == st.verified[order_id]):
            st.pending = None
            return self._perform(t, intent, self.orders.get(order_id), citations)
        if not order_id or not email:
            st.pending = Pending("verify", intent, order_id, email)
            return Draft(self.compose.ask_verification(intent, order_id, email), intent, t.pred.confidence, citations=citations,
                         suggestions=["Talk to a person"])
        order = self.orders.verify(order_id, email)
        if order is None:
            st.failed_verifications += 1
            self.orders.record("verify", "failed", None, t.session_id, {"attempt": st.failed_verifications})
            if st.failed_verifications >= limit:
                st.pending = None
                return self._handoff(t, "verification_locked")
            st.pending = Pending("verify", intent)
            return Draft(self.compose.verification_failed(limit - st.failed_verifications), intent, t.pred.confidence, citations=citations, understood=False)
        st.failed_verifications = 0
        st.pending = None
        st.verified[order.order_id] = pii_hash(email, self.settings.agent.pii_salt)
        self.orders.record("verify", "ok", order.order_id, t.session_id)
        return self._perform(t, intent, order, citations)

    def _perform(self, t: Turn, intent: str, order: Any, citations: list[Citation]) -> Draft:
        st = t.state
        cards = self._cards([(p, f"in order {order.order_id}") for p in self._products_by_id([i["product_id"] for i in order.items][:5])])
        conf = t.pred.confidence
        if intent == "cancel_order":
            if order.status in self.settings.agent.cancellable_statuses:
                st.pending = Pending("confirm_cancel", intent, order.order_id)
                return Draft(self.compose.confirm("cancel_order", order), intent, conf, products=cards, citations=citations, suggestions=["Yes", "No"])
            return Draft(self.compose.action_result(self.orders.cancel(order.order_id, t.session_id)), intent, conf, products=cards, citations=citations, action="cancel_order")
        if intent == "get_refund":
            if order.status in ("cancelled", "returned") or (order.refund_status and order.status != "delivered"):
                return Draft(self.compose.refund_status(order), intent, conf, products=cards, citations=citations, action="refund_status")
            if self._returnable(order):
                st.pending = Pending("confirm_return", intent, order.order_id)
                return Draft(self.compose.confirm("start_return", order), intent, conf, products=cards, citations=citations, suggestions=["Yes", "No"])
            result = self.orders.start_return(order.order_id, t.session_id)  # records the denial and why
            return Draft(self.compose.action_result(result), intent, conf, products=cards, citations=citations, action="start_return")
        if intent == "track_refund":
            self.orders.record("refund_status", "shown", order.order_id, t.session_id)
            return Draft(self.compose.refund_status(order), intent, conf, products=cards, citations=citations, action="refund_status")
        if intent in INVOICE_INTENTS:
            self.orders.record("invoice", "shown", order.order_id, t.session_id)
            return Draft(self.compose.invoice(order), intent, conf, products=cards, citations=citations, action="invoice")
        self.orders.record("order_status", "shown", order.order_id, t.session_id)
        return Draft(self.compose.order_status(order), "track_order" if intent not in ORDER_INTENTS else intent, conf, products=cards,
                     citations=citations, action="order_status", suggestions=["Cancel this order", "Return an item", "Talk to a person"])
