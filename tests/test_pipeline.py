import threading

import pytest

from rag.documents import Document
from rag.inputs import MAX_QUERY_CHARS, DocumentNotFoundError, validate_doc_id
from rag.pipeline import Pipeline
from rag.settings import Settings

from conftest import NEWS


@pytest.fixture
def pipeline(tmp_path, fake_embedder):
    # The rule answerer: these tests are about storage, caching and input checks, and stay
    # fast; the reader's answers are tested with the real model in test_reader.py.
    return Pipeline(Settings(index_dir=tmp_path / "index", reader="rules"), fake_embedder)


def _doc(doc_id, text, title=None):
    return Document(doc_id=doc_id, title=title or doc_id, text=text)


def test_reingesting_unchanged_documents_is_a_no_op(pipeline):
    docs = [_doc("a", "재단은 2016년 설립되었다."), _doc("b", "위원회를 둔다.")]
    first = pipeline.add_documents(docs)
    generation = pipeline.store.current()
    assert first.added == ["a", "b"] and first.chunks_embedded == 2
    again = pipeline.add_documents(docs)
    assert again.unchanged == ["a", "b"] and again.chunks_embedded == 0
    assert pipeline.store.current() == generation  # nothing was written


def test_changed_document_replaces_its_chunks(pipeline):
    pipeline.add_documents([_doc("a", "옛 내용입니다."), _doc("b", "다른 문서")])
    report = pipeline.add_documents([_doc("a", "새 내용입니다.")])
    assert report.updated == ["a"] and report.chunks_embedded == 1
    texts = sorted(c.chunk.text for c in pipeline.index.chunks)
    assert texts == ["다른 문서", "새 내용입니다."]
    assert pipeline.document("a").text == "새 내용입니다."


def test_replace_drops_documents_not_given(pipeline):
    pipeline.add_documents([_doc("a", "가"), _doc("b", "나")])
    report = pipeline.add_documents([_doc("b", "나")], replace=True)
    assert report.removed == ["a"] and report.unchanged == ["b"]
    assert [d.doc_id for d in pipeline.documents()] == ["b"]


def test_delete_removes_document_and_chunks(pipeline):
    pipeline.add_documents([_doc("a", "재단 설립"), _doc("b", "위원회 구성")])
    pipeline.delete_document("a")
    assert [d.doc_id for d in pipeline.documents()] == ["b"]
    assert all(c.chunk.doc_id == "b" for c in pipeline.index.chunks)
    assert all(h.chunk.doc_id == "b" for h in pipeline.search("재단 설립", k=5))
    with pytest.raises(DocumentNotFoundError, match="no document with id 'a'"):
        pipeline.delete_document("a")
    with pytest.raises(DocumentNotFoundError):
        pipeline.document("a")


def test_other_process_writes_are_seen_on_reload(tmp_path, fake_embedder):
    one = Pipeline(Settings(index_dir=tmp_path / "index"), fake_embedder)
    two = Pipeline(Settings(index_dir=tmp_path / "index"), fake_embedder)
    one.add_documents([_doc("a", "가")])
    two.add_documents([_doc("b", "나")])  # builds on a's generation, not on its stale view
    one.reload()
    assert [d.doc_id for d in one.documents()] == ["a", "b"]


def test_concurrent_writers_are_serialised(tmp_path, fake_embedder):
    pipelines = [Pipeline(Settings(index_dir=tmp_path / "index"), fake_embedder) for _ in range(4)]
    threads = [threading.Thread(target=p.add_documents, args=([_doc(f"d{n}", f"문서 {n}")],))
               for n, p in enumerate(pipelines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pipelines[0].reload()
    assert [d.doc_id for d in pipelines[0].documents()] == ["d0", "d1", "d2", "d3"]


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "a/b", "..", "a\x00b", "x" * 201, "한 글"])
def test_invalid_document_ids_are_rejected(pipeline, bad):
    with pytest.raises(ValueError, match="invalid document id"):
        validate_doc_id(bad)
    with pytest.raises(ValueError):
        pipeline.add_documents([_doc(bad, "본문")])


def test_duplicate_ids_in_one_ingest_and_empty_queries_are_errors(pipeline):
    with pytest.raises(ValueError, match="appears twice"):
        pipeline.add_documents([_doc("a", "가"), _doc("a", "나")])
    with pytest.raises(ValueError, match="empty"):
        pipeline.search("   ")


