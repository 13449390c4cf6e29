"""The ``rag`` command: ingest, search, inspect documents, evaluate, benchmark.

Every command translates its arguments into :class:`rag.Pipeline` calls and renders
the result; no retrieval logic lives here.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.documents import Document
from rag.settings import Settings

app = typer.Typer(help="Question answering with exact citations over Korean civic documents.", no_args_is_help=True)
docs_app = typer.Typer(help="List, show and delete indexed documents.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks on outside data.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(bench_app, name="bench")

console = Console()
errors = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Turn the library's expected failures into one readable line and an exit code."""
    from rag.index import IndexCorruptError, IndexMismatchError
    from rag.loaders import UnsupportedFormatError
    from rag.pipeline import DocumentNotFoundError

    try:
        yield
    except (IndexMismatchError, IndexCorruptError) as error:
        _fail(str(error), 3)
    except DocumentNotFoundError as error:
        _fail(str(error), 4)
    except (UnsupportedFormatError, FileNotFoundError, ValueError) as error:
        _fail(str(error), 2)


def _pipeline(settings: Settings | None = None):
    from rag.pipeline import Pipeline

    with console.status("loading model and index…"):
        return Pipeline.from_config(settings)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=False,
    )


def _read_documents(paths: list[Path], progress: Progress) -> list[Document]:
    from rag.loaders import iter_files, load_file

    files = iter_files(paths)
    task = progress.add_task("reading", total=len(files))
    documents = []
    for path in files:
        documents.append(load_file(path))
        progress.advance(task)
    return documents


