"""The intent labels the code reasons about, in one place.

The router's label set comes from its checkpoint; these are the groups the dialogue policy,
the dataset builder and the UI treat specially. ``OOS`` is the default of the
``intents.oos_label`` setting: code that has settings at hand reads the setting, code that
does not (label maps, datasets, fallbacks) reads ``OOS``.
"""

from __future__ import annotations

OOS = "out_of_scope"
"""The out-of-scope label (default of ``Settings.intents.oos_label``)."""

EMPTY = "empty"
"""The pseudo-intent of an empty message (never predicted by the router)."""

SMALL_TALK: frozenset[str] = frozenset({"greeting", "goodbye", "thank_you", "are_you_a_bot", "what_can_i_ask_you"})
"""Answered from a template; no retrieval, no order data."""

PRODUCT_INTENTS: frozenset[str] = frozenset({"product_search", "product_question", "recommendation"})
"""Answered from the catalog."""

ORDER_INTENTS: frozenset[str] = frozenset({"track_order", "cancel_order", "get_refund", "track_refund"})
"""Need a verified order (order id + e-mail) before anything is shown or done."""

INVOICE_INTENTS: frozenset[str] = frozenset({"get_invoice", "check_invoice"})
"""Order-bound when the message carries an order id; otherwise answered from the help centre."""

SENSITIVE_INTENTS: frozenset[str] = frozenset(
    {"payment_issue", "complaint", "delete_account", "get_refund", "track_refund", "change_shipping_address"}
)
"""Handed to a person when the router is only moderately sure (``policy.sensitive_min_confidence``)."""

COMPLAINT_INTENTS: frozenset[str] = frozenset({"complaint", "review"})
"""Go to a person when the message is negative enough (``policy.complaint_negative``)."""

HUMAN_REQUEST = "contact_human_agent"
"""The shopper asks for a person."""

OTHER_FAQ = "other_faq"
"""A store question no intent covers (gift wrapping, coupons…), answered from a help-centre article without
intents; evaluation sets use it as a gold label (``finetune.evaluation``), the agent as the reply's intent."""
