"""``rag eval``: retrieval and answer metrics of an evaluation set, with its gates.

Three kinds of set: answer sets (``answers``: gold spans; ``eval/article_dev.jsonl``) are
scored by whether retrieved chunks hold the answer and by exact match; article sets
(``gold``: governing articles; ``eval/inquiry_dev.jsonl``) by whether search finds the
article and whether the answer cites it (:mod:`rag.article_eval`); passage sets (a
``kind`` per question and a gold section with key phrases; ``eval/civic_dev.jsonl``) by
article retrieval and by answer kind (:mod:`rag.passage_eval`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from rag.settings import Settings
from rag.terminal import (console, errors, fail, friendly_errors, ingest_with_progress, load_pipeline,
                          print_metrics_table, progress_bar, read_documents)

if TYPE_CHECKING:
    from rich.progress import Progress

    from rag.evaluation import AnswerReport, CalibrationRow, RetrievalReport
    from rag.gates import EvalConfig
    from rag.pipeline import IngestReport, Pipeline

#: The answer metrics that mean something without gold answer strings (article sets).
ARTICLE_SET_ANSWER_METRICS = ("answered", "abstention_recall", "false_refusals", "invariant_violations")


def evaluate(
    set_path: Path = typer.Option(..., "--set", help="Evaluation set (JSONL)."),
    extra_corpus: list[Path] = typer.Option([], "--extra-corpus", help="More documents to index with the set's."),
    corpus: list[Path] = typer.Option(
        [], "--corpus", help="Index these instead of the documents the set's config names (default: all of corpus/)."),
    part: str = typer.Option(
        "report", "--part", help="Half of the set: report (what is reported and gated), tune, or all."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    calibrate: bool = typer.Option(
        False, "--calibrate", help="Also print answer metrics per confidence threshold and the best threshold."
    ),
) -> None:
    """Retrieval and answer metrics on a fresh temporary index; fails when a gate of the set's config fails."""
    from rag import article_eval, gates, passage_eval
    from rag import evaluation as ev
    from rag.loaders import load_file
    from rag.pipeline import Pipeline
    from rag.answer.kind_learn import KIND_SET
    from rag.dialogue_eval import is_dialogue_set
    from rag.reader.answerer import ReaderAnswerer
    from rag.splits import gold_articles, select_part

    if set_path.name == KIND_SET:
        _evaluate_kinds(set_path, part, as_json)
        return
    with friendly_errors():
        if is_dialogue_set(set_path):
            _evaluate_dialogues(set_path, part, corpus, extra_corpus, as_json)
            return
        every_question = ev.load_eval_set(set_path)
        questions = select_part(every_question, part)
        config = gates.load_eval_config(set_path)
        sources = _sources(set_path, config, corpus, extra_corpus)
        passages = passage_eval.load_passage_gold(set_path)
        articles = gold_articles(set_path)
        gold = None
        if passages is not None:
            gold = {q.id: frozenset({passages[q.id].article} if passages[q.id].article else ()) for q in questions}
        elif any(articles.values()):
            gold = article_eval.resolve_gold({q.id: articles[q.id] for q in questions}, sources,
                                             lambda path: load_file(path).doc_id)
        answerable = [q for q in questions if q.answerable]
        with _indexed(sources) as (pipeline, report_ingest, progress):
            task = progress.add_task("retrieval", total=len(answerable))
            advance = lambda n: progress.update(task, completed=n)  # noqa: E731
            if gold is not None:
                retrieval = article_eval.evaluate_articles(pipeline.search, questions, gold, progress=advance,
                                                             articles=pipeline.search_articles,
                                                             graph=pipeline.index.references)
            else:
                retrieval = ev.evaluate_retrieval(
                    pipeline.search,
                    [(q.id, q.question, lambda hit, q=q: ev.contains_answer(hit.chunk.text, q.answers))
                     for q in answerable],
                    progress=advance,
                )
            task = progress.add_task("answers", total=len(questions))
            outcomes = ev.ask_all(pipeline.ask, questions, progress=lambda n: progress.update(task, completed=n))
            answers = ev.summarize_answers(outcomes, pipeline.index.documents)
            kinds = reliability = None
            if passages is not None:
                kinds = passage_eval.score_kinds(questions, [o.answer for o in outcomes], passages)
                reliability = passage_eval.reliability(questions, [o.answer for o in outcomes], passages)
                overall = {name: value for name, value in kinds.pop("all").items() if name != "questions"}
                answers.metrics = {**overall, "invariant_violations": answers.metrics["invariant_violations"]}
                answers.errors.pop("wrong", None)
            elif gold is not None:
                # No answer strings: what counts is abstaining right and citing the governing article.
                answers.metrics = {name: answers.metrics[name] for name in ARTICLE_SET_ANSWER_METRICS}
                answers.metrics["first_citation_hit"] = article_eval.first_citation_hit(
                    questions, [o.answer for o in outcomes], gold)
                answers.errors.pop("wrong", None)
            calibration = None
            if calibrate and gold is None:
                # The same index with abstention off: every question keeps its best answer and confidence.
                never_abstains = Pipeline(
                    pipeline.settings.model_copy(update={"answer_threshold": 0.0, "reader_threshold": 0.0}),
                    pipeline.embedder)
                task = progress.add_task("calibration", total=len(questions))
                calibration = ev.calibrate(ev.ask_all(never_abstains.ask, questions,
                                                      progress=lambda n: progress.update(task, completed=n)))
    metrics = {**retrieval.metrics, "answer": answers.metrics, **(kinds or {})}
    failures = gates.check_thresholds(metrics, config.thresholds, config.maxima)
    unmet = gates.check_thresholds(metrics, config.targets, config.target_maxima)
    result = {"set": str(set_path), "part": part, "unit": "article" if gold is not None else "chunk",
              "questions": len(questions), "answerable": len(answerable), "set_questions": len(every_question),
              "answer_threshold": pipeline.answerer.config.threshold,
              "index": {"documents": len(pipeline.index.documents), "chunks": report_ingest.total_chunks,
                        "build_seconds": round(report_ingest.seconds, 2),
                        "chunks_per_second": round(report_ingest.chunks_per_second, 2)},
              "metrics": metrics,
              "latency_ms": {"search": retrieval.latency_ms, "ask": answers.latency_ms},
              "misses": retrieval.misses, "answer_errors": answers.errors, "violations": answers.violations,
              "thresholds": config.thresholds, "max": config.maxima, "failures": failures,
              "targets": config.targets, "target_max": config.target_maxima, "targets_unmet": unmet}
    if reliability is not None:
        result["reliability"] = reliability
    if calibration is not None:
        rows, best = calibration
        result["calibration"] = {"criterion": ev.CALIBRATION_CRITERION, "best": best.threshold,
                                 "rows": [{"threshold": r.threshold, **r.metrics} for r in rows]}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        console.print(f"{set_path.name}: part {part}, {len(questions)} of {len(every_question)} questions "
                      f"({len(answerable)} answerable, {len(questions) - len(answerable)} unanswerable)")
        _print_eval(set_path, len(answerable), pipeline.answerer.config.threshold, retrieval, answers, report_ingest,
                    config, "articles" if gold is not None else "chunks")
        if kinds:
            _print_kinds(set_path, kinds)
        if reliability:
            print_reliability(set_path, reliability)
        if calibration is not None:
            neural = isinstance(pipeline.answerer, ReaderAnswerer)
            _print_calibration(*calibration, variable=f"RAG_{'READER' if neural else 'ANSWER'}_THRESHOLD")
        if calibrate and gold is not None:
            errors.print("--calibrate needs gold answers; an article set has none", highlight=False)
        _print_gates(unmet, failures)
    if failures:
        raise typer.Exit(1)


