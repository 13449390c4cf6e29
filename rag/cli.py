"""The ``rag`` command: ingest, search, ask, a REPL, inspect documents, evaluate, benchmark.

Every command translates its arguments into :class:`rag.Pipeline` calls and renders
the result (:mod:`rag.render`); no retrieval or answering logic lives here.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from rag.cli_bench import bench_app
from rag.cli_train import train_app
from rag.render import answer_view, document_rows, document_view, documents_table, hit_dict, hits_table
from rag.settings import Settings
from rag.terminal import (console, errors, fail, friendly_errors, ingest_with_progress, load_pipeline, print_metrics_table,
                          progress_bar, read_documents)

if TYPE_CHECKING:
    from rag.evaluation import AnswerReport, CalibrationRow, RetrievalReport
    from rag.gates import EvalConfig
    from rag.pipeline import IngestReport

app = typer.Typer(help="Question answering with exact citations over Korean civic documents.", no_args_is_help=True)
docs_app = typer.Typer(help="List, show and delete indexed documents.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(bench_app, name="bench")
app.add_typer(train_app, name="train")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (searched recursively)."),
    replace: bool = typer.Option(False, "--replace", help="Drop every indexed document not in PATHS."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Add documents to the index (.txt, .md, .html, law XML, Markdown statutes)."""
    with friendly_errors():
        pipeline = load_pipeline()
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
        f"at {pipeline.settings.index_dir}"
    )


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
        fail(f"unknown --mode {mode!r}: use hybrid, dense or bm25", 2)
    if (query is None) == (batch is None):
        fail("give either a QUERY or --batch FILE", 2)
    with friendly_errors():
        rows = _read_batch(batch) if batch is not None else None  # a bad file fails before the model loads
        pipeline = load_pipeline()
        if rows is not None:
            for row in rows:
                hits = pipeline.search(row["question"], k, mode)
                print(json.dumps({"id": row["id"], "query": row["question"], "results": [hit_dict(h) for h in hits]},
                                 ensure_ascii=False), flush=True)
            return
        hits = pipeline.search(query, k, mode)
    if as_json:
        print(json.dumps({"query": query, "results": [hit_dict(h) for h in hits]}, ensure_ascii=False))
        return
    console.print(hits_table(query, hits))


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


