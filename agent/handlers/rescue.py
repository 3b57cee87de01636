"""Before turning a message away, ask the help centre: real questions must not be refused.

The router says "out of scope" (or is too unsure to pick an intent) for many real store
questions it has no class for ("do you gift wrap?") or words it has not seen ("do you take
amex"). Before refusing, the message is matched against the help-centre articles (the same
hybrid retrieval the FAQ answers use, without any intent boost):

* a **strong** match (dense cosine ≥ ``policy.rescue_answer_score``) is answered: "I think
  you're asking about …" with the article quoted and cited;
* a **moderate** match (≥ ``policy.rescue_clarify_score``) gets one clarifying question whose
  chips are the 2–3 intents the articles and the router point to, unless the router is sure the
  message is out of scope (its out-of-scope probability ≥ ``policy.rescue_clarify_max_oos_prob``:
  "how do I move money between my bank accounts" is not a question about this store's accounts);
* below both, the caller refuses as before.

The two thresholds are calibrated on dev data (``aisle experiment oos-rescue``: the share of
dev out-of-scope messages that would be answered or questioned, against the share of dev
in-scope messages rescued), never on the hand-written wild set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agent.handlers.base import Draft, Turn, citation
from agent.session import Pending
from aisle.errors import AisleError, InputError
from aisle.labels import OOS, OTHER_FAQ

if TYPE_CHECKING:
    from agent.composer import TemplateComposer
    from aisle.settings import PolicySettings
    from retrieval.retriever import HybridRetriever
    from retrieval.schema import FaqHit

MAX_OPTIONS = 3


@dataclass(frozen=True)
class RescueThresholds:
    answer: float
    clarify: float
    clarify_max_oos_prob: float = 1.0  # a question only when the router itself is not sure the message is out of scope

    @classmethod
    def from_settings(cls, policy: PolicySettings) -> RescueThresholds:
        return cls(policy.rescue_answer_score, policy.rescue_clarify_score, policy.rescue_clarify_max_oos_prob)


def oos_probability(pred_ranked: list[tuple[str, float]], oos_label: str = OOS) -> float:
    """The router's probability of the out-of-scope class (0 when it is not among the ranked labels)."""
    return next((p for label, p in pred_ranked if label == oos_label), 0.0)


def below_gate(p_oos: float, cutoff: float) -> bool:
    """Whether a question may be asked at this out-of-scope probability (a cutoff of 1.0 means no gate)."""
    return cutoff >= 1.0 or p_oos < cutoff


def clarify_options(hits: list[FaqHit], router_candidates: list[tuple[str, float]], oos_label: str = OOS) -> list[str]:
    """Up to three intents to offer: the matched articles' intents first, then the router's in-scope candidates (pure)."""
    options: list[str] = []
    for hit in hits:
        for intent in hit.entry.intents:
            if intent not in options:
                options.append(intent)
    for label, _ in router_candidates:
        if label != oos_label and label not in options:
            options.append(label)
    return options[:MAX_OPTIONS]


class HelpCentreRescue:
    """Answer, ask, or give up (``None``) on a message the router could not place (see module docstring)."""

    def __init__(
        self, retriever: HybridRetriever, compose: TemplateComposer, thresholds: RescueThresholds, oos_label: str = OOS
    ) -> None:
        self.retriever = retriever
        self.compose = compose
        self.thresholds = thresholds
        self.oos_label = oos_label

    def hits(self, text: str) -> list[FaqHit]:
        try:
            # the thresholds are calibrated on the English encoder's cosine: score every message on that scale (a
            # non-English message scores low there and is not rescued; the multilingual router has its own OOS threshold)
            return self.retriever.search_faq(text, k=3, multilingual=False)
        except (InputError, AisleError):
            return []

    def run(self, turn: Turn) -> Draft | None:
        hits = self.hits(turn.text)
        if not hits:
            return None
        top = hits[0]
        if top.score >= self.thresholds.answer:
            entry = top.entry
            intent = entry.intents[0] if entry.intents else OTHER_FAQ
            chips = [h.entry.title for h in hits[1:2]] + [self.compose.chip("talk_to_person")]
            return Draft(
                self.compose.faq_guess(entry.title, entry.body),
                intent,
                round(float(top.score), 4),
                citations=citation(entry),
                suggestions=chips,
            )
        ranked = turn.pred.alternatives or turn.pred.top_k
        if top.score >= self.thresholds.clarify and below_gate(
            oos_probability(ranked, self.oos_label), self.thresholds.clarify_max_oos_prob
        ):
            options = clarify_options(hits, ranked, self.oos_label)
            if not options:
                return None
            turn.state.pending = Pending("clarify", options=options)
            # the reply offers options[0] first: that is its intent (a question, not a refusal)
            return Draft(
                self.compose.clarify(options),
                options[0],
                round(float(top.score), 4),
                understood=False,
                suggestions=[self.compose.intent_chip(o) for o in options],
            )
        return None


# --- calibration (``aisle experiment oos-rescue``) ------------------------------------------------------------
ANSWER_MAX_OOS_RATE = 0.02  # at most this share of dev out-of-scope messages may be answered from an article…
CLARIFY_MAX_OOS_RATE = 0.08  # …and at most this share answered or asked about


def threshold_for_rate(oos_scores: list[float], max_rate: float) -> float:
    """The smallest score threshold (0.01 grid) above which at most ``max_rate`` of the out-of-scope scores lie (pure)."""
    scores = sorted(oos_scores)
    for t in [round(0.2 + 0.01 * i, 2) for i in range(81)]:
        if sum(s >= t for s in scores) <= max_rate * len(scores):
            return t
    return 1.0


