"""Turning decisions into words: deterministic templates, optionally polished by a chat model.

``TemplateComposer`` is the default: offline, fast, testable; every fact in a reply comes
from the catalog, the order store or a help-centre article. ``LangChainComposer`` may
rephrase a drafted reply with any LangChain chat model (e.g. an OpenAI-compatible local
endpoint), but only within the facts: a rewrite that introduces a number, order id or
e-mail address not present in the draft is discarded and the template reply is used.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from aisle.errors import ConfigError

if TYPE_CHECKING:
    from agent.orders import ActionResult, Order
    from aisle.settings import Settings
    from retrieval.schema import Product

log = logging.getLogger(__name__)

INTENT_PHRASES = {
    "track_order": "track an order", "cancel_order": "cancel an order", "change_order": "change an order",
    "get_refund": "return an item or get a refund", "track_refund": "check a refund", "check_refund_policy": "know the return policy",
    "check_cancellation_fee": "know about cancellation fees", "delivery_options": "know the delivery options",
    "delivery_period": "know how long delivery takes", "check_payment_methods": "know the payment methods",
    "payment_issue": "sort out a payment problem", "get_invoice": "get an invoice", "check_invoice": "check an invoice",
    "create_account": "create an account", "delete_account": "delete your account", "edit_account": "change your account details",
    "recover_password": "reset your password", "registration_problems": "fix a sign-up problem", "switch_account": "switch accounts",
    "newsletter_subscription": "manage the newsletter", "contact_customer_service": "contact customer service",
    "contact_human_agent": "talk to a person", "complaint": "make a complaint", "review": "leave a review",
    "place_order": "place an order", "set_up_shipping_address": "add a delivery address", "change_shipping_address": "change a delivery address",
    "product_search": "find a product", "product_question": "ask about a product", "recommendation": "get a recommendation",
}
STATUS_TEXT = {
    "pending": "has been received and is waiting to be processed",
    "processing": "is being prepared for dispatch",
    "shipped": "is on its way",
    "delivered": "was delivered",
    "cancelled": "was cancelled",
    "returned": "was returned",
}


def money(amount: float | None, currency: str = "INR") -> str:
    if amount is None:
        return "price not listed"
    symbol = {"INR": "₹", "USD": "$", "EUR": "€"}.get(currency, f"{currency} ")
    return f"{symbol}{amount:,.0f}" if float(amount).is_integer() else f"{symbol}{amount:,.2f}"


def _date(iso: str | None) -> str:
    return iso[:10] if iso else "unknown date"


def display_title(title: str) -> str:
    """Catalog titles are often lower-case; capitalise words for display only."""
    return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in title.split())


class TemplateComposer:
    """All of the agent's wording, in one place."""

    def __init__(self, store_name: str = "Aisle Demo Store") -> None:
        self.store = store_name

    # --- small talk, fallbacks -------------------------------------------------------------
    def small_talk(self, intent: str) -> str:
        return {
            "greeting": f"Hi! I'm the {self.store} assistant. I can find products, answer questions about delivery, returns and payments, and check or cancel your orders. What can I do for you?",
            "goodbye": "Thanks for stopping by, have a great day!",
            "thank_you": "You're welcome! Is there anything else I can help with?",
            "are_you_a_bot": "Yes, I'm an automated assistant. I can help with products, orders and store policies, and I can pass you to a person at any time, just ask.",
            "what_can_i_ask_you": "You can ask me to find products (\"red sandals under 500\"), refine them (\"cheaper\", \"in blue\"), ask about an item, "
            "check, cancel or return an order (with your order number and e-mail), or ask about delivery, returns, refunds and payments.",
        }[intent]

    def out_of_scope(self, offer_human: bool) -> str:
        text = "Sorry, that's outside what I can help with here. I can find products, answer questions about delivery, returns, refunds and payments, or check an order."
        return text + (" Would you like me to connect you with a colleague?" if offer_human else "")

    def clarify(self, options: list[str]) -> str:
        phrases = [INTENT_PHRASES.get(o, o.replace("_", " ")) for o in options[:2]]
        if len(phrases) == 2:
            return f"Just to be sure I help with the right thing: do you want to {phrases[0]}, or {phrases[1]}?"
        return f"Just to be sure: do you want to {phrases[0]}?" if phrases else "Could you say that another way?"

    def empty(self) -> str:
        return "Your message looks empty. Tell me what you're looking for, e.g. \"red sandals under 500\" or \"where is my order?\"."

    def truncated(self, limit: int) -> str:
        return f"(Your message was very long, so I read only the first {limit:,} characters.) "

    def injection(self) -> str:
        return ("I can't do that. I only share order details with the person who placed the order, after they give me the order number "
                "and the e-mail address on it. I'm happy to help with your own orders, products or store policies.")

    def degraded(self) -> str:
        return " (Search is running in a reduced mode right now, so results may be less precise.)"

    # --- products --------------------------------------------------------------------------
    def product_line(self, i: int, p: Product) -> str:
        attrs = ", ".join(v for v in p.key_attributes(3).values())
        return f"{i}. {display_title(p.title)} — {money(p.price, p.currency)}" + (f" ({attrs})" if attrs else "")

    def products(self, products: list[Product], query: str, constraints: list[str], relaxed: list[str], note: str | None = None, paged: bool = False) -> str:
        from agent.search import headline

        what = headline(query.strip()) if query.strip() else "items"
        cons = f" ({', '.join(constraints)})" if constraints else ""
        if not products:
            if note == "no_more":
                return "That's everything I have for that search. Try different words or fewer filters?"
            if note == "cheapest_already":
                return "Those are already the cheapest matching items I have."
            if note == "no_more_expensive":
                return "Those are already the most expensive matching items I have."
            return f"I couldn't find anything for \"{what}\"{cons}. Could you describe it differently?"
        head = f"More {what}{cons}:" if paged else f"Here's what I found for \"{what}\"{cons}:"
        if note == "same_budget":
            head = f"Nothing is cheaper than what I showed, but here are other {what} in the same budget{cons}:"
        if relaxed:
            dropped = " and ".join(f"\"{r}\"" for r in relaxed)
            head = f"Nothing matched everything you asked for, so I dropped {dropped}. " + head
        lines = [self.product_line(i, p) for i, p in enumerate(products, 1)]
        return head + "\n" + "\n".join(lines)

    def recommendations(self, items: list[tuple[Product, str]], mode: str, anchor: Product | None) -> str:
        if not items:
            return "I don't have a good suggestion for that yet. Could you tell me a bit more about what you'd like?"
        head = {
            "similar": f"If you like the {display_title(anchor.title) if anchor else 'item'}, you might also like:",
            "goes_with": f"These go well with the {display_title(anchor.title) if anchor else 'item'}:",
        }.get(mode, "Here are a few picks for you:")
        lines = [f"{self.product_line(i, p)} — {why}" for i, (p, why) in enumerate(items, 1)]
        return head + "\n" + "\n".join(lines)

    def ordinal_out_of_range(self, shown: int) -> str:
        return f"I only showed {shown} item{'s' if shown != 1 else ''}. Which one do you mean?"

    def which_product(self) -> str:
        return "Which product do you mean? Search for it first (e.g. \"blue backpack\") or say \"the first one\" after a search."

    # --- help centre ---------------------------------------------------------------------------
    def faq(self, title: str, body: str) -> str:
        return f"{body}\n(Source: \"{title}\")"

    def faq_not_sure(self, closest_title: str | None) -> str:
        hint = f" The closest help article I found is \"{closest_title}\", but it may not answer your question." if closest_title else ""
        return f"I'm not sure I have the right answer to that.{hint} Would you like me to connect you with a colleague?"

    # --- orders --------------------------------------------------------------------------------
    def ask_verification(self, intent: str, order_id: str | None, email: str | None) -> str:
        what = INTENT_PHRASES.get(intent, "help with your order").replace("an order", "your order")
        if order_id and not email:
            return f"Thanks. To {what}, please also give me the e-mail address used for order {order_id}."
        if email and not order_id:
            return "Thanks. Which order is it? Please give me the order number (it looks like ORD-10234)."
        return f"I can {what}. For your security, please give me the order number (like ORD-10234) and the e-mail address used for the order."

    def verification_failed(self, attempts_left: int) -> str:
        return ("Sorry, that order number and e-mail address don't match our records. Please check both (the order number is in your "
                f"confirmation e-mail). {attempts_left} attempt{'s' if attempts_left != 1 else ''} left.")

    def verification_locked(self) -> str:
        return "I couldn't verify that order, so for your security I'm passing this conversation to a colleague who can help."

    def order_status(self, o: Order) -> str:
        items = sum(int(i.get("qty", 1)) for i in o.items)
        parts = [f"Order {o.order_id} ({items} item{'s' if items != 1 else ''}, {money(o.total, o.currency)}) {STATUS_TEXT.get(o.status, o.status)}"]
        if o.status == "shipped":
            parts.append(f"; it shipped on {_date(o.shipped_at)} with {o.carrier or 'our courier'}" + (f", tracking number {o.tracking_number}" if o.tracking_number else ""))
        elif o.status == "delivered":
            parts.append(f" on {_date(o.delivered_at)}")
        elif o.status in ("pending", "processing"):
            parts.append(f"; it was placed on {_date(o.placed_at)} and you can still cancel it free of charge")
        text = "".join(parts) + "."
        if o.return_status:
            text += f" A return was requested on {_date(o.return_requested_at)}."
        return text

    def invoice(self, o: Order) -> str:
        when = f"was e-mailed when it shipped on {_date(o.shipped_at)}" if o.shipped_at else "will be e-mailed as soon as it ships"
        return f"The GST invoice for order {o.order_id} ({money(o.total, o.currency)}) {when}; you can also download it from My orders → Invoice."

    def refund_status(self, o: Order) -> str:
        if o.refund_status == "issued":
            return f"The refund of {money(o.refund_amount, o.currency)} for order {o.order_id} was issued on {_date(o.refund_issued_at)}; banks take 5–7 business days to show it."
        if o.refund_status == "pending_return":
            return f"Your return for order {o.order_id} is on its way to us; we issue the refund within 2 business days of receiving it."
        if o.status == "cancelled":
            return (f"Order {o.order_id} was cancelled. Prepaid amounts for cancelled orders go back to the original payment method at once; "
                    "banks take 5–7 business days to show it (UPI usually 1–2 days). Cash-on-delivery orders have nothing to refund.")
        if o.status == "returned":
            return (f"Order {o.order_id} was returned. Refunds are issued within 2 business days of the return reaching our warehouse "
                    "and take 5–7 business days to reach cards, UPI and net banking.")
        return f"There is no refund on order {o.order_id}: it {STATUS_TEXT.get(o.status, o.status)}. To get one, start a return after delivery (within 30 days)."

    def confirm(self, action: str, o: Order) -> str:
        if action == "cancel_order":
            return f"Order {o.order_id} ({money(o.total, o.currency)}) {STATUS_TEXT.get(o.status, o.status)}. Shall I cancel it? It's free, and prepaid amounts are refunded in full. (yes / no)"
        return f"Order {o.order_id} was delivered on {_date(o.delivered_at)}. Shall I start a free return pickup for it? (yes / no)"

    def action_result(self, r: ActionResult) -> str:
        o = r.order
        oid = o.order_id if o else ""
        return {
            "cancel_done": f"Done: order {oid} is cancelled. {('A refund of ' + money(o.refund_amount, o.currency) + ' is on its way (banks take 5–7 business days).') if o and o.refund_amount else ''}",
            "cancel_denied": f"Order {oid} {STATUS_TEXT.get(o.status, o.status) if o else ''}, so it can no longer be cancelled. "
            + ("You can start a free return within 30 days of delivery instead." if o and o.status == "delivered" else "Once it arrives you can start a free return within 30 days."),
            "cancel_already": f"Order {oid} is already cancelled.",
            "return_started": f"Your return for order {oid} is booked: we'll pick it up within 2 business days. Please pack the item with its tags. We refund within 2 business days of receiving it.",
            "return_window_passed": f"Order {oid} was delivered {r.detail.get('days', '?')} days ago, past our {r.detail.get('window', 30)}-day return window, so I can't start a return. If the item is faulty, a colleague can look into it.",
            "return_not_delivered": f"Order {oid} {STATUS_TEXT.get(o.status, o.status) if o else ''}, so a return isn't possible yet. Returns open once it's delivered" + (" (or you can cancel it free of charge now)." if o and o.status in ("pending", "processing") else "."),
            "return_already": f"A return for order {oid} was already requested on {_date(o.return_requested_at) if o else ''}.",
        }[r.message_key].strip()

    def declined(self) -> str:
        return "Okay, I won't change anything. Anything else I can help with?"

    # --- handoff -------------------------------------------------------------------------------
    def handoff(self, reason: str) -> str:
        lead = {
            "negative_sentiment": "I'm really sorry about this experience. ",
            "repeated_misunderstanding": "Sorry, I'm not getting this right. ",
            "verification_locked": "",
        }.get(reason, "")
        return (lead + "I'm passing you to a colleague now; they'll see this conversation, so you won't need to repeat yourself. "
                "Our team replies in this chat between 9 am and 9 pm IST (or by e-mail outside those hours).")

    def offer_human(self) -> str:
        return "Would you like me to connect you with a colleague?"