@app.command("eval")
def evaluate(
    set_path: Path = typer.Option(..., "--set", help="Evaluation set (JSONL)."),
    extra_corpus: list[Path] = typer.Option([], "--extra-corpus", help="More documents to index with corpus/."),
    corpus: Path = typer.Option(Path("corpus"), "--corpus", help="The bundled corpus folder."),
    part: str = typer.Option(
        "report", "--part", help="Half of the set: report (what is reported and gated), tune, or all."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    calibrate: bool = typer.Option(
        False, "--calibrate", help="Also print answer metrics per confidence threshold and the best threshold."
    ),
) -> None:
    """Retrieval and answer metrics on a fresh temporary index; fails when a gate of the set's config fails."""
    from rag import evaluation as ev
    from rag import gates
    from rag.pipeline import Pipeline
    from rag.splits import select_part

    with friendly_errors():
        every_question = ev.load_eval_set(set_path)
        questions = select_part(every_question, part)
        config = gates.load_eval_config(set_path)
        missing = [p for p in extra_corpus if not p.exists()]
        if missing or (config.needs_extra_corpus and not extra_corpus):
            fail(f"{set_path.name} needs its extra corpus (--extra-corpus), not found: "
                  f"{', '.join(map(str, missing)) or 'none given'}", 2)
        answerable = [q for q in questions if q.answerable]
        with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
            pipeline = load_pipeline(Settings(index_dir=Path(tmp)))
            with progress_bar() as progress:
                report_ingest = ingest_with_progress(pipeline, read_documents([corpus, *extra_corpus], progress), True, progress)
                task = progress.add_task("retrieval", total=len(answerable))
                retrieval = ev.evaluate_retrieval(
                    pipeline.search,
                    [(q.id, q.question, lambda hit, q=q: ev.contains_answer(hit.chunk.text, q.answers))
                     for q in answerable],
                    progress=lambda n: progress.update(task, completed=n),
                )
                task = progress.add_task("answers", total=len(questions))
                outcomes = ev.ask_all(pipeline.ask, questions, progress=lambda n: progress.update(task, completed=n))
                answers = ev.summarize_answers(outcomes, pipeline.index.documents)
                calibration = None
                if calibrate:
                    # The same index with abstention off: every question keeps its best answer and confidence.
                    never_abstains = Pipeline(pipeline.settings.model_copy(update={"answer_threshold": 0.0}),
                                              pipeline.embedder)
                    task = progress.add_task("calibration", total=len(questions))
                    calibration = ev.calibrate(ev.ask_all(never_abstains.ask, questions,
                                                          progress=lambda n: progress.update(task, completed=n)))
    metrics = {**retrieval.metrics, "answer": answers.metrics}
    failures = gates.check_thresholds(metrics, config.thresholds, config.maxima)
    unmet = gates.check_thresholds(metrics, config.targets, config.target_maxima)
    result = {"set": str(set_path), "part": part, "questions": len(questions), "answerable": len(answerable),
              "set_questions": len(every_question),
              "answer_threshold": pipeline.settings.answer_threshold,
              "index": {"documents": len(pipeline.index.documents), "chunks": report_ingest.total_chunks,
                        "build_seconds": round(report_ingest.seconds, 2),
                        "chunks_per_second": round(report_ingest.chunks_per_second, 2)},
              "metrics": metrics,
              "latency_ms": {"search": retrieval.latency_ms, "ask": answers.latency_ms},
              "misses": retrieval.misses, "answer_errors": answers.errors, "violations": answers.violations,
              "thresholds": config.thresholds, "max": config.maxima, "failures": failures,
              "targets": config.targets, "target_max": config.target_maxima, "targets_unmet": unmet}
    if calibration is not None:
        rows, best = calibration
        result["calibration"] = {"criterion": ev.CALIBRATION_CRITERION, "best": best.threshold,
                                 "rows": [{"threshold": r.threshold, **r.metrics} for r in rows]}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        console.print(f"{set_path.name}: part {part}, {len(questions)} of {len(every_question)} questions "
                      f"({len(answerable)} answerable, {len(questions) - len(answerable)} unanswerable)")
        _print_eval(set_path, len(answerable), pipeline.settings.answer_threshold, retrieval, answers, report_ingest,
                    config)
        if calibration is not None:
            _print_calibration(*calibration)
        for miss in unmet:
            errors.print(f"[yellow]target not met:[/] {miss}", highlight=False)
        for failure in failures:
            errors.print(f"[bold red]gate failed:[/] {failure}", highlight=False)
    if failures:
        raise typer.Exit(1)


def _print_eval(set_path: Path, answerable: int, threshold: float, retrieval: RetrievalReport,
                answers: AnswerReport, report_ingest: IngestReport, config: EvalConfig) -> None:
    print_metrics_table(f"{set_path.name}: retrieval over {answerable} answerable questions", "retriever",
                         retrieval.metrics)
    console.print(f"hybrid search latency: median {retrieval.latency_ms['median']:.1f} ms, "
                  f"p95 {retrieval.latency_ms['p95']:.1f} ms · index build {report_ingest.total_chunks} chunks in "
                  f"{report_ingest.seconds:.1f}s ({report_ingest.chunks_per_second:.1f} chunks/s)")
    if retrieval.misses:
        console.print(f"[dim]hybrid misses (not in top 5): {', '.join(retrieval.misses)}[/]", highlight=False)
    table = Table(title=f"{set_path.name}: answers to {answers.questions} questions at threshold {threshold:.2f}")
    for column in ("answer metric", "value", "gate", "target"):
        table.add_column(column, justify="left" if column == "answer metric" else "right")
    for name, value in answers.metrics.items():
        key = f"answer.{name}"
        table.add_row(name.replace("_", " "), f"{value:g}" if name == "invariant_violations" else f"{value:.3f}",
                      _bound(key, config.thresholds, config.maxima), _bound(key, config.targets, config.target_maxima))
    console.print(table)
    console.print(f"ask latency: median {answers.latency_ms['median']:.1f} ms, p95 {answers.latency_ms['p95']:.1f} ms")
    for kind, ids in answers.errors.items():
        if ids:
            console.print(f"[dim]{kind.replace('_', ' ')}: {', '.join(ids)}[/]", highlight=False)
    for violation in answers.violations:
        errors.print(f"[bold red]citation invariant broken:[/] {violation}", highlight=False)


def _bound(key: str, floors: dict[str, float], ceilings: dict[str, float]) -> str:
    return f"≥ {floors[key]:g}" if key in floors else f"≤ {ceilings[key]:g}" if key in ceilings else ""


def _print_calibration(rows: list[CalibrationRow], best: CalibrationRow) -> None:
    from rag.evaluation import CALIBRATION_CRITERION

    print_metrics_table("answer metrics per confidence threshold", "threshold",
                         {f"{row.threshold:.2f}": row.metrics for row in rows})
    console.print(f"best threshold: [bold]{best.threshold:.2f}[/] (correct {best.metrics['correct']:.3f}) — "
                  f"maximises {CALIBRATION_CRITERION}. Use it with RAG_ANSWER_THRESHOLD={best.threshold:.2f}.",
                  highlight=False)


#: Public reference points printed beside the KorQuAD figures (not measured here).
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
