"""A reproducible simulation of the learning loop under distribution shift (``aisle experiment feedback-loop``).

Shift: shoppers start writing in **Hinglish** (code-mixed Hindi/English: "mera order kahan
hai", "refund kab milega"), a style absent from the base training data. Each round, a
seeded stream of such messages is routed by the current model; misrouted messages receive
corrections, of which a fraction (10% by default) is deliberately *wrong* (a random other
label), as real shoppers and tired reviewers produce. The corrections go through
``finetune.feedback_loop.retrain`` (quality gate, noise filter, weighting, promotion gate).

Arms: weighting on/off × noise filter on/off. Tracked per round: accuracy on a held-out
shifted slice (templates never used in the stream), accuracy on the original dev set,
how many injected wrong corrections the noise filter caught, and whether the gate
promoted. A final sabotage round trains on shuffled labels and must be refused.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisle.labels import OOS
from finetune.augment import split_templates
from finetune.evaluate import evaluate_examples
from finetune.feedback_loop import LoopConfig, retrain
from finetune.registry import ModelRegistry
from finetune.schema import Example, load_examples
from finetune.train import train_intent_classifier

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)

HINGLISH: dict[str, list[str]] = {
    "track_order": [
        "mera order kahan hai",
        "order kab aayega",
        "mera parcel abhi tak nahi aaya",
        "order ka status batao",
        "mera {cat} ka order kidhar hai",
        "track karna hai mera order",
        "parcel kahan pahuncha hai",
        "order abhi tak kyun nahi aaya",
        "mere order ki delivery kab hogi",
        "order shipped hua ya nahi",
        "kab tak milega mera saaman",
        "{cat} wala order kahan atka hai",
    ],
    "cancel_order": [
        "order cancel karna hai",
        "mujhe ye order nahi chahiye cancel karo",
        "{cat} wala order cancel kar do",
        "order cancel kaise karein",
        "galti se order ho gaya cancel karo",
        "cancel kar do please mera order",
        "mera order radd karo",
        "ye order band karo mujhe nahi chahiye",
        "abhi abhi order kiya tha cancel karna hai",
        "{cat} ka order wapas le lo cancel",
    ],
    "get_refund": [
        "paise wapas chahiye",
        "refund chahiye {cat} ka",
        "mera paisa lautao",
        "return karke refund chahiye",
        "{cat} pasand nahi aaya paise wapas karo",
        "mujhe refund dilao",
        "saaman wapas karna hai paisa chahiye",
        "refund kaise milega mujhe",
        "{cat} kharab hai paise wapas do",
    ],
    "track_refund": [
        "refund kab milega",
        "refund abhi tak nahi aaya",
        "mera refund kahan atka hai",
        "refund ka status kya hai",
        "paise kab tak account mein aayenge",
        "refund process hua ya nahi",
        "refund mila nahi ab tak",
        "kitne din mein refund aata hai mera",
    ],
    "check_payment_methods": [
        "upi se payment ho jayega kya",
        "cash on delivery milega kya",
        "card se pay kar sakte hain kya",
        "emi ka option hai kya",
        "paytm chalega kya",
        "payment ke kya kya tarike hain",
        "cod available hai kya {cat} pe",
    ],
    "delivery_period": [
        "delivery mein kitne din lagenge",
        "kitne din mein aayega",
        "{cat} kab tak deliver hoga",
        "jaldi delivery ho sakti hai kya",
        "shipping mein kitna time lagta hai",
        "kal tak mil jayega kya",
        "order karne ke baad kitne din",
    ],
    "contact_human_agent": [
        "kisi insaan se baat karao",
        "agent se baat karni hai",
        "customer care wale se baat karwao",
        "real person chahiye baat karne ke liye",
        "mujhe aadmi se baat karni hai bot se nahi",
        "kisi staff se connect karo",
        "human agent bulao",
    ],
    "product_search": [
        "{color} {cat} dikhao",
        "{cat} chahiye",
        "sasta {cat} dikhao",
        "{cat} ke options dikhao",
        "mujhe {color} {cat} chahiye",
        "achha sa {cat} dikhao",
        "{cat} hai kya aapke paas",
        "naya {cat} lena hai",
    ],
}
CATS = ["watch", "ring", "kurta", "sandals", "mug", "bottle", "shirt", "bag", "shoes", "saree"]
COLORS = ["red", "blue", "black", "white", "pink", "green"]


def hinglish(split: str, n_per_intent: int, seed: int) -> list[Example]:
    """Shifted-style utterances; the stream ('train') and the test slice use disjoint templates."""
    rng = random.Random(f"hinglish-{seed}-{split}")
    out: list[Example] = []
    for intent, templates in HINGLISH.items():
        train_t, test_t = split_templates(templates, dev_every=3)
        chosen = train_t if split == "train" else test_t
        for i in range(n_per_intent):
            t = chosen[i % len(chosen)]
            out.append(
                Example(
                    t.format(cat=rng.choice(CATS), color=rng.choice(COLORS)), intent, "hinglish", f"hinglish-{intent}-{split}"
                )
            )
    rng.shuffle(out)
    return out


def _capped(examples: list[Example], per_label: int, seed: int, oos_label: str = OOS) -> list[Example]:
    """At most ``per_label`` examples per intent; out-of-scope keeps 4× that, as in the full data,
    where it is the largest class (a few OOS examples make a base model that calls nothing OOS)."""
    rng = random.Random(seed)
    shuffled = examples[:]
    rng.shuffle(shuffled)
    kept: dict[str, int] = {}
    out = []
    for ex in shuffled:
        if kept.get(ex.intent, 0) < per_label * (4 if ex.intent == oos_label else 1):
            kept[ex.intent] = kept.get(ex.intent, 0) + 1
            out.append(ex)
    return out


def _accuracy(model_dir: Path, examples: list[Example]) -> float:
    from finetune.classifier import IntentClassifier

    return float(evaluate_examples(IntentClassifier(model_dir), examples)["accuracy"])


def run(
    settings: Settings,
    base_train: Path,
    base_dev: Path,
    out: Path,
    rounds: int = 3,
    per_round: int = 48,
    noise_rate: float = 0.1,
    base_cap: int = 60,
    dev_cap: int = 25,
    epochs: int = 3,
    arms: tuple[tuple[str, bool, bool], ...] = (
        ("full loop", True, True),
        ("no weighting", False, True),
        ("no noise filter", True, False),
        ("neither", False, False),
    ),
    seed: int = 13,
    sabotage: bool = True,
    gate_tolerance: float = 0.02,
) -> dict[str, Any]:
    """Run every arm for ``rounds`` rounds from the same base model; write results.json and plots."""
    out.mkdir(parents=True, exist_ok=True)
    # a small dev set and a small, briefly trained base make retrains noisier than the full router: tolerance 2 points
    icfg = settings.intents.model_copy(update={"epochs": epochs, "patience": epochs, "gate_tolerance": gate_tolerance})
    base = _capped(load_examples(base_train), base_cap, seed)
    dev = _capped(load_examples(base_dev), dev_cap, seed)
    stream = hinglish("train", per_round * rounds // len(HINGLISH) + 2, seed)
    shifted_test = hinglish("test", 12, seed)
    labels = sorted({ex.intent for ex in base})
    base_dir = out / "base-model"
    if not (base_dir / "aisle_intents.json").exists():
        train_intent_classifier(base, dev, icfg, base_dir, None, {"simulation": "base"}, progress=False)
    base_shift, base_dev_acc = _accuracy(base_dir, shifted_test), _accuracy(base_dir, dev)
    results: dict[str, Any] = {
        "config": {
            "rounds": rounds,
            "per_round": per_round,
            "noise_rate": noise_rate,
            "base_examples": len(base),
            "dev_examples": len(dev),
            "shifted_test": len(shifted_test),
            "epochs": epochs,
            "seed": seed,
            "gate_tolerance": gate_tolerance,
        },
        "base": {"shifted_accuracy": base_shift, "dev_accuracy": base_dev_acc},
        "arms": {},
    }
    for name, weighting, noise_filter in arms:
        arm_settings = settings.with_home(out / "homes" / name.replace(" ", "-"))
        arm_settings.ensure_dirs()
        registry = ModelRegistry(arm_settings.intent_models_dir)
        v0 = registry.new_version_dir()
        shutil.copytree(base_dir, v0)
        registry.promote(v0.name, reason="simulation base")
        rng = random.Random(f"{seed}-{name}")
        feedback: list[dict[str, Any]] = []
        rows = []
        for r in range(1, rounds + 1):
            batch = stream[(r - 1) * per_round : r * per_round]
            from finetune.classifier import IntentClassifier

            preds = IntentClassifier(registry.current_path()).classify_batch([ex.text for ex in batch])
            injected = 0
            for i, (ex, p) in enumerate(zip(batch, preds)):
                if p.intent == ex.intent:
                    continue
                label = ex.intent
                wrong = rng.random() < noise_rate
                if wrong:
                    label = rng.choice([lbl for lbl in labels if lbl != ex.intent])
                    injected += 1
                feedback.append(
                    {
                        "text": ex.text,
                        "intent": label,
                        "source": "feedback:simulated",
                        "meta": {
                            "session": f"sim-{r}-{i}",
                            "predicted": p.intent,
                            "wrong": wrong,
                            "true": ex.intent,
                            "reviewer": "simulated",
                        },
                    }
                )  # retrain trains only on reviewed feedback
            report = retrain(
                arm_settings,
                base,
                dev,
                feedback,
                LoopConfig(noise_filter=noise_filter, feedback_weighting=weighting, holdout_fraction=0.0),
                intents=icfg.model_copy(update={"weighting": "importance" if weighting else "none"}),
                progress=False,
                write_report=False,
            )
            flagged = {(d["text"], d["label"]) for d in report["data"]["feedback_flagged_noise"]}
            kept = {tuple(x) for x in report["data"]["feedback_kept"]}
            wrong_rows = {(f["text"], f["intent"]) for f in feedback if f["meta"]["wrong"]}
            right_rows = {(f["text"], f["intent"]) for f in feedback if not f["meta"]["wrong"]}
            current = registry.current_path()
            rows.append(
                {
                    "round": r,
                    "corrections_total": len(feedback),
                    "wrong_corrections_total": len(wrong_rows),
                    "injected_this_round": injected,
                    "noise_caught": len(flagged & wrong_rows),
                    "noise_false_alarms": len(flagged & right_rows),
                    "wrong_kept_out_of_training": len(wrong_rows - kept),
                    "right_kept_out_of_training": len(right_rows - kept),
                    "decision": report["decision"],
                    "shifted_accuracy": _accuracy(current, shifted_test),
                    "dev_accuracy": _accuracy(current, dev),
                }
            )
            log.info("%s round %d: %s", name, r, rows[-1])
        results["arms"][name] = rows
    if sabotage:
        results["sabotage"] = _sabotage(settings, base, dev, base_dir, out, icfg, seed)
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    _plots(results, out)
    return results


def _sabotage(
    settings: Settings, base: list[Example], dev: list[Example], base_dir: Path, out: Path, icfg: Any, seed: int
) -> dict[str, Any]:
    """Retrain on shuffled labels: the promotion gate must refuse it."""
    home = settings.with_home(out / "homes" / "sabotage")
    home.ensure_dirs()
    registry = ModelRegistry(home.intent_models_dir)
    v0 = registry.new_version_dir()
    shutil.copytree(base_dir, v0)
    registry.promote(v0.name, reason="simulation base")
    rng = random.Random(seed)
    labels = [ex.intent for ex in base]
    rng.shuffle(labels)
    shuffled = [Example(ex.text, lbl, "sabotage") for ex, lbl in zip(base, labels)]
    report = retrain(
        home,
        shuffled,
        dev,
        [],
        LoopConfig(noise_filter=False),
        intents=icfg.model_copy(update={"weighting": "none"}),
        progress=False,
        write_report=False,
    )
    return {
        "decision": report["decision"],
        "reason": report["gate"]["reason"],
        "current_after": registry.current().name if registry.current() else None,
        "base_version": v0.name,
    }


def _plots(results: dict[str, Any], out: Path) -> None:
    from finetune.plots import line_plot

    rounds = [0] + [r["round"] for r in next(iter(results["arms"].values()))]
    shifted = {
        name: [results["base"]["shifted_accuracy"]] + [r["shifted_accuracy"] for r in rows]
        for name, rows in results["arms"].items()
    }
    devacc = {
        name: [results["base"]["dev_accuracy"]] + [r["dev_accuracy"] for r in rows] for name, rows in results["arms"].items()
    }
    line_plot(shifted, rounds, out / "shifted_accuracy.png", "Accuracy on the shifted (Hinglish) slice", "accuracy")
    line_plot(devacc, rounds, out / "dev_accuracy.png", "Accuracy on the original dev set", "accuracy")