def _ingest(pipeline, documents: list[Document], replace: bool, progress: Progress):
    tasks: dict[str, int] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
            if not errors.is_terminal:  # no live bar in logs: say when each stage starts
                errors.print(f"{stage} {total}…", highlight=False)
        progress.update(tasks[stage], completed=done, total=total)

    return pipeline.add_documents(documents, replace=replace, progress=on_progress)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (searched recursively)."),
    replace: bool = typer.Option(False, "--replace", help="Drop every indexed document not in PATHS."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Add documents to the index (.txt, .md, .html, law XML, Markdown statutes)."""
    with _friendly_errors():
        pipeline = _pipeline()
        with _progress() as progress:
            documents = _read_documents(paths, progress)
            report = _ingest(pipeline, documents, replace, progress)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    console.print(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)} · {report.chunks_embedded} chunks embedded in {report.seconds:.1f}s "
        f"({report.chunks_per_second:.1f} chunks/s) · index holds {report.total_chunks} chunks "
        f"at {pipeline.settings.index_dir}"
    )


def _hit_dict(hit) -> dict:
    chunk = hit.chunk
    return {
        "doc_id": chunk.doc_id, "title": hit.title, "start": chunk.start, "end": chunk.end, "text": chunk.text,
        "section": chunk.section, "score": hit.score, "dense_score": hit.dense_score, "bm25_score": hit.bm25_score,
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


@app.command()
def search(
    query: Optional[str] = typer.Argument(None, help="The question or keywords."),
    k: int = typer.Option(10, "-k", min=1, max=100, help="How many chunks to return."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    batch: Optional[Path] = typer.Option(None, "--batch", help='JSONL of {"id","question"}; one result line each.'),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense or bm25."),
) -> None:
    """Rank chunks for a query, or for every line of a --batch file."""
    if mode not in ("hybrid", "dense", "bm25"):
        _fail(f"unknown --mode {mode!r}: use hybrid, dense or bm25", 2)
    if (query is None) == (batch is None):
        _fail("give either a QUERY or --batch FILE", 2)
    with _friendly_errors():
        pipeline = _pipeline()
        if batch is not None:
            for row in _read_batch(batch):
                hits = pipeline.search(row["question"], k, mode)
                print(json.dumps({"id": row["id"], "query": row["question"], "results": [_hit_dict(h) for h in hits]},
                                 ensure_ascii=False), flush=True)
            return
        hits = pipeline.search(query, k, mode)
    if as_json:
        print(json.dumps({"query": query, "results": [_hit_dict(h) for h in hits]}, ensure_ascii=False))
        return
    table = Table(title=f"{query}", show_lines=True)
    for column in ("#", "document", "section", "offsets", "fused", "dense", "bm25", "text"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        text = c.text if len(c.text) <= 160 else c.text[:160] + "…"
        table.add_row(str(rank), f"{hit.title}\n[dim]{c.doc_id}[/]", c.section or "", f"{c.start}–{c.end}",
                      _fmt(hit.score, 4), _fmt(hit.dense_score), _fmt(hit.bm25_score, 2), text)
    console.print(table if hits else "[yellow]no matching chunks[/]")


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
    with _friendly_errors():
        pipeline = _pipeline()
    counts: dict[str, int] = {}
    for item in pipeline.index.chunks:
        counts[item.chunk.doc_id] = counts.get(item.chunk.doc_id, 0) + 1
    rows = [
        {"doc_id": d.doc_id, "title": d.title, "kind": d.kind, "date": d.date, "chars": len(d.text),
         "chunks": counts.get(d.doc_id, 0)}
        for d in pipeline.documents()
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} documents")
    for column in ("doc_id", "title", "kind", "date", "chars", "chunks"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c] or "") for c in ("doc_id", "title", "kind", "date", "chars", "chunks")))
    console.print(table)


@docs_app.command("show")
def docs_show(doc_id: str, as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """A document's metadata and the normalised text that all offsets refer to."""
    with _friendly_errors():
        document = _pipeline().document(doc_id)
    data = document.to_dict()
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    for key in ("doc_id", "title", "kind", "date", "publisher", "source"):
        if data[key]:
            console.print(f"[bold]{key}[/]: {data[key]}", highlight=False)
    console.print(f"[bold]sections[/]: {len(document.sections)}  [bold]chars[/]: {len(document.text)}\n")
    console.print(document.text, highlight=False, markup=False)


@docs_app.command("delete")
def docs_delete(doc_id: str) -> None:
    """Remove a document and its chunks from the index."""
    with _friendly_errors():
        _pipeline().delete_document(doc_id)
    console.print(f"deleted {doc_id}")


@app.command("eval")
def evaluate(
    set_path: Path = typer.Option(..., "--set", help="Evaluation set (JSONL)."),
    extra_corpus: list[Path] = typer.Option([], "--extra-corpus", help="More documents to index with corpus/."),
    corpus: Path = typer.Option(Path("corpus"), "--corpus", help="The bundled corpus folder."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Retrieval recall@1/5/10 and MRR per retriever on a fresh temporary index; fails under the set's thresholds."""
    from rag.evaluation import check_thresholds, contains_answer, evaluate_retrieval, load_eval_config, load_eval_set

    with _friendly_errors():
        questions = load_eval_set(set_path)
        config = load_eval_config(set_path)
        missing = [p for p in extra_corpus if not p.exists()]
        if missing or (config.needs_extra_corpus and not extra_corpus):
            _fail(f"{set_path.name} needs its extra corpus (--extra-corpus), not found: "
                  f"{', '.join(map(str, missing)) or 'none given'}", 2)
        answerable = [q for q in questions if q.answerable]
        with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
            pipeline = _pipeline(Settings(index_dir=Path(tmp)))
            with _progress() as progress:
                report_ingest = _ingest(pipeline, _read_documents([corpus, *extra_corpus], progress), True, progress)
                task = progress.add_task("questions", total=len(answerable))
                report = evaluate_retrieval(
                    pipeline.search,
                    [(q.id, q.question, lambda hit, q=q: contains_answer(hit.chunk.text, q.answers)) for q in answerable],
                    progress=lambda n: progress.update(task, completed=n),
                )
    failures = check_thresholds(report.metrics, config.thresholds)
    result = {"set": str(set_path), "questions": len(questions), "answerable": len(answerable),
              "index": {"documents": len(pipeline.index.documents), "chunks": report_ingest.total_chunks,
                        "build_seconds": round(report_ingest.seconds, 2),
                        "chunks_per_second": round(report_ingest.chunks_per_second, 2)},
              **report.to_dict(), "thresholds": config.thresholds, "failures": failures}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_retrieval_table(f"{set_path.name}: {len(answerable)} answerable questions", report.metrics)
        console.print(f"hybrid search latency: median {report.latency_ms['median']:.1f} ms, "
                      f"p95 {report.latency_ms['p95']:.1f} ms · index build {report_ingest.total_chunks} chunks in "
                      f"{report_ingest.seconds:.1f}s ({report_ingest.chunks_per_second:.1f} chunks/s)")
        if report.misses:
            console.print(f"[dim]hybrid misses (not in top 5): {', '.join(report.misses)}[/]")
        for failure in failures:
            errors.print(f"[bold red]below threshold:[/] {failure}")
    if failures:
        raise typer.Exit(1)


def _print_retrieval_table(title: str, metrics: dict[str, dict[str, float]]) -> None:
    names = list(next(iter(metrics.values())).keys())
    table = Table(title=title)
    table.add_column("retriever")
    for name in names:
        table.add_column(name, justify="right")
    for mode, values in metrics.items():
        table.add_row(mode, *(f"{values[n]:.3f}" for n in names))
    console.print(table)


@bench_app.command("korquad")
def bench_korquad(
    data: Path = typer.Option(Path("../shared/data/korquad/KorQuAD_v1.0_dev.json"), "--data", help="KorQuAD_v1.0_dev.json"),
    split: str = typer.Option("dev", "--split", help="dev (articles 0–69), test (70–139) or all."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N questions of the split."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the JSON report."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Open-domain paragraph retrieval over all 964 KorQuAD paragraphs: recall@1/5/20 and MRR."""
    from rag.evaluation import evaluate_retrieval
    from rag.korquad import load_korquad

    if split not in ("dev", "test", "all"):
        _fail("--split is dev, test or all", 2)
    if not data.exists():
        errors.print(f"[yellow]skipped:[/] KorQuAD data not found at {data} (pass --data PATH)")
        raise typer.Exit(0)
    with _friendly_errors():
        documents, questions = load_korquad(data, split)  # type: ignore[arg-type]
        questions = questions[:limit] if limit else questions
        with tempfile.TemporaryDirectory(prefix="rag-korquad-") as tmp:
            pipeline = _pipeline(Settings(index_dir=Path(tmp)))
            with _progress() as progress:
                ingest_report = _ingest(pipeline, documents, True, progress)
                task = progress.add_task("questions", total=len(questions))
                report = evaluate_retrieval(
                    pipeline.search,
                    [(q.id, q.question, lambda hit, q=q: hit.chunk.doc_id == q.doc_id) for q in questions],
                    ks=(1, 5, 20), by_document=True,
                    progress=lambda n: progress.update(task, completed=n),
                )
    result = {"split": split, "paragraphs": len(documents), "questions": len(questions),
              "ingest": {"chunks": ingest_report.total_chunks, "seconds": round(ingest_report.seconds, 1),
                         "chunks_per_second": round(ingest_report.chunks_per_second, 2)},
              **report.to_dict()}
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"korquad-retrieval-{split}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    _print_retrieval_table(f"KorQuAD 1.0 {split}: {len(questions)} questions over {len(documents)} paragraphs",
                           report.metrics)
    console.print(f"ingest: {ingest_report.total_chunks} chunks in {ingest_report.seconds:.1f}s "
                  f"({ingest_report.chunks_per_second:.1f} chunks/s) · hybrid latency median "
                  f"{report.latency_ms['median']:.1f} ms, p95 {report.latency_ms['p95']:.1f} ms")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
