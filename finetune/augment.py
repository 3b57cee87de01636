"""Generated utterances for the intents no public data set has, and style augmentation.

**Generation.** ``product_search``, ``product_question`` and ``recommendation`` utterances
(and store-policy questions that mention products) are produced from templates filled with
the store's *real* catalog values (categories, brands, colours, titles, price levels), with
varied price phrasings ("under 500", "between 1k and 2k", "₹800 or less"). Each example's
``group`` is its template id (``product_search-t12``, no split name in it): the family
splitter (``finetune.splits``) then sends every template family to exactly one split, so a
dev or test score measures *unseen phrasings*, not memorised ones.

**Style augmentation** (``restyle``), for the train split only: the public sources are
clean, shoppers are not. A copy of a training utterance is rewritten in one to three styles
that change how it is said, not what is asked: keyboard typos and dropped letters, casing,
fillers ("umm", "pls", "bro", "kindly"), politeness or rudeness, question ↔ statement,
"hey …" openers, order ids and e-mails inline, a context sentence before the request, and
Hinglish fillers ("yaar", "bhai", "na"). Each style is limited to the labels where it keeps
the meaning (no order id is put into an out-of-scope message; a greeting gets no context
sentence).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

from finetune.schema import CatalogFacts, Example

SEARCH_TEMPLATES = [
    "{color} {cat}",
    "{cat} {price}",
    "show me {color} {cat} {price}",
    "do you have {cat}?",
    "i'm looking for {brand} {cat}",
    "{gender} {cat} {price}",
    "need a {cat} {price}",
    "any {cat} in {color}?",
    "search for {cat}",
    "find me cheap {cat}",
    "looking for a {color} {cat} for {gender_for}",
    "i want to buy {cat}",
    "got any {brand} stuff?",
    "{cat} for {gender_for} {price}",
    "can you show me some {cat}",
    "{brand} {cat}",
    "list {color} {cat}",
    "what {cat} do you sell?",
    "show {cat}",
    "i need new {cat} {price}",
    "{cat} please",
    "do you sell {brand}?",
    "browse {cat}",
    "display all {cat} {price}",
    "cheaper ones",
    "show me more",
    "any in {color}?",
    "in {color} please",
    "only {brand} please",
    "something {price}",
    "do you carry {cat} for {gender_for}",
    "where can i find {cat} on your site",
    "shopping for {cat} today",
    "{color} ones",
    "have {cat} in stock?",
    "are there any {cat} {price}",
    "want {color} {cat}",
    "show me the cheapest {cat}",
    "i'd like to see {cat} from {brand}",
    "{cat} options {price}",
    "get me {cat}",
    "need {color} {cat} urgently",
]
QUESTION_TEMPLATES = [
    "is the {title} available in {color}?",
    "what material is the {title} made of?",
    "does the {title} come in size {size}?",
    "does it come in XL?",
    "is the second one machine washable?",
    "what's the price of the {title}?",
    "tell me more about the first one",
    "is it true to size?",
    "what colours does the {title} come in?",
    "is the {title} suitable for kids?",
    "how big is the {title}?",
    "does the third one have a warranty?",
    "is the {title} waterproof?",
    "what is the fabric of the second one",
    "is that one in stock",
    "can you tell me the dimensions of the {title}",
    "does the {title} have good reviews?",
    "how much does the first one cost",
    "is the {brand} one leather?",
    "what's the rating of the {title}",
    "details of the second item please",
    "is the {title} a {color} one?",
    "which size is the {title}",
    "more info on the last one",
    "does this {cat} have a zip?",
    "what does the {title} look like",
    "is this one for men or women?",
    "who makes the {title}?",
    "can i wash the first one at home",
    "what is it made of",
    "does the {title} come with a box?",
    "tell me about the {title}",
    "is the {brand} {cat} genuine leather",
    "how heavy is the second one",
    "whats the material of the first one",
    "specs of the {title}?",
]
RECOMMEND_TEMPLATES = [
    "what would you recommend for {occasion}?",
    "suggest a gift for my {relation} {price}",
    "what's a good {cat} for {gender_for}?",
    "recommend something similar",
    "what goes well with the {title}?",
    "any suggestions for a birthday gift?",
    "which {cat} should i buy?",
    "help me choose a {cat}",
    "what's popular in {cat}?",
    "show me something similar to the {title}",
    "what do you suggest for a {age} year old?",
    "i need gift ideas for {occasion}",
    "what's your best {cat} {price}",
    "can you recommend a {cat}",
    "what matches a {color} {cat}?",
    "recommend me something for {relation}",
    "best {cat} for {occasion}",
    "what should i get my {relation}?",
    "any recommendations?",
    "what else would go with this",
    "similar items please",
    "suggest {cat} for {gender_for}",
    "what's trending right now",
    "i can't decide, what do you suggest?",
    "give me some ideas for {occasion}",
    "top picks in {cat}?",
    "your favourite {cat}?",
    "which one would you pick",
    "alternatives to the {title}?",
    "what do people usually buy with {cat}",
    "pick something nice {price}",
    "recommend a present for my {relation} who likes {cat}",
    "what's good for {occasion} {price}",
    "need advice on {cat}",
]
# Store questions that *mention* products: without them the router learns "product noun ⇒ search"
# and sends "can I return earrings?" to product search.
POLICY_TEMPLATES: dict[str, list[str]] = {
    "check_refund_policy": [
        "can i return {cat}?",
        "is the {cat} returnable",
        "what's the return policy for {cat}",
        "how many days do i have to return a {cat}",
        "can i send back the {cat} if it doesn't fit",
        "are {cat} eligible for return",
        "return rules for {cat}?",
        "can {cat} be returned after use",
    ],
    "delivery_period": [
        "how long does delivery of {cat} take",
        "when will the {cat} arrive if i order today",
        "how many days to deliver {cat}",
        "if i buy the {title} now when does it come",
        "delivery time for {cat}?",
        "how fast can you deliver the {title}",
    ],
    "delivery_options": [
        "do you deliver {cat} outside the city",
        "is express shipping available for {cat}",
        "shipping charges for {cat}?",
        "can the {title} be delivered by express",
        "is there free delivery on {cat}",
        "what delivery options for the {title}",
    ],
    "check_payment_methods": [
        "can i pay for the {cat} with upi",
        "is cash on delivery available for {cat}",
        "emi on {cat}?",
        "can i buy the {title} on emi",
        "do you take credit cards for {cat}",
        "payment options for the {title}?",
    ],
    "cancel_order": [
        "i want to cancel the {cat} i ordered",
        "cancel my order for the {title}",
        "please cancel the {cat} order",
        "i ordered {cat} by mistake, cancel it",
        "stop the order of {cat}",
        "don't send the {title}, cancel",
    ],
    "track_order": [
        "where are the {cat} i ordered",
        "has my {cat} order shipped",
        "when will my {title} order arrive",
        "track the {cat} i bought",
        "my {cat} order hasn't come yet",
        "status of my {title} order",
    ],
    "get_refund": [
        "i want a refund for the {cat}",
        "i want to return the {title} i bought",
        "refund me for the {cat} please",
        "how do i get my money back for the {cat}",
        "return the {cat} and refund me",
        "the {title} doesn't fit, i want my money back",
    ],
    "check_cancellation_fee": [
        "is there a fee to cancel my order",
        "do you charge for cancelling the {cat} i ordered",
        "how much does it cost to cancel an order",
        "cancellation charges for {cat}?",
        "will i be charged if i cancel the {title}",
        "is cancelling my {cat} order free",
        "any penalty for cancelling?",
        "what's the fee if i cancel my order today",
    ],
    "change_order": [
        "can i change the size of the {cat} i ordered",
        "change the colour of the {title} in my order",
        "add another {cat} to my order",
        "swap the {cat} in my order for a different one",
        "modify my {cat} order",
    ],
    "complaint": [
        "the {cat} i received is broken and nobody helps",
        "i'm unhappy with the {title} i got",
        "worst {cat} ever, i want to complain",
        "the {title} arrived damaged, this is unacceptable",
        "complaint about the {cat} quality",
    ],
}
MULTILINGUAL_SMALL_TALK: dict[str, list[str]] = {
    "greeting": [
        "你好",
        "hola",
        "bonjour",
        "namaste",
        "ciao",
        "hallo",
        "salut",
        "olá",
        "hey there 👋",
        "hi 🙂",
        "नमस्ते",
        "good day",
        "buenos días",
        "привет",
    ],
    "thank_you": [
        "谢谢",
        "gracias",
        "merci",
        "danke",
        "shukriya",
        "dhanyavaad",
        "obrigado",
        "thanks a lot 🙏",
        "thank u",
        "merci beaucoup",
        "धन्यवाद",
        "спасибо",
    ],
    "goodbye": [
        "再见",
        "adios",
        "au revoir",
        "tschüss",
        "alvida",
        "bye 👋",
        "ciao, bye",
        "hasta luego",
        "see ya",
        "अलविदा",
        "до свидания",
        "take care, bye",
    ],
}
OCCASIONS = [
    "a wedding",
    "diwali",
    "a party",
    "the office",
    "a birthday",
    "summer",
    "winter",
    "a date night",
    "the gym",
    "travel",
    "college",
]
RELATIONS = ["mom", "dad", "wife", "husband", "sister", "brother", "girlfriend", "boyfriend", "friend", "son", "daughter", "boss"]
GENDER_WORDS = ["women's", "men's", "ladies", "mens", "kids", "girls", "boys"]
GENDER_FOR = ["women", "men", "kids", "my wife", "my husband", "a teenager", "girls", "boys"]
SIZES = ["S", "M", "L", "XL", "8", "9", "10", "32", "free size"]


def price_phrase(rng: random.Random, prices: list[float]) -> str:
    """A price constraint phrased one of many ways, at a level seen in the catalog."""
    p = rng.choice(prices) if prices else 999.0
    p = max(100, int(round(p, -2)))
    hi = p * rng.choice([2, 3])
    k = lambda v: f"{v / 1000:g}k" if v >= 1000 and v % 500 == 0 else f"{v}"
    return rng.choice(
        [
            f"under {p}",
            f"below ₹{p}",
            f"less than {p} rupees",
            f"between {k(p)} and {k(hi)}",
            f"₹{k(p)}-{k(hi)}",
            f"within {p}",
            f"upto {p}",
            f"under rs {p}",
            f"for less than {p}",
            f"around {p}",
            f"{p} or less",
            f"max {p}",
            f"over {p}",
            f"above ₹{p}",
            f"from {p} to {hi}",
            f"budget {p}",
            f"under {k(p)}",
            "",
            "",
            "",
        ]
    )


def typo(rng: random.Random, text: str) -> str:
    """One keyboard-style typo: swap, drop or double a letter in a word of 4+ letters."""
    words = text.split()
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.randrange(3)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def _short_title(title: str) -> str:
    words = re.sub(r"[^\w\s'-]", " ", title).split()
    return " ".join(words[: min(len(words), 4)])


def _fill(rng: random.Random, template: str, facts: CatalogFacts) -> str:
    values = {
        "color": rng.choice(facts.colors or ["red"]),
        "cat": rng.choice(facts.categories or ["shoes"]),
        "brand": rng.choice(facts.brands or ["acme"]),
        "title": _short_title(rng.choice(facts.titles or ["blue shirt"])),
        "price": price_phrase(rng, facts.prices),
        "gender": rng.choice(GENDER_WORDS),
        "gender_for": rng.choice(GENDER_FOR),
        "size": rng.choice(SIZES),
        "occasion": rng.choice(OCCASIONS),
        "relation": rng.choice(RELATIONS),
        "age": str(rng.randint(3, 70)),
    }
    text = template.format(**values)
    return re.sub(r"\s+", " ", text).strip()


def split_templates(templates: list[str], dev_every: int = 4) -> tuple[list[str], list[str]]:
    """Deterministic two-way split: every ``dev_every``-th template is held out (the loop simulation's shifted slice)."""
    dev = templates[dev_every - 1 :: dev_every]
    train = [t for i, t in enumerate(templates) if (i + 1) % dev_every]
    return train, dev


def _from_templates(
    rng: random.Random, intent: str, templates: list[str], facts: CatalogFacts, n: int, source: str
) -> Iterator[Example]:
    """``n`` distinct fillings spread evenly over the templates; ``group`` = template id."""
    seen: set[str] = set()
    for attempt in range(n * 20):
        if len(seen) >= n:
            break
        ti = attempt % len(templates)
        text = _fill(rng, templates[ti], facts)
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        yield Example(text, intent, source=source, group=f"{intent}-t{ti}")


def generate(facts: CatalogFacts, per_intent: int, seed: int) -> Iterator[Example]:
    """``per_intent`` examples for each shopping intent, from all of its templates."""
    rng = random.Random(f"{seed}-shopping")
    for intent, templates in (
        ("product_search", SEARCH_TEMPLATES),
        ("product_question", QUESTION_TEMPLATES),
        ("recommendation", RECOMMEND_TEMPLATES),
    ):
        yield from _from_templates(rng, intent, templates, facts, per_intent, "generated")


def generate_policy(facts: CatalogFacts, per_intent: int, seed: int) -> Iterator[Example]:
    """Store-policy and order questions that mention catalog items (see ``POLICY_TEMPLATES``)."""
    rng = random.Random(f"{seed}-policy")
    for intent, templates in POLICY_TEMPLATES.items():
        yield from _from_templates(rng, intent, templates, facts, per_intent, "generated-policy")


def multilingual_small_talk() -> Iterator[Example]:
    """A few greetings/thanks/goodbyes in other languages and with emoji (each its own family)."""
    for intent, texts in MULTILINGUAL_SMALL_TALK.items():
        for t in texts:
            yield Example(t, intent, source="generated-smalltalk")


# --- style augmentation ------------------------------------------------------------------------
SMALL_TALK_LABELS = frozenset({"greeting", "goodbye", "thank_you"})
ORDER_LABELS = frozenset(
    {
        "track_order",
        "cancel_order",
        "change_order",
        "get_refund",
        "track_refund",
        "get_invoice",
        "check_invoice",
        "payment_issue",
        "complaint",
        "change_shipping_address",
        "check_cancellation_fee",
    }
)
ACCOUNT_LABELS = frozenset(
    {
        "create_account",
        "delete_account",
        "edit_account",
        "recover_password",
        "registration_problems",
        "switch_account",
        "newsletter_subscription",
    }
)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[k] for k in (_c - 1, _c + 1) if 0 <= k < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_KEYBOARD_ROWS):
                near += [_KEYBOARD_ROWS[_other][k] for k in (_c - 1, _c) if 0 <= k < len(_KEYBOARD_ROWS[_other])]
        _NEIGHBOURS[_ch] = "".join(near)

