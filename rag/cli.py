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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.documents import Document
from rag.render import answer_view, document_rows, document_view, documents_table, hit_dict, hits_table
from rag.settings import Settings
from rag.terminal import console, errors
# The commands call the shared helpers (rag.terminal, which rag.repl uses too) by these names.
from rag.terminal import fail as _fail
from rag.terminal import friendly_errors as _friendly_errors
from rag.terminal import load_pipeline as _pipeline

if TYPE_CHECKING:
    from rag.evaluation import AnswerReport, CalibrationRow, EvalConfig, RetrievalReport
    from rag.pipeline import IngestReport

app = typer.Typer(help="Question answering with exact citations over Korean civic documents.", no_args_is_help=True)
docs_app = typer.Typer(help="List, show and delete indexed documents.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks on outside data.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(bench_app, name="bench")
train_app = typer.Typer(help="Train the learned parts of the answerer (not run in CI: slow).", no_args_is_help=True)
app.add_typer(train_app, name="train")


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
        rows = _read_batch(batch) if batch is not None else None  # a bad file fails before the model loads
        pipeline = _pipeline()
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
        _fail("give either a QUESTION or --batch FILE", 2)
    with _friendly_errors():
        rows = _read_batch(batch) if batch is not None else None
        pipeline = _pipeline()
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
    with _friendly_errors():
        rows = document_rows(_pipeline())
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    console.print(documents_table(rows))


@docs_app.command("show")
def docs_show(doc_id: str, as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """A document's metadata and the normalised text that all offsets refer to."""
    with _friendly_errors():
        document = _pipeline().document(doc_id)
    if as_json:
        print(json.dumps(document.to_dict(), ensure_ascii=False))
        return
    console.print(document_view(document), highlight=False)


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
    from rag.pipeline import Pipeline
    from rag.splits import select_part

    with _friendly_errors():
        every_question = ev.load_eval_set(set_path)
        questions = select_part(every_question, part)
        config = ev.load_eval_config(set_path)
        missing = [p for p in extra_corpus if not p.exists()]
        if missing or (config.needs_extra_corpus and not extra_corpus):
            _fail(f"{set_path.name} needs its extra corpus (--extra-corpus), not found: "
                  f"{', '.join(map(str, missing)) or 'none given'}", 2)
        answerable = [q for q in questions if q.answerable]
        with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
            pipeline = _pipeline(Settings(index_dir=Path(tmp)))
            with _progress() as progress:
                report_ingest = _ingest(pipeline, _read_documents([corpus, *extra_corpus], progress), True, progress)
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
    failures = ev.check_thresholds(metrics, config.thresholds, config.maxima)
    unmet = ev.check_thresholds(metrics, config.targets, config.target_maxima)
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


def _print_metrics_table(title: str, label: str, rows: dict[str, dict[str, float]]) -> None:
    names = list(next(iter(rows.values())).keys())
    table = Table(title=title)
    table.add_column(label)
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")  # spaces let narrow headers wrap
    for key, values in rows.items():
        table.add_row(key, *(str(values[n]) if isinstance(values[n], int) else f"{values[n]:.3f}" for n in names))
    console.print(table)


def _print_eval(set_path: Path, answerable: int, threshold: float, retrieval: RetrievalReport,
                answers: AnswerReport, report_ingest: IngestReport, config: EvalConfig) -> None:
    _print_metrics_table(f"{set_path.name}: retrieval over {answerable} answerable questions", "retriever",
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

    _print_metrics_table("answer metrics per confidence threshold", "threshold",
                         {f"{row.threshold:.2f}": row.metrics for row in rows})
    console.print(f"best threshold: [bold]{best.threshold:.2f}[/] (correct {best.metrics['correct']:.3f}) — "
                  f"maximises {CALIBRATION_CRITERION}. Use it with RAG_ANSWER_THRESHOLD={best.threshold:.2f}.",
                  highlight=False)


#: Public reference points printed beside the KorQuAD figures (not measured here).
KORQUAD_REFERENCES = (
    "BM25 alone: hit@10 ≈ 0.985 on a 960-paragraph KorQuAD 1.0 retrieval task",
    "a fine-tuned 53 MB reader (KoELECTRA-Small-v2), reader-only: EM 81 / F1 90",
)


@bench_app.command("korquad")
def bench_korquad(
    data: Path = typer.Option(Path("../shared/data/korquad/KorQuAD_v1.0_dev.json"), "--data", help="KorQuAD_v1.0_dev.json"),
    split: str = typer.Option("dev", "--split", help="dev (articles 0–69, for tuning), test (70–139, reporting) or all."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N questions of the split."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the JSON report and per-question JSONL."),
    index_dir: Optional[Path] = typer.Option(
        None, "--index-dir", help="Keep the paragraph index here and reuse it (default: a temporary folder)."),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
) -> None:
    """Open-domain KorQuAD 1.0 over all 964 paragraphs: retrieval recall@1/5/20 and MRR per retriever,
    answer EM/F1 open-domain and reader-only, failure kinds and answer types."""
    from rag import korquad
    from rag.evaluation import evaluate_retrieval

    if split not in ("dev", "test", "all"):
        _fail("--split is dev, test or all", 2)
    if not data.exists():
        errors.print(f"[yellow]skipped:[/] KorQuAD data not found at {data} (pass --data PATH)")
        raise typer.Exit(0)
    with _friendly_errors(), tempfile.TemporaryDirectory(prefix="rag-korquad-") as tmp:
        documents, questions = korquad.load_korquad(data, split)  # type: ignore[arg-type]
        questions = questions[:limit] if limit else questions
        pipeline = _pipeline(Settings(index_dir=index_dir or Path(tmp)))
        with _progress() as progress:
            ingest_report = _ingest(pipeline, documents, True, progress)
            task = progress.add_task("retrieval", total=len(questions))
            report = evaluate_retrieval(
                pipeline.search,
                [(q.id, q.question, lambda hit, q=q: hit.chunk.doc_id == q.doc_id) for q in questions],
                ks=(1, 5, 20), by_document=True,
                progress=lambda n: progress.update(task, completed=n),
            )
            task = progress.add_task("answers", total=len(questions))
            records = korquad.answer_questions(pipeline, questions, progress=lambda n: progress.update(task, completed=n))
    answers = korquad.summarize_answers(records)
    result = {"split": split, "paragraphs": len(documents), "questions": len(questions),
              "answer_threshold": pipeline.settings.answer_threshold,
              "ingest": {"chunks": ingest_report.total_chunks, "seconds": round(ingest_report.seconds, 1),
                         "chunks_per_second": round(ingest_report.chunks_per_second, 2)},
              # Per-question details stay in the JSONL beside it: the report holds figures only.
              **{k: v for k, v in report.to_dict().items() if k != "misses"},
              "answers": answers, "references": list(KORQUAD_REFERENCES)}
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"korquad-{split}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        with (out / f"korquad-{split}-answers.jsonl").open("w", encoding="utf-8") as lines:
            for record in records:
                lines.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    title = f"KorQuAD 1.0 {split}: {len(questions)} questions over {len(documents)} paragraphs"
    _print_metrics_table(f"{title}: paragraph retrieval", "retriever", report.metrics)
    built = (f"{ingest_report.chunks_embedded} chunks in {ingest_report.seconds:.1f}s "
             f"({ingest_report.chunks_per_second:.1f} chunks/s)" if ingest_report.chunks_embedded
             else f"reused the index in {index_dir} ({ingest_report.total_chunks} chunks)")
    console.print(f"ingest: {built} · hybrid latency median {report.latency_ms['median']:.1f} ms, "
                  f"p95 {report.latency_ms['p95']:.1f} ms")
    _print_metrics_table(
        f"{title}: answers at threshold {pipeline.settings.answer_threshold:.2f}", "setting",
        {setting: {name: answers[setting][name] for name in
                   ("exact_match", "f1", "exact_match_no_abstention", "f1_no_abstention", "abstained")}
         for setting in ("open", "reader")})
    console.print("answer time (the answerer alone): " + " · ".join(
        f"{setting} median {answers[setting]['answer_ms']['median']:.1f} ms, p95 {answers[setting]['answer_ms']['p95']:.1f} ms"
        for setting in ("open", "reader")), highlight=False)
    table = Table(title="why answers missed (best span, abstention off; false_abstention: right but refused)")
    table.add_column("kind")
    for setting in ("open", "reader"):
        table.add_column(setting, justify="right")
    for kind in korquad.FAILURE_KINDS:
        table.add_row(kind, *(str(answers[setting]["failures"][kind]) for setting in ("open", "reader")))
    console.print(table)
    _print_metrics_table("open-domain answers by the answer type the question asks for", "type",
                         answers["open"]["by_type"])
    for reference in KORQUAD_REFERENCES:
        console.print(f"[dim]reference (published, not measured here): {reference}[/]", highlight=False)


@bench_app.command("speed")
def bench_speed(
    quick: bool = typer.Option(False, "--quick", help="A smoke run in under 3 minutes: fewer queries, no KorQuAD."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the JSON report (default: bench/out/)."),
) -> None:
    """Speed, memory and recall against the LangChain pipeline, interleaved in one run (bench/speed.py)."""
    from rag.launch import checkout_root, run_speed_benchmark

    root = checkout_root()
    if not (root / "bench" / "speed.py").is_file():
        _fail(f"the speed benchmark lives in bench/ of a source checkout, and {root} has none: "
              "clone the repository and install it with pip install -e '.[bench]'", 2)
    # bench/ is built on rag, so it runs as a program of its own (rag.launch says why).
    run_speed_benchmark(["--quick"] * quick + (["--out", str(out)] if out else []), root)


@train_app.command("reader")
def train_reader(
    korquad: Path = typer.Option(Path("../shared/data/korquad/KorQuAD_v1.0_dev.json"), "--korquad",
                                 help="KorQuAD_v1.0_dev.json; only articles 0–69 are read."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the weights (default: the package's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the head, the negatives, the order and dropout."),
    epochs: float = typer.Option(1.25, "--epochs", min=0.01, help="Passes over the training windows."),
    max_length: int = typer.Option(256, "--max-length", min=64, max=512, help="Tokens per window."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N questions (smoke runs)."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint",
                                              help="Resumable checkpoint (default: in the user cache)."),
) -> None:
    """Fine-tune the bundled encoder as an extractive reader on KorQuAD 1.0 articles 0–69 (about an hour on 2 cores)."""
    import os
    import shlex

    # Threads that sleep instead of spinning at each barrier: a spinning OpenMP thread that
    # shares a core with another job slows every step several times (measured: 2.3 → 12 s).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rag.e5_convert import default_cache_dir, ensure_bundled_model, read_marker
    from rag.reader.model import WEIGHTS_DIR
    from rag.reader.train import ReaderTrainConfig, save_delta, train_reader as run

    if not korquad.is_file():
        _fail(f"KorQuAD data not found at {korquad}; pass --korquad pointing at KorQuAD_v1.0_dev.json", 2)
    config = ReaderTrainConfig(seed=seed, epochs=epochs, max_length=max_length, stride=max_length // 2, limit=limit)
    base = ensure_bundled_model()
    checkpoint = checkpoint or default_cache_dir().parent / "train" / f"reader-seed{seed}.pt"
    errors.print(f"preparing windows of {korquad} (articles 0–69); checkpoint {checkpoint}", highlight=False)
    with _progress() as progress:
        task = progress.add_task("training", total=None)

        def on_step(step: int, total: int, loss: float, seconds: float) -> None:
            progress.update(task, completed=step, total=total, description=f"loss {loss:.3f}")
            if not errors.is_terminal and (step % 20 == 0 or step == total):
                errors.print(f"step {step}/{total} loss {loss:.3f} {seconds:.0f} s", highlight=False)

        model, stats = run(korquad, base, checkpoint, config, progress=on_step)
    command = "rag train reader " + shlex.join(["--seed", str(seed), "--epochs", str(epochs),
                                                 "--max-length", str(max_length)] + (["--limit", str(limit)] if limit else []))
    path = save_delta(model, out or WEIGHTS_DIR, config, stats, read_marker(base)["source_sha256"], command)
    console.print(f"wrote {path} ({stats['steps']} steps, {stats['train_seconds']} s, loss {stats['final_loss_ema']})")


@train_app.command("answerer")
def train_answerer(
    korquad_path: Path = typer.Option(Path("../shared/data/korquad/KorQuAD_v1.0_dev.json"), "--korquad",
                                      help="KorQuAD_v1.0_dev.json; only the questions of articles 0–69 are asked."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for chooser.json (default: the package's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the unanswerable share and the cross-validation folds."),
    negative_share: float = typer.Option(0.33, "--negative-share", min=0.0, max=1.0,
                                         help="Share of questions asked again without their own paragraph."),
    index_dir: Optional[Path] = typer.Option(
        None, "--index-dir", help="Keep the paragraph index here and reuse it (default: a temporary folder)."),
) -> None:
    """Learn the choice between the reader's and the rules' answers, and when to abstain (a few minutes)."""
    from datetime import date

    from rag import korquad
    from rag.reader.chooser import FEATURES, Chooser
    from rag.reader.collect import collect
    from rag.reader.answerer import ReaderAnswerConfig, ReaderAnswerer
    from rag.reader.infer import Reader
    from rag.reader.model import CHOOSER_FILE, WEIGHTS_DIR, ensure_reader

    if not korquad_path.is_file():
        _fail(f"KorQuAD data not found at {korquad_path}; pass --korquad pointing at KorQuAD_v1.0_dev.json", 2)
    out = out or WEIGHTS_DIR
    with _friendly_errors(), tempfile.TemporaryDirectory(prefix="rag-korquad-") as tmp:
        documents, questions = korquad.load_korquad(korquad_path, "dev")
        settings = Settings(index_dir=index_dir or Path(tmp), reader="rules")
        pipeline = _pipeline(settings)
        answerer = ReaderAnswerer(pipeline.answerer, Reader(ensure_reader(out)), Chooser([0.0] * len(FEATURES), 0.0),
                                  ReaderAnswerConfig(hits=settings.answer_hits, windows=settings.reader_windows,
                                                     window_tokens=settings.reader_window_tokens))
        with _progress() as progress:
            _ingest(pipeline, documents, True, progress)
            task = progress.add_task("questions", total=len(questions))
            examples = collect(pipeline, answerer, questions, negative_share, seed,
                               progress=lambda n: progress.update(task, completed=n))
    meta = {"data": "KorQuAD 1.0 dev (CC BY-ND 2.0 KR), articles 0-69, open-domain over all 964 paragraphs",
            "questions": examples.answerable, "asked_without_their_paragraph": examples.unanswerable,
            "seed": seed, "trained_on": str(date.today()),
            "command": f"rag train answerer --seed {seed} --negative-share {negative_share}",
            "reader": {"windows": settings.reader_windows, "window_tokens": settings.reader_window_tokens,
                       "hits": settings.answer_hits}}
    chooser = Chooser.fit(examples.rows, examples.labels, seed=seed, meta=meta)
    out.mkdir(parents=True, exist_ok=True)
    chooser.save(out / CHOOSER_FILE)
    fit = chooser.meta["fit"]
    console.print(f"wrote {out / CHOOSER_FILE}: {fit['examples']} proposals ({fit['positives']} exact); 5-fold CV "
                  f"log loss {fit['cv5_log_loss']}, accuracy {fit['cv5_accuracy']}, ROC AUC {fit['cv5_roc_auc']}")


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
