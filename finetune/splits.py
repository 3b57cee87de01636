"""Template families and leak-free train/dev/test splits.

Two utterances from one template are one example seen twice: if one sits in train and its
sibling in dev, the dev score measures memory, not generalisation. So examples are grouped
into **families** first and every family goes to exactly one split.

* **Skeleton**: lower-case text with e-mails, order ids, numbers and (optionally) catalog
  product words replaced by placeholders and punctuation dropped, so "cancel order ORD-1"
  and "Cancel order ORD-77!" look the same.
* **Families**, within a label: the connected components of the graph whose edges join two
  skeletons with token-set Jaccard ≥ ``bound`` (union-find), plus any explicit ``group``
  (a generator's template id, a help-centre article, an external data set's intent).
  Template-heavy labels chain into one giant component (single linkage: all 241 Bitext
  ``delivery_options`` rows are one). A component holding more than ``max_family_share`` of
  its label is cut instead: a dev region and a test region are grown inside it (from a
  seeded start, always adding the row with the most edges into the region, so the cut is
  small; the test region keeps one edge away from the dev region), the rest stays in train.
* **Assignment**: a label's families are taken in seeded-hash order and each goes to the
  split furthest below its share of the rows of that label and source (train/dev/test
  70/15/15 by default).
* **Bridges**: after a cut, rows on its edge sit within ``bound`` of a row across it. Such
  pairs are resolved by dropping rows — train's first while the label keeps ``min_train``
  rows, otherwise the held-out one — and counted (the price: about a third of Bitext).

Guarantee (checked by ``max_same_label_jaccard`` and the tests): every dev and test row has
skeleton Jaccard < ``bound`` to every train row of its label, and every test row < ``bound``
to every dev row of its label. Rows of *other* labels may be closer ("cancel my order" vs
"cancel my account" are a useful contrast, not a leak); that figure is reported, not bounded.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from aisle.text import clean_text, tokenize
from finetune.schema import Example

SPLITS = ("train", "dev", "test")
DEFAULT_BOUND = 0.6

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDER_ID = re.compile(r"\b(?:ord|order|#)[-_ #]?\d{3,}\b|#\d{3,}|\b[a-z]{2,4}-?\d{5,}\b", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+?\d[\d -]{8,}\d)")
_MONEY = re.compile(r"(?:₹|rs\.?|inr|\$|£|€)\s?\d[\d,]*(?:\.\d+)?k?|\b\d[\d,]*(?:\.\d+)?\s?(?:k|rs|rupees|inr)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def skeleton(text: str, product_terms: frozenset[str] | None = None) -> str:
    """The template behind a message: placeholders for ids, e-mails, money, numbers, product words.

    Product words (catalog brands, categories, colours) are replaced only while at least two
    other words remain: a bare product query ("teak coffee table") *is* its content and must
    not collapse onto every other product query.
    """
    s = clean_text(text).lower()
    s = _EMAIL.sub(" email ", s)
    s = _ORDER_ID.sub(" orderid ", s)
    s = _PHONE.sub(" phone ", s)
    s = _MONEY.sub(" money ", s)
    s = _NUMBER.sub(" num ", s)
    toks = tokenize(s, drop_stopwords=False)
    if product_terms:
        replaced = [("product" if t in product_terms else t) for t in toks]
        if sum(1 for t in replaced if t not in _PLACEHOLDERS) >= 2:
            toks = replaced
    out: list[str] = []
    for t in toks:
        if not (out and t in _PLACEHOLDERS and out[-1] == t):
            out.append(t)
    return " ".join(out)


_PLACEHOLDERS = frozenset({"email", "orderid", "phone", "money", "num", "product"})


def product_vocabulary(terms: Iterable[str]) -> frozenset[str]:
    """Single tokens of catalog brands, categories and colours (stop words and short tokens left out)."""
    out: set[str] = set()
    for term in terms:
        out.update(t for t in tokenize(term, drop_stopwords=True) if len(t) > 2 and not t.isdigit())
    return frozenset(out)


# --- similarity -------------------------------------------------------------------------------
def _token_matrix(token_sets: Sequence[frozenset[str]], vocab: dict[str, int]):
    from scipy import sparse

    rows, cols = [], []
    for i, toks in enumerate(token_sets):
        for t in toks:
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(token_sets), max(len(vocab), 1)))


def jaccard_pairs(
    a: Sequence[frozenset[str]], b: Sequence[frozenset[str]] | None, threshold: float, chunk: int = 1024
) -> list[tuple[int, int, float]]:
    """All pairs (i in a, j in b) with token-set Jaccard ≥ ``threshold``; with ``b`` None, pairs i < j within ``a``."""
    vocab: dict[str, int] = {}
    for sets in (a, b or ()):
        for toks in sets:
            for t in toks:
                vocab.setdefault(t, len(vocab))
    A = _token_matrix(a, vocab)
    B = A if b is None else _token_matrix(b, vocab)
    a_len = np.asarray(A.sum(axis=1)).ravel()
    b_len = np.asarray(B.sum(axis=1)).ravel()
    BT = B.T.tocsc()
    out: list[tuple[int, int, float]] = []
    for s in range(0, A.shape[0], chunk):
        inter = (A[s : s + chunk] @ BT).toarray()
        union = a_len[s : s + chunk, None] + b_len[None, :] - inter
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        ii, jj = np.nonzero(jac >= threshold)
        for i, j in zip(ii, jj):
            gi = s + int(i)
            if b is None and gi >= j:
                continue
            out.append((gi, int(j), float(jac[i, j])))
    return out


def max_jaccard(a: Sequence[frozenset[str]], b: Sequence[frozenset[str]], chunk: int = 1024) -> np.ndarray:
    """For each set in ``a``, its highest Jaccard with any set in ``b`` (0 when ``b`` is empty)."""
    if not len(b):
        return np.zeros(len(a))
    vocab: dict[str, int] = {}
    for sets in (a, b):
        for toks in sets:
            for t in toks:
                vocab.setdefault(t, len(vocab))
    A, B = _token_matrix(a, vocab), _token_matrix(b, vocab)
    a_len = np.asarray(A.sum(axis=1)).ravel()
    b_len = np.asarray(B.sum(axis=1)).ravel()
    BT = B.T.tocsc()
    best = np.zeros(A.shape[0])
    for s in range(0, A.shape[0], chunk):
        inter = (A[s : s + chunk] @ BT).toarray()
        union = a_len[s : s + chunk, None] + b_len[None, :] - inter
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        best[s : s + chunk] = jac.max(axis=1)
    return best


# --- families ---------------------------------------------------------------------------------
class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _components(n: int, edges: Iterable[tuple[int, int]], groups: Sequence[str]) -> list[list[int]]:
    uf = _UnionFind(n)
    for i, j in edges:
        uf.union(i, j)
    first: dict[str, int] = {}
    for i, g in enumerate(groups):
        if g:
            uf.union(i, first.setdefault(g, i))
    comps: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        comps[uf.find(i)].append(i)
    return list(comps.values())


def _grow(adj: dict[int, set[int]], size: dict[int, int], seed_order: list[int], target: int, blocked: set[int]) -> set[int]:
    """A region of about ``target`` rows avoiding ``blocked`` nodes: start at the first free seed and keep
    adding the free neighbour with the most edges into the region (dense growth keeps the boundary small)."""
    region: set[int] = set()
    total = 0
    rank = {n: k for k, n in enumerate(seed_order)}
    for start in seed_order:
        if total >= target:
            break
        if start in blocked or start in region:
            continue
        region.add(start)
        total += size[start]
        links: Counter[int] = Counter(m for m in adj.get(start, ()) if m not in blocked and m not in region)
        while total < target and links:
            best = max(links, key=lambda m: (links[m], -rank[m]))
            del links[best]
            region.add(best)
            total += size[best]
            for m in adj.get(best, ()):
                if m not in blocked and m not in region:
                    links[m] += 1
    return region


def label_families(
    token_sets: Sequence[frozenset[str]],
    groups: Sequence[str],
    bound: float,
    max_size: int,
    fractions: tuple[float, float, float],
    seed: int,
    keys: Sequence[str],
) -> list[tuple[list[int], str | None]]:
    """Families of one label's rows as (indices, forced split or None).

    Components of the ≥ ``bound`` graph (explicit groups joined) are families. A component
    larger than ``max_size`` is cut instead: a dev region and a test region are grown inside
    it (each about its split's share of the component), the rest stays in train; the rows on
    the cut are removed later by the bridge check.
    """
    pairs = jaccard_pairs(token_sets, None, bound)
    comps = _components(len(token_sets), ((i, j) for i, j, _ in pairs), groups)
    out: list[tuple[list[int], str | None]] = []
    for comp in comps:
        if len(comp) <= max_size:
            out.append((sorted(comp), None))
            continue
        # contract explicit groups into one node each
        node_of: dict[int, int] = {}
        first: dict[str, int] = {}
        for i in comp:
            g = groups[i]
            node_of[i] = first.setdefault(g, i) if g else i
        members: dict[int, list[int]] = defaultdict(list)
        for i in comp:
            members[node_of[i]].append(i)
        adj: dict[int, set[int]] = defaultdict(set)
        inside = set(comp)
        for i, j, _ in pairs:
            if i in inside and j in inside and node_of[i] != node_of[j]:
                adj[node_of[i]].add(node_of[j])
                adj[node_of[j]].add(node_of[i])
        nodes = sorted(members)
        size = {n: len(members[n]) for n in nodes}
        order = sorted(nodes, key=lambda n: _bucket(keys[n], seed))
        taken: set[int] = set()
        blocked: set[int] = set()
        for split, frac in (("dev", fractions[1]), ("test", fractions[2])):
            # the test region keeps a one-edge buffer from the dev region, so the two never touch
            region = _grow(adj, size, order, round(frac * len(comp)), blocked)
            taken |= region
            blocked |= region | {m for n in region for m in adj.get(n, ())}
            if region:
                out.append((sorted(i for n in region for i in members[n]), split))
        rest = sorted(i for n in nodes if n not in taken for i in members[n])
        if rest:
            out.append((rest, "train"))
    return out


def _bucket(key: str, seed: int) -> float:
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:12], 16) / float(16**12)


@dataclass
class FamilySplit:
    """Examples per split, each example's family id, and what the construction dropped."""

    splits: dict[str, list[Example]]
    families: dict[str, list[str]]  # split → family id per example (aligned with ``splits``)
    dropped_bridges: Counter[str] = field(default_factory=Counter)  # split → rows dropped to keep the bound
    n_families: dict[str, int] = field(default_factory=dict)
    cut_components: int = 0


def family_split(
    examples: Sequence[Example],
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
    seed: int = 13,
    bound: float = DEFAULT_BOUND,
    max_family_share: float = 0.15,
    min_family_cap: int = 12,
    min_train: int = 20,
    product_terms: frozenset[str] | None = None,
) -> FamilySplit:
    """Split ``examples`` into train/dev/test by family (see module docstring)."""
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1, got {fractions}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        by_label[ex.intent].append(i)
    skels = [skeleton(ex.text, product_terms) for ex in examples]
    toks = [frozenset(s.split()) for s in skels]
    split_of: dict[int, str] = {}
    family_id: dict[int, str] = {}
    cut = 0
    n_fam: Counter[str] = Counter()
    for label in sorted(by_label):
        idx = by_label[label]
        cap = max(min_family_cap, int(max_family_share * len(idx)))
        keys = [f"{label}|{examples[i].group or skels[i]}" for i in idx]
        fams = label_families([toks[i] for i in idx], [examples[i].group for i in idx], bound, cap, fractions, seed, keys)
        cut += sum(1 for _, forced in fams if forced == "train")
        # families in seeded-hash order, each to the split furthest below its share of the rows of its
        # label *and source* (a plain hash per family leaves a label with few families unbalanced, and
        # balancing over the whole label would push one source's singletons out to make room for
        # another source's big template families)
        count: dict[str, Counter[str]] = defaultdict(lambda: Counter({sp: 0 for sp in SPLITS}))
        keyed = []
        for fam, forced in fams:
            key = min(keys[k] for k in fam) + (f"|{forced}" if forced else "")
            stratum = Counter(examples[idx[k]].source.split(":")[0] for k in fam).most_common(1)[0][0]
            keyed.append((_bucket(key, seed), key, fam, forced, stratum))
            if forced:
                count[stratum][forced] += len(fam)
        for _, key, fam, forced, stratum in sorted(keyed, key=lambda t: (t[3] is None, t[0])):
            split = forced
            if split is None:
                c = count[stratum]
                total = sum(c.values()) + len(fam)
                split = max(SPLITS, key=lambda sp: (fractions[SPLITS.index(sp)] * total - c[sp], -SPLITS.index(sp)))
                c[split] += len(fam)
            fid = hashlib.sha1(key.encode()).hexdigest()[:10]
            n_fam[split] += 1
            for k in fam:
                split_of[idx[k]], family_id[idx[k]] = split, fid
    dropped: Counter[str] = Counter()
    for label in sorted(by_label):
        _resolve_bridges(by_label[label], toks, split_of, bound, min_train, dropped)
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    fam_out: dict[str, list[str]] = {s: [] for s in SPLITS}
    for i, ex in enumerate(examples):
        s = split_of.get(i)
        if s is None:
            continue
        out[s].append(ex)
        fam_out[s].append(family_id[i])
    return FamilySplit(out, fam_out, dropped, dict(n_fam), cut)


def _resolve_bridges(
    idx: list[int], toks: Sequence[frozenset[str]], split_of: dict[int, str], bound: float, min_train: int, dropped: Counter[str]
) -> None:
    """Drop rows until no held-out row is within ``bound`` of a train row (or a test row of a dev row)."""
    local = [toks[i] for i in idx]
    pairs = jaccard_pairs(local, None, bound)
    order = {"train": 0, "dev": 1, "test": 2}
    cross = [(idx[a], idx[b]) for a, b, _ in pairs if split_of.get(idx[a]) != split_of.get(idx[b])]
    if not cross:
        return
    degree: Counter[int] = Counter()
    for a, b in cross:
        degree[a] += 1
        degree[b] += 1
    n_train = sum(1 for i in idx if split_of.get(i) == "train")
    # the most-connected rows first: dropping a hub clears many pairs at once
    for a, b in sorted(cross, key=lambda p: -(degree[p[0]] + degree[p[1]])):
        if a not in split_of or b not in split_of:
            continue
        sa, sb = split_of[a], split_of[b]
        if sa == sb:
            continue
        lo, hi = (a, b) if order[sa] < order[sb] else (b, a)  # lo is in the earlier split (train < dev < test)
        if split_of[lo] == "train" and n_train > min_train:
            victim = lo
            n_train -= 1
        else:
            victim = hi
        dropped[split_of[victim]] += 1
        del split_of[victim]


def max_same_label_jaccard(
    held: Sequence[Example], reference: Sequence[Example], product_terms: frozenset[str] | None = None
) -> np.ndarray:
    """For each held-out example, the highest skeleton Jaccard with a ``reference`` example of its label."""
    out = np.zeros(len(held))
    ref_by: dict[str, list[frozenset[str]]] = defaultdict(list)
    for ex in reference:
        ref_by[ex.intent].append(frozenset(skeleton(ex.text, product_terms).split()))
    held_by: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(held):
        held_by[ex.intent].append(i)
    for label, rows in held_by.items():
        sims = max_jaccard([frozenset(skeleton(held[i].text, product_terms).split()) for i in rows], ref_by.get(label, []))
        out[rows] = sims
    return out
