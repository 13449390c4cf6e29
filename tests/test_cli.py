"""The `rag` command end to end, in subprocesses, with the real model and a temporary index."""

import json
import os
import subprocess
import sys

import pytest

from rag.answer.models import Answer
from rag.documents import Document
from rag.evaluation import citation_violations
from rag.render import ABSTAINED

from conftest import ROOT, NEWS

pytestmark = pytest.mark.slow


def rag(*args, index_dir, check=True, **env):
    result = subprocess.run(
        [sys.executable, "-m", "rag", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", **env}, timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"rag {args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    report = json.loads(rag("ingest", NEWS, "--json", index_dir=index_dir).stdout)
    assert report["added"] == ["seoul-ai-foundation"] and report["total_chunks"] > 1
    return index_dir


def test_search_json_has_offsets_and_all_scores(index_dir):
    out = json.loads(rag("search", "재단은 언제 설립되었나?", "-k", 3, "--json", index_dir=index_dir).stdout)
    assert out["query"] == "재단은 언제 설립되었나?" and len(out["results"]) == 3
    doc = json.loads(rag("docs", "show", "seoul-ai-foundation", "--json", index_dir=index_dir).stdout)
    for hit in out["results"]:
        assert doc["text"][hit["start"]:hit["end"]] == hit["text"]
        assert set(hit) == {"doc_id", "title", "start", "end", "text", "section", "score", "dense_score", "bm25_score"}
    assert any("2016년" in hit["text"] for hit in out["results"])


def test_search_by_article_unit_gives_each_unit_with_its_chunks(index_dir):
    out = json.loads(rag("search", "재단은 언제 설립되었나?", "-k", 2, "--unit", "article", "--json",
                         index_dir=index_dir).stdout)
    assert len(out["results"]) == 2
    doc = json.loads(rag("docs", "show", "seoul-ai-foundation", "--json", index_dir=index_dir).stdout)
    for unit in out["results"]:
        # A news article has no 조: each of its chunks is a unit of its own.
        assert unit["article"] is None and unit["doc_id"] == "seoul-ai-foundation" and len(unit["chunks"]) == 1
        assert all(doc["text"][c["start"]:c["end"]] == c["text"] for c in unit["chunks"])
    table = rag("search", "재단은 언제 설립되었나?", "--unit", "article", index_dir=index_dir).stdout
    assert "seoul-ai-foundation" in table
    bad = rag("search", "재단", "--unit", "article", "--mode", "bm25", index_dir=index_dir, check=False)
    assert bad.returncode == 2 and "--mode does not apply" in bad.stderr
    assert rag("search", "재단", "--unit", "page", index_dir=index_dir, check=False).returncode == 2


def test_batch_search_keeps_ids_and_order(index_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "출범식은 어디서 열렸나?"}\n\n{"id": 7, "question": "이사장은 누구인가?"}\n',
                     encoding="utf-8")
    lines = rag("search", "--batch", batch, "-k", 2, "--json", index_dir=index_dir).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == ["a", 7]
    assert all(len(r["results"]) == 2 and r["query"] for r in rows)


def test_bad_batch_line_is_a_clear_error(index_dir, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": "a", "question": ""}\n', encoding="utf-8")
    result = rag("search", "--batch", batch, "--json", index_dir=index_dir, check=False)
    assert result.returncode == 2 and "bad.jsonl:1" in result.stderr


def test_reingest_is_a_no_op_and_docs_list(index_dir):
    report = json.loads(rag("ingest", NEWS, "--json", index_dir=index_dir).stdout)
    assert report["unchanged"] == ["seoul-ai-foundation"] and report["chunks_embedded"] == 0
    docs = json.loads(rag("docs", "list", "--json", index_dir=index_dir).stdout)
    assert [d["doc_id"] for d in docs] == ["seoul-ai-foundation"] and docs[0]["chunks"] > 1


def test_unknown_document_and_unsupported_file(index_dir, tmp_path):
    assert rag("docs", "show", "nope", index_dir=index_dir, check=False).returncode == 4
    odd = tmp_path / "a.pdf"
    odd.write_bytes(b"%PDF")
    result = rag("ingest", odd, index_dir=index_dir, check=False)
    assert result.returncode == 2 and ".pdf" in result.stderr


def test_delete_then_mismatched_settings_are_refused(index_dir, tmp_path):
    other = tmp_path / "other"
    (tmp_path / "n.txt").write_text("공지\n재단 설립", encoding="utf-8")
    rag("ingest", tmp_path / "n.txt", index_dir=other)
    rag("docs", "delete", "n", index_dir=other)
    assert json.loads(rag("docs", "list", "--json", index_dir=other).stdout) == []
    refused = rag("search", "재단", index_dir=index_dir, check=False, RAG_CHUNK_SIZE="300")
    assert refused.returncode == 3 and "--replace" in refused.stderr


def test_the_rebuild_the_refusal_names_works(tmp_path):
    """`rag ingest --replace` builds an index made with other settings again; without it, nothing changes."""
    index_dir = tmp_path / "index"
    (tmp_path / "n.txt").write_text("공지\n재단은 2016년에 설립되었다.", encoding="utf-8")
    rag("ingest", tmp_path / "n.txt", index_dir=index_dir)
    refused = rag("ingest", tmp_path / "n.txt", index_dir=index_dir, check=False, RAG_CHUNK_SIZE="300")
    assert refused.returncode == 3 and "rag ingest corpus/ --replace" in refused.stderr
    report = json.loads(rag("ingest", tmp_path / "n.txt", "--replace", "--json", index_dir=index_dir,
                            RAG_CHUNK_SIZE="300").stdout)
    assert report["added"] == ["n"] and report["total_chunks"] == 1
    found = json.loads(rag("search", "재단 설립", "--json", index_dir=index_dir, RAG_CHUNK_SIZE="300").stdout)
    assert found["results"][0]["doc_id"] == "n"
    assert rag("search", "재단", index_dir=index_dir, check=False).returncode == 3  # now the old settings differ


# -- rag ask -----------------------------------------------------------------------------

QUESTION = "서울디지털재단은 몇 년에 설립되었나?"


def _document_texts(index_dir) -> dict:
    return {doc["doc_id"]: Document.from_dict(doc)
            for doc in (json.loads(rag("docs", "show", d["doc_id"], "--json", index_dir=index_dir).stdout)
                        for d in json.loads(rag("docs", "list", "--json", index_dir=index_dir).stdout))}


def test_ask_prints_the_answer_object_and_a_readable_answer(index_dir):
    answer = Answer.model_validate_json(rag("ask", QUESTION, "-k", 3, "--json", index_dir=index_dir).stdout)
    assert answer.question == QUESTION and answer.id is None
    assert citation_violations(answer, _document_texts(index_dir)) == []
    shown = rag("ask", QUESTION, "-k", 3, index_dir=index_dir, COLUMNS="200").stdout
    if answer.abstained:
        assert ABSTAINED in shown
    else:
        assert shown.startswith(answer.answer) and f"{answer.answer_type} · confidence" in shown
    for citation in answer.citations:
        assert citation.title in shown and f"{citation.start}–{citation.end}" in shown


def test_ask_says_which_statute_a_question_names_that_the_index_does_not_hold(index_dir):
    shown = rag("ask", "근로기준법상 연차휴가는 며칠인가요?", index_dir=index_dir, COLUMNS="200").stdout
    assert shown.startswith(ABSTAINED) and "not among the documents: 「근로기준법」" in shown


def test_ask_batch_keeps_ids_one_answer_per_line(index_dir, tmp_path):
    questions = [("a", QUESTION), (7, "출범식은 어디서 열렸나?"), ("u", "서울AI재단의 올해 예산은 얼마인가?")]
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps({"id": i, "question": q}, ensure_ascii=False) for i, q in questions) + "\n\n",
                     encoding="utf-8")
    lines = rag("ask", "--batch", batch, "--json", index_dir=index_dir).stdout.splitlines()
    answers = [Answer.model_validate_json(line) for line in lines]
    assert [(a.id, a.question) for a in answers] == [(str(i), q) for i, q in questions]
    documents = _document_texts(index_dir)
    assert [problem for a in answers for problem in citation_violations(a, documents)] == []


@pytest.mark.parametrize(
    ("args", "batch_text", "message"),
    [
        ((), None, "either a QUESTION or --batch"),
        (("  ",), None, "the question is empty"),
        (("가" * 1001,), None, "too long"),
        (("질문", "--batch"), '{"id": 1, "question": "q"}\n', "either a QUESTION or --batch"),
        (("--batch",), '{"id": 1, "question": "q"}\n{"question": "no id"}\n', "bad.jsonl:2"),
        (("--batch",), "[1, 2]\n", "bad.jsonl:1: expected a JSON object"),
    ],
)
def test_ask_bad_input_is_a_clear_error(index_dir, tmp_path, args, batch_text, message):
    if batch_text is not None:
        (tmp_path / "bad.jsonl").write_text(batch_text, encoding="utf-8")
        args = (*args, tmp_path / "bad.jsonl")
    result = rag("ask", *args, index_dir=index_dir, check=False)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# -- rag eval ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    """Four answerable and two unanswerable questions on the bundled article."""
    rows = [json.loads(line) for line in (ROOT / "eval" / "article_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["answerable"]][:4] + [r for r in rows if not r["answerable"]][:2]
    path = tmp_path_factory.mktemp("eval") / "tiny.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _eval(set_path, gates: str, *args):
    set_path.with_suffix(".toml").write_text(gates, encoding="utf-8")
    return rag("eval", "--set", set_path, "--corpus", NEWS, "--json", *args,
               index_dir=set_path.parent / "unused", check=False)


def test_eval_reports_answer_metrics_and_passes_its_gates(tiny_set):
    result = _eval(tiny_set, '[thresholds]\n"answer.exact_match" = 0\n"answer.citation_hit" = 0\n'
                             '[max]\n"answer.false_refusals" = 1\n', "--calibrate", "--part", "all")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["part"], report["questions"], report["answerable"]) == ("all", 6, 4)
    answers = report["metrics"]["answer"]
    assert {"exact_match", "f1", "citation_hit", "abstention_recall", "false_refusals", "invariant_violations"} <= set(answers)
    assert answers["invariant_violations"] == 0 and report["violations"] == [] and report["failures"] == []
    assert set(report["latency_ms"]["ask"]) == {"median", "p95"} and report["metrics"]["hybrid"]["recall@5"] > 0
    calibration = report["calibration"]
    assert calibration["best"] in [row["threshold"] for row in calibration["rows"]] and calibration["criterion"]


def test_eval_evaluates_and_gates_the_report_half_by_default(tiny_set):
    rows = [json.loads(line) for line in tiny_set.read_text(encoding="utf-8").splitlines()]
    report_ids = [r["id"] for r in rows if r["part"] == "report"]
    assert 0 < len(report_ids) < len(rows)
    result = _eval(tiny_set, '[thresholds]\n"answer.exact_match" = 0\n')
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["part"], report["questions"], report["set_questions"]) == ("report", len(report_ids), len(rows))
    unsplit = tiny_set.with_name("unsplit.jsonl")
    unsplit.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "part"}, ensure_ascii=False) + "\n"
                               for r in rows), encoding="utf-8")
    result = _eval(unsplit, "")
    assert result.returncode == 2 and "--part all" in result.stderr


