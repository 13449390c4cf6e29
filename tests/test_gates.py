"""The gates of an evaluation set (:mod:`rag.gates`): floors, ceilings and targets from its TOML config."""

from rag.gates import check_thresholds, load_eval_config


def test_floors():
    metrics = {"recall@1": 0.25, "recall@5": 0.5, "mrr": (1 + 1 / 3 + 1 / 6) / 4}
    assert check_thresholds({"hybrid": metrics}, {"hybrid.recall@5": 0.5}) == []
    assert check_thresholds({"hybrid": metrics}, {"hybrid.recall@1": 0.9}) == ["hybrid.recall@1 = 0.250 < 0.900"]
    assert "no such metric" in check_thresholds({"hybrid": metrics}, {"hybrid.f1": 0.1})[0]


def test_config_loading(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("")
    (tmp_path / "s.toml").write_text("corpus = [\"corpus/news\", \"corpus/laws\"]\n[thresholds]\n\"hybrid.recall@5\" = 0.9\n")
    config = load_eval_config(path)
    assert config.corpus == ("corpus/news", "corpus/laws") and config.thresholds == {"hybrid.recall@5": 0.9}


def test_max_gates_and_the_fixed_invariant_gate(tmp_path):
    metrics = {"answer": {"exact_match": 0.9, "false_refusals": 0.2, "invariant_violations": 0.0}}
    assert check_thresholds(metrics, {"answer.exact_match": 0.85}, {"answer.false_refusals": 0.25}) == []
    assert check_thresholds(metrics, {}, {"answer.false_refusals": 0.1}) == ["answer.false_refusals = 0.200 > 0.100"]
    path = tmp_path / "s.jsonl"
    path.write_text("")
    (tmp_path / "s.toml").write_text('[thresholds]\n"answer.exact_match" = 0.85\n'
                                     '[max]\n"answer.false_refusals" = 0.1\n"answer.invariant_violations" = 5\n')
    config = load_eval_config(path)
    assert config.thresholds == {"answer.exact_match": 0.85}
    # A set may not loosen the invariant gate.
    assert config.maxima == {"answer.false_refusals": 0.1, "answer.invariant_violations": 0.0}
    assert load_eval_config(tmp_path / "none.jsonl").maxima == {"answer.invariant_violations": 0.0}
    broken = {"answer": {**metrics["answer"], "invariant_violations": 2.0}}
    assert check_thresholds(broken, {}, config.maxima)[-1] == "answer.invariant_violations = 2.000 > 0.000"


def test_targets_are_read_apart_from_the_gates(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("")
    (tmp_path / "s.toml").write_text('[thresholds]\n"answer.exact_match" = 0.6\n'
                                     '[target]\n"answer.exact_match" = 0.85\n'
                                     '[target_max]\n"answer.false_refusals" = 0.1\n')
    config = load_eval_config(path)
    assert config.thresholds == {"answer.exact_match": 0.6}
    assert config.targets == {"answer.exact_match": 0.85}
    assert config.target_maxima == {"answer.false_refusals": 0.1}
    metrics = {"answer": {"exact_match": 0.7, "false_refusals": 0.2}}
    assert check_thresholds(metrics, config.thresholds, config.maxima) == [
        "answer.invariant_violations: no such metric"]
    assert check_thresholds(metrics, config.targets, config.target_maxima) == [
        "answer.exact_match = 0.700 < 0.850", "answer.false_refusals = 0.200 > 0.100"]
