"""Benchmarks behind ``aisle bench``. Every figure is reported with a baseline measured in the same run.

* ``embed``  texts/s: sentence-transformers' default ``encode`` (baseline) vs aisle's
  embedding path and the length-bucketed token-budget encoder; on CUDA also bf16.
* ``ingest`` products/s end to end (read → clean → embed → Chroma) on catalogs built by
  recombining the real Flipkart sample (titles × colours × brands, new ids), with the
  stage breakdown; baseline: embedding alone at the same size.
* ``query``  Chroma filtered/unfiltered top-10 latency vs collection size (synthetic unit
  vectors); baseline: exact numpy search over the same vectors.
* ``intents`` router latency per message, fp32 vs dynamic int8; baseline fp32.
* ``turn``   ``Agent.respond`` latency p50/p95/p99 over a fixed script mix, at 1k and 40k
  products; baseline: the router alone. The 40k catalog re-uses each source product's
  embedding (only latency is measured, and encoding 40k texts would take 15 min on 2 cores).

Results go to ``bench/results/<name>-<device>.json`` with the date, device and versions.
"""

from __future__ import annotations

import json
import logging
import platform
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aisle.formatting import percentile

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)
COLORS = ["red", "blue", "black", "white", "green", "pink", "grey", "yellow", "brown", "navy"]


def _env(device: str) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "device": device,
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _pct(values: list[float], q: float) -> float:
    """Benchmarks always have samples; 3 decimals of milliseconds."""
    return float(percentile(values, q, digits=3) or 0.0)


def _save(out: Path, name: str, device: str, result: dict[str, Any]) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{device}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    result["saved_to"] = str(path)
    return result