def faq_matches(retriever: HybridRetriever, texts: list[str]) -> list[tuple[float, list[str]]]:
    """The best help-centre article's dense score and intents, per text (what ``HelpCentreRescue`` sees)."""
    out = []
    for text in texts:
        hits = retriever.search_faq(text, k=1) if text.strip() else []
        out.append((float(hits[0].score), list(hits[0].entry.intents)) if hits else (0.0, []))
    return out


def calibrate_rescue(matches: list[tuple[float, list[str]]], golds: list[str], oos_label: str = OOS) -> dict[str, object]:
    """Thresholds from dev: the OOS false-rescue budget decides, in-scope gains are reported.

    ``matches`` are ``faq_matches`` of the dev texts. For in-scope messages whose intent has an article,
    "answered right" means the best article is written for that intent; the figures say how much the
    fallback can recover when the router fails them.
    """
    oos_scores = [score for (score, _), gold in zip(matches, golds) if gold == oos_label]
    inscope = [(score, gold in intents) for (score, intents), gold in zip(matches, golds) if gold != oos_label]
    answer = threshold_for_rate(oos_scores, ANSWER_MAX_OOS_RATE)
    clarify = min(answer, threshold_for_rate(oos_scores, CLARIFY_MAX_OOS_RATE))

    def rate(xs: list[float], t: float) -> float:
        return round(sum(x >= t for x in xs) / len(xs), 4) if xs else 0.0

    return {
        "n_oos": len(oos_scores),
        "n_in_scope": len(inscope),
        "answer_score": answer,
        "clarify_score": clarify,
        "budget": {"answer_max_oos_rate": ANSWER_MAX_OOS_RATE, "clarify_max_oos_rate": CLARIFY_MAX_OOS_RATE},
        "oos_answered_rate": rate(oos_scores, answer),
        "oos_answered_or_asked_rate": rate(oos_scores, clarify),
        "in_scope_answered_rate": rate([s for s, _ in inscope], answer),
        "in_scope_answered_right_rate": round(sum(s >= answer and ok for s, ok in inscope) / len(inscope), 4) if inscope else 0.0,
        "in_scope_answered_or_asked_rate": rate([s for s, _ in inscope], clarify),
        "oos_score_percentiles": {str(q): round(float(np.percentile(oos_scores, q)), 4) for q in (50, 90, 95, 98, 99)}
        if oos_scores
        else {},
    }


CLARIFY_GATE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


def calibrate_clarify_gate(
    cases: list[tuple[float, str]], n_oos: int, oos_answered: int, oos_label: str = OOS
) -> dict[str, object]:
    """``policy.rescue_clarify_max_oos_prob`` from dev, by the same budget as the thresholds: the most permissive
    cutoff with which the dev out-of-scope messages answered from an article or asked about stay within
    ``CLARIFY_MAX_OOS_RATE`` of all dev out-of-scope messages. ``cases`` are the router's out-of-scope
    probability and the gold label of the dev messages it sends out of scope with a moderate article match;
    ``oos_answered`` is how many dev out-of-scope messages the answer threshold already lets through."""
    table = []
    for cutoff in CLARIFY_GATE_GRID:
        asked_in = sum(below_gate(p, cutoff) and g != oos_label for p, g in cases)
        asked_oos = sum(below_gate(p, cutoff) and g == oos_label for p, g in cases)
        table.append(
            {
                "max_oos_prob": cutoff,
                "asked_in_scope": asked_in,
                "asked_oos": asked_oos,
                "oos_answered_or_asked_rate": round((oos_answered + asked_oos) / max(n_oos, 1), 4),
            }
        )
    within = [row for row in table if row["oos_answered_or_asked_rate"] <= CLARIFY_MAX_OOS_RATE]
    best = max(within, key=lambda row: row["max_oos_prob"]) if within else {"max_oos_prob": 0.0}
    return {
        "n_moderate_matches_routed_oos": len(cases),
        "n_in_scope": sum(g != oos_label for _, g in cases),
        "budget": CLARIFY_MAX_OOS_RATE,
        "rescue_clarify_max_oos_prob": best["max_oos_prob"],
        "sweep": table,
    }


CATALOG_RESCUE_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def calibrate_catalog_rescue(cases: list[tuple[list[tuple[str, float]], str]], oos_label: str = OOS) -> dict[str, object]:
    """``policy.catalog_rescue_min_product_prob`` from dev: among unclear messages that name catalog items
    (``cases``: the router's ranked labels and the gold label), the smallest threshold with the most right
    decisions (searched when the gold label is a shopping intent, not searched otherwise)."""
    from aisle.labels import PRODUCT_INTENTS

    def searched(ranked: list[tuple[str, float]], t: float) -> bool:
        shopping = sum(p for label, p in ranked if label in PRODUCT_INTENTS)
        other = max((p for label, p in ranked if label not in PRODUCT_INTENTS and label != oos_label), default=0.0)
        return shopping >= t and shopping >= other

    table = []
    for t in CATALOG_RESCUE_GRID:
        right = sum(searched(r, t) == (gold in PRODUCT_INTENTS) for r, gold in cases)
        wrong_searches = sum(searched(r, t) and gold not in PRODUCT_INTENTS for r, gold in cases)
        table.append({"threshold": t, "right": right, "wrong_searches": wrong_searches})
    best = max(table, key=lambda row: (row["right"], -row["threshold"])) if table else {"threshold": 0.1}
    return {
        "n_unclear_naming_catalog_items": len(cases),
        "n_shopping": sum(g in PRODUCT_INTENTS for _, g in cases),
        "catalog_rescue_min_product_prob": best["threshold"],
        "sweep": table,
    }
