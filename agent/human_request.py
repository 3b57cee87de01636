"""Does the shopper explicitly ask for a person? (An explicit request must always reach one.)

The router's ``contact_human_agent`` catches most requests, but a request for a person is the one
intent where a miss is never acceptable: a shopper who asked for a human and got another bot answer
leaves. So the policy also asks this detector, which reads the message's *structure* rather than
matching known phrasings:

* a **person word** ("human", "agent", "representative", "executive", "staff", "insaan", "banda", …,
  misspellings within one edit such as "hmuan", "agnet", "represntative"; "someone"/"somebody" only
  when qualified: "someone from your team", "someone real", "speak to someone") that is
* **asked for**: a request word shortly before it ("talk to", "connect me with", "get me", "i need",
  "callback from"), a request tail after it ("… pls", "… now", "… se baat karao", "… i can chat with"),
  or the person word is nearly the whole message ("human.", "real agent pls");
* or the message **turns the bot down** ("stop the bot", "done talking to a robot", "bot nahi chahiye").

Not requests: questions about the assistant ("are you a real person?"), contact details ("customer
care number", "phone number of the manager"), third parties ("the delivery agent was rude", "a sales
agent", "a human at my bank") and negated requests ("no need to connect me to anyone").

Tuned on the hand-written handoff dev set (``aisle/data/eval/devwild/handoff.jsonl``, ``aisle eval
handoff``), never on the wild sets.
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical person words; the long ones also match misspellings one edit away
_PERSON_WORDS = frozenset(
    {
        "human", "humans", "hooman", "person", "persons", "people", "agent", "agents", "representative",
        "representatives", "rep", "reps", "operator", "executive", "executives", "staff", "supervisor", "manager",
        "employee", "employees", "colleague", "insaan", "insan", "aadmi", "admi", "banda", "bande", "associate",
    }
)  # fmt: skip
_FUZZY_TARGETS = ("human", "person", "agent", "representative", "operator", "executive", "supervisor", "employee")
_SOMEONE = frozenset({"someone", "somebody", "anyone", "anybody"})
_ORG = frozenset({"team", "support", "company", "staff", "store", "side", "customer", "care", "service", "end", "shop"})
# "support team", "customer care": a person word only when it is what the shopper wants to be put through to
_DESK_WORDS = frozenset({"support", "care", "service", "helpdesk", "desk"})
_PUT_THROUGH = frozenset({"connect", "conect", "transfer", "transferred", "put", "chat", "talk", "speak"})
_REQUEST_BEFORE = frozenset(
    {
        "talk", "talking", "speak", "speaking", "chat", "chatting", "connect", "conect", "connected", "transfer",
        "transferred", "escalate", "put", "get", "give", "want", "wanna", "need", "needed", "like", "arrange",
        "switch", "hand", "pass", "bring", "send", "callback", "call", "contact", "reach", "prefer", "require",
        "request", "explain", "allot", "assign",
    }
)  # fmt: skip
_REQUEST_AFTER = frozenset(
    {
        "pls", "please", "plz", "plss", "now", "asap", "immediately", "chahiye", "chaiye", "bulao", "baat", "bat",
        "milao", "karao", "karwao", "connect", "conect", "talk", "speak", "chat",
        "needed", "required", "available", "online", "line",
    }
)  # fmt: skip
# words between a request word and the person word that make it a question about the bot or a report
_BLOCKERS = frozenset(
    {"if", "whether", "are", "am", "is", "was", "were", "know", "number", "email", "phone", "name", "how", "bot", "robot", "ai"}
)
# tails that ask only with an object: "take this chat", "call me", "contact me"
_TAIL_PAIRS = frozenset({("take", "this"), ("take", "over"), ("take", "my"), ("call", "me"), ("contact", "me"), ("call", "back")})
# "agent" names many things besides a support agent ("cleaning agent", "travel agent"): before it, only these
_AGENT_MODIFIERS = frozenset(
    {
        "a", "an", "the", "any", "some", "your", "ur", "one", "real", "live", "actual", "human", "proper", "genuine",
        "customer", "support", "service", "care", "chat", "helpdesk", "to", "with", "me", "mujhe", "koi", "kisi", "ek",
        "ok", "pls", "please", "plz", "another", "senior", "hi", "hey", "hello",
    }
)  # fmt: skip
_PRONOUNS = frozenset({"them", "him", "her", "usse", "unse", "unko", "usko", "one"})
_THIRD_PARTY = frozenset(
    {
        "delivery", "courier", "sales", "travel", "insurance", "bank", "banks", "warehouse", "estate",
        "booking", "shipping", "field", "pickup",
    }
)  # fmt: skip
_CONTACT_DETAIL = frozenset({"number", "email", "mail", "phone", "address", "name", "contact", "details", "id"})
_NEGATIONS = frozenset({"no", "not", "don't", "dont", "never", "without", "nahi", "nhi", "mat"})
_ABOUT_THE_ASSISTANT = re.compile(
    r"^\W*(?:am i|are you|r u|are u|is this|is it|is that|you are|u r|ur|you're)\s+(?:\w+\s+){0,3}?(?:a |an )?"
    r"(?:bot|robot|human|person|real|ai|machine|automated|program|talking|chatting|speaking|live)\b"
)
_BOT_WORDS = frozenset({"bot", "bots", "robot", "robots", "chatbot", "chatbots", "machine", "automated", "automatic"})
# "ai" is also Hinglish for "came" ("otp nahi ai"): the assistant only after a determiner ("this ai", "an ai")
_AI_DETERMINERS = frozenset({"an", "the", "this", "your", "ur", "stupid", "dumb", "useless"})
_BOT_REFUSALS = frozenset(
    {
        "no", "not", "don't", "dont", "stop", "enough", "hate", "without", "instead", "rather", "tired", "sick", "fed",
        "done", "off", "useless", "stupid", "dumb", "pathetic", "band", "nahi", "nhi", "mat", "bakwas", "bekaar",
        "bekar", "quit", "bye",
    }
)  # fmt: skip
_FILLERS = frozenset(
    {
        "a", "an", "the", "some", "any", "your", "ur", "one", "real", "actual", "live", "proper", "genuine", "hi",
        "hey", "hello", "ok", "okay", "just", "me", "to", "with", "i", "u", "you", "my", "for", "of", "sir",
        "maam", "bro", "bhai", "yaar", "kindly", "enough", "only", "customer", "support", "service",
        "care", "team", "member", "from", "pls", "please", "plz", "now", "asap", "want", "need", "chahiye", "koi",
    }
)  # fmt: skip
_CLAUSES = re.compile(r"[.?!;\n]+|\s+(?:but|then|so|and)\s+")
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
WINDOW = 8


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours
    ("agnet" is one slip from "agent", not two)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@lru_cache(maxsize=4096)
def _person_word(token: str) -> bool:
    """A person word, or one slip from one (two for long words: "reprsentatve")."""
    if token in _PERSON_WORDS:
        return True
    if len(token) < 4:
        return False
    return any(
        abs(len(token) - len(target)) <= slips and _edit_distance(token, target) <= slips
        for target in _FUZZY_TARGETS
        for slips in [2 if len(target) >= 10 else 1]
    )


def _someone_qualified(tokens: list[str], i: int) -> bool:
    """ "someone from your team", "someone real", "speak to someone": not "someone used my card"."""
    nxt, prev = tokens[i + 1 : i + 6], tokens[max(0, i - 3) : i]
    return (
        (nxt[:1] in (["from"], ["on"], ["in"], ["at"]) and any(w in _ORG for w in nxt[1:]))
        or nxt[:1] in (["real"], ["actual"])
        or bool({"real", "actual"} & set(prev))
        or (bool(prev) and prev[-1] in {"to", "with", "me"} and any(w in _REQUEST_BEFORE for w in prev))
    )


def _names_person(tokens: list[str], i: int, earlier_person: bool) -> bool:
    """Whether ``tokens[i]`` names a person the shopper could be put through to."""
    tok, prev = tokens[i], tokens[i - 1] if i else ""
    if tok in {"agent", "agents"} and prev and prev not in _AGENT_MODIFIERS and prev not in _REQUEST_BEFORE:
        return False  # "cleaning agent", "travel agent"
    if _person_word(tok) or (tok in _SOMEONE and _someone_qualified(tokens, i)):
        return True
    if (tok == "member" and prev in {"team", "staff", "support"}) or (earlier_person and tok in _PRONOUNS):
        return True  # "team member"; "is there a human there? connect me to them"
    desk = tok in _DESK_WORDS or (tok == "team" and prev in {"your", "the", "support", "real"})
    return desk and any(w in _PUT_THROUGH for w in tokens[max(0, i - 4) : i])  # "put me through to customer care"


def _third_party(tokens: list[str], i: int) -> bool:
    """A person who is not the store's ("delivery agent", "my agent", "a human at my bank", "manager's number")."""
    before, after = tokens[max(0, i - 2) : i], tokens[i + 1 : i + 3]
    if any(w in _THIRD_PARTY for w in before) or before[-1:] == ["my"]:
        return True
    if after[:1] in (["at"], ["of"], ["in"]) and after[1:2] in (["my"], ["the"], ["a"]):
        return True
    return any(w in _CONTACT_DETAIL for w in tokens[max(0, i - 3) : i])