def test_empty_and_overlong_questions_are_refused_before_any_work(pipeline):
    with pytest.raises(ValueError, match="the question is empty"):
        pipeline.ask(" \n ")
    with pytest.raises(ValueError, match=f"too long \\({MAX_QUERY_CHARS + 1} characters"):
        pipeline.ask("가" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(ValueError, match="the query is too long"):
        pipeline.search("가" * (MAX_QUERY_CHARS + 1))


def test_ask_echoes_the_id_cites_the_stored_text_and_respects_doc_ids(pipeline):
    pipeline.add_documents([_doc("a", "재단 소식\n\n이 재단은 2016년 설립 이래 혁신에 기여했다."),
                            _doc("b", "위원회 소식\n\n위원회는 2019년 설립되었다.")])
    answer = pipeline.ask("  재단은 언제 설립되었나?  ", question_id="q1")
    assert answer.id == "q1" and answer.question == "재단은 언제 설립되었나?"
    assert answer.abstained == (answer.answer is None)
    for citation in answer.citations:
        assert pipeline.document(citation.doc_id).text[citation.start:citation.end] == citation.quote
    assert answer.timings_ms.total >= answer.timings_ms.retrieve > 0
    only_b = pipeline.ask("재단은 언제 설립되었나?", doc_ids=["b"])
    assert all(c.doc_id == "b" for c in only_b.citations)
    with pytest.raises(ValueError, match="'c'"):
        pipeline.ask("재단은 언제 설립되었나?", doc_ids=["b", "c"])


@pytest.mark.parametrize("question", ["", "  ", "?!", "…", "\u0000\u0001"])
def test_a_question_without_a_letter_or_digit_is_refused(pipeline, question):
    with pytest.raises(ValueError, match="empty|no letter or digit"):
        pipeline.ask(question)


def test_repeated_questions_are_answered_from_the_cache_until_a_write(pipeline):
    pipeline.add_documents([_doc("a", "재단 소식\n\n이 재단은 2016년 설립되었다.")])
    first = pipeline.ask("재단은 언제 설립되었나?", question_id="q1")
    again = pipeline.ask("재단은 언제 설립되었나?", question_id="q2")
    assert again.id == "q2" and first.id == "q1"
    assert again.model_dump(exclude={"id", "timings_ms"}) == first.model_dump(exclude={"id", "timings_ms"})
    assert again.timings_ms.retrieve == 0  # nothing was retrieved
    assert first.answer == "2016년"

    pipeline.add_documents([_doc("a", "재단 소식\n\n이 재단은 2018년 설립되었다.")])
    assert pipeline.ask("재단은 언제 설립되었나?").answer == "2018년"  # not the cached 2016년
    pipeline.delete_document("a")
    assert pipeline.ask("재단은 언제 설립되었나?").abstained


def test_answer_cache_can_be_turned_off(tmp_path, fake_embedder):
    pipeline = Pipeline(Settings(index_dir=tmp_path / "index", answer_cache=0, reader="rules"), fake_embedder)
    pipeline.add_documents([_doc("a", "이 재단은 2016년 설립되었다.")])
    pipeline.ask("재단은 언제 설립되었나?")
    assert pipeline.ask("재단은 언제 설립되었나?").timings_ms.retrieve > 0 and len(pipeline.answers) == 0


@pytest.mark.slow
def test_bundled_corpus_with_real_model_finds_the_founding_year(tmp_path):
    from rag.loaders import load_path

    pipeline = Pipeline.from_config(Settings(index_dir=tmp_path / "index"))
    pipeline.add_documents(load_path(NEWS))
    assert "2016년" in pipeline.search("재단은 언제 설립되었나?", k=1)[0].chunk.text
    # A paraphrase that shares no content word with the answer sentence: dense retrieval's job.
    paraphrase = pipeline.search("서울AI재단이 처음 문을 연 해는?", k=2, mode="dense")
    assert any("2016년" in h.chunk.text for h in paraphrase)
    for hit in pipeline.search("출범식 장소", k=5):
        assert pipeline.document(hit.chunk.doc_id).text[hit.chunk.start:hit.chunk.end] == hit.chunk.text


def test_warm_up_works_on_an_empty_index(pipeline):
    pipeline.warm_up()
    assert pipeline.ask("재단은 언제 설립되었나?").abstained  # nothing indexed, nothing to cite


def test_search_ranks_the_documents_a_query_names_first(pipeline):
    act = Document(doc_id="act", title="농촌 진흥법", text="장관은 5년마다 계획을 세운다.",
                   metadata={"법령명약칭": "마을지원기본법"})
    ordinance = _doc("ord", "구청장은 2년마다 마을 지원 계획을 세운다. 마을 지원 계획은 공개한다.", title="조례")
    pipeline.add_documents([ordinance, act])
    assert pipeline.search("마을지원기본법의 마을 지원 계획", k=2)[0].chunk.doc_id == "act"
    # a query that is only a name still finds that document
    assert pipeline.search("마을지원기본법", k=2)[0].chunk.doc_id == "act"


def test_ingest_stores_each_documents_analysis_and_drops_removed_ones(pipeline):
    a, b = _doc("a", "재단은 2016년 설립되었다."), _doc("b", "위원회를 둔다.")
    stages = []
    pipeline.add_documents([a, b], progress=lambda stage, done, total: stages.append(stage))
    assert "analysing" in stages
    assert pipeline.analyses.has(a) and pipeline.analyses.has(b)
    pipeline.delete_document("a")
    pipeline.add_documents([_doc("c", "새 문서")])
    # The generation before the last write may still be read: its texts stay until the next one.
    assert not pipeline.analyses.has(a) and pipeline.analyses.has(b)


def test_ingest_reports_each_stage_in_order_and_tokenising_to_the_last_chunk(pipeline):
    reports = []
    pipeline.add_documents([_doc("a", "재단은 2016년 설립되었다."), _doc("b", "위원회를 둔다.")],
                           progress=lambda stage, done, total: reports.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in reports))
    assert [stage for stage in stages if stage in ("chunking", "embedding", "tokenising")] == [
        "chunking", "embedding", "tokenising"]
    assert "analysing" in stages
    tokenising = [(done, total) for stage, done, total in reports if stage == "tokenising"]
    assert tokenising[-1][0] == tokenising[-1][1] == len(pipeline.index.chunks)