def _sources(set_path: Path, config: EvalConfig, corpus: list[Path], extra_corpus: list[Path]) -> list[Path]:
    """The documents a set is asked over: ``--corpus``, else its config's, else corpus/; plus ``--extra-corpus``."""
    sources = [*(corpus or [Path(p) for p in config.corpus] or [Path("corpus")]), *extra_corpus]
    missing = [p for p in sources if not p.exists()]
    if missing:
        fail(f"{set_path.name} is asked over documents that are not there: {', '.join(map(str, missing))}", 2)
    return sources


@contextmanager
def _indexed(sources: list[Path]) -> Iterator[tuple[Pipeline, IngestReport, Progress]]:
    """A pipeline over a fresh temporary index of ``sources``, and the progress display it was built under."""
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        pipeline = load_pipeline(Settings(store="embedded", index_dir=Path(tmp)))
        with progress_bar() as progress:
            report = ingest_with_progress(pipeline, read_documents(sources, progress), True, progress)
            yield pipeline, report, progress


def _evaluate_dialogues(set_path: Path, part: str, corpus: list[Path], extra_corpus: list[Path],
                        as_json: bool) -> None:
    """A dialogue set: each conversation turn by turn with its history, each follow-up also alone."""
    from rag import gates
    from rag.dialogue_eval import evaluate_dialogues, load_dialogues
    from rag.splits import select_part

    conversations = select_part(load_dialogues(set_path), part)
    config = gates.load_eval_config(set_path)
    with _indexed(_sources(set_path, config, corpus, extra_corpus)) as (pipeline, _, progress):
        task = progress.add_task("conversations", total=len(conversations))
        report = evaluate_dialogues(lambda question, history: pipeline.ask(question, history=history),
                                    conversations, pipeline.index.documents,
                                    progress=lambda n: progress.update(task, completed=n))
    failures = gates.check_thresholds(report.metrics, config.thresholds, config.maxima)
    unmet = gates.check_thresholds(report.metrics, config.targets, config.target_maxima)
    if as_json:
        print(json.dumps({"set": str(set_path), "part": part, "conversations": len(conversations),
                          "metrics": report.metrics, "missed": report.missed, "violations": report.violations,
                          "failures": failures, "targets_unmet": unmet}, ensure_ascii=False))
    else:
        table = Table(title=f"{set_path.name}: part {part}, {len(conversations)} conversations")
        for column in ("metric", "value", "gate", "target"):
            table.add_column(column, justify="left" if column == "metric" else "right")
        for group, values in report.metrics.items():
            for name, value in values.items():
                key = f"{group}.{name}"
                table.add_row(key, f"{value:g}" if isinstance(value, int) else f"{value:.3f}",
                              _bound(key, config.thresholds, config.maxima),
                              _bound(key, config.targets, config.target_maxima))
        console.print(table)
        if report.missed:
            console.print(f"[dim]follow-ups missed with their history: {', '.join(report.missed)}[/]", highlight=False)
        for violation in report.violations:
            errors.print(f"[bold red]citation invariant broken:[/] {violation}", highlight=False)
        _print_gates(unmet, failures)
    if failures:
        raise typer.Exit(1)