def test_eval_fails_on_a_floor_or_a_ceiling(tiny_set):
    result = _eval(tiny_set, '[thresholds]\n"answer.exact_match" = 1.01\n[max]\n"answer.false_refusals" = -1\n',
                   "--part", "all")
    assert result.returncode == 1
    failures = json.loads(result.stdout)["failures"]
    assert [f.split(" ")[0] for f in failures] == ["answer.exact_match", "answer.false_refusals"]


ARTICLE_STATUTE = """# 시험법

##### 제1조 (목적)

이 법은 자격시험의 시행에 필요한 사항을 정함을 목적으로 한다.

##### 제2조 (응시료)

응시자는 시험일 7일 전까지 응시료 만 원을 내야 한다.

##### 제3조 (합격 기준)

필기시험은 매 과목 40점 이상, 전 과목 평균 60점 이상을 득점한 사람을 합격자로 한다.
"""


def test_eval_scores_an_article_set_by_article_and_names_a_gold_file_it_cannot_find(tmp_path):
    laws = tmp_path / "laws"
    laws.mkdir()
    (laws / "exam_act.md").write_text(ARTICLE_STATUTE, encoding="utf-8")
    (laws / "SOURCES.md").write_text("# 출처\n시험법 원문", encoding="utf-8")  # a note, not a document
    rows = [{"id": "a", "question": "시험 보려면 응시료를 언제까지 내야 하나요?",
             "gold": [{"doc": "laws/exam_act.md", "article": "제2조"}], "answerable": True},
            {"id": "b", "question": "평균 몇 점 이상이면 합격인가요?",
             "gold": [{"doc": "laws/exam_act.md", "article": "제3조"}], "answerable": True},
            {"id": "c", "question": "시험장 주차는 가능한가요?", "gold": [], "answerable": False}]
    set_path = tmp_path / "articles.jsonl"
    set_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = _eval(set_path, '[thresholds]\n"hybrid.recall@10" = 1.0\n', "--part", "all", "--extra-corpus", laws)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["unit"] == "article" and report["answerable"] == 2
    assert report["metrics"]["hybrid"]["recall@10"] == 1.0 and "ndcg@10" in report["metrics"]["bm25"]
    assert set(report["metrics"]["answer"]) == {"answered", "abstention_recall", "false_refusals",
                                                "invariant_violations", "first_citation_hit"}
    assert report["index"]["documents"] == 2  # the bundled article and the act; SOURCES.md is not indexed
    rows[0]["gold"] = [{"doc": "laws/absent_act.md", "article": "제2조"}]
    set_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = _eval(set_path, "", "--part", "all", "--extra-corpus", laws)
    assert result.returncode != 0 and "laws/absent_act.md" in result.stderr


