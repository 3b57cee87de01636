"""The redaction step every store writes through (pure, no model): what it must remove, what it must keep."""

from __future__ import annotations

import logging

import pytest

from agent.privacy import PiiKind, StoreSecret, find_emails, find_pii, install_log_redaction, redact, redact_json

pytestmark = pytest.mark.unit  # model-free: part of `make test-unit`

pytestmark = pytest.mark.unit

# (message, the raw values that must not survive, the tags that must appear)
CORPUS: list[tuple[str, list[str], list[str]]] = [
    # e-mails: plain, internationalised, spelled out, full-width, inside Chinese
    ("my email is bob@example.com", ["bob@example.com", "bob@"], ["[EMAIL]"]),
    ("write to Priya.Sharma+shop@Mail.Example.co.in now", ["Priya.Sharma", "Example.co.in"], ["[EMAIL]"]),
    ("mail me at priya at gmail dot com please", ["priya", "gmail"], ["[EMAIL]"]),
    ("priya [at] gmail [dot] com", ["priya", "gmail"], ["[EMAIL]"]),
    ("it's priya (at) yahoo (dot) co (dot) in", ["priya", "yahoo"], ["[EMAIL]"]),
    ("PRIYA AT GMAIL DOT COM", ["PRIYA", "GMAIL"], ["[EMAIL]"]),
    ("priya.sharma92 at the rate gmail dot co dot in", ["priya.sharma92", "gmail"], ["[EMAIL]"]),
    ("email: priya at gmail.com", ["priya", "gmail"], ["[EMAIL]"]),
    ("contact jürgen.müller@bücher.de for the invoice", ["jürgen", "bücher"], ["[EMAIL]"]),
    ("我的邮箱是用户@例子.广告", ["用户@", "例子.广告"], ["[EMAIL]"]),
    ("邮箱是karan.iyer1@example.com谢谢", ["karan.iyer1", "example.com"], ["[EMAIL]"]),
    ("ｋａｒａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", ["ｋａｒａｎ", "ｅｘａｍｐｌｅ"], ["[EMAIL]"]),
    # phones: Indian, international, separators, glued, spelled, Chinese
    ("call +91 98765 43210 after 5", ["98765", "43210"], ["[PHONE]"]),
    ("my number is 098765-43210", ["98765", "43210"], ["[PHONE]"]),
    ("mobile 9876543210", ["9876543210"], ["[PHONE]"]),
    ("ring me on 98765.43210 or 987-654-3210", ["98765", "43210", "654-3210"], ["[PHONE]"]),
    ("call9876543210now", ["9876543210"], ["[PHONE]"]),
    ("whatsapp+919876543210", ["9876543210"], ["[PHONE]"]),
    ("landline 022-2345 6789", ["2345 6789"], ["[PHONE]"]),
    ("UK office +44 20 7946 0958, US (415) 555-2671, 0044 20 7946 0958", ["7946", "555-2671"], ["[PHONE]"]),
    ("nine eight seven six five four three two one zero", ["nine eight seven"], ["[PHONE]"]),
    ("我的电话是13812345678，请回电", ["13812345678"], ["[PHONE]"]),
    ("请打+86 138 1234 5678", ["138 1234 5678"], ["[PHONE]"]),
    ("电话１３８１２３４５６７８", ["１３８１２３４５６７８"], ["[PHONE]"]),
    ("phone: 2345 6789", ["2345 6789"], ["[PHONE]"]),
    # cards: any separators, Luhn-checked
    ("card 4111 1111 1111 1111 exp 12/29", ["4111", "1111 1111"], ["[CARD]"]),
    ("4111.1111.1111.1111", ["4111"], ["[CARD]"]),
    ("charged on 4111-1111-1111-1111", ["4111"], ["[CARD]"]),
    ("5500 0000 0000 0004 and amex 3782 822463 10005", ["5500", "3782", "822463"], ["[CARD]"]),
    ("card no 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", ["4 1 1 1"], ["[CARD]"]),
    ("卡号4111111111111111", ["4111111111111111"], ["[CARD]"]),
    # addresses
    ("send it to 221B Baker Street, London", ["221B", "Baker"], ["[ADDRESS]"]),
    ("flat 302, Sai Residency, Andheri West, Mumbai 400053", ["302", "Sai Residency", "Andheri", "400053"], ["[ADDRESS]"]),
    ("deliver to house no 12, sector 15, Noida 201301 tomorrow", ["12, sector", "Noida", "201301"], ["[ADDRESS]"]),
    ("H.No 12-3-456, Banjara Hills, Hyderabad", ["12-3-456", "Banjara"], ["[ADDRESS]"]),
    ("plot #45, 2nd Cross, Indiranagar, Bangalore - 560038", ["#45", "Indiranagar", "560038"], ["[ADDRESS]"]),
    ("12 MG Road, Pune", ["12 MG Road"], ["[ADDRESS]"]),
    ("#14/2 5th Main Road, HSR Layout", ["14/2", "HSR"], ["[ADDRESS]"]),
    ("my pincode is 560 001", ["560 001"], ["[ADDRESS]"]),
    ("I live in Chennai 600041", ["600041"], ["[ADDRESS]"]),
    ("送到北京市朝阳区建国路88号3单元502室", ["建国路88号", "502室"], ["[ADDRESS]"]),
    # other ids
    ("aadhaar 2345 6789 0123", ["2345 6789 0123"], ["[ID]"]),
    ("my aadhar number is 234567890123", ["234567890123"], ["[ID]"]),
    ("PAN ABCDE1234F please", ["ABCDE1234F"], ["[ID]"]),
    ("pan card abcde1234f", ["abcde1234f"], ["[ID]"]),
    ("pay to priya@okaxis or 9876543210@ybl", ["priya@okaxis", "9876543210"], ["[ID]"]),
    ("GSTIN 27ABCDE1234F1Z5", ["27ABCDE1234F1Z5"], ["[ID]"]),
    ("passport number A1234567", ["A1234567"], ["[ID]"]),
    ("account number 123456789012345", ["123456789012345"], ["[ID]"]),
    ("身份证号11010519491231002X", ["11010519491231002X"], ["[ID]"]),
    # several kinds in one message, around an order id that must stay
    (
        "I'm bob@example.com, call +91 98765 43210, card 4111 1111 1111 1111, 221B Baker Street, pin 560001; order ORD-10234 cost ₹1,299",
        ["bob@", "98765", "4111", "Baker", "560001"],
        ["[EMAIL]", "[PHONE]", "[CARD]", "[ADDRESS]"],
    ),
    ("我的订单ORD-17004在哪里？电话13812345678，邮箱a.b@example.cn", ["13812345678", "a.b@"], ["[PHONE]", "[EMAIL]"]),
]

