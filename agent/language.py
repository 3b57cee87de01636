"""Which language a shopper's message is written in: ``zh``, ``en`` or ``other`` (pure, no model).

The decision is by script, which is what matters downstream (which router reads the message,
which templates answer it):

* letters are counted per script after order ids, e-mails and URLs are removed (an order id
  does not make a Chinese message English);
* a Han character carries about a word, so it counts as ``HAN_WEIGHT`` Latin letters; the
  dominant script wins ("有没有 red 的连衣裙" is Chinese, "do you have 红色 dresses" English);
* Han without kana is Chinese; kana, Hangul, Cyrillic, Arabic, Devanagari, Thai… are ``other``;
* Latin script is English unless the message is clearly another European language (several of
  its function words or diacritics and no English function word): Hinglish ("mera order kahan
  hai") and typo-ridden English stay ``en``, because the English router is trained on them;
* a message without letters (an order id alone, digits, emoji) has no language of its own:
  ``detect`` returns ``None`` and the conversation keeps the language it had.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class Language(str, Enum):
    ZH = "zh"
    EN = "en"
    OTHER = "other"


HAN_WEIGHT = 2.0
_STRIP_RE = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![A-Za-z])(?:ORD|ORDER)[\s#:-]*\d+|#\s?\d+", re.IGNORECASE
)
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_KANA_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_LATIN_WORD_RE = re.compile(r"[a-zà-öø-ÿœß]+", re.IGNORECASE)

_ENGLISH = (
    "the a an is are am was i you my me we our your it this that what where when how why which who do does did can could "
    "would will should have has and or but not no yes to of in on for with from at by please want need order orders thanks "
    "hi hello there any some one ones"
)
_ENGLISH_WORDS = frozenset(_ENGLISH.split())
# function words that are not also common English or Hinglish words
_OTHER_LATIN = (
    "el la los las del por para con una unos unas pero muy dónde donde cuándo cuando cómo como quiero tiene tienen está están "
    "es mi mis su qué que gracias hola pedido le les des du et est avec pour dans une je suis vous nous mon ma mes ou où "
    "bonjour merci commande der die das und ist nicht ich mit für ein eine wo wie bitte danke bestellung meine mein "
    "não nao sim obrigado obrigada olá você voce meu minha onde está il lo gli sono della grazie ciao ordine dove"
)
_OTHER_LATIN_WORDS = frozenset(_OTHER_LATIN.split())
_DIACRITICS_RE = re.compile(r"[áéíóúñ¿¡àèìòùâêîôûçäöüßãõœ]", re.IGNORECASE)


def script_counts(text: str) -> dict[str, float]:
    """Weighted letter counts per script family: ``han``, ``latin``, ``other``."""
    text = _STRIP_RE.sub(" ", text)
    counts = {"han": 0.0, "latin": 0.0, "other": 0.0}
    for ch in text:
        if _HAN_RE.match(ch):
            counts["han"] += HAN_WEIGHT
        elif _KANA_RE.match(ch):
            counts["other"] += HAN_WEIGHT
        elif ch.isalpha():
            name = unicodedata.name(ch, "")
            counts["latin" if name.startswith("LATIN") else "other"] += 1.0
    return counts


def _latin_language(text: str) -> Language:
    words = [w.lower() for w in _LATIN_WORD_RE.findall(text)]
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    other = sum(1 for w in words if w in _OTHER_LATIN_WORDS)
    marked = len(_DIACRITICS_RE.findall(text))
    if english == 0 and (other >= 2 or (other >= 1 and marked >= 1) or marked >= 2):
        return Language.OTHER
    return Language.EN


def detect(text: str) -> Language | None:
    """The message's language, or ``None`` when it has no letters to tell by."""
    counts = script_counts(text or "")
    if not any(counts.values()):
        return None
    if _KANA_RE.search(text) and counts["other"] >= counts["latin"]:
        return Language.OTHER  # Japanese mixes Han with kana
    best = max(counts, key=lambda k: counts[k])
    if best == "han":
        return Language.ZH
    if best == "other":
        return Language.OTHER
    return _latin_language(text)


def reply_language(message: str, previous: Language | str | None) -> Language:
    """The language to answer ``message`` in: its own, else the conversation's so far, else English."""
    found = detect(message)
    if found is not None:
        return found
    try:
        return Language(previous) if previous else Language.EN
    except ValueError:
        return Language.EN