class LangChainComposer:
    """Rephrase a template reply with a LangChain chat model, never adding facts."""

    SYSTEM = (
        "You are the assistant of an online store. Rewrite the DRAFT reply so it is friendly and concise. "
        "Use only the information in DRAFT. Do not add or change any product, price, number, date, order id, policy or promise. "
        "Keep product lists as lists. Reply with the rewritten text only."
    )

    def __init__(self, chat_model: Any) -> None:
        self.model = chat_model

    @classmethod
    def from_settings(cls, settings: Settings) -> LangChainComposer:
        a = settings.agent
        if not a.llm_model:
            raise ConfigError("agent.composer = \"langchain\" needs agent.llm_model (and agent.llm_base_url for a local endpoint)")
        try:
            from langchain.chat_models import init_chat_model

            model = init_chat_model(a.llm_model, model_provider="openai", base_url=a.llm_base_url, api_key=a.llm_api_key or "not-needed", timeout=a.llm_timeout_s)
        except ImportError as exc:
            raise ConfigError(f"the langchain composer needs an OpenAI-compatible provider package: pip install langchain-openai ({exc})") from exc
        except Exception as exc:
            raise ConfigError(f"cannot create the chat model {a.llm_model!r} at {a.llm_base_url}: {exc}") from exc
        return cls(model)

    @staticmethod
    def grounded(candidate: str, draft: str) -> bool:
        """Every number, order id and e-mail in ``candidate`` must appear in the draft."""
        norm = lambda s: re.sub(r"(?<=\d),(?=\d)", "", s)
        source = norm(draft)
        for token in re.findall(r"ORD-\d+|[\w.+-]+@[\w.-]+|\d+(?:\.\d+)?", norm(candidate)):
            if token not in source:
                return False
        return 0 < len(candidate) <= max(400, 3 * len(draft))

    def polish(self, draft: str, user_text: str) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            out = self.model.invoke([SystemMessage(self.SYSTEM), HumanMessage(f"SHOPPER: {user_text}\n\nDRAFT:\n{draft}")])
            text = str(getattr(out, "content", out)).strip()
        except Exception as exc:  # a dead endpoint must not break the chat
            log.warning("chat model failed, using the template reply: %s", exc)
            return draft
        if not self.grounded(text, draft):
            log.info("chat model rewrite rejected (added facts); using the template reply")
            return draft
        return text