def _evaluate_kinds(set_path: Path, part: str, as_json: bool) -> None:
    """The kind set: how often question analysis calls short or passage right, and the kind,
    with the learned weights and with the cue rules alone; no index needed."""
    from rag import gates
    from rag.answer.kind_learn import accuracy, load_kind_set
    from rag.answer.kind_model import shipped_kind_weights
    from rag.splits import select_part

    with friendly_errors():
        questions = select_part(load_kind_set(set_path), part)
        config = gates.load_eval_config(set_path)
    metrics = {"learned": accuracy(shipped_kind_weights(), questions), "cue_rules": accuracy(None, questions)}
    # Floors only: the ceilings every answer set gets (invariant violations) have nothing to measure here.
    failures = gates.check_thresholds(metrics, config.thresholds)
    if as_json:
        print(json.dumps({"set": str(set_path), "part": part, "metrics": metrics, "failures": failures}))
    else:
        print_metrics_table(f"{set_path.name}: part {part}, short or passage and kind", "decided by", metrics)
        _print_gates([], failures)
    if failures:
        raise typer.Exit(1)


def _print_eval(set_path: Path, answerable: int, threshold: float, retrieval: RetrievalReport,
                answers: AnswerReport, report_ingest: IngestReport, config: EvalConfig, unit: str) -> None:
    print_metrics_table(f"{set_path.name}: retrieval of {unit} over {answerable} answerable questions", "retriever",
                         retrieval.metrics)
    console.print(f"hybrid search latency: median {retrieval.latency_ms['median']:.1f} ms, "
                  f"p95 {retrieval.latency_ms['p95']:.1f} ms · index build {report_ingest.total_chunks} chunks in "
                  f"{report_ingest.seconds:.1f}s ({report_ingest.chunks_per_second:.1f} chunks/s)")
    if retrieval.misses:
        top = "10 articles" if unit == "articles" else "5"
        console.print(f"[dim]hybrid misses (not in top {top}): {', '.join(retrieval.misses)}[/]", highlight=False)
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


