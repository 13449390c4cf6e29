"""``rag bench``: KorQuAD 1.0 open-domain, the speed benchmark against LangChain, uncached ask latency, and scale."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from rag.settings import Settings
from rag.terminal import (console, errors, fail, friendly_errors, ingest_with_progress, load_pipeline, print_metrics_table,
                          progress_bar)

bench_app = typer.Typer(help="Benchmarks on outside data.", no_args_is_help=True)


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
        fail("--split is dev, test or all", 2)
    if not data.exists():
        errors.print(f"[yellow]skipped:[/] KorQuAD data not found at {data} (pass --data PATH)")
        raise typer.Exit(0)
    with friendly_errors(), tempfile.TemporaryDirectory(prefix="rag-korquad-") as tmp:
        documents, questions = korquad.load_korquad(data, split)  # type: ignore[arg-type]
        questions = questions[:limit] if limit else questions
        pipeline = load_pipeline(Settings(store="embedded", index_dir=index_dir or Path(tmp)))
        with progress_bar() as progress:
            ingest_report = ingest_with_progress(pipeline, documents, True, progress)
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
              "answer_threshold": pipeline.answerer.config.threshold,
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
    print_metrics_table(f"{title}: paragraph retrieval", "retriever", report.metrics)
    built = (f"{ingest_report.chunks_embedded} chunks in {ingest_report.seconds:.1f}s "
             f"({ingest_report.chunks_per_second:.1f} chunks/s)" if ingest_report.chunks_embedded
             else f"reused the index in {index_dir} ({ingest_report.total_chunks} chunks)")
    console.print(f"ingest: {built} · hybrid latency median {report.latency_ms['median']:.1f} ms, "
                  f"p95 {report.latency_ms['p95']:.1f} ms")
    print_metrics_table(
        f"{title}: answers at threshold {pipeline.answerer.config.threshold:.2f}", "setting",
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
    print_metrics_table("open-domain answers by the answer type the question asks for", "type",
                         answers["open"]["by_type"])
    console.print("candidate recall (a gold answer among the candidate spans of the evidence read; exact · with "
                  "particles stripped): " + " · ".join(
                      f"{setting} {answers[setting]['candidate_recall']['exact']:.3f} · "
                      f"{answers[setting]['candidate_recall']['stripped']:.3f}" for setting in ("open", "reader")),
                  highlight=False)
    _print_confusion(answers["open"]["type_confusion"])
    for reference in KORQUAD_REFERENCES:
        console.print(f"[dim]reference (published, not measured here): {reference}[/]", highlight=False)


def _print_confusion(confusion: dict[str, dict[str, int]]) -> None:
    """Each answer type asked, with the types of the spans produced for it (most frequent
    first), open-domain: one row per type asked keeps the table readable at 80 columns."""
    table = Table(title="open-domain: answer type asked → types of the spans produced")
    table.add_column("asked")
    table.add_column("produced (questions)")
    for asked, produced in confusion.items():
        table.add_row(asked, " · ".join(f"{name} {count}" for name, count in produced.items()))
    console.print(table)


@bench_app.command("speed")
def bench_speed(
    quick: bool = typer.Option(False, "--quick", help="A smoke run in under 3 minutes: fewer queries, no KorQuAD."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the JSON report (default: bench/out/)."),
    corpus: Optional[list[Path]] = typer.Option(None, "--corpus", help="A document folder indexed besides the bundled corpus (repeat it): the comparison at a second size."),
) -> None:
    """Speed, memory and recall against the LangChain pipeline, interleaved in one run (bench/speed.py)."""
    extra = ["--corpus", *map(str, corpus)] if corpus else []
    _run_benchmark("speed", ["--quick"] * quick + (["--out", str(out)] if out else []) + extra,
                   "install it with pip install -e '.[bench]'")


@bench_app.command("latency")
def bench_latency(
    index_dir: Path = typer.Option(..., "--index-dir", help="The index to ask over (built there from --corpus first)."),
    corpus: Optional[list[Path]] = typer.Option(None, "--corpus", help="A document file or folder to ingest first (repeat it); unchanged files are skipped."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this file."),
) -> None:
    """Uncached ask latency in process, per stage (and the neural reader's own time), and peak RSS
    over the dev sets' distinct questions (bench/latency.py); the answerer is RAG_READER's."""
    extra = (["--corpus", *map(str, corpus)] if corpus else []) + (["--json", str(json_out)] if json_out else [])
    _run_benchmark("latency", ["--index-dir", str(index_dir), *extra], "install it with pip install -e .")


@bench_app.command("definitions")
def bench_definitions(
    index_dir: Path = typer.Option(..., "--index-dir", help="The index to ask over (built there from --corpus first)."),
    corpus: Optional[list[Path]] = typer.Option(None, "--corpus", help="A document file or folder to ingest first (repeat it); unchanged files are skipped."),
    form: Optional[list[str]] = typer.Option(None, "--form", help="A question template, {t} the term, {law} a statute defining it (repeat it; default: six everyday forms)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only this many terms, drawn with --seed."),
    seed: int = typer.Option(0, "--seed", help="Seed of the terms drawn with --limit."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this file."),
) -> None:
    """Every term the indexed statutes define, asked as people ask what a word means: the share
    answered by that term's defining clause, per question form (bench/definitions.py)."""
    extra = ((["--corpus", *map(str, corpus)] if corpus else []) + [a for f in form or () for a in ("--form", f)]
             + (["--limit", str(limit)] if limit else []) + (["--json", str(json_out)] if json_out else []))
    _run_benchmark("definitions", ["--index-dir", str(index_dir), "--seed", str(seed), *extra],
                   "install it with pip install -e .")


@bench_app.command("unindexed")
def bench_unindexed(
    index_dir: Path = typer.Option(..., "--index-dir", help="The index to ask over (built there from --corpus first)."),
    corpus: Optional[list[Path]] = typer.Option(None, "--corpus", help="A document file or folder to ingest first (repeat it); unchanged files are skipped."),
    limit: int = typer.Option(100, "--limit", min=1, help="How many statutes the index does not hold to ask about, drawn with --seed."),
    seed: int = typer.Option(0, "--seed", help="Seed of the statutes drawn."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this file."),
) -> None:
    """Questions about statutes in force that the index does not hold: the share abstained as served
    and by the rule answerer alone (bench/unindexed.py)."""
    extra = (["--corpus", *map(str, corpus)] if corpus else []) + (["--json", str(json_out)] if json_out else [])
    _run_benchmark("unindexed", ["--index-dir", str(index_dir), "--limit", str(limit), "--seed", str(seed), *extra],
                   "install it with pip install -e .")


@bench_app.command("scale")
def bench_scale(
    statutes: Path = typer.Option(Path("../shared/data/statutes-kr/statutes-all.tar.xz"), "--statutes",
                                  help="The statutes-kr archive: every current Korean statute."),
    corpus: Optional[list[Path]] = typer.Option(None, "--corpus", help="Ingested first, its vectors real (repeat it; default: corpus/civic-laws)."),
    dsn: Optional[str] = typer.Option(None, "--dsn", help="Also measure PostgreSQL at this DSN (an empty database)."),
    postgres: bool = typer.Option(False, "--postgres", help="Also measure PostgreSQL on a throwaway server (scripts/postgres-dev.sh)."),
    load_seconds: float = typer.Option(30.0, "--load-seconds", help="Seconds per HTTP load phase (0: none)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this file."),
) -> None:
    """Ingest rate, size, search p50/p99 per mode, one-document writes and two serving processes'
    requests/s at about 3k, 20k and all ~180k chunks of Korean statutes, in the embedded store and
    in PostgreSQL (bench/scale.py; the statutes' vectors are synthetic, so speed only)."""
    extra = ((["--corpus", *map(str, corpus)] if corpus else []) + (["--dsn", dsn] if dsn else [])
             + ["--postgres"] * postgres + (["--json", str(json_out)] if json_out else []))
    _run_benchmark("scale", ["--statutes", str(statutes), "--load-seconds", str(load_seconds), *extra],
                   "install it with pip install -e '.[postgres]'")


def _run_benchmark(name: str, args: list[str], install: str) -> None:
    """Become ``bench/<name>.py`` of this checkout, or fail with how to get one."""
    from rag.launch import checkout_root, run_benchmark

    root = checkout_root()
    if not (root / "bench" / f"{name}.py").is_file():
        fail(f"the {name} benchmark lives in bench/ of a source checkout, and {root} has none: "
             f"clone the repository and {install}", 2)
    # bench/ is built on rag, so it runs as a program of its own (rag.launch says why).
    run_benchmark(name, args, root)
