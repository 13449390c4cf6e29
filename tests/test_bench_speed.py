"""``rag bench speed``: the pure parts fast, and one quick run end to end (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bench import speed
from bench.langchain_baseline import PrefixCheck, embeddings_fields, to_langchain_documents
from bench.speed_report import Latency, Recall, SpeedReport, VariantResult, figures, ratio, ratio_rows, targets
from rag.documents import Document
from rag.evaluation import percentile

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("ours", "langchain", "http")


def _variant(key: str, p50: float, rss: float, qps: float, build: float | None = 10.0) -> VariantResult:
    latency = Latency(samples=100, p50_ms=p50, p95_ms=2 * p50, p99_ms=3 * p50, mean_ms=p50)
    return VariantResult(key, key, "engine", build, 300, latency, {1: qps, 4: 2 * qps}, rss)


def _report(ours_p50: float = 20.0, ours_rss: float = 800.0) -> SpeedReport:
    floor = Latency.of([5.0, 6.0])
    return SpeedReport(
        mode="quick", concurrency=[1, 4],
        variants=[_variant("ours", ours_p50, ours_rss, 40.0), _variant("langchain", 50.0, 1000.0, 20.0),
                  _variant("http", 25.0, 850.0, 30.0, build=None)],
        embed_floors={"engine": floor}, faiss_floor=floor,
        quality=[Recall("article_dev", 51, {"ours hybrid": 0.98, "langchain dense": 0.76})],
        prefix_check=PrefixCheck(1.0, 1.0, 0.99, 0.996), environment={"cpus": 2},
    )


# -- figures and ratios -------------------------------------------------------------------


def test_latency_percentiles_are_the_projects_nearest_rank_ones():
    samples = [float(n) for n in range(1, 201)]
    latency = Latency.of(samples)
    assert (latency.p50_ms, latency.p95_ms, latency.p99_ms) == (percentile(samples, 50), percentile(samples, 95),
                                                                 percentile(samples, 99))
    assert latency.samples == 200 and latency.mean_ms == pytest.approx(100.5)
    assert Latency.of([]).p50_ms == 0.0


def test_ratio_is_ours_over_baseline_and_none_when_undefined():
    assert ratio(20.0, 50.0) == pytest.approx(0.4)
    assert ratio(None, 50.0) is None
    assert ratio(20.0, None) is None
    assert ratio(20.0, 0.0) is None


def test_ratio_rows_hold_every_figure_of_every_variant():
    rows = ratio_rows(_report().variants, [1, 4])
    assert [r.figure for r in rows] == ["build_seconds", "p50_ms", "p95_ms", "p99_ms", "qps@1", "qps@4", "peak_rss_mb"]
    by_figure = {r.figure: r for r in rows}
    assert by_figure["p50_ms"].values == {"ours": 20.0, "langchain": 50.0, "http": 25.0}
    assert by_figure["p50_ms"].ratios == {"ours": pytest.approx(0.4), "http": pytest.approx(0.5)}
    assert by_figure["qps@4"].ratios["ours"] == pytest.approx(2.0) and by_figure["qps@4"].higher_is_better
    assert by_figure["build_seconds"].ratios["http"] is None  # it serves the index ours built
    assert [f.name for f in figures([1])][-2:] == ["qps@1", "peak_rss_mb"]


@pytest.mark.parametrize(("ours_p50", "ours_rss", "met"),
                         [(40.0, 1000.0, [True, True]), (40.1, 1000.1, [False, False])])
def test_targets_compare_with_the_baseline(ours_p50, ours_rss, met):
    found = targets(_report(ours_p50, ours_rss).variants)
    assert [t.met for t in found] == met
    assert found[0].limit == pytest.approx(0.8 * 50.0) and found[1].limit == 1000.0


def test_report_json_has_ratios_targets_and_the_prefix_verdict():
    data = json.loads(json.dumps(_report().to_dict()))
    assert [v["key"] for v in data["variants"]] == list(VARIANTS)
    assert {row["figure"] for row in data["ratios"]} >= {"p50_ms", "peak_rss_mb", "qps@4"}
    assert [t["met"] for t in data["targets"]] == [True, True]
    assert data["prefix_check"]["ok"] is True


def test_prefix_check_fails_when_a_vector_differs():
    assert not PrefixCheck(query_cosine=0.996, passage_cosine=1.0, unprefixed_query_cosine=1.0,
                           ours_query_cosine=1.0).ok


# -- measuring ----------------------------------------------------------------------------


def test_rotated_changes_who_goes_first():
    assert [speed.rotated("abc", turn) for turn in range(4)] == [list("abc"), list("bca"), list("cab"), list("abc")]


def test_latency_questions_subsample_evenly_or_repeat_whole_passes():
    questions = [f"q{n}" for n in range(10)]
    assert speed.latency_questions(questions, 5) == ["q0", "q2", "q4", "q6", "q8"]
    assert speed.latency_questions(questions, 25) == questions * 3


def test_interleaved_latencies_rotate_blocks_through_the_probes(monkeypatch):
    monkeypatch.setattr(speed, "ENGINE_PAUSE_S", 0.0)
    calls: list[tuple[str, str]] = []
    probes = {name: (lambda q, name=name: calls.append((name, q))) for name in ("a", "b")}
    samples = speed.interleaved_latencies(probes, ["1", "2", "3", "4"], block=2)
    assert calls == [("a", "1"), ("a", "2"), ("b", "1"), ("b", "2"),
                     ("b", "3"), ("b", "4"), ("a", "3"), ("a", "4")]
    assert {name: len(ms) for name, ms in samples.items()} == {"a": 4, "b": 4}


def test_warm_up_asks_every_distinct_question_of_every_probe_once():
    calls: list[tuple[str, str]] = []
    probes = {name: (lambda q, name=name: calls.append((name, q))) for name in ("a", "b")}
    speed.warm_up(probes, ["1", "2", "1"])
    assert calls == [("a", "1"), ("a", "2"), ("b", "1"), ("b", "2")]


def test_interleaved_throughput_sums_rounds_per_level(monkeypatch):
    monkeypatch.setattr(speed, "ENGINE_PAUSE_S", 0.0)
    runners = {"fast": lambda callers, seconds: (10 * callers, 1.0), "slow": lambda callers, seconds: (callers, 2.0)}
    assert speed.interleaved_throughput(runners, [1, 4], rounds=2, seconds=1.0) == {
        "fast": {1: 10.0, 4: 40.0}, "slow": {1: 0.5, 4: 2.0}}


def test_thread_throughput_runs_every_caller_until_the_deadline():
    threads: set[int] = set()

    def probe(question: str) -> None:
        threads.add(threading.get_ident())
        time.sleep(0.005)

    answered, elapsed = speed.thread_throughput(probe, ["q"], callers=3, seconds=0.1)
    assert len(threads) == 3 and answered >= 3 and elapsed >= 0.1


def test_recall_at_k_counts_questions_with_a_relevant_hit():
    cases = [("q1", lambda hit: hit[0] == "d1"), ("q2", lambda hit: "답" in hit[1])]
    searchers = {"right": lambda q: [("d1", "답")], "half": lambda q: [("d2", "답")], "none": lambda q: []}
    assert speed.recall_at_k(cases, searchers) == {"right": 1.0, "half": 0.5, "none": 0.0}


def test_peak_rss_of_this_process_is_read_from_proc():
    assert 1 < speed.peak_rss_mb() < 100_000


# -- the LangChain baseline without its model -----------------------------------------------


class RecordingModel:
    """Stands in for the SentenceTransformer HuggingFaceEmbeddings wraps; records each encode call."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict]] = []

    def encode(self, texts, **kwargs):
        self.calls.append((list(texts), kwargs))
        return np.zeros((len(texts), 2), dtype=np.float32)