#: Column headers of the per-kind table, short enough for 80 columns.
_KIND_COLUMNS = {"questions": "n", "answered": "answered", "key_phrases": "phrases", "exact_match": "EM",
                 "section_hit": "section", "false_refusals": "refused", "answer_chars": "chars",
                 "abstention_recall": "abstained", "ece": "ECE"}


def _print_kinds(set_path: Path, kinds: dict[str, dict[str, float]]) -> None:
    """One row per answer kind; a metric that does not apply to a kind stays blank."""
    names = [name for name in _KIND_COLUMNS if any(name in row for row in kinds.values())]
    table = Table(title=f"{set_path.name}: answers by the kind of answer asked")
    table.add_column("kind")
    for name in names:
        table.add_column(_KIND_COLUMNS[name], justify="right")
    for kind, row in kinds.items():
        table.add_row(kind, *("" if name not in row else str(row[name]) if name == "questions"
                              else f"{row[name]:.1f}" if name == "answer_chars" else f"{row[name]:.3f}"
                              for name in names))
    console.print(table)
    console.print("[dim]phrases: every key phrase in the answer · section: first citation in the gold 조 · "
                  "chars: mean answer length · ECE: expected calibration error of the answers given[/]", highlight=False)


def print_reliability(set_path: Path, rows: list[dict[str, float]]) -> None:
    """The reliability table behind the ECE: per confidence bin of the answers given, how many,
    their mean confidence and the share right (a calibrated answerer's two columns agree)."""
    table = Table(title=f"{set_path.name}: confidence against being right, answers given")
    for name in ("confidence", "answers", "mean confidence", "right"):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(f"{row['from']:.1f}–{row['to']:.1f}", str(row["answers"]), f"{row['confidence']:.3f}",
                      f"{row['right']:.3f}")
    console.print(table)


def _print_gates(unmet: list[str], failures: list[str]) -> None:
    for miss in unmet:
        errors.print(f"[yellow]target not met:[/] {miss}", highlight=False)
    for failure in failures:
        errors.print(f"[bold red]gate failed:[/] {failure}", highlight=False)


def _bound(key: str, floors: dict[str, float], ceilings: dict[str, float]) -> str:
    return f"≥ {floors[key]:g}" if key in floors else f"≤ {ceilings[key]:g}" if key in ceilings else ""


def _print_calibration(rows: list[CalibrationRow], best: CalibrationRow, variable: str) -> None:
    from rag.evaluation import CALIBRATION_CRITERION

    print_metrics_table("answer metrics per confidence threshold", "threshold",
                         {f"{row.threshold:.2f}": row.metrics for row in rows})
    console.print(f"best threshold: [bold]{best.threshold:.2f}[/] (correct {best.metrics['correct']:.3f}) — "
                  f"maximises {CALIBRATION_CRITERION}. Use it with "
                  f"{variable}={best.threshold:.2f}.",
                  highlight=False)
