"""Hybrid search over a real Chroma holding the demo catalog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aisle.errors import InputError, StoreUnavailableError
from retrieval.filters import FacetTable, to_where
from retrieval.schema import SearchFilters


def test_price_and_colour_filters_are_honoured(demo_stack) -> None:
    res = demo_stack.retriever.search_products("red sandals under 500", k=10)
    assert res.hits, "expected red sandals under 500 in the demo catalog"
    assert all(h.product.price is not None and h.product.price <= 500 for h in res.hits)
    assert all("red" in h.product.colors for h in res.hits)
    top = res.hits[0]
    assert "sandal" in top.product.title.lower()
    assert top.why.matched_filters and "red" in top.why.sentence()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_every_mode_respects_the_price_range(demo_stack, mode: str) -> None:
    res = demo_stack.retriever.search_products("shoes between 1000 and 2000", k=10, mode=mode)
    assert res.hits
    assert all(1000 <= h.product.price <= 2000 for h in res.hits)


def test_relevant_item_first_for_plain_queries(demo_stack) -> None:
    r = demo_stack.retriever
    assert "watch" in r.search_products("analog watch for men", k=3).hits[0].product.title.lower()
    assert "bottle" in r.search_products("something to keep water cold all day", k=3).hits[0].product.title.lower()
    assert r.search_products("kurta", k=1).hits[0].product.brand == "kesar"


def test_dense_where_and_lexical_mask_agree(demo_stack) -> None:
    """The same filters pushed into Chroma and applied to BM25 select the same products."""
    r = demo_stack.retriever
    cat = r.catalog()
    table = FacetTable.build([p.to_metadata() for p in cat.records], cat.ids)
    col = demo_stack.store.collection(demo_stack.store.settings.chroma.products_collection)
    for f in [
        SearchFilters(max_price=500),
        SearchFilters(min_price=1000, max_price=2000, colors=["black"]),
        SearchFilters(genders=["women"], colors=["red", "blue"]),
        SearchFilters(brands=["oakfield"], sizes=["34"]),
        SearchFilters(categories=["watches"], genders=["men"]),
    ]:
        from_chroma = set(col.get(where=to_where(f), include=[])["ids"])
        from_mask = {cat.ids[i] for i, ok in enumerate(table.mask(f)) if ok}
        assert from_chroma == from_mask, f


def test_bad_queries_give_clear_errors(demo_stack) -> None:
    with pytest.raises(InputError, match="empty query"):
        demo_stack.retriever.search_products("   ")
    with pytest.raises(InputError, match="too long"):
        demo_stack.retriever.search_products("x" * 10_000)


def test_faq_search_finds_the_policy(demo_stack) -> None:
    hits = demo_stack.retriever.search_faq("how many days do I have to send something back", k=3)
    assert hits[0].entry.id in {"returns-policy", "returns-how"}
    hits = demo_stack.retriever.search_faq("is there a fee to cancel", k=1, intent="check_cancellation_fee")
    assert hits[0].entry.id == "cancellation-fee"


def test_collection_reopens_in_a_new_process(demo_stack) -> None:
    """A fresh process gets the collection back with aisle's embedding function (no ONNX download)."""
    s = demo_stack.store.settings
    code = f"""
import json, chromadb
import retrieval.chroma_ef  # registers the embedding function by name
c = chromadb.PersistentClient(path={str(s.chroma_dir)!r})
col = c.get_collection({s.chroma.products_collection!r})
res = col.query(query_texts=["analog watch"], n_results=1)
print(json.dumps({{"ef": type(col.configuration["embedding_function"]).__name__, "top": res["metadatas"][0][0]["title"]}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["ef"] == "AisleEmbeddingFunction"
    assert "watch" in got["top"].lower()


def test_reingest_is_idempotent(demo_stack, demo_catalog_file: Path) -> None:
    from retrieval.ingest import ingest_products

    before = demo_stack.store.count(demo_stack.store.settings.chroma.products_collection)
    report = ingest_products(demo_catalog_file, demo_stack.store.settings, demo_stack.store, progress=False)
    assert report.inserted == 0 and report.updated == 0
    assert demo_stack.store.count(demo_stack.store.settings.chroma.products_collection) == before


def test_unknown_product_id(demo_stack) -> None:
    from aisle.errors import NotFoundError

    with pytest.raises(NotFoundError, match="NOPE"):
        demo_stack.retriever.get_products(["NOPE"])


def test_dead_chroma_server_gives_a_clear_error(settings, embedders) -> None:
    from retrieval.store import ChromaStore

    s = settings.model_copy(update={"chroma": settings.chroma.model_copy(update={"mode": "http", "port": 1})})
    store = ChromaStore(s, embedders.get(s.embedding))
    with pytest.raises(StoreUnavailableError, match="chroma run"):
        store.count("aisle-products")


def test_langchain_retriever(demo_stack) -> None:
    from retrieval.langchain import AisleRetriever

    docs = AisleRetriever(retriever=demo_stack.retriever, k=2, filters={"max_price": 1000}).invoke("wireless earbuds")
    assert docs and all(d.metadata["price"] <= 1000 for d in docs)
    faq = AisleRetriever(retriever=demo_stack.retriever, kind="faq", k=1).invoke("forgot my password")
    assert faq[0].metadata["id"] == "password-reset"


def test_exact_filtered_search_matches_chroma(demo_stack) -> None:
    """The planner's in-memory exact path and Chroma's filtered search agree (HNSW is exact at this size)."""
    from retrieval.retriever import HybridRetriever

    s = demo_stack.store.settings
    chroma_only = HybridRetriever(
        s.model_copy(update={"retrieval": s.retrieval.model_copy(update={"exact_search_max_rows": 0})}),
        demo_stack.store,
        demo_stack.embedder,
    )
    assert demo_stack.retriever.catalog().vectors is not None
    for query in ["sandals under 1000", "black leather for men", "kids shoes in red", "cotton shirt between 500 and 1500"]:
        planned = [h.product.id for h in demo_stack.retriever.search_products(query, k=5, mode="dense").hits]
        chroma = [h.product.id for h in chroma_only.search_products(query, k=5, mode="dense").hits]
        assert planned == chroma, query


def test_similar_products_use_the_same_planner(demo_stack) -> None:
    """Similar items under a price band: in-memory exact neighbours equal Chroma's, the anchor is never its own neighbour."""
    from aisle.errors import NotFoundError
    from retrieval.retriever import HybridRetriever
    from retrieval.schema import SearchFilters

    s = demo_stack.store.settings
    chroma_only = HybridRetriever(
        s.model_copy(update={"retrieval": s.retrieval.model_copy(update={"exact_search_max_rows": 0})}),
        demo_stack.store,
        demo_stack.embedder,
    )
    anchor = demo_stack.retriever.catalog().records[0]
    band = SearchFilters(max_price=(anchor.price or 1000) * 2)
    planned = [h.product.id for h in demo_stack.retriever.similar_products(anchor.id, k=4, filters=band)]
    chroma = [h.product.id for h in chroma_only.similar_products(anchor.id, k=4, filters=band)]
    assert planned == chroma and anchor.id not in planned and planned
    with pytest.raises(NotFoundError):
        demo_stack.retriever.similar_products("no-such-product")
