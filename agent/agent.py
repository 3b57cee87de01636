"""The dialogue agent: one message in, one grounded, safe reply out.

``Agent.respond(session_id, text)`` is the public contract used by the chat UI, the CLI, the
HTTP API and external evaluations. ``Agent`` is a facade; per turn it

1. validates and sanitises the input (control characters, length) and takes the session's lock;
2. answers a double-clicked send with the same reply (``policy.duplicate_window_s``);
3. extracts slots and routes the intent (``agent/slots.py``, ``agent/router.py``);
4. delegates to ``Dialogue`` (``agent/dialogue.py``): the policy decides (``agent/policy.py``),
   the pending flow (``agent/flows.py``) or a handler (``agent/handlers/``) drafts the reply;
5. persists the turn, the session state and any handoff in one SQLite transaction
   (repositories in ``agent/db.py``). If storage fails the shopper still gets the answer (``degraded``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import slots as slot_lib
from agent import validation
from agent.composer import LangChainComposer, TemplateComposer
from agent.db import Database, FeedbackRepository
from agent.dialogue import Dialogue, Dialogues
from agent.handlers.base import Draft, Turn
from agent.handoff import HandoffDesk
from agent.language import reply_language
from agent.multilingual_router import language_router
from agent.orders import OrderStore
from agent.privacy import StoreSecret, install_log_redaction, redact
from agent.router import Router
from agent.session import SessionLocks, SessionState, SessionStore
from agent.store_health import StoreGuard, StoreHealth
from agent.turn_store import TurnStore
from agent.types import Reply
from agent.verification import RateLimiter
from aisle.errors import AisleError, InputError, NotFoundError, StoreUnavailableError
from aisle.labels import EMPTY
from aisle.text import sanitize
from finetune.classifier import IntentPrediction

if TYPE_CHECKING:
    from aisle.settings import Settings
    from retrieval.factory import RetrievalStack

__all__ = ["Agent", "Draft", "Reply", "Turn", "sanitize"]

log = logging.getLogger(__name__)


class Agent:
    """The store's conversational agent (see module docstring)."""

    def __init__(
        self,
        settings: Settings,
        stack: RetrievalStack,
        router: Router,
        db: Database,
        composer: TemplateComposer | None = None,
        polisher: LangChainComposer | None = None,
        *,
        orders: OrderStore | None = None,
        dialogue: Dialogue | None = None,
    ) -> None:
        self.settings = settings
        self.stack = stack
        self.router = router
        self.db = db
        self.compose = composer or TemplateComposer()
        self.polisher = polisher
        self.sessions = SessionStore(db)
        self.feedback_log = FeedbackRepository(db)
        self.desk = HandoffDesk(db)
        self.orders = orders or OrderStore(settings, db)
        install_log_redaction()  # no personal data in this process's logs, whatever handlers are configured
        self.store_secret = StoreSecret.load_or_create(settings.home)
        self.store_guard = StoreGuard(settings, db)
        self.store_guard.adopt()
        self.limiter = RateLimiter(db, self.store_secret)
        self.dialogues = Dialogues(settings, stack.retriever, self.orders, self.compose, dialogue)
        self.dialogue = self.dialogues.default
        self.turns = TurnStore(settings, db, self.store_secret, self.desk, self.dialogue.catalog)
        self._lock_for = SessionLocks()

    @classmethod
    def from_settings(cls, path: str | Path | None = None, settings: Settings | None = None) -> Agent:
        """Build the agent and its collaborators from a settings file (or ``AISLE_*`` environment); state under ``AISLE_HOME``."""
        from aisle import offline
        from aisle.settings import Settings as _Settings
        from retrieval.factory import build_stack

        offline.apply()
        settings = settings or _Settings.load(path)
        settings.ensure_dirs()
        polisher = LangChainComposer.from_settings(settings) if settings.agent.composer == "langchain" else None
        stack = build_stack(settings)
        router = Router(settings, multilingual=language_router(settings, stack))
        return cls(settings, stack, router, Database(settings.db_path), polisher=polisher)

    def warm_up(self) -> None:
        """Load models and indexes now rather than on the first shopper's message."""
        self.db.migrate()
        self.router.warm_up()
        try:
            self.stack.retriever.warm_up()
            self.stack.retriever.faq_index()
            self.stack.retriever.warm_up_multilingual()
        except AisleError as exc:
            log.warning("retrieval not ready: %s", exc)
        warm_multilingual = getattr(getattr(self.router, "multilingual", None), "warm_up", None)
        if warm_multilingual is not None:
            try:
                warm_multilingual()
            except AisleError as exc:  # not trained yet (setup trains it in the background): rules stand in until it is
                log.warning("multilingual router not ready: %s", exc)

    # --- public API --------------------------------------------------------------------------
    def respond(self, session_id: str, text: str, *, client_id: str | None = None) -> Reply:
        """Answer one shopper message in the conversation ``session_id``.

        ``client_id`` names who is asking (the HTTP layer passes its session token or the IP);
        failed order verifications are counted per client as well as per order. In-process
        callers may leave it out: the session is the client.
        """
        t0 = time.perf_counter()
        session_id = validation.session_id(session_id)
        client_id = validation.client_id(client_id, session_id)
        clean, truncated = sanitize(validation.message(text), self.settings.agent.max_message_chars)
        with self._lock_for(session_id):
            state = self._load_state(session_id)
            repeat = self.turns.replay(session_id, clean)
            if repeat is not None:
                return repeat
            turn, draft = self._answer(session_id, clean, state, client_id)
            if truncated:
                draft.text = self.composer(turn.language).truncated(self.settings.agent.max_message_chars) + draft.text
            if self.polisher is not None and draft.text:
                draft.text = self.polisher.polish(draft.text, clean)
            return self._finish(turn, draft, t0)

    def feedback(
        self,
        session_id: str,
        turn_id: int,
        rating: int,
        correction: str | None = None,
        comment: str | None = None,
        *,
        client_id: str | None = None,
    ) -> int:
        """Record 👍/👎 (``rating`` +1/-1), an optional intent correction and comment; returns the feedback id.

        A correction only ever becomes a *pending* review item (``agent/learning.py``); a staff
        reviewer decides. Feedback is limited per conversation and per client
        (``agent.feedback_per_session_per_hour`` / ``feedback_per_client_per_hour``): beyond that
        ``RateLimitError`` (HTTP 429) says when to try again.
        """
        session_id = validation.session_id(session_id)
        client_id = validation.client_id(client_id, session_id)
        rating, turn_id = validation.rating(rating), validation.turn_id(turn_id)
        if self.turns.log.session_of(turn_id) != session_id:
            raise NotFoundError(f"no turn {turn_id} in session {session_id!r}")
        correction = validation.correction(correction, set(self.router.labels) | {self.settings.intents.oos_label})
        if comment is not None:
            comment = redact(sanitize(str(comment), 2000)[0])
        limits = self.settings.agent
        self.limiter.hit(
            [
                ("feedback_session", session_id, limits.feedback_per_session_per_hour, 3600.0, "ratings from this conversation"),
                ("feedback_client", client_id, limits.feedback_per_client_per_hour, 3600.0, "ratings from this client"),
            ]
        )
        return self.feedback_log.add(turn_id, session_id, rating, correction or None, comment or None)

    def store_health(self) -> StoreHealth:
        """Is the order store still the one set up, with its orders? (For the staff console; logged loudly when not.)"""
        return self.store_guard.check()

    def history(self, session_id: str) -> list[dict[str, Any]]:
        """The stored (redacted) turns of a session, oldest first."""
        return self.turns.log.history(validation.session_id(session_id))

    # --- plumbing ------------------------------------------------------------------------------
    def composer(self, language: str) -> TemplateComposer:
        """The composer for replies in ``language`` (English templates for languages without their own)."""
        return self.dialogues.composer(language)

    def _answer(self, session_id: str, clean: str, state: SessionState, client_id: str) -> tuple[Turn, Draft]:
        language = reply_language(clean, state.language).value
        state.language = language
        compose = self.composer(language)
        if not clean:
            empty = Turn(
                session_id, clean, state, slot_lib.Slots(), IntentPrediction(EMPTY, 1.0), client_id=client_id, language=language
            )
            return empty, Draft(compose.empty(), EMPTY, 1.0)
        dialogue = self.dialogues.for_language(language)
        catalog = dialogue.catalog
        vocab = catalog.vocabulary()
        s = slot_lib.extract(clean, vocab)
        routed = self.router.route_message(clean, s)
        degraded = routed.degraded or vocab is None
        turn = Turn(session_id, clean, state, s, routed.prediction, degraded, client_id=client_id, language=language)
        try:
            return turn, dialogue.run(turn)
        except InputError:
            raise
        except AisleError as exc:  # a store or model that is down/missing: answer, never crash
            log.error("degraded turn (%s): %s", type(exc).__name__, exc)
            turn.degraded = True
            return turn, Draft(compose.system_error(), turn.pred.intent, turn.pred.confidence, understood=True)

    def _load_state(self, session_id: str) -> SessionState:
        try:
            return self.sessions.load(session_id)
        except StoreUnavailableError as exc:
            log.error("cannot load session %s: %s", session_id, exc)
            return SessionState()

    def _finish(self, turn: Turn, draft: Draft, t0: float) -> Reply:
        turn.resolved = draft.understood and draft.handoff_reason is None
        turn.state.record_turn(draft.intent, draft.understood, draft.handoff_reason is not None)
        reply = draft.to_reply(
            confidence=round(float(draft.confidence), 4),
            session_id=turn.session_id,
            top_k=turn.pred.top_k,
            language=turn.language,
            placeholder=self.composer(turn.language).placeholder(),
            slots=turn.slots.to_log(),
            latency_ms=round((time.perf_counter() - t0) * 1000, 2),
            degraded=turn.degraded,
            model_version=turn.pred.model_version,
        )
        try:
            reply.turn_id = self.turns.save(turn, reply)
        except StoreUnavailableError as exc:
            log.error("could not save turn of session %s: %s", turn.session_id, exc)
            reply.degraded = True
        return reply