FILLERS_BEFORE = ["umm ", "uh ", "ok so ", "pls ", "bro ", "kindly ", "so basically ", "yo ", "hmm "]
FILLERS_AFTER = [" pls", " plz", " bro", " asap", " thx", " ok?", " ...", " lol"]
POLITE = [
    ("could you please help, ", ""),
    ("kindly ", ""),
    ("", " please"),
    ("", ", thank you so much"),
    ("hello, ", ", thanks in advance"),
    ("sorry to bother you but ", ""),
    ("", " kindly do the needful"),
]
RUDE = [
    ("seriously, ", ""),
    ("ugh ", ""),
    ("", "!!!"),
    ("", " asap!!"),
    ("", ", answer me"),
    ("come on, ", ""),
    ("", ". useless"),
]
OPENERS = ["hey ", "hi, ", "hello ", "hey there, ", "hi team, ", "good morning, ", "hello sir, ", "hii "]
HINGLISH_BEFORE = ["bhai ", "yaar ", "arre ", "ji ", "sun na, "]
HINGLISH_AFTER = [" yaar", " bhai", " na", " please na", " jaldi", " ji", " jaldi batao", " kya?"]
CONTEXT_ANY = [
    "quick question.",
    "i have a doubt.",
    "need some help here.",
    "first time using this chat.",
    "sorry if this is a silly question.",
    "i tried the faq already.",
]
CONTEXT_ORDER = [
    "i ordered a kurta last week.",
    "placed an order on monday.",
    "i bought a watch from you guys.",
    "my sister ordered something for me.",
    "got a parcel yesterday.",
    "i paid online for my order.",
]
CONTEXT_ACCOUNT = [
    "i have an account with you.",
    "i signed up last year.",
    "i use this site a lot.",
    "my wife made the account for me.",
]
EMAILS = ["priya.s@gmail.com", "rahul_k88@yahoo.in", "anu.m@outlook.com", "vikram1990@gmail.com", "sana.q@rediffmail.com"]
_Q_TO_S = [
    (re.compile(r"^(?:can|could) (?:you|u) (?:please )?(.+?)\??$", re.IGNORECASE), "please {0}"),
    (re.compile(r"^(?:can|could|may) i (.+?)\??$", re.IGNORECASE), "i want to {0}"),
    (re.compile(r"^how (?:can|do|could) i (.+?)\??$", re.IGNORECASE), "i need to {0}, tell me how"),
    (re.compile(r"^(?:where|how) (?:can|do) i (?:check|see|find) (.+?)\??$", re.IGNORECASE), "need to check {0}"),
]
_S_TO_Q = [
    (re.compile(r"^i (?:want|need|would like|'d like|wanna) to (.+?)[.!]?$", re.IGNORECASE), "can i {0}?"),
    (re.compile(r"^i (?:want|need|would like|'d like) (.+?)[.!]?$", re.IGNORECASE), "can i get {0}?"),
    (re.compile(r"^please (.+?)[.!]?$", re.IGNORECASE), "can you {0}?"),
]