def _asked_for(tokens: list[str], i: int) -> bool:
    """A request word shortly before the person word, or a request tail after it."""
    for k in range(i - 1, max(0, i - WINDOW) - 1, -1):
        word = tokens[k]
        if word not in _REQUEST_BEFORE:
            continue
        between = tokens[k + 1 : i]
        if any(w in _BLOCKERS for w in between) or any(w in _NEGATIONS for w in tokens[max(0, k - 3) : k]):
            return False
        if word == "call" and tokens[k + 1 : k + 2] != ["me"] and "back" not in between:
            continue  # "how do i call the support people" asks for a number; "call me" asks for a person
        if word == "like" and tokens[k - 1 : k] not in (["would"], ["i'd"], ["we'd"]):
            continue  # "which perfume do people like", not "i'd like an agent"
        return True
    after = tokens[i + 1 : i + 7]
    for j, w in enumerate(after):
        if w in _NEGATIONS or w in _BOT_WORDS:
            return False  # "a real person is never available", "humans or is it automated"
        if w in _REQUEST_AFTER or (w, after[j + 1] if j + 1 < len(after) else "") in _TAIL_PAIRS:
            return True
    return "i" in after[:3] and bool({"talk", "speak", "chat"} & set(after))


def _turns_bot_down(tokens: list[str]) -> bool:
    for i, tok in enumerate(tokens):
        if tok in _BOT_WORDS or (tok == "ai" and i > 0 and tokens[i - 1] in _AI_DETERMINERS):
            window = tokens[max(0, i - 7) : i + 4]
            if any(w in _BOT_REFUSALS for w in window) and not ({"prefer", "like", "love"} & set(tokens[max(0, i - 4) : i])):
                return True
    return False


