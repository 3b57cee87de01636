"""Seeded generator for the shopping intents no public dataset has.

``product_search``, ``product_question`` and ``recommendation`` utterances are produced from
templates filled with the store's *real* catalog values (categories, brands, colours,
titles, price levels), with varied price phrasings ("under 500", "between 1k and 2k",
"₹800 or less"), casual register, and injected typos.

Leak-free by construction: the template list of each intent is split in two, and train
examples only use train templates while dev examples only use dev templates, so the dev
score measures generalisation to *unseen phrasings*, not memorised ones. Each example's
``group`` is its template id.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

from finetune.schema import CatalogFacts, Example

SEARCH_TEMPLATES = [
    "{color} {cat}", "{cat} {price}", "show me {color} {cat} {price}", "do you have {cat}?", "i'm looking for {brand} {cat}",
    "{gender} {cat} {price}", "need a {cat} {price}", "any {cat} in {color}?", "search for {cat}", "find me cheap {cat}",
    "looking for a {color} {cat} for {gender_for}", "i want to buy {cat}", "got any {brand} stuff?", "{cat} for {gender_for} {price}",
    "can you show me some {cat}", "{brand} {cat}", "list {color} {cat}", "what {cat} do you sell?", "show {cat}",
    "i need new {cat} {price}", "{cat} please", "do you sell {brand}?", "browse {cat}", "display all {cat} {price}",
    "cheaper ones", "show me more", "any in {color}?", "in {color} please", "only {brand} please", "something {price}",
    "do you carry {cat} for {gender_for}", "where can i find {cat} on your site", "shopping for {cat} today", "{color} ones",
    "have {cat} in stock?", "are there any {cat} {price}", "want {color} {cat}", "show me the cheapest {cat}",
    "i'd like to see {cat} from {brand}", "{cat} options {price}", "get me {cat}", "need {color} {cat} urgently",
]
QUESTION_TEMPLATES = [
    "is the {title} available in {color}?", "what material is the {title} made of?", "does the {title} come in size {size}?",
    "does it come in XL?", "is the second one machine washable?", "what's the price of the {title}?", "tell me more about the first one",
    "is it true to size?", "what colours does the {title} come in?", "is the {title} suitable for kids?", "how big is the {title}?",
    "does the third one have a warranty?", "is the {title} waterproof?", "what is the fabric of the second one",
    "is that one in stock", "can you tell me the dimensions of the {title}", "does the {title} have good reviews?",
    "how much does the first one cost", "is the {brand} one leather?", "what's the rating of the {title}",
    "details of the second item please", "is the {title} a {color} one?", "which size is the {title}", "more info on the last one",
    "does this {cat} have a zip?", "what does the {title} look like", "is this one for men or women?", "who makes the {title}?",
    "can i wash the first one at home", "what is it made of", "does the {title} come with a box?", "tell me about the {title}",
    "is the {brand} {cat} genuine leather", "how heavy is the second one", "whats the material of the first one", "specs of the {title}?",
]
RECOMMEND_TEMPLATES = [
    "what would you recommend for {occasion}?", "suggest a gift for my {relation} {price}", "what's a good {cat} for {gender_for}?",
    "recommend something similar", "what goes well with the {title}?", "any suggestions for a birthday gift?", "which {cat} should i buy?",
    "help me choose a {cat}", "what's popular in {cat}?", "show me something similar to the {title}", "what do you suggest for a {age} year old?",
    "i need gift ideas for {occasion}", "what's your best {cat} {price}", "can you recommend a {cat}", "what matches a {color} {cat}?",
    "recommend me something for {relation}", "best {cat} for {occasion}", "what should i get my {relation}?", "any recommendations?",
    "what else would go with this", "similar items please", "suggest {cat} for {gender_for}", "what's trending right now",
    "i can't decide, what do you suggest?", "give me some ideas for {occasion}", "top picks in {cat}?", "your favourite {cat}?",
    "which one would you pick", "alternatives to the {title}?", "what do people usually buy with {cat}", "pick something nice {price}",
    "recommend a present for my {relation} who likes {cat}", "what's good for {occasion} {price}", "need advice on {cat}",
]
# Store questions that *mention* products: without them the router learns "product noun ⇒ search"
# and sends "can I return earrings?" to product search.
POLICY_TEMPLATES: dict[str, list[str]] = {
    "check_refund_policy": ["can i return {cat}?", "is the {cat} returnable", "what's the return policy for {cat}", "how many days do i have to return a {cat}",
                            "can i send back the {cat} if it doesn't fit", "are {cat} eligible for return", "return rules for {cat}?", "can {cat} be returned after use"],
    "delivery_period": ["how long does delivery of {cat} take", "when will the {cat} arrive if i order today", "how many days to deliver {cat}",
                        "if i buy the {title} now when does it come", "delivery time for {cat}?", "how fast can you deliver the {title}"],
    "delivery_options": ["do you deliver {cat} outside the city", "is express shipping available for {cat}", "shipping charges for {cat}?",
                         "can the {title} be delivered by express", "is there free delivery on {cat}", "what delivery options for the {title}"],
    "check_payment_methods": ["can i pay for the {cat} with upi", "is cash on delivery available for {cat}", "emi on {cat}?", "can i buy the {title} on emi",
                              "do you take credit cards for {cat}", "payment options for the {title}?"],
    "cancel_order": ["i want to cancel the {cat} i ordered", "cancel my order for the {title}", "please cancel the {cat} order",
                     "i ordered {cat} by mistake, cancel it", "stop the order of {cat}", "don't send the {title}, cancel"],
    "track_order": ["where are the {cat} i ordered", "has my {cat} order shipped", "when will my {title} order arrive", "track the {cat} i bought",
                    "my {cat} order hasn't come yet", "status of my {title} order"],
    "get_refund": ["i want a refund for the {cat}", "i want to return the {title} i bought", "refund me for the {cat} please",
                   "how do i get my money back for the {cat}", "return the {cat} and refund me", "the {title} doesn't fit, i want my money back"],
    "check_cancellation_fee": ["is there a fee to cancel my order", "do you charge for cancelling the {cat} i ordered", "how much does it cost to cancel an order",
                               "cancellation charges for {cat}?", "will i be charged if i cancel the {title}", "is cancelling my {cat} order free",
                               "any penalty for cancelling?", "what's the fee if i cancel my order today"],
    "change_order": ["can i change the size of the {cat} i ordered", "change the colour of the {title} in my order", "add another {cat} to my order",
                     "swap the {cat} in my order for a different one", "modify my {cat} order"],
    "complaint": ["the {cat} i received is broken and nobody helps", "i'm unhappy with the {title} i got", "worst {cat} ever, i want to complain",
                  "the {title} arrived damaged, this is unacceptable", "complaint about the {cat} quality"],
}
MULTILINGUAL_SMALL_TALK: dict[str, list[str]] = {
    "greeting": ["你好", "hola", "bonjour", "namaste", "ciao", "hallo", "salut", "olá", "hey there 👋", "hi 🙂", "नमस्ते", "good day", "buenos días", "привет"],
    "thank_you": ["谢谢", "gracias", "merci", "danke", "shukriya", "dhanyavaad", "obrigado", "thanks a lot 🙏", "thank u", "merci beaucoup", "धन्यवाद", "спасибо"],
    "goodbye": ["再见", "adios", "au revoir", "tschüss", "alvida", "bye 👋", "ciao, bye", "hasta luego", "see ya", "अलविदा", "до свидания", "take care, bye"],
}
OCCASIONS = ["a wedding", "diwali", "a party", "the office", "a birthday", "summer", "winter", "a date night", "the gym", "travel", "college"]
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
            f"under {p}", f"below ₹{p}", f"less than {p} rupees", f"between {k(p)} and {k(hi)}", f"₹{k(p)}-{k(hi)}",
            f"within {p}", f"upto {p}", f"under rs {p}", f"for less than {p}", f"around {p}", f"{p} or less",
            f"max {p}", f"over {p}", f"above ₹{p}", f"from {p} to {hi}", f"budget {p}", f"under {k(p)}", "", "", "",
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
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif op == 1:
        w = w[:j] + w[j + 1:]
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


def _style(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.15:
        text = typo(rng, text)
    elif r < 0.25:
        text = text.lower().rstrip("?")
    elif r < 0.32:
        text = rng.choice(["hi, ", "hey ", "hello! ", "pls ", "um "]) + text
    elif r < 0.38:
        text = text + rng.choice([" please", " thanks", "??", " asap"])
    return text


def split_templates(templates: list[str], dev_every: int = 4) -> tuple[list[str], list[str]]:
    """Deterministic split: every ``dev_every``-th template is dev-only."""
    dev = templates[dev_every - 1 :: dev_every]
    train = [t for i, t in enumerate(templates) if (i + 1) % dev_every]
    return train, dev


def generate_policy(facts: CatalogFacts, split: str, per_intent: int, seed: int) -> Iterator[Example]:
    """Store-policy and order questions that mention catalog items (see ``POLICY_TEMPLATES``)."""
    rng = random.Random(f"{seed}-policy-{split}")
    for intent, templates in POLICY_TEMPLATES.items():
        train_t, dev_t = split_templates(templates, dev_every=3)
        chosen = train_t if split == "train" else dev_t
        seen: set[str] = set()
        for _ in range(per_intent * 20):
            if len(seen) >= per_intent:
                break
            ti = rng.randrange(len(chosen))
            text = _style(rng, _fill(rng, chosen[ti], facts))
            if text.lower() not in seen:
                seen.add(text.lower())
                yield Example(text, intent, source="generated-policy", group=f"policy-{intent}-{split}-t{ti}")


def multilingual_small_talk(split: str) -> Iterator[Example]:
    """A few greetings/thanks/goodbyes in other languages and with emoji (every 3rd held out for dev)."""
    for intent, texts in MULTILINGUAL_SMALL_TALK.items():
        train_t, dev_t = split_templates(texts, dev_every=3)
        for t in train_t if split == "train" else dev_t:
            yield Example(t, intent, source="generated-smalltalk")


def generate(facts: CatalogFacts, split: str, per_intent: int, seed: int) -> Iterator[Example]:
    """``per_intent`` examples for each shopping intent, from that split's templates only."""
    rng = random.Random(f"{seed}-{split}")
    for intent, templates in (
        ("product_search", SEARCH_TEMPLATES),
        ("product_question", QUESTION_TEMPLATES),
        ("recommendation", RECOMMEND_TEMPLATES),
    ):
        train_t, dev_t = split_templates(templates)
        chosen = train_t if split == "train" else dev_t
        seen: set[str] = set()
        attempts = 0
        while len(seen) < per_intent and attempts < per_intent * 20:
            attempts += 1
            ti = rng.randrange(len(chosen))
            text = _style(rng, _fill(rng, chosen[ti], facts))
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            yield Example(text, intent, source="generated", group=f"{intent}-{split}-t{ti}")