def _neighbour_typo(rng: random.Random, text: str) -> str:
    words = text.split()
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha() and w.isascii()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w))
    ch = w[j].lower()
    if ch not in _NEIGHBOURS:
        return text
    words[i] = w[:j] + rng.choice(_NEIGHBOURS[ch]) + w[j + 1 :]
    return " ".join(words)


def _drop_letter(rng: random.Random, text: str) -> str:
    words = text.split()
    idx = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    j = rng.randrange(1, len(words[i]) - 1)
    words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


def _casing(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.55:
        return re.sub(r"[.?!]+$", "", text.lower())
    if r < 0.75:
        return text.upper()
    return text[:1].upper() + text[1:] if text[:1].islower() else text.lower()


def _flip_mood(rng: random.Random, text: str) -> str:
    """Question ↔ statement where a simple pattern allows it; otherwise drop or add the question mark."""
    body = text.strip()
    for pattern, fmt in (
        _Q_TO_S if body.endswith("?") or re.match(r"^(can|could|may|how|where)\b", body, re.IGNORECASE) else _S_TO_Q
    ):
        m = pattern.match(body)
        if m:
            return fmt.format(m.group(1).rstrip(" ?.!"))
    return body.rstrip("?") if body.endswith("?") else body.rstrip(".!") + "?"


def _order_id(rng: random.Random) -> str:
    return rng.choice(["ORD-", "ORD-", "ord-", "ORD", "#"]) + str(rng.randint(10000, 99999))


def _inline_id(rng: random.Random, text: str, intent: str) -> str:
    if intent in ACCOUNT_LABELS:
        email = rng.choice(EMAILS)
        return rng.choice(
            [f"{text} my email is {email}", f"{text} ({email})", f"{email} - {text}", f"{text}, registered with {email}"]
        )
    oid = _order_id(rng)
    if re.search(r"\bmy order\b", text, re.IGNORECASE) and rng.random() < 0.6:
        return re.sub(r"\bmy order\b", f"my order {oid}", text, count=1, flags=re.IGNORECASE)
    return rng.choice([f"{text} {oid}", f"{oid} {text}", f"{text}, order {oid}", f"order no {oid}. {text}"])


def _context(rng: random.Random, text: str, intent: str) -> str:
    pool = CONTEXT_ORDER if intent in ORDER_LABELS else CONTEXT_ACCOUNT if intent in ACCOUNT_LABELS else CONTEXT_ANY
    ctx = rng.choice(pool)
    return f"{ctx} {text}" if rng.random() < 0.8 else f"{text}. {ctx}"


def _around(rng: random.Random, text: str, pairs: list[tuple[str, str]]) -> str:
    before, after = rng.choice(pairs)
    return before + text.rstrip(" .?!") + after


def _wrap(rng: random.Random, text: str, before: list[str], after: list[str]) -> str:
    return rng.choice(before) + text if rng.random() < 0.5 else text.rstrip(" .?!") + rng.choice(after)


STYLES: dict[str, Callable[[random.Random, str, str], str]] = {
    "typo": lambda rng, t, _i: _neighbour_typo(rng, t) if rng.random() < 0.5 else typo(rng, t),
    "dropped_letter": lambda rng, t, _i: _drop_letter(rng, t),
    "casing": lambda rng, t, _i: _casing(rng, t),
    "filler": lambda rng, t, _i: _wrap(rng, t, FILLERS_BEFORE, FILLERS_AFTER),
    "polite": lambda rng, t, _i: _around(rng, t, POLITE),
    "rude": lambda rng, t, _i: _around(rng, t, RUDE),
    "question_statement": lambda rng, t, _i: _flip_mood(rng, t),
    "opener": lambda rng, t, _i: rng.choice(OPENERS) + t,
    "inline_id": _inline_id,
    "two_sentences": _context,
    "hinglish": lambda rng, t, _i: _wrap(rng, t, HINGLISH_BEFORE, HINGLISH_AFTER),
}


def styles_for(intent: str) -> list[str]:
    """The styles that keep ``intent``'s meaning."""
    if intent in SMALL_TALK_LABELS:
        return ["typo", "casing", "filler", "hinglish"]
    names = ["typo", "dropped_letter", "casing", "filler", "polite", "rude", "question_statement", "opener", "hinglish"]
    if intent in ORDER_LABELS | ACCOUNT_LABELS:
        names.append("inline_id")
    if intent not in {"are_you_a_bot", "what_can_i_ask_you"}:
        names.append("two_sentences")
    return names


def restyle(rng: random.Random, text: str, intent: str, max_styles: int = 3) -> tuple[str, list[str]]:
    """``text`` rewritten in one to ``max_styles`` styles that suit ``intent``; returns the text and the styles applied."""
    names = styles_for(intent)
    k = min(max_styles, rng.choice([1, 1, 2, 2, 3]))
    chosen = rng.sample(names, min(k, len(names)))
    # casing last so that it applies to everything added before it; typos after fillers would garble them
    chosen.sort(key=lambda n: (n == "casing", n in ("typo", "dropped_letter")))
    out = text
    for name in chosen:
        out = STYLES[name](rng, out, intent)
    out = re.sub(r"\s+", " ", out).strip()
    return out, chosen


def augment_styles(examples: list[Example], per_label: dict[str, int], seed: int) -> list[Example]:
    """Restyled copies of ``examples`` (train only), up to ``per_label[intent]`` per label, spread over the rows.

    Copies keep the original's ``group`` (its family, hence its split) and record the styles in
    ``meta["style"]``; ``source`` is ``augmented:<original source>``.
    """
    rng = random.Random(f"{seed}-restyle")
    by_label: dict[str, list[Example]] = {}
    for ex in examples:
        by_label.setdefault(ex.intent, []).append(ex)
    out: list[Example] = []
    for label in sorted(by_label):
        rows = list(by_label[label])
        rng.shuffle(rows)
        want = per_label.get(label, 0)
        seen = {r.text.lower() for r in rows}
        made = 0
        for k in range(want * 3):
            if made >= want or not rows:
                break
            src = rows[k % len(rows)]
            text, styles = restyle(rng, src.text, label)
            if text.lower() in seen or not text:
                continue
            seen.add(text.lower())
            out.append(Example(text, label, f"augmented:{src.source.split(':')[0]}", src.group, 1.0, {"style": styles}))
            made += 1
    return out