_CONNECT_ME = re.compile(
    r"\b(?:connect|conect|transfer|escalate)\s+(?:me|this|my chat)\b(?!\s+(?:to|with)\s+(?:my|the (?:app|site|website|wifi|internet)))"
)


def _clause_asks(clause: str, whole_is_short: bool, earlier_person: bool) -> tuple[bool, bool]:
    """(does this sentence ask for a person, does it name one)."""
    tokens = _TOKEN.findall(clause)
    if not tokens:
        return False, False
    if _ABOUT_THE_ASSISTANT.search(clause):
        return False, any(_person_word(t) for t in tokens)  # "are you a real person?" asks nothing yet
    if _turns_bot_down(tokens):
        return True, True
    if _CONNECT_ME.search(clause) and not any(w in _NEGATIONS for w in tokens[:6]):
        return True, True
    positions = [i for i in range(len(tokens)) if _names_person(tokens, i, earlier_person) and not _third_party(tokens, i)]
    for i in positions:
        if _asked_for(tokens, i) or whole_is_short:
            return True, True
    return False, bool(positions)


def explicit_human_request(text: str) -> bool:
    """Whether the message explicitly asks for a person or turns the bot down (see the module docstring)."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    if not lowered:
        return False
    tokens = _TOKEN.findall(lowered)
    content = [t for t in tokens if t not in _FILLERS or _person_word(t)]
    short = len(content) <= 2 and len(tokens) <= 5  # "real agent pls", "hman": the person word is the message
    earlier_person = False
    for clause in _CLAUSES.split(lowered):
        asks, names = _clause_asks(clause.strip(), short, earlier_person)
        if asks:
            return True
        earlier_person = earlier_person or names
    return False
