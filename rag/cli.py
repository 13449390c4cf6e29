"""The ``rag`` command: ingest, search, ask, a REPL, inspect documents, evaluate, benchmark.

Every command translates its arguments into :class:`rag.Pipeline` calls and renders
the result (:mod:`rag.render`); no retrieval or answering logic lives here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rag.cli_bench import bench_app
from rag.cli_eval import evaluate
from rag.cli_train import train_app
from rag.render import (answer_view, article_dict, articles_table, document_rows, document_view, documents_table,
                        hit_dict, hits_table)
from rag.terminal import (console, fail, friendly_errors, ingest_with_progress, load_pipeline, progress_bar,
                          read_documents)

app = typer.Typer(help="Question answering with exact citations over Korean civic documents.", no_args_is_help=True)
docs_app = typer.Typer(help="List, show and delete indexed documents.", no_args_is_help=True)
index_app = typer.Typer(help="Maintain the index.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(index_app, name="index")
app.add_typer(bench_app, name="bench")
app.add_typer(train_app, name="train")
app.command("eval")(evaluate)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (searched recursively)."),
    replace: bool = typer.Option(False, "--replace", help="Drop every indexed document not in PATHS (and rebuild an index made with other settings)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Add documents to the index (.txt, .md, .html, law XML, Markdown statutes)."""
    with friendly_errors():
        # With --replace, an index built another way (another model, chunker or tokenizer) is built again.
        pipeline = load_pipeline(rebuild=replace)
        with progress_bar() as progress:
            documents = read_documents(paths, progress)
            report = ingest_with_progress(pipeline, documents, replace, progress)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    console.print(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)} · {report.chunks_embedded} chunks embedded in {report.seconds:.1f}s "
        f"({report.chunks_per_second:.1f} chunks/s) · index holds {report.total_chunks} chunks "
        f"at {pipeline.store.root}"
    )


@app.command()
def search(
    query: Optional[str] = typer.Argument(None, help="The question or keywords."),
    k: int = typer.Option(10, "-k", min=1, max=100, help="How many chunks (or article units) to return."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    batch: Optional[Path] = typer.Option(None, "--batch", help='JSONL of {"id","question"}; one result line each.'),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense or bm25."),
    unit: str = typer.Option("chunk", "--unit", help="chunk, or article: statute articles (조) ranked by "
                             "learned weights over both retrievers' chunks, each with its chunks."),
) -> None:
    """Rank chunks (or articles) for a query, or for every line of a --batch file."""
    if mode not in ("hybrid", "dense", "bm25"):
        fail(f"unknown --mode {mode!r}: use hybrid, dense or bm25", 2)
    if unit not in ("chunk", "article"):
        fail(f"unknown --unit {unit!r}: use chunk or article", 2)
    if unit == "article" and mode != "hybrid":
        fail("--unit article ranks the chunks of both retrievers: --mode does not apply", 2)
    if (query is None) == (batch is None):
        fail("give either a QUERY or --batch FILE", 2)
    with friendly_errors():
        rows = _read_batch(batch) if batch is not None else None  # a bad file fails before the model loads
        pipeline = load_pipeline()

        def results(text: str) -> list[dict]:
            if unit == "article":
                return [article_dict(h, pipeline.index) for h in pipeline.search_articles(text, k)]
            return [hit_dict(h) for h in pipeline.search(text, k, mode)]

        if rows is not None:
            for row in rows:
                print(json.dumps({"id": row["id"], "query": row["question"], "results": results(row["question"])},
                                 ensure_ascii=False), flush=True)
            return
        if as_json:
            print(json.dumps({"query": query, "results": results(query)}, ensure_ascii=False))
            return
        if unit == "article":
            console.print(articles_table(query, pipeline.search_articles(query, k), pipeline.index))
        else:
            console.print(hits_table(query, pipeline.search(query, k, mode)))


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="The question."),
    k: Optional[int] = typer.Option(
        None, "-k", min=1, max=20, help="Retrieved chunks the answerer reads (default: RAG_ANSWER_HITS)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer object as JSON."),
    batch: Optional[Path] = typer.Option(
        None, "--batch", help='JSONL of {"id","question"}; one JSON answer line each, carrying the id.'
    ),
) -> None:
    """Answer with a short span of the documents and the sentences that say it, or say they do not."""
    if (question is None) == (batch is None):
        fail("give either a QUESTION or --batch FILE", 2)
    with friendly_errors():
        rows = _read_batch(batch) if batch is not None else None
        pipeline = load_pipeline()
        if rows is not None:
            for row in rows:
                # The answer object's id is a string, whatever JSON type the input used.
                answer = pipeline.ask(row["question"], k, question_id=str(row["id"]))
                print(answer.model_dump_json(), flush=True)
            return
        answer = pipeline.ask(question, k)
    if as_json:
        print(answer.model_dump_json())
        return
    console.print(answer_view(answer))


@app.command()
def repl() -> None:
    """Interactive questions with history; :search, :docs, :show, :help and :quit inside."""
    from rag.repl import start

    start()


def _read_batch(path: Path) -> list[dict]:
    """Rows of a batch file; every line needs ``id`` and a non-empty ``question``."""
    from rag.jsonl import read_jsonl

    rows = []
    for number, row in read_jsonl(path):
        if "id" not in row or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise ValueError(f"{path}:{number}: needs an 'id' and a non-empty 'question'")
        rows.append(row)
    return rows


@docs_app.command("list")
def docs_list(as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """Indexed documents with their titles and sizes."""
    with friendly_errors():
        rows = document_rows(load_pipeline())
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    console.print(documents_table(rows))


@docs_app.command("show")
def docs_show(doc_id: str, as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """A document's metadata and the normalised text that all offsets refer to."""
    with friendly_errors():
        document = load_pipeline().document(doc_id)
    if as_json:
        print(json.dumps(document.to_dict(), ensure_ascii=False))
        return
    console.print(document_view(document), highlight=False)


@docs_app.command("delete")
def docs_delete(doc_id: str) -> None:
    """Remove a document and its chunks from the index."""
    with friendly_errors():
        load_pipeline().delete_document(doc_id)
    console.print(f"deleted {doc_id}")


@index_app.command("init")
def index_init() -> None:
    """Create the index's tables in the PostgreSQL database RAG_STORE names (or check the ones there), and
    say what it holds. The embedded index needs none: its folder is made by the first ingest."""
    from rag.index.postgres import SCHEMA_VERSION
    from rag.settings import Settings
    from rag.stores import open_store

    with friendly_errors():
        settings = Settings()
        if settings.store == "embedded":
            console.print(f"RAG_STORE is embedded: nothing to create (the first ingest makes {settings.index_dir})")
            return
        store = open_store(settings)
        try:
            index = store.load()
        finally:
            store.close()
    held = f"{len(index.documents)} documents, {len(index.chunks)} chunks" if index else "no documents yet"
    console.print(f"{store.root}: index tables of schema {SCHEMA_VERSION}; {held}", highlight=False)


@index_app.command("optimize")
def index_optimize() -> None:
    """Fold the index's segments into one, without the chunks of replaced or deleted documents.

    Writes add a segment each and merge small ones as they go; this is for after a large
    batch of edits. Readers keep answering meanwhile.
    """
    with friendly_errors():
        before, after = load_pipeline().optimize()
    console.print(f"segments: {before} -> {after}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes; each loads the model once."),
) -> None:
    """Run the HTTP API (uvicorn). The model and index load once per worker at start-up; /readyz says when."""
    from rag.launch import run_api

    # api/ is built on rag, so the server runs as a program of its own (rag.launch says why).
    run_api(host, port, workers)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