def test_eval_asks_a_set_over_the_documents_its_config_names(tmp_path):
    laws = tmp_path / "laws"
    laws.mkdir()
    (laws / "exam_act.md").write_text(ARTICLE_STATUTE, encoding="utf-8")
    rows = [{"id": "a", "question": "응시료는 얼마인가요?", "answers": ["만 원"], "answerable": True}]
    set_path = tmp_path / "fees.jsonl"
    set_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    set_path.with_suffix(".toml").write_text(f'corpus = ["{laws}"]\n', encoding="utf-8")
    result = rag("eval", "--set", set_path, "--json", "--part", "all", index_dir=tmp_path / "unused", check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["index"]["documents"] == 1  # the act alone, not all of corpus/
    set_path.with_suffix(".toml").write_text(f'corpus = ["{laws}", "{tmp_path / "gone"}"]\n', encoding="utf-8")
    result = rag("eval", "--set", set_path, "--json", "--part", "all", index_dir=tmp_path / "unused", check=False)
    assert result.returncode == 2 and "gone" in result.stderr


def test_eval_scores_a_passage_set_per_kind_of_answer(tmp_path):
    laws = tmp_path / "laws"
    laws.mkdir()
    (laws / "exam_act.md").write_text(ARTICLE_STATUTE, encoding="utf-8")
    rows = [{"id": "p", "question": "시험법은 뭘 위해 만들었나요?", "kind": "purpose", "answerable": True, "answers": [],
             "gold": {"doc_id": "exam-act", "section": "제1조", "key_phrases": ["자격시험의 시행에 필요한 사항"]}},
            {"id": "s", "question": "응시료는 얼마인가요?", "kind": "short", "answerable": True, "answers": ["만 원"],
             "gold": {"doc_id": "exam-act", "section": "제2조", "key_phrases": []}},
            {"id": "u", "question": "시험장 주차는 가능한가요?", "kind": "unanswerable", "answerable": False,
             "answers": [], "gold": None}]
    set_path = tmp_path / "passages.jsonl"
    set_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = _eval(set_path, '[thresholds]\n"hybrid.recall@10" = 1.0\n', "--part", "all", "--extra-corpus", laws)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)["metrics"]
    assert {"purpose", "short", "unanswerable"} <= set(metrics)
    assert "key_phrases" in metrics["purpose"] and "exact_match" in metrics["short"]
    assert "abstention_recall" in metrics["unanswerable"] and metrics["answer"]["invariant_violations"] == 0
    # The reliability table behind the ECE, one row per confidence bin of the answers given.
    given = json.loads(result.stdout)["reliability"]
    assert given and sum(row["answers"] for row in given) == round(sum(
        metrics[kind]["answered"] * metrics[kind]["questions"] for kind in ("purpose", "short", "unanswerable")))


