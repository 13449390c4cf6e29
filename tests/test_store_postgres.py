"""``RAG_STORE=postgresql://…``: the index in a real PostgreSQL server (rag/index/postgres.py, rag/stores.py).

Fast checks of the setting first; then, on the throwaway server of ``scripts/postgres-dev.sh``
and with the real model, the same documents indexed in files and in a database give the same
rankings, scores and answers, and a write through one pipeline is read by another.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from conftest import NEWS, ROOT
from rag.settings import Settings

ORDINANCE = ROOT / "corpus" / "laws" / "seoul_ai_basic_ordinance.md"
QUERIES = ("재단은 언제 설립되었나?", "서울특별시장은 인공지능 기본계획을 몇 년마다 세우나?", "인공지능 윤리", "시민 참여")


def test_the_store_is_embedded_or_a_postgresql_dsn():
    assert Settings().store == "embedded"
    assert Settings(store="postgresql://rag@db:5432/rag").store.startswith("postgresql://")
    with pytest.raises(ValidationError, match="RAG_STORE"):
        Settings(store="mysql://db/rag")


def test_a_password_never_reaches_messages():
    from rag.index.postgres import redacted

    assert redacted("postgresql://rag:s3cret@db.internal:5432/rag") == "postgresql://rag:***@db.internal:5432/rag"
    assert redacted("postgresql://rag@127.0.0.1:5432/rag") == "postgresql://rag@127.0.0.1:5432/rag"


def _documents():
    from rag.loaders import load_path

    return load_path(NEWS) + load_path(ORDINANCE)


def _said(result) -> str:
    """A command's output on one line: the console wraps long lines."""
    return " ".join(result.output.split())


def _ranking(pipeline, query, mode):
    return [(h.chunk.doc_id, h.chunk.start, h.chunk.end, round(h.score, 5)) for h in pipeline.search(query, 10, mode)]


@pytest.mark.slow
@pytest.mark.database
def test_a_database_index_ranks_scores_and_answers_as_the_embedded_one(tmp_path, database_dsn):
    from rag.pipeline import Pipeline

    embedded = Pipeline.from_config(Settings(index_dir=tmp_path / "files"))
    database = Pipeline.from_config(Settings(index_dir=tmp_path / "cache", store=database_dsn))
    documents = _documents()
    assert embedded.add_documents(documents).added == database.add_documents(documents).added
    assert database.store.root == database_dsn  # no password in this DSN: said as it is
    for query in QUERIES:
        for mode in ("hybrid", "dense", "bm25"):
            assert _ranking(database, query, mode) == _ranking(embedded, query, mode), (query, mode)
        ours, theirs = database.ask(query), embedded.ask(query)
        assert (ours.answer, ours.confidence, ours.citations) == (theirs.answer, theirs.confidence, theirs.citations)
    # A fresh process reads it all back from the database: the same again.
    reread = Pipeline.from_config(Settings(index_dir=tmp_path / "cache2", store=database_dsn))
    assert [d.doc_id for d in reread.documents()] == [d.doc_id for d in embedded.documents()]
    for query in QUERIES:
        assert _ranking(reread, query, "hybrid") == _ranking(embedded, query, "hybrid")
        assert reread.ask(query).answer == embedded.ask(query).answer


@pytest.mark.slow
@pytest.mark.database
def test_a_write_through_one_pipeline_is_read_by_another_and_old_generations_go(tmp_path, database_dsn):
    import psycopg

    from rag.documents import Document
    from rag.pipeline import Pipeline

    first = Pipeline.from_config(Settings(index_dir=tmp_path / "a", store=database_dsn))
    second = Pipeline.from_config(Settings(index_dir=tmp_path / "b", store=database_dsn))
    assert first.store.current() is None and second.documents() == []
    first.add_documents(_documents())
    assert not second.store.is_current(second.index)
    second.reload()
    assert second.store.is_current(second.index)
    assert {d.doc_id for d in second.documents()} == {d.doc_id for d in first.documents()}
    assert second.ask("재단은 언제 설립되었나?").answer == first.ask("재단은 언제 설립되었나?").answer
    # Through the second: one more document, then one fewer.
    note = Document(doc_id="note", title="공지", text="서울AI재단의 새 이사장은 2026년 3월에 취임했다.", source="test")
    second.add_documents([note])
    second.delete_document("seoul-ai-foundation")
    first.reload()
    assert {d.doc_id for d in first.documents()} == {d.doc_id for d in second.documents()} and "note" in first.index.documents
    assert all(h.chunk.doc_id != "seoul-ai-foundation" for h in first.search("재단", 20))
    assert first.ask("새 이사장은 언제 취임했나?").answer == second.ask("새 이사장은 언제 취임했나?").answer
    with psycopg.connect(database_dsn) as connection:
        generations = connection.execute("SELECT count(*) FROM rag_generation").fetchone()[0]
        listed = {name for (name,) in connection.execute(
            "SELECT DISTINCT jsonb_array_elements(manifest->'segments')->>'name' FROM rag_generation")}
        stored = {name for (name,) in connection.execute("SELECT name FROM rag_segment")}
        hashes = {h for (h,) in connection.execute("SELECT content_hash FROM rag_analysis")}
    assert generations == 2 and stored == listed  # the live generation and the one before; nothing else
    assert hashes >= {d.content_hash for d in first.documents()}
    # A server that has read none of them locally still knows they are there (one query).
    third = Pipeline.from_config(Settings(index_dir=tmp_path / "c", store=database_dsn))
    unseen = Document(doc_id="unseen", title="미등록", text="아직 색인되지 않은 문서다.")
    assert third.analyses.missing([*third.documents(), unseen]) == [unseen]