# what analysts, staff and the learning loop need: never touched
KEEP = [
    "where is my order ORD-10234?",
    "order #55555 and ord 12345 and ORD-9876543210",
    "我的订单ORD-17004在哪里",
    "red sandals under 500, size 8, for ₹1,299",
    "phones under ₹15,000 with 8gb ram and 128 gb storage",
    "2 cross body bags, a 1tb hard drive and 3 block heels",
    "delivered on 2026-11-03 at 10:30",
    "maserati time r8851116001 analog watch - for boys",
    "it is available at amazon dot in and only at flipkart.com",
    "how long does delivery take to my city?",
    "I paid 1299 rupees for a room heater",
    "what is the capital of peru",
    "change the pin on my bank account to 1234",
    "model number 1305977, 4 pack",
    "1 2 3 4 5 6",
    "红色的连衣裙多少钱？",
]


@pytest.mark.parametrize(("text", "raw", "tags"), CORPUS, ids=[c[0][:40] for c in CORPUS])
def test_personal_data_is_replaced_by_tags(text: str, raw: list[str], tags: list[str]) -> None:
    out = redact(text)
    for value in raw:
        assert value not in out, f"{value!r} survived in {out!r}"
    for tag in tags:
        assert tag in out, f"{tag} missing in {out!r}"
    assert redact(out) == out  # idempotent: a stored text redacted twice is the same


@pytest.mark.parametrize("text", KEEP)
def test_order_ids_prices_and_products_are_kept(text: str) -> None:
    assert redact(text) == text


def test_order_id_survives_next_to_personal_data() -> None:
    out = redact("cancel ORD-17004, my email is karan@example.com and phone 9876543210")
    assert "ORD-17004" in out and "karan" not in out and "9876543210" not in out


def test_luhn_separates_cards_from_other_long_numbers() -> None:
    assert [f.kind for f in find_pii("4111 1111 1111 1111")] == [PiiKind.CARD]
    assert [f.kind for f in find_pii("1234 5678 9012 3456")] == [PiiKind.ID]  # not Luhn-valid: still redacted, not a card


def test_tags_carry_no_trace_of_the_value() -> None:
    a, b = redact("mail a1@example.com"), redact("mail b2@example.com")
    assert a == b == "mail [EMAIL]"  # no per-value hash that a dictionary attack could reverse


def test_spelled_out_emails_are_understood_for_verification() -> None:
    assert find_emails("it's priya.s at gmail dot com") == ["priya.s@gmail.com"]
    assert find_emails("priya [at] gmail [dot] co [dot] in") == ["priya@gmail.co.in"]
    assert find_emails("邮箱是Karan.Iyer1@Example.com谢谢") == ["karan.iyer1@example.com"]
    assert find_emails("available at amazon dot in") == []


def test_json_values_and_keys_are_redacted() -> None:
    state = {
        "last_query": "deliver to flat 302, Sai Residency, Mumbai 400053",
        "verified": {"ORD-10234": 1.0},
        "notes": ["call 9876543210"],
        "n": 3,
    }
    clean = redact_json(state)
    assert "Sai" not in str(clean) and "9876543210" not in str(clean)
    assert clean["verified"] == {"ORD-10234": 1.0} and clean["n"] == 3


def test_store_secret_is_random_per_store_and_private(tmp_path) -> None:
    a = StoreSecret.load_or_create(tmp_path / "a")
    b = StoreSecret.load_or_create(tmp_path / "b")
    assert a.key != b.key and len(a.key) == 32
    assert StoreSecret.load_or_create(tmp_path / "a") == a  # created once
    assert (tmp_path / "a" / "secret.key").stat().st_mode & 0o077 == 0
    d = a.digest("Bob@Example.com ", "email")
    assert a.matches(d, "bob@example.com", "email") and not b.matches(d, "bob@example.com", "email")
    assert a.digest("x", "email") != a.digest("x", "session")  # purposes are separated


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    with caplog.at_level(logging.INFO):
        logging.getLogger("agent.test").info("shopper %s wrote from %s", "priya@example.com", "+91 98765 43210")
    assert "priya@example.com" not in caplog.text and "98765" not in caplog.text
    assert "[EMAIL]" in caplog.text and "[PHONE]" in caplog.text
