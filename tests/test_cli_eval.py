"""How `rag eval` prints its figures for a person (rag/cli_eval.py), without an index or the model."""

from pathlib import Path

from rag.cli_eval import print_reliability
from rag.terminal import console


def test_eval_prints_the_reliability_table_for_a_person():
    rows = [{"from": 0.4, "to": 0.5, "answers": 3, "confidence": 0.4567, "right": 0.3333},
            {"from": 0.9, "to": 1.0, "answers": 7, "confidence": 0.9412, "right": 1.0}]
    with console.capture() as captured:
        print_reliability(Path("civic_dev.jsonl"), rows)
    text = captured.get()
    assert "civic_dev.jsonl: confidence against being right" in text
    lines = [line for line in text.splitlines() if "0.4–0.5" in line or "0.9–1.0" in line]
    assert ["3", "0.457", "0.333"] == lines[0].replace("│", " ").split()[1:]
    assert ["7", "0.941", "1.000"] == lines[1].replace("│", " ").split()[1:]