def test_langchain_embeddings_pass_the_e5_prefixes_to_sentence_transformers(monkeypatch):
    from langchain_huggingface import HuggingFaceEmbeddings

    # HuggingFaceEmbeddings imports sentence_transformers on every call; the real one would load torch for nothing.
    monkeypatch.setitem(sys.modules, "sentence_transformers", sys.modules.get("sentence_transformers")
                        or types.ModuleType("sentence_transformers"))

    embeddings = HuggingFaceEmbeddings.model_construct(**embeddings_fields(Path("/models/e5")))
    model = RecordingModel()
    embeddings._client = model
    embeddings.embed_query("재단은 언제 설립되었나?")
    embeddings.embed_documents(["이 재단은\n2016년 설립"])
    (query_texts, query_kwargs), (passage_texts, passage_kwargs) = model.calls
    assert query_texts == ["재단은 언제 설립되었나?"] and query_kwargs["prompt"] == "query: "
    assert passage_texts == ["이 재단은 2016년 설립"] and passage_kwargs["prompt"] == "passage: "
    assert query_kwargs["normalize_embeddings"] and passage_kwargs["normalize_embeddings"]
    assert embeddings.model_name == "/models/e5" and embeddings.model_kwargs == {"device": "cpu"}


def test_langchain_documents_carry_the_normalised_text_and_id():
    document = Document(doc_id="act", title="법", text="제1조(목적)\n이 법은 …")
    (converted,) = to_langchain_documents([document])
    assert converted.page_content == document.text
    assert converted.metadata == {"doc_id": "act", "title": "법"}


# -- the command ---------------------------------------------------------------------------


def test_extra_corpus_folders_add_their_documents_and_a_missing_one_is_refused(tmp_path):
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "notice.txt").write_text("공지\n센터는 2030년 문을 열었다.", encoding="utf-8")
    base = speed._documents([])
    assert [d.title for d in speed._documents([folder])] == [d.title for d in base] + ["공지"]
    with pytest.raises(SystemExit, match="no such folder: .*nowhere"):
        speed.main(["--corpus", str(tmp_path / "nowhere")])


def test_bench_speed_says_what_is_missing_outside_a_checkout(monkeypatch, tmp_path):
    import rag
    from rag.cli import app

    monkeypatch.setattr(rag, "__file__", str(tmp_path / "site-packages" / "rag" / "__init__.py"))
    result = CliRunner().invoke(app, ["bench", "speed", "--quick"])
    assert result.exit_code == 2
    assert "source checkout" in result.output


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quick_run_writes_every_variant_and_figure(tmp_path):
    completed = subprocess.run([str(Path(sys.executable).with_name("rag")), "bench", "speed", "--quick",
                                "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    data = json.loads((tmp_path / "speed-quick.json").read_text())
    variants = {v["key"]: v for v in data["variants"]}
    assert set(variants) == set(VARIANTS)
    for variant in variants.values():
        assert variant["latency"]["samples"] > 0 and variant["latency"]["p50_ms"] > 0
        assert set(variant["throughput_qps"]) == {"1", "4"} and all(q > 0 for q in variant["throughput_qps"].values())
        assert variant["peak_rss_mb"] > 0
    assert variants["ours"]["build_seconds"] > 0 and variants["langchain"]["build_seconds"] > 0
    for row in data["ratios"]:
        assert set(row["values"]) == set(VARIANTS) and set(row["ratios"]) == {"ours", "http"}
    assert len(data["targets"]) == 2 and data["prefix_check"]["ok"]
    assert data["faiss_floor"]["samples"] > 0 and len(data["embed_floors"]) == 2
    assert {q["name"] for q in data["quality"]} >= {"article_dev"}
    assert "target:" in completed.stdout