def recombined_catalog(settings: Settings, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` products in aisle's schema built by recombining the real catalog (documented as synthetic)."""
    from retrieval.ingest import read_catalog

    base = read_catalog(settings.products_file).products
    rng = random.Random(seed)
    brands = sorted({p.brand for p in base if p.brand})
    rows = []
    for i in range(n):
        p = base[i % len(base)]
        if i < len(base):
            d = p.to_dict()
        else:
            color = rng.choice(COLORS)
            brand = rng.choice(brands)
            d = p.to_dict()
            d["title"] = f"{brand} {color} {' '.join(p.title.split()[1:]) or p.title}"
            d["brand"] = brand
            d["attributes"] = {**p.attributes, "color": color.title()}
            d["price"] = round((p.price or 499) * rng.uniform(0.6, 1.6))
            d["id"] = f"SYN-{i:07d}"
        rows.append(
            {
                "id": d["id"],
                "title": d["title"],
                "description": d["description"],
                "category_path": d["category_path"],
                "brand": d["brand"],
                "price": d["price"],
                "currency": d["currency"],
                "attributes": d["attributes"],
                "rating": d["rating"],
                "image_url": d["image_url"],
                "url": d["url"],
            }
        )
    return rows


def _embedding(settings: Settings, **changes: Any) -> Any:
    """A validated copy of the embedding settings (``model_copy`` alone would keep plain strings in enum fields)."""
    return type(settings.embedding).model_validate({**settings.embedding.model_dump(), **changes})


# --- embed --------------------------------------------------------------------------------------
def bench_embed(settings: Settings, sizes: list[int] | None, device: str, quick: bool) -> dict[str, Any]:
    from aisle.models import pick_device
    from retrieval.embeddings import SentenceEmbedder
    from retrieval.gpu import encode_bucketed
    from retrieval.schema import Product

    dev = pick_device(device)
    n = (sizes or [300 if quick else 2000])[0]
    texts = [Product.from_dict(r).embedding_text() for r in recombined_catalog(settings, n)]
    emb = SentenceEmbedder(_embedding(settings, device=dev, precision="fp32"))
    emb.warm_up()
    model = emb._model
    model.encode(texts[:64])  # warm-up
    tokens = [len(x) for x in model.tokenizer(texts[:500], truncation=True, max_length=model.max_seq_length)["input_ids"]]
    rows: dict[str, dict[str, float]] = {}

    def timed(name: str, fn: Any) -> None:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        rows[name] = {"seconds": round(dt, 3), "texts_per_s": round(n / dt, 1)}

    timed("sentence-transformers encode (default args)", lambda: model.encode(texts))
    timed("aisle embed_documents", lambda: emb.embed_documents(texts))
    timed(
        "aisle bucketed encoder",
        lambda: encode_bucketed(model, texts, settings.embedding.gpu_token_budget if dev == "cuda" else 4096),
    )
    if dev == "cuda":
        half = SentenceEmbedder(_embedding(settings, device="cuda", precision="bf16"))
        half.warm_up()
        timed("aisle bucketed encoder, bf16", lambda: half.embed_documents(texts))
    base = rows["sentence-transformers encode (default args)"]["texts_per_s"]
    for r in rows.values():
        r["ratio_vs_baseline"] = round(r["texts_per_s"] / base, 2)
    return {
        "benchmark": "embed",
        "env": _env(dev),
        "texts": n,
        "mean_tokens": round(statistics.mean(tokens), 1),
        "baseline": "sentence-transformers encode (default args)",
        "rows": rows,
    }


# --- ingest -------------------------------------------------------------------------------------
def bench_ingest(settings: Settings, sizes: list[int] | None, device: str, quick: bool) -> dict[str, Any]:
    from aisle.fileio import write_jsonl
    from aisle.models import pick_device
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_products, read_catalog

    dev = pick_device(device)
    sizes = sizes or ([200, 1000] if quick else [1000, 10000] if dev == "cpu" else [1000, 10000, 100000])
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="aisle-bench-"))
        try:
            s = settings.with_home(tmp).model_copy(update={"embedding": _embedding(settings, device=dev)})
            s.ensure_dirs()
            catalog = tmp / "catalog.jsonl"
            write_jsonl(catalog, recombined_catalog(settings, n))
            t0 = time.perf_counter()
            clean = read_catalog(catalog, s.quality.near_duplicate_jaccard)
            t_read = time.perf_counter() - t0
            stack = build_stack(s)
            stack.embedder.warm_up()
            t0 = time.perf_counter()
            stack.embedder.embed_documents([p.embedding_text() for p in clean.products])
            t_embed = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = ingest_products(catalog, s, stack.store, progress=False)
            t_total = time.perf_counter() - t0
            t_ml = report.multilingual_s  # the second (multilingual) collection, when multilingual.catalog_vectors is on
            t_write = max(0.0, t_total - t_read - t_embed - t_ml)
            rows.append(
                {
                    "products": n,
                    "kept": report.kept,
                    "seconds_total": round(t_total, 2),
                    "products_per_s": round(n / t_total, 1),
                    "stage_seconds": {
                        "read_clean_dedup": round(t_read, 2),
                        "embed": round(t_embed, 2),
                        "chroma_write_and_rest": round(t_write, 2),
                        "multilingual_collection": round(t_ml, 2),
                    },
                    "multilingual_share_of_total": round(t_ml / t_total, 3),
                    "embedding_only_products_per_s": round(n / t_embed, 1),
                    "ratio_end_to_end_vs_embedding_only": round((n / t_total) / (n / t_embed), 3),
                    "bottleneck": "encoder" if t_embed > t_write else "chroma",
                }
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {
        "benchmark": "ingest",
        "env": _env(dev),
        "catalog": "recombined from the Flipkart sample (synthetic beyond 1,002 rows)",
        "baseline": "embedding alone at the same size",
        "rows": rows,
    }


# --- query --------------------------------------------------------------------------------------
def bench_query(settings: Settings, sizes: list[int] | None, device: str, quick: bool) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    sizes = sizes or ([2000, 10000] if quick else [10000, 100000])
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="aisle-bench-q-"))
        try:
            client = chromadb.PersistentClient(path=str(tmp), settings=ChromaConfig(anonymized_telemetry=False))
            col = client.create_collection("bench-vectors", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
            vecs = rng.standard_normal((n, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            prices = rng.uniform(100, 5000, n)
            colors = rng.choice(COLORS, n)
            step = client.get_max_batch_size()
            t0 = time.perf_counter()
            for s in range(0, n, step):
                e = min(n, s + step)
                col.add(
                    ids=[str(i) for i in range(s, e)],
                    embeddings=vecs[s:e],
                    metadatas=[{"price": float(prices[i]), "colors": [str(colors[i])]} for i in range(s, e)],
                )
            t_add = time.perf_counter() - t0
            queries = rng.standard_normal((50, 384)).astype(np.float32)
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
            where = {"$and": [{"price": {"$lte": 1500.0}}, {"colors": {"$contains": "red"}}]}

            def lat(fn: Any, queries: np.ndarray = queries) -> list[float]:
                out = []
                for q in queries:
                    t = time.perf_counter()
                    fn(q)
                    out.append((time.perf_counter() - t) * 1000)
                return out

            unfiltered = lat(lambda q, col=col: col.query(query_embeddings=[q], n_results=10))
            filtered = lat(lambda q, col=col, where=where: col.query(query_embeddings=[q], n_results=10, where=where))
            mask = (prices <= 1500) & (colors == "red")

            def exact_search(
                q: np.ndarray, prices: np.ndarray = prices, colors: np.ndarray = colors, vecs: np.ndarray = vecs
            ) -> np.ndarray:
                rows_ = np.flatnonzero((prices <= 1500) & (colors == "red"))  # the filter is part of the timed work
                return rows_[np.argsort(-(vecs[rows_] @ q))[:10]]

            exact = lat(exact_search)
            rows.append(
                {
                    "vectors": n,
                    "add_seconds": round(t_add, 1),
                    "add_vectors_per_s": round(n / t_add, 1),
                    "unfiltered_p50_ms": _pct(unfiltered, 0.5),
                    "unfiltered_p95_ms": _pct(unfiltered, 0.95),
                    "filtered_p50_ms": _pct(filtered, 0.5),
                    "filtered_p95_ms": _pct(filtered, 0.95),
                    "numpy_exact_filtered_p50_ms": _pct(exact, 0.5),
                    "ratio_filtered_vs_numpy_exact": round(_pct(filtered, 0.5) / max(_pct(exact, 0.5), 1e-6), 2),
                    "filter_selectivity": round(float(mask.mean()), 4),
                }
            )
            del client
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {
        "benchmark": "query",
        "env": _env("cpu"),
        "vectors": "synthetic unit vectors, 384-d",
        "baseline": "exact numpy search over the filtered rows",
        "rows": rows,
    }


# --- intents ------------------------------------------------------------------------------------
def bench_intents(settings: Settings, sizes: list[int] | None, device: str, quick: bool) -> dict[str, Any]:
    import torch

    from aisle.settings import PACKAGE_DATA
    from finetune.classifier import IntentClassifier
    from finetune.evaluate import evaluate_examples
    from finetune.evaluation import stratified_sample
    from finetune.registry import ModelRegistry
    from finetune.schema import load_examples

    path = ModelRegistry(settings.intent_models_dir).current_path()
    # a seeded sample spread over the dev set's sources (the first rows of the file are one source)
    dev = stratified_sample(load_examples(PACKAGE_DATA / "intents" / "dev.jsonl"), 200 if quick else 800, seed=13)
    texts = [ex.text for ex in dev]
    rows = {}
    for name in ("fp32", "dynamic int8"):
        clf = IntentClassifier(path)
        clf.warm_up()
        if name == "dynamic int8":
            clf._model = torch.ao.quantization.quantize_dynamic(clf._model, {torch.nn.Linear}, dtype=torch.qint8)
        for t in texts[:20]:
            clf.classify(t)
        lat = []
        for t in texts[: (100 if quick else 300)]:
            t0 = time.perf_counter()
            clf.classify(t)
            lat.append((time.perf_counter() - t0) * 1000)
        acc = evaluate_examples(clf, dev)
        rows[name] = {
            "p50_ms": _pct(lat, 0.5),
            "p95_ms": _pct(lat, 0.95),
            "accuracy": acc["accuracy"],
            "macro_f1": acc["macro_f1"],
        }
    base = rows["fp32"]["p50_ms"]
    for r in rows.values():
        r["speedup_vs_fp32"] = round(base / r["p50_ms"], 2)
    sources = dict(sorted(Counter(ex.source.split(":")[0] for ex in dev).items()))
    return {
        "benchmark": "intents",
        "env": _env("cpu"),
        "model": path.name,
        "baseline": "fp32",
        "dev_examples": len(dev),
        "dev_sources": sources,
        "rows": rows,
    }


# --- turn ---------------------------------------------------------------------------------------
SCRIPT_MIX = [
    "hi",
    "red women's sandals under 500",
    "cheaper ones",
    "show me more",
    "in blue",
    "the second one",
    "what is it made of?",
    "analog watch for men",
    "how long does delivery take?",
    "what is your return policy?",
    "can I pay with UPI?",
    "where is my order ORD-17004?",
    "karan.iyer1@example.com",
    "suggest a gift for my wife under 2000",
    "what's the weather in paris",
    "I want to talk to a human",
    "coffee mug",
    "is there a fee to cancel my order?",
    "thanks",
    "bye",
]
# the same kinds of turns from a Chinese shopper (written for the benchmark, not taken from any evaluation set)
SCRIPT_MIX_ZH = [
    "你好",
    "500元以下的女士红色凉鞋",
    "便宜一点的",
    "再看看更多",
    "要蓝色的",
    "第二个",
    "这个是什么材质的？",
    "男士手表",
    "配送要几天？",
    "你们的退货政策是什么？",
    "可以用UPI付款吗？",
    "我的订单ORD-17004到哪了？",
    "karan.iyer1@example.com",
    "两千以内送老婆的礼物",
    "巴黎今天天气怎么样",
    "我要转人工客服",
    "咖啡杯",
    "取消订单要收费吗？",
    "谢谢",
    "再见",
]


def _turn_store(settings: Settings, n: int, tmp: Path) -> Settings:
    """A store with ``n`` products; beyond the real ones, vectors are copied from their source product."""
    from agent.demo import build_demo_orders
    from retrieval.factory import build_stack
    from retrieval.ingest import ingest_faq, ingest_products
    from retrieval.schema import Product

    s = settings.with_home(tmp)
    s.ensure_dirs()
    shutil.copytree(settings.intent_models_dir, s.intent_models_dir, symlinks=True, dirs_exist_ok=True)
    if (settings.models_dir / "multilingual-router").exists():
        shutil.copytree(settings.models_dir / "multilingual-router", s.models_dir / "multilingual-router", dirs_exist_ok=True)
    stack = build_stack(s)
    rows = recombined_catalog(settings, n)
    real = [r for r in rows if not r["id"].startswith("SYN-")]
    from aisle.fileio import write_jsonl

    write_jsonl(tmp / "real.jsonl", real)
    ingest_products(tmp / "real.jsonl", s, stack.store, progress=False)
    ingest_faq(s.faq_file, s, stack.store)
    synthetic = [r for r in rows if r["id"].startswith("SYN-")]
    if synthetic:
        name = s.chroma.products_collection
        got = stack.store.get(name, [r["id"] for r in real], include=["embeddings"])
        vec = dict(zip(got["ids"], got["embeddings"]))
        noise = np.random.default_rng(1)
        products = [Product.from_dict({**r, "category_path": r["category_path"]}) for r in synthetic]
        from retrieval.catalog.cleaning import derive_facets

        for p in products:
            derive_facets(p)
        vectors = np.stack(
            [np.asarray(vec[real[int(p.id[4:]) % len(real)]["id"]]) + noise.normal(0, 0.01, 384) for p in products]
        ).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        stack.store.upsert(
            name, [p.id for p in products], vectors, [p.embedding_text() for p in products], [p.to_metadata() for p in products]
        )
    build_demo_orders(s, seed=7)
    return s


def bench_turn(settings: Settings, sizes: list[int] | None, device: str, quick: bool) -> dict[str, Any]:
    from agent.agent import Agent
    from aisle.errors import AisleError
    from finetune.registry import ModelRegistry

    if ModelRegistry(settings.intent_models_dir).current() is None:
        raise AisleError(f"no intent router in {settings.intent_models_dir}; run `aisle setup` first")
    sizes = sizes or ([1000] if quick else [1000, 40000])
    sessions = 3 if quick else 10
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="aisle-bench-t-"))
        try:
            s = _turn_store(settings, n, tmp)
            agent = Agent.from_settings(settings=s)
            agent.warm_up()
            for text in SCRIPT_MIX + SCRIPT_MIX_ZH:  # warm-up pass
                agent.respond("warmup", text)
            wall: list[float] = []
            wall_zh: list[float] = []
            for i in range(sessions):
                for mix, times in ((SCRIPT_MIX, wall), (SCRIPT_MIX_ZH, wall_zh)):
                    sid = f"bench-{uuid.uuid4().hex[:6]}-{i}"
                    for text in mix:
                        t0 = time.perf_counter()
                        agent.respond(sid, text)
                        times.append((time.perf_counter() - t0) * 1000)
            router = []
            for text in SCRIPT_MIX * 3:
                t0 = time.perf_counter()
                agent.router.route(text)
                router.append((time.perf_counter() - t0) * 1000)
            rows.append(
                {
                    "products": n,
                    "turns": len(wall),
                    "p50_ms": _pct(wall, 0.5),
                    "p95_ms": _pct(wall, 0.95),
                    "p99_ms": _pct(wall, 0.99),
                    "router_only_p50_ms": _pct(router, 0.5),
                    "ratio_p50_vs_router_only": round(_pct(wall, 0.5) / _pct(router, 0.5), 2),
                    "zh": {
                        "turns": len(wall_zh),
                        "p50_ms": _pct(wall_zh, 0.5),
                        "p95_ms": _pct(wall_zh, 0.95),
                        "p99_ms": _pct(wall_zh, 0.99),
                    },
                }
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(rows) > 1:
        rows[-1]["ratio_p50_vs_smallest_catalog"] = round(rows[-1]["p50_ms"] / rows[0]["p50_ms"], 2)
    return {
        "benchmark": "turn",
        "env": _env("cpu"),
        "script_mix": SCRIPT_MIX,
        "script_mix_zh": SCRIPT_MIX_ZH,
        "composer": settings.agent.composer,
        "catalog": "Flipkart sample; beyond 1,002 products recombined, vectors copied from the source product",
        "baseline": "the router alone (one classifier call)",
        "rows": rows,
    }


def bench_load(settings: Settings, sizes: list[int] | None, device: str, quick: bool) -> dict[str, Any]:
    """Concurrent shoppers: in-process vs the JSON API vs the widget, side by side (``aisle/tools/loadtest.py``)."""
    from aisle.tools.loadtest import bench

    result = bench(settings, levels=sizes or ([10, 50] if quick else [10, 50, 200]), duration_s=5.0 if quick else 15.0)
    return {**result, "env": _env("cpu")}


BENCHES = {
    "embed": bench_embed,
    "ingest": bench_ingest,
    "query": bench_query,
    "intents": bench_intents,
    "turn": bench_turn,
    "load": bench_load,
}


def run(
    name: str, settings: Settings, out: Path, sizes: list[int] | None = None, device: str = "auto", quick: bool = False
) -> dict[str, Any]:
    from aisle.models import pick_device

    result = BENCHES[name](settings, sizes, device, quick)
    return _save(out, name, pick_device(device) if name in ("embed", "ingest") else "cpu", result)
