"""Real fine-tuning on tiny data (1 epoch, the packaged MiniLM), the registry and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisle.cli import main
from aisle.errors import DataError
from finetune.classifier import IntentClassifier
from finetune.registry import ModelRegistry
from finetune.schema import load_examples


def _train(tiny: Path, *extra: str) -> int:
    return main(["train", "intents", "--data", str(tiny), "--epochs", "1", "--approach", "finetune", *extra])


def test_train_register_promote_evaluate_and_rollback(settings, tiny_intents: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _train(tiny_intents, "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["promoted"] is True and first["gate"]["passed"]
    reg = ModelRegistry(settings.intent_models_dir)
    v1 = reg.current()
    assert v1 is not None
    for f in ("curves.png", "confusion.png", "reliability.png", "aisle_intents.json", "config.json"):
        assert (v1.path / f).exists(), f
    manifest = v1.manifest
    assert manifest["data"]["train_sha256"] and manifest["temperature"] > 0
    assert set(manifest["labels"]) == {"greeting", "track_order", "cancel_order", "out_of_scope"}

    pred = IntentClassifier(v1.path).classify("where is my parcel?")
    assert pred.intent in manifest["labels"] and 0 <= pred.confidence <= 1
    assert len(pred.top_k) == 3 and pred.top_k[0][1] >= pred.top_k[1][1]

    assert main(["eval", "intents", "--data", str(tiny_intents / "dev.jsonl"), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"n", "accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "oos_precision", "ece"} <= set(metrics)
    assert metrics["n"] == 24
    # the agent's whole router (classifier + rules) is scored with the same report
    assert main(["eval", "intents", "--data", str(tiny_intents / "dev.jsonl"), "--router", "--json"]) == 0
    routed = json.loads(capsys.readouterr().out)
    assert routed["scope"] == "router" and routed["n"] == 24 and 0 <= routed["accuracy"] <= 1

    # a second run is registered; whatever the gate says, rollback to v1 is one command
    assert _train(tiny_intents, "--json", "--seed", "7") == 0
    capsys.readouterr()
    assert len(reg.versions()) == 2
    assert main(["models", "promote", v1.name.split("-")[0]]) == 0
    assert reg.current().name == v1.name
    assert any(e["event"] == "promoted" for e in reg.history())


def test_gate_refuses_a_deliberately_bad_model(
    settings, tiny_intents: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _train(tiny_intents, "--json") == 0
    capsys.readouterr()
    reg = ModelRegistry(settings.intent_models_dir)
    good = reg.current()
    # sabotage: train on shuffled labels
    rows = [json.loads(line) for line in (tiny_intents / "train.jsonl").read_text().splitlines()]
    labels = [r["intent"] for r in rows]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "train.jsonl").write_text(
        "".join(json.dumps({"text": r["text"], "intent": labels[(i * 7 + 3) % len(labels)]}) + "\n" for i, r in enumerate(rows))
    )
    (bad_dir / "dev.jsonl").write_text((tiny_intents / "dev.jsonl").read_text())
    # the gate compares on the *fixed* dev set (the good one): use it explicitly
    assert (
        main(
            [
                "train",
                "intents",
                "--data",
                str(bad_dir / "train.jsonl"),
                "--dev",
                str(tiny_intents / "dev.jsonl"),
                "--epochs",
                "3",
                "--approach",
                "finetune",
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["promoted"] is False and not summary["gate"]["passed"]
    assert reg.current().name == good.name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "hi", "intent": "greeting"}\n{oops\n', "not valid JSON"),
        ('{"text": "hi", "intent": "greeting", "lang": "en"}\n', "unknown field"),
        ('{"text": "   ", "intent": "greeting"}\n', "empty 'text'"),
        ('{"text": "hi"}\n', "missing 'intent'"),
    ],
)
def test_malformed_training_files(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "train.jsonl"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        load_examples(f)
    assert str(f) in str(err.value)


def test_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    from aisle.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="does not exist"):
        IntentClassifier(tmp_path / "nope")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "aisle_intents.json").write_text("{not json")
    with pytest.raises(ModelNotFoundError, match="corrupt"):
        IntentClassifier(tmp_path / "broken")


def test_label_with_one_example_fails_training(settings, tmp_path: Path, tiny_intents: Path) -> None:
    f = tmp_path / "train.jsonl"
    f.write_text(
        (tiny_intents / "train.jsonl").read_text() + json.dumps({"text": "what a lovely day", "intent": "weather_chat"}) + "\n"
    )
    assert (
        main(
            [
                "train",
                "intents",
                "--data",
                str(f),
                "--dev",
                str(tiny_intents / "dev.jsonl"),
                "--epochs",
                "1",
                "--approach",
                "finetune",
            ]
        )
        == 2
    )
