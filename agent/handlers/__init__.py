"""One handler per kind of reply; each has ``run(turn) -> Draft`` (see ``base.py``).

``Dialogue`` (``agent/dialogue.py``) maps the policy's ``Route`` to these.
"""

from agent.handlers.base import CatalogView, Draft, Handler, Turn
from agent.handlers.conversation import (
    ClarifyHandler,
    InjectionHandler,
    OrdinalOutOfRangeHandler,
    OutOfScopeHandler,
    SmallTalkHandler,
)
from agent.handlers.faq import FaqHandler
from agent.handlers.handoff import HandoffHandler
from agent.handlers.orders import OrderHandler
from agent.handlers.product_question import ProductQuestionHandler
from agent.handlers.recommendation import RecommendationHandler
from agent.handlers.search import SearchHandler

__all__ = [
    "CatalogView",
    "ClarifyHandler",
    "Draft",
    "FaqHandler",
    "Handler",
    "HandoffHandler",
    "InjectionHandler",
    "OrderHandler",
    "OrdinalOutOfRangeHandler",
    "OutOfScopeHandler",
    "ProductQuestionHandler",
    "RecommendationHandler",
    "SearchHandler",
    "SmallTalkHandler",
    "Turn",
]  # fmt: skip
