"""Stored analyses: what the index keeps decodes to exactly what the evidence would compute."""

from __future__ import annotations

import json
import random

from rag.answer import analysis
from rag.answer.analysis import AnalysisStore, DocumentAnalysis
from rag.answer.candidates import extract_candidates
from rag.answer.evidence import Evidence
from rag.documents import Chunk, Document, Section
from rag.loaders import load_path
from rag.retrieval import SearchHit
from rag.sentences import paragraph_bounds, split_sentences

from conftest import NEWS

_STATUTE = ("제1조(목적) 이 법은 인공지능의 건전한 발전을 지원하는 것을 목적으로 한다.\n\n"
            "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n"
            "1. \"인공지능\"이란 학습, 추론 등 인간의 지적 능력을 전자적 방법으로 구현한 것을 말한다.\n"
            "2. \"고영향 인공지능\"이란 사람의 생명에 중대한 영향을 미칠 우려가 있는 인공지능시스템을 말한다.\n"
            "  \n"
            "② 다음 각 호의 어느 하나에 해당하는 자에게는 3천만원 이하의 과태료를 부과한다.\n"
            "1. 표시 의무를 위반한 자\n"
            "시행일은 2026년 1월 22일이다.")
ACT = Document(doc_id="act", title="인공지능 기본법", text=_STATUTE,
               sections=(Section(0, _STATUTE.index("제2조"), "제1조", "제1조", "목적"),
                         Section(_STATUTE.index("제2조"), len(_STATUTE), "제2조", "제2조", "정의")))


def _computed(doc: Document, left: int, right: int):
    return [(span, tuple(extract_candidates(span))) for span in split_sentences(doc.text, left, right)]


def test_a_stored_paragraph_equals_the_computed_one(tmp_path):
    store = AnalysisStore(tmp_path)
    store.write(ACT)
    stored = store.get(ACT)
    assert stored is not None
    whole = stored.paragraph(ACT.text, 0, len(ACT.text))
    assert whole == _computed(ACT, 0, len(ACT.text)) and len(whole) >= 6
    line = ACT.text.index("2. ")
    left, right = paragraph_bounds(ACT.text, line, line + 5)
    assert stored.paragraph(ACT.text, left, right) == _computed(ACT, left, right)
    assert any("date" in c.types for span, found in whole for c in found)  # candidates kept their types


def test_every_paragraph_of_a_bundled_document_round_trips(tmp_path):
    store = AnalysisStore(tmp_path)
    doc = load_path(NEWS)[0]
    store.write(doc)
    stored = store.get(doc)
    rng = random.Random(0)
    for _ in range(40):
        start = rng.randrange(len(doc.text))
        left, right = paragraph_bounds(doc.text, start, min(len(doc.text), start + rng.randrange(1, 600)))
        assert stored.paragraph(doc.text, left, right) == _computed(doc, left, right)


def test_another_version_or_a_missing_file_means_no_stored_analysis(tmp_path):
    store = AnalysisStore(tmp_path)
    assert store.get(ACT) is None and not store.has(ACT)
    store.write(ACT)
    path = store.directory / f"{ACT.content_hash}.jsonl"
    header, _, rest = path.read_bytes().partition(b"\n")
    old = json.loads(header) | {"version": "an-older-analysis"}
    path.write_bytes(json.dumps(old).encode() + b"\n" + rest)
    assert AnalysisStore(tmp_path).get(ACT) is None


def test_keep_only_removes_other_texts_and_versions(tmp_path):
    store = AnalysisStore(tmp_path)
    other = Document(doc_id="b", title="b", text="위원회를 둔다.")
    store.write(ACT)
    store.write(other)
    (store.root / "an-older-analysis").mkdir()
    store.keep_only([ACT.content_hash])
    assert store.has(ACT) and not store.has(other)
    assert [p.name for p in store.root.iterdir()] == [analysis.ANALYSIS_VERSION]


def test_evidence_reads_the_stored_analysis_when_there_is_one(tmp_path, monkeypatch):
    store = AnalysisStore(tmp_path)
    store.write(ACT)
    hits = [SearchHit(chunk=Chunk("act", 0, len(ACT.text), ACT.text), title=ACT.title, score=1.0,
                      dense_score=None, bm25_score=None)]
    expected = Evidence().sentences(hits, {"act": ACT})

    def no_kiwi(*args, **kwargs):
        raise AssertionError("a stored paragraph was analysed again")

    monkeypatch.setattr("rag.answer.evidence.split_sentences", no_kiwi)
    monkeypatch.setattr("rag.answer.evidence.tokenize", no_kiwi)  # titles and list leads are stored too
    assert Evidence(store).sentences(hits, {"act": ACT}) == expected


def test_a_document_analysis_reads_only_lines_in_range(tmp_path):
    store = AnalysisStore(tmp_path)
    store.write(ACT)
    stored = DocumentAnalysis(store.directory / f"{ACT.content_hash}.jsonl")
    assert stored.paragraph(ACT.text, 0, 0) == []
    first_line_end = ACT.text.index("\n")
    spans = [span for span, _ in stored.paragraph(ACT.text, 0, first_line_end)]
    assert spans and all(span.end <= first_line_end for span in spans)
