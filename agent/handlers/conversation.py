"""Replies that need no catalog or order data: small talk, out of scope, clarifying questions,
refused prompt injections, and an ordinal past the end of the list shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.handlers.base import Draft, Turn
from agent.session import Pending
from aisle.labels import OOS

if TYPE_CHECKING:
    from agent.handlers.handoff import HandoffHandler
    from agent.handlers.rescue import HelpCentreRescue
    from agent.protocols import Composer
    from aisle.settings import AgentSettings


class SmallTalkHandler:
    def __init__(self, compose: Composer) -> None:
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        intent = turn.decision.intent if turn.decision else turn.pred.intent
        return Draft(self.compose.small_talk(intent), intent, turn.pred.confidence)


class InjectionHandler:
    """A message that tries to override the agent's instructions gets a polite refusal."""

    def __init__(self, compose: Composer) -> None:
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        return Draft(
            self.compose.injection(),
            turn.pred.intent,
            turn.pred.confidence,
            understood=True,
            suggestions=[self.compose.chip("track_order"), self.compose.chip("bestsellers")],
        )


class OrdinalOutOfRangeHandler:
    """ "The seventh one" when five were shown."""

    def __init__(self, compose: Composer) -> None:
        self.compose = compose

    def run(self, turn: Turn) -> Draft:
        shown = len(turn.state.last_results)
        return Draft(self.compose.ordinal_out_of_range(shown), "product_question", turn.pred.confidence, understood=False)


class ClarifyHandler:
    """One clarifying question between the router's two best in-scope guesses; a person after too many."""

    def __init__(self, compose: Composer, handoff: HandoffHandler, settings: AgentSettings, oos_label: str = OOS) -> None:
        self.compose = compose
        self.handoff = handoff
        self.max_misunderstandings = settings.max_misunderstandings
        self.oos_label = oos_label

    def run(self, turn: Turn) -> Draft:
        options = [lbl for lbl, _ in turn.pred.top_k if lbl != self.oos_label][:2]
        if turn.state.misunderstandings + 1 > self.max_misunderstandings:
            return self.handoff.escalate(turn, "repeated_misunderstanding")
        turn.state.pending = Pending("clarify", options=options)
        return Draft(
            self.compose.clarify(options),
            turn.pred.intent,
            turn.pred.confidence,
            understood=False,
            suggestions=[self.compose.intent_chip(o) for o in options],
        )


class OutOfScopeHandler:
    """Ask the help centre first (``rescue``); else say what the store's assistant can do, offer a person on
    the last try, hand over after it."""

    def __init__(
        self,
        compose: Composer,
        handoff: HandoffHandler,
        settings: AgentSettings,
        oos_label: str = OOS,
        rescue: HelpCentreRescue | None = None,
    ) -> None:
        self.compose = compose
        self.handoff = handoff
        self.max_misunderstandings = settings.max_misunderstandings
        self.oos_label = oos_label
        self.rescue = rescue

    def run(self, turn: Turn) -> Draft:
        if self.rescue is not None:
            rescued = self.rescue.run(turn)
            if rescued is not None:
                return rescued
        n = turn.state.misunderstandings + 1
        if n > self.max_misunderstandings:
            return self.handoff.escalate(turn, "repeated_misunderstanding")
        offer = n >= self.max_misunderstandings
        if offer:
            turn.state.pending = Pending("offer_human", "repeated_misunderstanding")
        return Draft(
            self.compose.out_of_scope(offer),
            self.oos_label,
            turn.pred.confidence,
            understood=False,
            suggestions=self.compose.welcome_chips(),
        )