@pytest.mark.database
def test_an_index_of_another_schema_is_refused(database_dsn):
    import psycopg

    from rag.index import IndexCorruptError
    from rag.index.postgres import PostgresStore

    PostgresStore(database_dsn).close()
    with psycopg.connect(database_dsn, autocommit=True) as connection:
        connection.execute("UPDATE rag_schema SET version = 99")
    with pytest.raises(IndexCorruptError, match="schema 99"):
        PostgresStore(database_dsn)


@pytest.mark.slow
@pytest.mark.database
def test_two_servers_on_one_database_answer_each_others_writes_and_outlast_it(tmp_path, postgres_server, database_dsn):
    import time
    from urllib.parse import urlsplit

    import psycopg

    from servers import Server

    token = "wtok-database-test"
    voucher = {"id": "hanbit-voucher", "title": "한빛시 청년 AI 바우처",
               "text": "한빛시는 2031년 3월 청년 AI 바우처 사업을 시작했다. 바우처 한도는 1인당 120만 원이다. "
                       "신청은 한빛시 누리집에서 받는다."}
    servers = [Server(tmp_path / name, tmp_path / f"{name}.log", RAG_STORE=database_dsn, RAG_API_TOKEN=token).start()
               for name in ("first", "second")]
    try:
        with servers[0].client(token) as first, servers[1].client(token) as second:
            assert first.post("/v1/documents", json=voucher).status_code == 201
            # The other server reads the new generation from the database before answering.
            answer = second.post("/v1/ask", json={"question": "한빛시 청년 AI 바우처의 1인당 한도는 얼마인가?"}).json()
            assert answer["answer"] == "120만 원"
            quote = answer["citations"][0]
            text = second.get(f"/v1/documents/{quote['doc_id']}").json()["text"]
            assert text[quote["start"]:quote["end"]] == quote["quote"]
            # The database goes away: both go on answering from the generation they hold.
            name = urlsplit(database_dsn).path.lstrip("/")
            with psycopg.connect(postgres_server, autocommit=True) as admin:
                admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
                try:
                    for client in (first, second, first):
                        started = time.monotonic()
                        response = client.post("/v1/ask", json={"question": "한빛시 청년 AI 바우처의 1인당 한도는 얼마인가?"})
                        assert response.status_code == 200 and response.json()["answer"] == "120만 원"
                        assert time.monotonic() - started < 10
                finally:
                    admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            assert "store_unreachable" in servers[0].log
            time.sleep(5.5)  # past the servers' pause before asking the database again
            assert second.delete("/v1/documents/hanbit-voucher").status_code == 204
            assert first.get("/v1/documents/hanbit-voucher").status_code == 404
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
@pytest.mark.database
@pytest.mark.timeout(300)  # a lock left behind would hang the last write
def test_a_writer_killed_mid_write_leaves_the_previous_generation_and_frees_the_lock(tmp_path, database_dsn):
    import os
    import signal
    import subprocess
    import sys

    from rag.documents import Document
    from rag.pipeline import Pipeline

    pipeline = Pipeline.from_config(Settings(index_dir=tmp_path / "a", store=database_dsn))
    pipeline.add_documents(_documents())
    before = pipeline.store.current()
    # A write of a long document, killed while it embeds (holding the write lock).
    script = (
        "import sys\n"
        "from rag.documents import Document\nfrom rag.pipeline import Pipeline\nfrom rag.settings import Settings\n"
        f"pipeline = Pipeline.from_config(Settings(index_dir={str(tmp_path / 'b')!r}, store={database_dsn!r}))\n"
        "text = '\\n\\n'.join(f'한빛시 공고 제{n}호는 시민 {n}명에게 바우처를 준다.' * 8 for n in range(800))\n"
        "def progress(stage, done, total):\n"
        "    if stage == 'embedding':\n"
        "        print('embedding', flush=True)\n"
        "pipeline.add_documents([Document(doc_id='large', title='공고 전집', text=text)], progress=progress)\n"
        "print('finished', flush=True)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "embedding"
    os.kill(writer.pid, signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL  # killed, not finished
    assert pipeline.store.current() == before and pipeline.store.is_current(pipeline.index)
    # The lock died with the writer's connection: the next write goes through.
    pipeline.add_documents([Document(doc_id="note", title="공지", text="두리시는 2029년 AI 센터를 열었다.")])
    assert pipeline.store.current() != before and "large" not in pipeline.store.load().documents


@pytest.mark.database
def test_rag_index_init_creates_the_tables_and_says_what_the_database_holds(database_dsn, monkeypatch, tmp_path):
    import psycopg
    from typer.testing import CliRunner

    from rag.cli import app

    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.delenv("RAG_STORE", raising=False)
    result = CliRunner().invoke(app, ["index", "init"])
    assert result.exit_code == 0 and "embedded: nothing to create" in _said(result)
    monkeypatch.setenv("RAG_STORE", database_dsn)
    result = CliRunner().invoke(app, ["index", "init"])
    assert result.exit_code == 0, result.output
    assert "schema 1" in _said(result) and "no documents yet" in _said(result)
    with psycopg.connect(database_dsn) as connection:
        assert connection.execute("SELECT version FROM rag_schema").fetchone()[0] == 1
    # Nothing listens on this port: one line, exit 5.
    monkeypatch.setenv("RAG_STORE", "postgresql://rag@127.0.0.1:1/rag")
    result = CliRunner().invoke(app, ["index", "init"])
    assert result.exit_code == 5 and "cannot reach the index's database at postgresql://rag@127.0.0.1:1/rag" in _said(result)
    from rag.index.postgres import PostgresStore, StoreUnavailableError

    with pytest.raises(StoreUnavailableError) as raised:
        PostgresStore("postgresql://rag@127.0.0.1:1/rag")
    assert "\n" not in str(raised.value)  # one line on standard error