def test_eval_scores_the_kind_set_by_its_learned_and_its_cue_rule_calls(tmp_path):
    result = rag("eval", "--set", "eval/kind_dev.jsonl", "--json", index_dir=tmp_path / "unused")
    report = json.loads(result.stdout)
    assert report["part"] == "report" and report["failures"] == []
    assert {"learned", "cue_rules"} == set(report["metrics"])
    assert report["metrics"]["learned"]["questions"] == report["metrics"]["cue_rules"]["questions"] > 100
    # A floor the set cannot reach fails the run, naming the metric.
    strict = tmp_path / "kind_dev.jsonl"
    strict.write_text((ROOT / "eval" / "kind_dev.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    strict.with_suffix(".toml").write_text('[thresholds]\n"learned.kind" = 1.01\n', encoding="utf-8")
    failed = rag("eval", "--set", strict, "--json", index_dir=tmp_path / "unused", check=False)
    assert failed.returncode == 1 and json.loads(failed.stdout)["failures"][0].startswith("learned.kind")


def test_bench_korquad_reports_retrieval_answers_and_failures(tmp_path):
    from test_korquad import ARTICLES, _write_dataset

    data = _write_dataset(tmp_path / "k.json", ARTICLES)
    out = tmp_path / "out"
    result = json.loads(rag("bench", "korquad", "--data", data, "--split", "all", "--out", out, "--json",
                            index_dir=tmp_path / "unused").stdout)
    assert result["questions"] == 3 and result["paragraphs"] == 2
    assert set(result["metrics"]) == {"dense", "bm25", "hybrid"} and "misses" not in result
    for setting in ("open", "reader"):
        figures = result["answers"][setting]
        assert figures["questions"] == 3 and 0.0 <= figures["f1"] <= 1.0 and set(figures["failures"]) >= {"boundary"}
    lines = (out / "korquad-all-answers.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and json.loads((out / "korquad-all.json").read_text(encoding="utf-8")) == result


def test_bench_korquad_without_data_skips_with_a_message(tmp_path):
    result = rag("bench", "korquad", "--data", tmp_path / "absent.json", index_dir=tmp_path / "unused")
    assert result.returncode == 0 and "KorQuAD data not found" in result.stderr


def test_eval_asks_a_dialogue_set_turn_by_turn_and_gates_it(tmp_path):
    turn = {"kind": "short", "answerable": True, "gold": {"doc_id": "seoul-ai-foundation", "section": None,
                                                          "key_phrases": []}}
    rows = [{"id": "d1", "part": "tune", "turns": [
        {**turn, "question": "서울디지털재단은 몇 년에 설립되었나?", "follow_up": False, "answers": ["2016년"]},
        {**turn, "question": "이사장은 누구야?", "follow_up": True, "answers": ["김만기"]}]}]
    set_path = tmp_path / "talk.jsonl"
    set_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    set_path.with_suffix(".toml").write_text('[thresholds]\n"follow_up.with_history" = 1.01\n', encoding="utf-8")
    result = rag("eval", "--set", set_path, "--corpus", NEWS, "--part", "tune", "--json",
                 index_dir=tmp_path / "unused", check=False)
    assert result.returncode == 1, result.stderr  # the floor above 1 fails
    report = json.loads(result.stdout)
    assert report["metrics"]["follow_up"]["turns"] == 1 and report["metrics"]["opening"] == {"turns": 1, "right": 1.0}
    [failure] = report["failures"]
    assert failure.startswith("follow_up.with_history = ") and failure.endswith(" < 1.010")
    table = rag("eval", "--set", set_path, "--corpus", NEWS, "--part", "tune", index_dir=tmp_path / "unused",
                check=False)
    assert "follow_up.with_history" in table.stdout and "≥ 1.01" in table.stdout
    assert "gate failed" in table.stderr
