"""Turning decisions into words: deterministic templates, optionally polished by a chat model.

``TemplateComposer`` is the default: offline, fast, testable; every fact in a reply comes
from the catalog, the order store or a help-centre article. Replies follow the language of the
shopper's latest message: ``composer_for("zh")`` gives ``ChineseComposer``, the same templates in
Chinese (every method; chips and the input placeholder too), and the agent builds one dialogue per
reply language. ``LangChainComposer`` may
rephrase a drafted reply with any LangChain chat model (e.g. an OpenAI-compatible local
endpoint), but only within the facts: a rewrite that introduces a number, order id or
e-mail address not present in the draft is discarded and the template reply is used.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from aisle.errors import ConfigError
from aisle.formatting import money

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.orders import ActionResult, Order
    from aisle.settings import Settings
    from retrieval.schema import Product

log = logging.getLogger(__name__)

INTENT_PHRASES = {
    "track_order": "track an order",
    "cancel_order": "cancel an order",
    "change_order": "change an order",
    "get_refund": "return an item or get a refund",
    "track_refund": "check a refund",
    "check_refund_policy": "know the return policy",
    "check_cancellation_fee": "know about cancellation fees",
    "delivery_options": "know the delivery options",
    "delivery_period": "know how long delivery takes",
    "check_payment_methods": "know the payment methods",
    "payment_issue": "sort out a payment problem",
    "get_invoice": "get an invoice",
    "check_invoice": "check an invoice",
    "create_account": "create an account",
    "delete_account": "delete your account",
    "edit_account": "change your account details",
    "recover_password": "reset your password",
    "registration_problems": "fix a sign-up problem",
    "switch_account": "switch accounts",
    "newsletter_subscription": "manage the newsletter",
    "contact_customer_service": "contact customer service",
    "contact_human_agent": "talk to a person",
    "complaint": "make a complaint",
    "review": "leave a review",
    "place_order": "place an order",
    "set_up_shipping_address": "add a delivery address",
    "change_shipping_address": "change a delivery address",
    "product_search": "find a product",
    "product_question": "ask about a product",
    "recommendation": "get a recommendation",
}
STATUS_TEXT = {
    "pending": "has been received and is waiting to be processed",
    "processing": "is being prepared for dispatch",
    "shipped": "is on its way",
    "delivered": "was delivered",
    "cancelled": "was cancelled",
    "returned": "was returned",
}


def _date(iso: str | None) -> str:
    return iso[:10] if iso else "unknown date"


def display_title(title: str) -> str:
    """Catalog titles are often lower-case; capitalise words for display only."""
    return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in title.split())


CHIPS = {
    "cheaper": "Cheaper",
    "more": "Show me more",
    "first_one": "Tell me about the first one",
    "in_color": "In {color}",
    "similar": "Similar items",
    "goes_with": "What goes with it?",
    "talk_to_person": "Talk to a person",
    "yes": "Yes",
    "no": "No",
    "cancel_order": "Cancel order {order_id}",
    "return_order": "Return order {order_id}",
    "find_product": "Find a product",
    "track_order": "Track my order",
    "return_policy": "Return policy",
    "bestsellers": "Show me bestsellers",
}


class TemplateComposer:
    """All of the agent's wording, in one place. One subclass per reply language (``composer_for``).

    ``language`` is what ``Reply.language`` reports for replies written by this composer.
    """

    language = "en"

    def __init__(self, store_name: str = "Aisle Demo Store") -> None:
        self.store = store_name

    # --- short texts the interface shows ------------------------------------------------------
    def chip(self, key: str, **values: str) -> str:
        """A suggestion chip (``CHIPS`` key); clicking it sends its text, which the agent understands in the same language."""
        return CHIPS[key].format(**values)

    def intent_chip(self, intent: str) -> str:
        """A clarifying question's option as a chip."""
        return INTENT_PHRASES.get(intent, intent.replace("_", " ")).capitalize()

    def placeholder(self) -> str:
        """The chat input's placeholder text."""
        return "Ask about products, your order, delivery or returns…"

    def welcome_chips(self) -> list[str]:
        return [self.chip("find_product"), self.chip("track_order"), self.chip("return_policy")]

    def system_error(self) -> str:
        return "Sorry, I can't reach part of our system right now. Please try again in a minute, or ask me to connect you with a colleague."

    def empty_query(self) -> str:
        return 'What are you looking for? For example "red sandals under 500" or "a gift for my sister".'

    def which_order(self) -> str:
        return "Which order is it? Please give me the order number (it looks like ORD-10234)."

    def orders_unavailable(self) -> str:
        return (
            "I can't look up orders right now, sorry: our order system is having a problem and our team has been told. "
            "Please try again later, or I can connect you with a colleague now."
        )

    def no_thanks(self) -> str:
        return "No problem. What else can I help with?"

    def product_answer(self, title: str, answer: str) -> str:
        """An answer drawn from a listing (``agent/product_qa.py`` writes it in the catalog's language)."""
        return answer

    # --- small talk, fallbacks -------------------------------------------------------------
    def small_talk(self, intent: str) -> str:
        return {
            "greeting": f"Hi! I'm the {self.store} assistant. I can find products, answer questions about delivery, returns and payments, and check or cancel your orders. What can I do for you?",
            "goodbye": "Thanks for stopping by, have a great day!",
            "thank_you": "You're welcome! Is there anything else I can help with?",
            "are_you_a_bot": "Yes, I'm an automated assistant. I can help with products, orders and store policies, and I can pass you to a person at any time, just ask.",
            "what_can_i_ask_you": 'You can ask me to find products ("red sandals under 500"), refine them ("cheaper", "in blue"), ask about an item, '
            "check, cancel or return an order (with your order number and e-mail), or ask about delivery, returns, refunds and payments.",
        }[intent]

    def out_of_scope(self, offer_human: bool) -> str:
        text = "Sorry, that's outside what I can help with here. I can find products, answer questions about delivery, returns, refunds and payments, or check an order."
        return text + (" Would you like me to connect you with a colleague?" if offer_human else "")

    def clarify(self, options: list[str]) -> str:
        phrases = [INTENT_PHRASES.get(o, o.replace("_", " ")) for o in options[:3]]
        if len(phrases) == 3:
            return f"Just to be sure I help with the right thing: do you want to {phrases[0]}, {phrases[1]}, or {phrases[2]}?"
        if len(phrases) == 2:
            return f"Just to be sure I help with the right thing: do you want to {phrases[0]}, or {phrases[1]}?"
        return f"Just to be sure: do you want to {phrases[0]}?" if phrases else "Could you say that another way?"

    def empty(self) -> str:
        return 'Your message looks empty. Tell me what you\'re looking for, e.g. "red sandals under 500" or "where is my order?".'

    def truncated(self, limit: int) -> str:
        return f"(Your message was very long, so I read only the first {limit:,} characters.) "

    def injection(self) -> str:
        return (
            "I can't do that. I only share order details with the person who placed the order, after they give me the order number "
            "and the e-mail address on it. I'm happy to help with your own orders, products or store policies."
        )

    def degraded(self) -> str:
        return " (Search is running in a reduced mode right now, so results may be less precise.)"

    # --- products --------------------------------------------------------------------------
    def product_line(self, i: int, p: Product) -> str:
        attrs = ", ".join(v for v in p.key_attributes(3).values())
        return f"{i}. {display_title(p.title)} — {money(p.price, p.currency)}" + (f" ({attrs})" if attrs else "")

    def products(
        self,
        products: list[Product],
        query: str,
        constraints: list[str],
        relaxed: list[str],
        note: str | None = None,
        paged: bool = False,
    ) -> str:
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
            return f'I couldn\'t find anything for "{what}"{cons}. Could you describe it differently?'
        head = f"More {what}{cons}:" if paged else f'Here\'s what I found for "{what}"{cons}:'
        if note == "same_budget":
            head = f"Nothing is cheaper than what I showed, but here are other {what} in the same budget{cons}:"
        if relaxed:
            dropped = " and ".join(f'"{r}"' for r in relaxed)
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
        return 'Which product do you mean? Search for it first (e.g. "blue backpack") or say "the first one" after a search.'

    # --- help centre ---------------------------------------------------------------------------
    def faq(self, title: str, body: str) -> str:
        return f'{body}\n(Source: "{title}")'

    def faq_guess(self, title: str, body: str) -> str:
        """A help-centre answer to a message the router could not place (``agent/handlers/rescue.py``)."""
        return f'I think you\'re asking about "{title}". {self.faq(title, body)}'

    def faq_not_sure(self, closest_title: str | None) -> str:
        hint = (
            f' The closest help article I found is "{closest_title}", but it may not answer your question.'
            if closest_title
            else ""
        )
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
        return (
            "Sorry, that order number and e-mail address don't match our records. Please check both (the order number is in your "
            f"confirmation e-mail). {attempts_left} attempt{'s' if attempts_left != 1 else ''} left."
        )

    def verification_locked(self) -> str:
        return "I couldn't verify that order, so for your security I'm passing this conversation to a colleague who can help."

    def order_status(self, o: Order) -> str:
        items = sum(int(i.get("qty", 1)) for i in o.items)
        parts = [
            f"Order {o.order_id} ({items} item{'s' if items != 1 else ''}, {money(o.total, o.currency)}) {STATUS_TEXT.get(o.status, o.status)}"
        ]
        if o.status == "shipped":
            parts.append(
                f"; it shipped on {_date(o.shipped_at)} with {o.carrier or 'our courier'}"
                + (f", tracking number {o.tracking_number}" if o.tracking_number else "")
            )
        elif o.status == "delivered":
            parts.append(f" on {_date(o.delivered_at)}")
        elif o.status in ("pending", "processing"):
            parts.append(f"; it was placed on {_date(o.placed_at)} and you can still cancel it free of charge")
        text = "".join(parts) + "."
        if o.return_status:
            text += f" A return was requested on {_date(o.return_requested_at)}."
        return text

    def invoice(self, o: Order) -> str:
        when = (
            f"was e-mailed when it shipped on {_date(o.shipped_at)}" if o.shipped_at else "will be e-mailed as soon as it ships"
        )
        return f"The GST invoice for order {o.order_id} ({money(o.total, o.currency)}) {when}; you can also download it from My orders → Invoice."

    def refund_status(self, o: Order) -> str:
        if o.refund_status == "issued":
            return f"The refund of {money(o.refund_amount, o.currency)} for order {o.order_id} was issued on {_date(o.refund_issued_at)}; banks take 5–7 business days to show it."
        if o.refund_status == "pending_return":
            return f"Your return for order {o.order_id} is on its way to us; we issue the refund within 2 business days of receiving it."
        if o.status == "cancelled":
            return (
                f"Order {o.order_id} was cancelled. Prepaid amounts for cancelled orders go back to the original payment method at once; "
                "banks take 5–7 business days to show it (UPI usually 1–2 days). Cash-on-delivery orders have nothing to refund."
            )
        if o.status == "returned":
            return (
                f"Order {o.order_id} was returned. Refunds are issued within 2 business days of the return reaching our warehouse "
                "and take 5–7 business days to reach cards, UPI and net banking."
            )
        return f"There is no refund on order {o.order_id}: it {STATUS_TEXT.get(o.status, o.status)}. To get one, start a return after delivery (within 30 days)."

    def confirm(self, action: str, o: Order) -> str:
        if action == "cancel_order":
            return f"Order {o.order_id} ({money(o.total, o.currency)}) {STATUS_TEXT.get(o.status, o.status)}. Shall I cancel it? It's free, and prepaid amounts are refunded in full. (yes / no)"
        return (
            f"Order {o.order_id} was delivered on {_date(o.delivered_at)}. Shall I start a free return pickup for it? (yes / no)"
        )

    def action_result(self, r: ActionResult) -> str:
        o = r.order
        oid = o.order_id if o else ""
        return {
            "cancel_done": f"Done: order {oid} is cancelled. {('A refund of ' + money(o.refund_amount, o.currency) + ' is on its way (banks take 5–7 business days).') if o and o.refund_amount else ''}",
            "cancel_denied": f"Order {oid} {STATUS_TEXT.get(o.status, o.status) if o else ''}, so it can no longer be cancelled. "
            + (
                "You can start a free return within 30 days of delivery instead."
                if o and o.status == "delivered"
                else "Once it arrives you can start a free return within 30 days."
            ),
            "cancel_already": f"Order {oid} is already cancelled.",
            "return_started": f"Your return for order {oid} is booked: we'll pick it up within 2 business days. Please pack the item with its tags. We refund within 2 business days of receiving it.",
            "return_window_passed": f"Order {oid} was delivered {r.detail.get('days', '?')} days ago, past our {r.detail.get('window', 30)}-day return window, so I can't start a return. If the item is faulty, a colleague can look into it.",
            "return_not_delivered": f"Order {oid} {STATUS_TEXT.get(o.status, o.status) if o else ''}, so a return isn't possible yet. Returns open once it's delivered"
            + (" (or you can cancel it free of charge now)." if o and o.status in ("pending", "processing") else "."),
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
        return (
            lead + "I'm passing you to a colleague now; they'll see this conversation, so you won't need to repeat yourself. "
            "Our team replies in this chat between 9 am and 9 pm IST (or by e-mail outside those hours)."
        )

    def offer_human(self) -> str:
        return "Would you like me to connect you with a colleague?"


INTENT_PHRASES_ZH = {
    "track_order": "查询订单",
    "cancel_order": "取消订单",
    "change_order": "修改订单",
    "get_refund": "退货或退款",
    "track_refund": "查询退款进度",
    "check_refund_policy": "了解退货政策",
    "check_cancellation_fee": "了解取消订单的费用",
    "delivery_options": "了解配送方式",
    "delivery_period": "了解配送时间",
    "check_payment_methods": "了解付款方式",
    "payment_issue": "解决付款问题",
    "get_invoice": "开发票",
    "check_invoice": "查看发票",
    "create_account": "注册账户",
    "delete_account": "注销账户",
    "edit_account": "修改账户信息",
    "recover_password": "重置密码",
    "registration_problems": "解决注册问题",
    "switch_account": "切换账户",
    "newsletter_subscription": "管理邮件订阅",
    "contact_customer_service": "联系客服",
    "contact_human_agent": "转人工客服",
    "complaint": "投诉",
    "review": "发表评价",
    "place_order": "下单购买",
    "set_up_shipping_address": "添加收货地址",
    "change_shipping_address": "修改收货地址",
    "product_search": "找商品",
    "product_question": "咨询商品详情",
    "recommendation": "获取推荐",
}
STATUS_TEXT_ZH = {
    "pending": "已收到，正在等待处理",
    "processing": "正在备货，准备发出",
    "shipped": "已发货，正在配送途中",
    "delivered": "已送达",
    "cancelled": "已取消",
    "returned": "已退货",
}
CHIPS_ZH = {
    "cheaper": "便宜一点的",
    "more": "再看看更多",
    "first_one": "介绍一下第一个",
    "in_color": "要{color}的",
    "similar": "类似的商品",
    "goes_with": "有什么可以搭配的？",
    "talk_to_person": "转人工客服",
    "yes": "是的",
    "no": "不用了",
    "cancel_order": "取消订单 {order_id}",
    "return_order": "退货 订单 {order_id}",
    "find_product": "找商品",
    "track_order": "查询我的订单",
    "return_policy": "退货政策",
    "bestsellers": "看看热销商品",
}
_COLOR_NAMES_ZH = {
    "red": "红色",
    "blue": "蓝色",
    "green": "绿色",
    "black": "黑色",
    "white": "白色",
    "yellow": "黄色",
    "pink": "粉色",
    "purple": "紫色",
    "orange": "橙色",
    "brown": "棕色",
    "grey": "灰色",
    "beige": "米色",
    "gold": "金色",
    "silver": "银色",
    "maroon": "酒红色",
    "navy": "藏青色",
    "cream": "奶白色",
    "multicolor": "多色",
}
_AUDIENCE_ZH = {
    "women": "女士",
    "men": "男士",
    "kids": "儿童",
    "girls": "女孩",
    "boys": "男孩",
    "baby": "婴儿",
    "unisex": "男女通用",
}


def constraint_zh(text: str) -> str:
    """A search constraint as ``SearchFilters.describe`` / the relaxation step word it, in Chinese."""
    m = re.fullmatch(r"under (₹[\d,]+)", text)
    if m:
        return f"{m.group(1)}以下"
    m = re.fullmatch(r"over (₹[\d,]+)", text)
    if m:
        return f"{m.group(1)}以上"
    m = re.fullmatch(r"for (.+)", text)
    if m:
        return "、".join(_AUDIENCE_ZH.get(g.strip(), g.strip()) for g in m.group(1).split(","))
    m = re.fullmatch(r"size (.+)", text)
    if m:
        return f"尺码 {m.group(1).upper()}"
    m = re.fullmatch(r"brand (.+)", text)
    if m:
        return f"品牌 {m.group(1)}"
    m = re.fullmatch(r"in (.+)", text)
    words = [w.strip() for w in (m.group(1) if m else text).split(",")]
    if all(w in _COLOR_NAMES_ZH for w in words):
        return "、".join(_COLOR_NAMES_ZH[w] for w in words)
    return f"类别 {m.group(1)}" if m else text


class ChineseComposer(TemplateComposer):
    """The same replies in Simplified Chinese.

    What stays in English, by design: product titles and attributes (as the catalog has them),
    help-centre article bodies (a Chinese lead-in sentence introduces the English article and
    its title is cited), answers read out of an English listing (introduced in Chinese), order
    ids, prices and dates.
    """

    language = "zh"

    def chip(self, key: str, **values: str) -> str:
        if "color" in values:
            values = {**values, "color": _COLOR_NAMES_ZH.get(values["color"], values["color"])}
        return CHIPS_ZH[key].format(**values)

    def intent_chip(self, intent: str) -> str:
        return INTENT_PHRASES_ZH.get(intent, intent.replace("_", " "))

    def placeholder(self) -> str:
        return "请输入您的问题：找商品、查订单、配送或退货…"

    def system_error(self) -> str:
        return "抱歉，系统的一部分暂时无法连接。请稍后再试，或者我可以为您转接人工客服。"

    def empty_query(self) -> str:
        return "您想找什么商品？比如“500元以下的红色凉鞋”或者“送给妹妹的礼物”。"

    def which_order(self) -> str:
        return "请问是哪一个订单？请告诉我订单号（格式类似 ORD-10234）。"

    def orders_unavailable(self) -> str:
        return (
            "抱歉，订单系统暂时出现问题，我们的团队已经收到通知，现在无法查询或修改订单。请稍后再试，或者我现在为您转接人工客服。"
        )

    def no_thanks(self) -> str:
        return "好的，没问题。还有什么可以帮您的吗？"

    def product_answer(self, title: str, answer: str) -> str:
        return f"关于「{display_title(title)}」，商品页面（英文）上是这样写的：{answer}"

    # --- small talk, fallbacks ---------------------------------------------------------------
    def small_talk(self, intent: str) -> str:
        return {
            "greeting": f"您好！我是{self.store}的智能助手。我可以帮您找商品，解答配送、退货和付款方面的问题，还可以查询或取消您的订单。请问有什么可以帮您？",
            "goodbye": "感谢光临，祝您生活愉快，再见！",
            "thank_you": "不客气！还有什么可以帮您的吗？",
            "are_you_a_bot": "是的，我是自动客服助手。我可以帮您处理商品、订单和店铺政策方面的问题；如果需要，随时可以为您转接人工客服。",
            "what_can_i_ask_you": "您可以让我找商品（比如“500元以下的红色凉鞋”），再进一步筛选（“便宜一点的”、“要蓝色的”），咨询某件商品的详情，"
            "查询、取消或退货订单（需要订单号和下单邮箱），也可以问配送、退货、退款和付款方面的问题。",
        }[intent]

    def out_of_scope(self, offer_human: bool) -> str:
        text = "抱歉，这个问题超出了我能帮忙的范围。我可以帮您找商品，解答配送、退货、退款和付款方面的问题，或者查询订单。"
        return text + ("需要我为您转接人工客服吗？" if offer_human else "")

    def clarify(self, options: list[str]) -> str:
        phrases = [INTENT_PHRASES_ZH.get(o, o.replace("_", " ")) for o in options[:3]]
        if len(phrases) >= 2:
            return f"为了确保没有理解错，请问您是想{'，还是'.join(phrases)}？"
        return f"请确认一下：您是想{phrases[0]}吗？" if phrases else "能换一种说法再说一遍吗？"

    def empty(self) -> str:
        return "您的消息好像是空的。请告诉我您想找什么，比如“500元以下的红色凉鞋”或“我的订单到哪了？”。"

    def truncated(self, limit: int) -> str:
        return f"（您的消息太长了，我只读取了前 {limit:,} 个字符。）"

    def injection(self) -> str:
        return "抱歉，这个我不能做。订单信息只会告诉下单本人，而且需要先提供订单号和下单时使用的邮箱。我很乐意帮您处理您自己的订单、商品或店铺政策方面的问题。"

    def degraded(self) -> str:
        return "（搜索目前处于简化模式，结果可能不够精确。）"

    # --- products ----------------------------------------------------------------------------
    def product_line(self, i: int, p: Product) -> str:
        attrs = ", ".join(v for v in p.key_attributes(3).values())
        return f"{i}. {display_title(p.title)} — {money(p.price, p.currency)}" + (f"（{attrs}）" if attrs else "")

    def products(
        self,
        products: list[Product],
        query: str,
        constraints: list[str],
        relaxed: list[str],
        note: str | None = None,
        paged: bool = False,
    ) -> str:
        from retrieval.vocab import CJK_RE

        what = f"“{query.strip()}”" if CJK_RE.search(query or "") else "商品"
        cons = f"（{'，'.join(constraint_zh(c) for c in constraints)}）" if constraints else ""
        if not products:
            if note == "no_more":
                return "这个搜索的商品已经全部展示了。要不要换个说法，或者少加一些筛选条件？"
            if note == "cheapest_already":
                return "这些已经是符合条件的最便宜的商品了。"
            if note == "no_more_expensive":
                return "这些已经是符合条件的最贵的商品了。"
            return f"抱歉，没有找到符合条件的{what}{cons}。能换一种方式描述一下吗？"
        head = f"这里还有更多{what}{cons}：" if paged else f"为您找到以下{what}{cons}："
        if note == "same_budget":
            head = f"没有比刚才展示的更便宜的了，不过这里有同一价位的其他商品{cons}："
        if relaxed:
            dropped = "和".join(f"“{constraint_zh(r)}”" for r in relaxed)
            head = f"没有完全符合所有条件的商品，所以我去掉了{dropped}这个条件。" + head
        lines = [self.product_line(i, p) for i, p in enumerate(products, 1)]
        return head + "\n" + "\n".join(lines) + "\n（商品名称为商品目录原文。）"

    def recommendations(self, items: list[tuple[Product, str]], mode: str, anchor: Product | None) -> str:
        if not items:
            return "暂时没有合适的推荐。能再多告诉我一些您的需求吗？"
        name = f"「{display_title(anchor.title)}」" if anchor else "这件商品"
        head = {"similar": f"如果您喜欢{name}，这些可能也适合您：", "goes_with": f"这些商品和{name}很搭："}.get(
            mode, "为您挑选了几款商品："
        )
        lines = [self.product_line(i, p) for i, (p, _why) in enumerate(items, 1)]
        return head + "\n" + "\n".join(lines)

    def ordinal_out_of_range(self, shown: int) -> str:
        return f"我只展示了 {shown} 件商品。请问您指的是哪一件？"

    def which_product(self) -> str:
        return "请问您指的是哪件商品？可以先搜索（比如“蓝色双肩包”），搜索后再说“第一个”。"

    # --- help centre ------------------------------------------------------------------------------
    def faq(self, title: str, body: str) -> str:
        return f"以下是帮助中心的相关说明（英文原文）：\n{body}\n（来源：“{title}”）"

    def faq_guess(self, title: str, body: str) -> str:
        return f"您问的应该是“{title}”方面的问题。{self.faq(title, body)}"

    def faq_not_sure(self, closest_title: str | None) -> str:
        hint = f"最相关的帮助文章是“{closest_title}”，但它可能没有回答您的问题。" if closest_title else ""
        return f"抱歉，我不确定能准确回答这个问题。{hint}需要我为您转接人工客服吗？"

    # --- orders -----------------------------------------------------------------------------------
    def ask_verification(self, intent: str, order_id: str | None, email: str | None) -> str:
        what = INTENT_PHRASES_ZH.get(intent, "处理您的订单")
        if order_id and not email:
            return f"谢谢。为了{what}，请再提供订单 {order_id} 下单时使用的邮箱地址。"
        if email and not order_id:
            return "谢谢。请问是哪一个订单？请告诉我订单号（格式类似 ORD-10234）。"
        return f"我可以帮您{what}。为了您的账户安全，请提供订单号（格式类似 ORD-10234）和下单时使用的邮箱地址。"

    def verification_failed(self, attempts_left: int) -> str:
        return f"抱歉，这个订单号和邮箱地址与我们的记录不符。请检查一下两者（订单号在您的订单确认邮件里）。您还可以尝试 {attempts_left} 次。"

    def verification_locked(self) -> str:
        return "我无法验证这个订单，为了您的安全，我将把对话转给同事来帮您处理。"

    def order_status(self, o: Order) -> str:
        items = sum(int(i.get("qty", 1)) for i in o.items)
        text = f"订单 {o.order_id}（共 {items} 件商品，{money(o.total, o.currency)}）{STATUS_TEXT_ZH.get(o.status, o.status)}"
        if o.status == "shipped":
            text += f"；已于 {_date(o.shipped_at)} 由{o.carrier or '我们的快递'}发出" + (
                f"，运单号 {o.tracking_number}" if o.tracking_number else ""
            )
        elif o.status == "delivered":
            text += f"，送达日期 {_date(o.delivered_at)}"
        elif o.status in ("pending", "processing"):
            text += f"；下单日期 {_date(o.placed_at)}，目前仍可免费取消"
        text += "。"
        if o.return_status:
            text += f"已于 {_date(o.return_requested_at)} 申请退货。"
        return text

    def invoice(self, o: Order) -> str:
        when = f"已在 {_date(o.shipped_at)} 发货时通过邮件发送给您" if o.shipped_at else "会在发货后立即通过邮件发送给您"
        return f"订单 {o.order_id}（{money(o.total, o.currency)}）的 GST 发票{when}；您也可以在“我的订单 → 发票”中下载。"

    def refund_status(self, o: Order) -> str:
        if o.refund_status == "issued":
            return f"订单 {o.order_id} 的退款 {money(o.refund_amount, o.currency)} 已于 {_date(o.refund_issued_at)} 退出；银行入账一般需要 5–7 个工作日。"
        if o.refund_status == "pending_return":
            return f"订单 {o.order_id} 的退货正在寄回途中；我们收到后 2 个工作日内退款。"
        if o.status == "cancelled":
            return (
                f"订单 {o.order_id} 已取消。已付款项会立即原路退回；银行入账一般需要 5–7 个工作日（UPI 通常 1–2 天）。"
                "货到付款的订单没有需要退的款项。"
            )
        if o.status == "returned":
            return f"订单 {o.order_id} 已退货。退货到达仓库后 2 个工作日内退款，银行卡、UPI 和网银到账需要 5–7 个工作日。"
        return f"订单 {o.order_id} 目前没有退款：该订单{STATUS_TEXT_ZH.get(o.status, o.status)}。如需退款，请在签收后 30 天内申请退货。"

    def confirm(self, action: str, o: Order) -> str:
        if action == "cancel_order":
            return f"订单 {o.order_id}（{money(o.total, o.currency)}）{STATUS_TEXT_ZH.get(o.status, o.status)}。确定要取消吗？取消免费，已付款项全额退还。（是 / 否）"
        return f"订单 {o.order_id} 已于 {_date(o.delivered_at)} 送达。要为它安排免费上门取件退货吗？（是 / 否）"

    def action_result(self, r: ActionResult) -> str:
        o = r.order
        oid = o.order_id if o else ""
        status = STATUS_TEXT_ZH.get(o.status, o.status) if o else ""
        refund = (
            f"退款 {money(o.refund_amount, o.currency)} 正在退回（银行入账需要 5–7 个工作日）。" if o and o.refund_amount else ""
        )
        return {
            "cancel_done": f"已完成：订单 {oid} 已取消。{refund}",
            "cancel_denied": f"订单 {oid} {status}，已经无法取消。"
            + (
                "您可以在签收后 30 天内申请免费退货。"
                if o and o.status == "delivered"
                else "收到货后，您可以在 30 天内申请免费退货。"
            ),
            "cancel_already": f"订单 {oid} 已经取消了。",
            "return_started": f"订单 {oid} 的退货已经预约好了：我们会在 2 个工作日内上门取件。请连同吊牌一起包装好。收到退货后 2 个工作日内退款。",
            "return_window_passed": f"订单 {oid} 已签收 {r.detail.get('days', '?')} 天，超过了 {r.detail.get('window', 30)} 天的退货期限，所以无法申请退货。如果商品有质量问题，可以请同事帮您看看。",
            "return_not_delivered": f"订单 {oid} {status}，暂时还不能退货，签收后才可以申请"
            + ("（现在也可以免费取消订单）。" if o and o.status in ("pending", "processing") else "。"),
            "return_already": f"订单 {oid} 已于 {_date(o.return_requested_at) if o else ''} 申请过退货了。",
        }[r.message_key].strip()

    def declined(self) -> str:
        return "好的，我不做任何更改。还有什么可以帮您的吗？"

    # --- handoff ------------------------------------------------------------------------------------
    def handoff(self, reason: str) -> str:
        lead = {
            "negative_sentiment": "非常抱歉给您带来不好的体验。",
            "repeated_misunderstanding": "抱歉，我一直没能理解您的意思。",
        }.get(reason, "")
        return (
            lead
            + "我现在为您转接同事，他们能看到这段对话，您不需要重复说明。我们的团队每天 9:00–21:00（印度时间）在这里回复，其他时间通过邮件回复。"
        )

    def offer_human(self) -> str:
        return "需要我为您转接人工客服吗？"


def composer_for(language: str, store_name: str = "Aisle Demo Store") -> TemplateComposer:
    """The composer that writes replies in ``language`` ("zh"; anything else gets English)."""
    return ChineseComposer(store_name) if str(getattr(language, "value", language)) == "zh" else TemplateComposer(store_name)


class LangChainComposer:
    """Rephrase a template reply with a LangChain chat model, never adding facts."""

    SYSTEM = (
        "You are the assistant of an online store. Rewrite the DRAFT reply so it is friendly and concise. "
        "Use only the information in DRAFT. Do not add or change any product, price, number, date, order id, policy or promise. "
        "Keep product lists as lists. Reply with the rewritten text only."
    )

    def __init__(self, chat_model: BaseChatModel) -> None:
        self.model = chat_model

    @classmethod
    def from_settings(cls, settings: Settings) -> LangChainComposer:
        a = settings.agent
        if not a.llm_model:
            raise ConfigError('agent.composer = "langchain" needs agent.llm_model (and agent.llm_base_url for a local endpoint)')
        try:
            from langchain.chat_models import init_chat_model

            model = init_chat_model(
                a.llm_model,
                model_provider="openai",
                base_url=a.llm_base_url,
                api_key=a.llm_api_key or "not-needed",
                timeout=a.llm_timeout_s,
            )
        except ImportError as exc:
            raise ConfigError(
                f"the langchain composer needs an OpenAI-compatible provider package: pip install langchain-openai ({exc})"
            ) from exc
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
        except Exception as exc:
            log.warning("chat model failed, using the template reply: %s", exc, exc_info=True)
            return draft
        if not self.grounded(text, draft):
            log.info("chat model rewrite rejected (added facts); using the template reply")
            return draft
        return text
