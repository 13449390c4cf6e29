"""``rag bench unindexed``: questions about statutes the index does not hold, and one real run (slow)."""

from __future__ import annotations

import pytest

from bench.unindexed import FORMS, question, run
from conftest import bench_over_the_ai_laws
from rag.documents import Document
from rag.pipeline import Pipeline
from rag.settings import Settings


def test_each_form_takes_the_object_particle_the_titles_last_syllable_needs():
    assert question("근로기준법", "{t}을/를 위반하면?") == "근로기준법을 위반하면?"
    assert question("부동산 거래신고 등에 관한 법률", "{t}을/를 위반하면?") == "부동산 거래신고 등에 관한 법률을 위반하면?"
    assert question("근로기준법", "{t}의 목적은?") == "근로기준법의 목적은?"
    assert all("{t}" in form for form in FORMS)


def test_every_question_about_an_unheld_statute_abstains_where_nothing_read_names_it(tmp_path, fake_embedder):
    pipeline = Pipeline(Settings(index_dir=tmp_path / "index", reader="rules", answer_cache=0), fake_embedder)
    pipeline.add_documents([Document(doc_id="rules", title="재단 복무 규정",
                                     text="복무\n\n위반하면 과태료 10만원을 부과한다. 신고 기한은 7일이다.")])
    figures = run(pipeline, limit=5, seed=0)
    assert figures["statutes_asked"] == 5 and figures["questions"] == 5 * len(FORMS)
    assert figures["read_evidence_naming_the_statute"] == 0.0 and figures["abstained"] == 1.0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_run_over_the_ai_laws_prints_its_figures(tmp_path):
    figures = bench_over_the_ai_laws("unindexed", tmp_path, "--limit", "10")
    assert figures["questions"] == 10 * len(FORMS)
    # Ten statutes none of the AI laws cites: every question abstains, though the answerer alone
    # would answer some of them from the AI laws' articles.
    assert figures["read_evidence_naming_the_statute"] == 0.0 and figures["abstained"] == 1.0, figures