def test_a_served_index_is_frozen_out_of_the_garbage_collectors_walks(pipeline):
    import gc

    pipeline.add_documents([_doc("a", "재단은 2016년 설립되었다."), _doc("b", "위원회를 둔다.")])
    chunk = pipeline.index.chunks[0]
    # frozen objects are in no generation, so a full collection does not walk them
    assert not any(chunk is obj for obj in gc.get_objects())
    assert gc.get_freeze_count() > 0


def test_an_ingest_with_nothing_new_fills_in_missing_analyses(pipeline):
    a = _doc("a", "재단은 2016년 설립되었다.")
    pipeline.add_documents([a])
    pipeline.analyses.keep_only([])
    assert not pipeline.analyses.has(a)
    (pipeline.analyses.root / "an-older-analysis").mkdir()
    pipeline.add_documents([a])
    assert pipeline.analyses.has(a)
    assert [p.name for p in pipeline.analyses.root.iterdir()] == [pipeline.analyses.directory.name]
    assert pipeline.ask("재단은 언제 설립되었나?").answer == "2016년"


def test_a_question_about_a_statute_the_index_does_not_hold_abstains_and_names_it(pipeline):
    pipeline.add_documents([
        _doc("leave", "휴가 안내\n\n직원의 연차휴가는 매년 15일로 한다.", title="재단 복무 규정"),
        _doc("assoc", "협회\n\n협회에 관하여는 「민법」 중 사단법인에 관한 규정을 준용한다.", title="협회 규정")])
    unheld = pipeline.ask("근로기준법상 연차휴가는 며칠인가요?")
    assert unheld.abstained and unheld.answer is None and unheld.citations == []
    assert unheld.unindexed_statutes == ["근로기준법"]
    # The same words without the statute's name are answered from the documents.
    assert pipeline.ask("직원의 연차휴가는 며칠인가요?").unindexed_statutes == []
    # A statute the documents speak of is read about there: the question goes to the answerer.
    cited = pipeline.ask("협회에 준용되는 「민법」 규정은 어떤 법인에 관한 것인가?")
    assert cited.unindexed_statutes == ["민법"]
    assert cited.answer is not None and "사단법인" in cited.answer
