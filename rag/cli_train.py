"""``rag train``: the reader, the chooser and the rule answerer's ranker, learned from KorQuAD 1.0
articles 0–69 (and the ranker also from the dev sets' ``tune`` halves), and the short-or-passage call
of question analysis, learned from the dev sets' ``tune`` halves and KorQuAD's questions; the commands
that learn from the civic and inquiry sets over the statutes (the passage ranker, the article ranker
and the query adapter) are in :mod:`rag.cli_train_statutes`. Not run in CI: slow."""

from __future__ import annotations

import enum
import random
import tempfile
from pathlib import Path
from typing import Optional

import typer

from rag.cli_train_statutes import train_adapter, train_article_encoder, train_articles, train_passages
from rag.settings import Settings
from rag.terminal import console, errors, fail, friendly_errors, ingest_with_progress, load_pipeline, progress_bar

train_app = typer.Typer(help="Train the learned parts of the answerer (not run in CI: slow).", no_args_is_help=True)


class Precision(str, enum.Enum):
    """How the reader trains: under bfloat16 autocast, or all in float32 (:mod:`rag.reader.train`)."""

    bf16 = "bf16"
    fp32 = "fp32"


#: Where the KorQuAD 1.0 dev file sits in a checkout beside ../shared.
KORQUAD_DEFAULT = Path("../shared/data/korquad/KorQuAD_v1.0_dev.json")
@train_app.command("reader")
def train_reader(
    korquad: Path = typer.Option(KORQUAD_DEFAULT, "--korquad",
                                 help="KorQuAD_v1.0_dev.json; only articles 0–69 are read."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the weights (default: the package's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the head, the negatives, the order and dropout."),
    epochs: float = typer.Option(1.25, "--epochs", min=0.01, help="Passes over the training windows."),
    max_length: int = typer.Option(256, "--max-length", min=64, max=512, help="Tokens per window."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N questions (smoke runs)."),
    precision: Precision = typer.Option(Precision.fp32, "--precision",
                                        help="fp32: no autocast (the shipped weights); bf16: matrix products under "
                                             "bfloat16 autocast, about twice as fast on a CPU with AVX-512 BF16."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint",
                                              help="Resumable checkpoint (default: in the user cache)."),
) -> None:
    """Fine-tune the bundled encoder as an extractive reader on KorQuAD 1.0 articles 0–69 (about an hour on 2 cores)."""
    import os
    import shlex

    # Threads that sleep instead of spinning at each barrier: a spinning OpenMP thread that
    # shares a core with another job slows every step several times (measured: 2.3 → 12 s).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rag.embedding.cache import default_cache_dir, ensure_bundled_model
    from rag.embedding.convert import read_marker
    from rag.reader.model import WEIGHTS_DIR
    from rag.reader.train import ReaderTrainConfig, save_delta, train_reader as run

    if not korquad.is_file():
        fail(f"KorQuAD data not found at {korquad}; pass --korquad pointing at KorQuAD_v1.0_dev.json", 2)
    config = ReaderTrainConfig(seed=seed, epochs=epochs, max_length=max_length, stride=max_length // 2, limit=limit,
                               precision=precision.value)
    base = ensure_bundled_model()
    checkpoint = checkpoint or default_cache_dir().parent / "train" / f"reader-seed{seed}.pt"
    errors.print(f"preparing windows of {korquad} (articles 0–69); checkpoint {checkpoint}", highlight=False)
    with progress_bar() as progress:
        task = progress.add_task("training", total=None)

        def on_step(step: int, total: int, loss: float, seconds: float) -> None:
            progress.update(task, completed=step, total=total, description=f"loss {loss:.3f}")
            if not errors.is_terminal and (step % 20 == 0 or step == total):
                errors.print(f"step {step}/{total} loss {loss:.3f} {seconds:.0f} s", highlight=False)

        model, stats = run(korquad, base, checkpoint, config, progress=on_step)
    command = "rag train reader " + shlex.join(["--seed", str(seed), "--epochs", str(epochs),
                                                 "--max-length", str(max_length), "--precision", precision.value]
                                                + (["--limit", str(limit)] if limit else []))
    path = save_delta(model, out or WEIGHTS_DIR, config, stats, read_marker(base)["source_sha256"], command)
    console.print(f"wrote {path} ({stats['steps']} steps, {stats['train_seconds']} s, loss {stats['final_loss_ema']})")


@train_app.command("chooser")
def train_chooser(
    korquad_path: Path = typer.Option(KORQUAD_DEFAULT, "--korquad",
                                      help="KorQuAD_v1.0_dev.json; only the questions of articles 0–69 are asked."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for chooser.json (default: the package's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the unanswerable share and the cross-validation folds."),
    negative_share: float = typer.Option(0.33, "--negative-share", min=0.0, max=1.0,
                                         help="Share of questions asked again without their own paragraph."),
    index_dir: Optional[Path] = typer.Option(
        None, "--index-dir", help="Keep the paragraph index here and reuse it (default: a temporary folder)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Only N questions, drawn with the seed (the reader takes ~0.2 s a question)."),
    civic_index_dir: Optional[Path] = typer.Option(
        None, "--civic-index-dir", help="Keep the index of corpus/ and the statutes here (default: a temporary folder)."),
    laws: Path = typer.Option(Path("corpus/laws"), "--laws", help="The statutes the statute set needs."),
    civic_share: Optional[float] = typer.Option(
        None, "--civic-share", min=0.05, max=0.95,
        help="Share of the total weight the dev sets' tune questions carry (default: the rule ranker's, 0.2)."),
) -> None:
    """Learn the choice between the reader's and the rules' answers, and when to abstain, from KorQuAD
    articles 0–69 and the article and statute sets' tune halves (a few minutes)."""
    from datetime import date

    from rag import korquad
    from rag.reader.chooser import Chooser
    from rag.reader.learn import fit_chooser
    from rag.answer.training import civic_questions
    from rag.evaluation import load_eval_set
    from rag.answer.learn import CIVIC_SHARE
    from rag.reader.collect import collect, collect_dev
    from rag.terminal import read_documents
    from rag.reader.answerer import ReaderAnswerConfig, ReaderAnswerer
    from rag.reader.infer import Reader
    from rag.reader.model import CHOOSER_FILE, WEIGHTS_DIR, ensure_reader

    if not korquad_path.is_file():
        fail(f"KorQuAD data not found at {korquad_path}; pass --korquad pointing at KorQuAD_v1.0_dev.json", 2)
    if not laws.exists():
        fail(f"statutes not found at {laws}; pass --laws (e.g. corpus/laws)", 2)
    out = out or WEIGHTS_DIR
    civic_share = CIVIC_SHARE if civic_share is None else civic_share
    sets = [Path("eval/article_dev.jsonl"), Path("eval/statute_dev.jsonl")]
    with friendly_errors(), tempfile.TemporaryDirectory(prefix="rag-korquad-") as tmp:
        documents, questions = korquad.load_korquad(korquad_path, "dev")
        if limit is not None:
            questions = random.Random(seed).sample(questions, min(limit, len(questions)))
        settings = Settings(store="embedded", index_dir=index_dir or Path(tmp), reader="rules")
        pipeline = load_pipeline(settings)
        answerer = ReaderAnswerer(pipeline.answerer, Reader(ensure_reader(out)), Chooser.untrained(),
                                  ReaderAnswerConfig(hits=settings.answer_hits, windows=settings.reader_windows,
                                                     window_tokens=settings.reader_window_tokens,
                                                     stop_confidence=settings.reader_stop_confidence))
        with progress_bar() as progress:
            ingest_with_progress(pipeline, documents, True, progress)
            task = progress.add_task("questions", total=len(questions))
            examples = collect(pipeline, answerer, questions, negative_share, seed,
                               progress=lambda n: progress.update(task, completed=n))
            korquad_asked = (examples.answerable, examples.unanswerable)
            civic_pipeline = load_pipeline(Settings(store="embedded", index_dir=civic_index_dir or Path(tmp) / "civic", reader="rules"))
            ingest_with_progress(civic_pipeline, read_documents([Path("corpus/news"), laws], progress), True, progress)
            dev = civic_questions({path.stem: load_eval_set(path) for path in sets})
            task = progress.add_task("dev questions", total=None)
            collect_dev(civic_pipeline, answerer, dev, examples, share=civic_share,
                        progress=lambda n, total: progress.update(task, completed=n, total=total))
    meta = {"data": ["KorQuAD 1.0 dev (CC BY-ND 2.0 KR), articles 0-69, open-domain over all 964 paragraphs",
                     *(f"{path} part tune (over corpus/ and {laws.name}/)" for path in sets)],
            "questions": korquad_asked[0], "asked_without_their_paragraph": korquad_asked[1],
            "dev_questions": {"answerable": examples.answerable - korquad_asked[0],
                              "unanswerable": examples.unanswerable - korquad_asked[1]},
            "seed": seed, "trained_on": str(date.today()),
            "command": f"rag train chooser --seed {seed} --negative-share {negative_share} --civic-share {civic_share}"
                       + (f" --limit {limit}" if limit else ""),
            "reader": {"windows": settings.reader_windows, "window_tokens": settings.reader_window_tokens,
                       "stop_confidence": settings.reader_stop_confidence, "hits": settings.answer_hits}}
    chooser = fit_chooser(examples, seed=seed, meta=meta)
    out.mkdir(parents=True, exist_ok=True)
    chooser.save(out / CHOOSER_FILE)
    fit = chooser.meta["fit"]
    console.print(f"wrote {out / CHOOSER_FILE}: {fit['examples']} proposals ({fit['positives']} exact); 5-fold CV")
    for name in ("choice", "confidence"):
        console.print(f"  {name}: log loss {fit[name]['cv5_log_loss']}, accuracy {fit[name]['cv5_accuracy']}, "
                      f"ROC AUC {fit[name]['cv5_roc_auc']}")
    chosen = fit["threshold"]
    console.print(f"threshold {chosen['chosen']:.2f} (most askings right out of fold: {chosen['correct']}; exact "
                  f"{chosen['exact_match']}, false refusals {chosen['false_refusals']}, abstention recall "
                  f"{chosen['abstention_recall']})", highlight=False)
    gate = fit["rules_alone"]
    if chooser.rules_alone is None:
        console.print("no gate: the rule answers are nowhere trusted enough to skip reading; every short question is read")
    else:
        at = gate["levels"][f"{chooser.rules_alone:.2f}"]
        console.print(f"gate level {chooser.rules_alone:.2f}: {at['unread']} of the askings answered unread, right out of fold "
                      f"{at['correct']} against {gate['reading']['correct']} reading all", highlight=False)


@train_app.command("answerer")
def train_answerer(
    korquad_path: Path = typer.Option(KORQUAD_DEFAULT, "--korquad",
                                      help="KorQuAD_v1.0_dev.json; only the questions of articles 0–69 are asked."),
    out: Optional[Path] = typer.Option(None, "--out", help="Weights file (default: the package's rag/answer/weights-learned.json; "
                                       "point RAG_ANSWER_WEIGHTS at it, or --out over weights.json, to serve it)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the share asked without their paragraph."),
    index_dir: Optional[Path] = typer.Option(
        None, "--index-dir", help="Keep the KorQuAD paragraph index here and reuse it (default: a temporary folder)."),
    civic_index_dir: Optional[Path] = typer.Option(
        None, "--civic-index-dir", help="Keep the index of the corpus here (default: a temporary folder)."),
    corpus: Path = typer.Option(Path("corpus"), "--corpus", help="The documents the dev sets ask about."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Only N KorQuAD questions, drawn with the seed (smoke runs)."),
    examples_path: Optional[Path] = typer.Option(
        None, "--examples", help="Keep the collected candidates here (.npz) and reuse them when the file exists: "
        "they change only with the questions, retrieval or the features."),
    recalibrate: bool = typer.Option(
        False, "--recalibrate", help="Refit only the served weights' confidence, keeping every answer and abstention "
        "(default --out: the package's rag/answer/weights.json)."),
) -> None:
    """Learn the rule answerer's ranker, confidence and threshold from KorQuAD articles 0–69, the dev sets'
    tune halves and the short-fact questions written to learn from; or, with --recalibrate, only the
    served weights' confidence."""
    import shlex
    import time
    from datetime import date

    from rag.answer.learn import CIVIC_SHARE
    from rag.answer.ranker import WEIGHTS_FILE, Weights
    from rag.answer.examples import load as load_examples, save as save_examples
    from rag.answer.training import WITHHELD_SHARE, ask_all, civic_questions, korquad_questions, learn, recalibrated
    from rag.evaluation import load_eval_set
    from rag.terminal import read_documents

    from rag import korquad

    # Refitting the confidence learns from the civic questions alone (rag.answer.training.recalibrated).
    if not recalibrate and not korquad_path.is_file():
        fail(f"KorQuAD data not found at {korquad_path}; pass --korquad pointing at KorQuAD_v1.0_dev.json", 2)
    if not corpus.exists():
        fail(f"documents not found at {corpus}; pass --corpus (e.g. corpus)", 2)
    # Beside the default, not over it: learned weights are served only when measured to win.
    out = out or (WEIGHTS_FILE if recalibrate else WEIGHTS_FILE.with_name("weights-learned.json"))
    baseline = Weights.load(WEIGHTS_FILE)
    started = time.perf_counter()
    sets = [Path("eval/article_dev.jsonl"), Path("eval/statute_dev.jsonl"), Path("eval/civic_dev.jsonl"),
            Path("eval/train/civic_shorts.jsonl")]
    command = "rag train answerer " + shlex.join(["--seed", str(seed)] + (["--limit", str(limit)] if limit else [])
                                                 + (["--recalibrate"] if recalibrate else []))
    meta = {"data": [f"{path} part tune, short-fact and unanswerable questions (over {corpus}/)" for path in sets],
            "seed": seed, "command": command, "trained_on": str(date.today()), "withheld_share": WITHHELD_SHARE,
            "baseline": baseline.source}
    if not recalibrate:
        meta["data"].insert(0, "KorQuAD 1.0 dev (CC BY-ND 2.0 KR), articles 0-69, open-domain over all 964 paragraphs")
        meta["civic_share"] = CIVIC_SHARE  # KorQuAD's weight against the civic questions' (rag.answer.learn.balance)
    with friendly_errors(), tempfile.TemporaryDirectory(prefix="rag-ranker-") as tmp:
        if examples_path is not None and examples_path.is_file():
            errors.print(f"reusing the candidates collected in {examples_path}", highlight=False)
            examples = load_examples(examples_path)
        else:
            # Refitting the confidence asks no KorQuAD question: no data, and no index of its paragraphs.
            kq_pipeline, documents, kq = None, [], []
            if not recalibrate:
                documents, kq = korquad.load_korquad(korquad_path, "dev")
                if limit is not None:
                    kq = random.Random(seed).sample(kq, min(limit, len(kq)))
                kq_pipeline = load_pipeline(
                    Settings(store="embedded", index_dir=index_dir or Path(tmp) / "korquad", reader="rules"))
            civic_pipeline = load_pipeline(Settings(store="embedded", index_dir=civic_index_dir or Path(tmp) / "civic", reader="rules"))
            with progress_bar() as progress:
                if kq_pipeline is not None:
                    ingest_with_progress(kq_pipeline, documents, True, progress)
                ingest_with_progress(civic_pipeline, read_documents([corpus], progress), True, progress)
                civic = civic_questions({path.stem: load_eval_set(path) for path in sets})
                questions = korquad_questions(kq)
                tasks = {name: progress.add_task(name, total=len(qs))
                         for name, qs in (("korquad", questions), ("civic", civic)) if qs}

                def on_question(name: str, n: int) -> None:
                    progress.update(tasks[name], completed=n)
                    if not errors.is_terminal and n % 250 == 0:
                        errors.print(f"{name}: {n} questions", highlight=False)

                examples = ask_all(kq_pipeline, civic_pipeline, questions, civic, seed, on_question)
            if examples_path is not None:
                save_examples(examples, examples_path)
        with console.status("cross-validating and fitting…"):
            weights = (recalibrated if recalibrate else learn)(examples, baseline, meta)
    weights.meta["seconds"] = round(time.perf_counter() - started, 1)
    weights.save(out)
    cv = weights.meta["cv"]
    console.print(f"wrote {out} in {weights.meta['seconds']} s; 5-fold CV top-1 (learned / hand-set): " + ", ".join(
        f"{source} {r['learned']} / {r['hand']} ({r['questions']})" for source, r in cv["top1"].items())
        + "; confidence log loss / ECE: " + ", ".join(
        f"{name} {c['log_loss']} / {c['ece']}" for name, c in cv["calibration"].items()), highlight=False)
    if recalibrate:
        console.print(f"confidence midpoint {weights.midpoint}, steepness {weights.steepness}; threshold "
                      f"{weights.threshold} (where the served weights abstained: the same answers)", highlight=False)
        return
    chosen = cv["threshold"]
    console.print(f"threshold {chosen['chosen']:.3f}: out of fold, answered {chosen['answered']}, right answers refused "
                  f"{chosen['right_refused']}, hopeless askings abstained {chosen['hopeless_abstained']}", highlight=False)


@train_app.command("kinds")
def train_kinds(
    out: Optional[Path] = typer.Option(None, "--out", help="Weights file (default: the package's "
                                       "rag/answer/kind-weights.json, which question analysis uses)."),
    korquad_path: Optional[Path] = typer.Option(KORQUAD_DEFAULT, "--korquad",
                                                help="KorQuAD_v1.0_dev.json: its questions of articles 0–69 are short "
                                                     "facts to learn from too (skipped when the file is absent)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the cross-validation folds."),
) -> None:
    """Learn whether a question asks for a short span or a passage, from the dev sets' tune halves."""
    import time
    from rag import korquad
    from rag.answer import kind_learn
    from rag.answer.kind_model import KIND_WEIGHTS_FILE
    from rag.splits import select_part

    started = time.perf_counter()
    questions = kind_learn.dev_questions(Path("eval"))
    data = [f"{name} part tune" for name in kind_learn.DEV_SETS]
    if korquad_path is not None and korquad_path.is_file():
        _, asked = korquad.load_korquad(korquad_path, "dev")
        questions += [kind_learn.KindQuestion(q.id, q.question, "short", "tune", kind_learn.KORQUAD) for q in asked
                      if kind_learn.without_passage_cue(q.question)]
        data.append(f"{korquad_path.name} articles 0-69 without a passage cue (CC BY-ND)")
    else:
        errors.print(f"KorQuAD not found at {korquad_path}: learning from the dev sets alone", highlight=False)
    with friendly_errors():
        weights = kind_learn.learn(questions, seed, {"data": data, "command": f"rag train kinds --seed {seed}"})
        report = select_part(kind_learn.load_kind_set(Path("eval") / kind_learn.KIND_SET), "report")
        weights.meta["report"] = {"learned": kind_learn.accuracy(weights, report),
                                  "cue rules": kind_learn.accuracy(None, report)}
    weights.meta["seconds"] = round(time.perf_counter() - started, 1)
    out = out or KIND_WEIGHTS_FILE
    weights.save(out)
    figures, scored = weights.meta["figures"], weights.meta["report"]
    console.print(f"wrote {out} in {weights.meta['seconds']} s: {figures['questions']} questions "
                  f"({figures['passage']} passage, {figures['korquad']} from KorQuAD), {figures['features']} features; "
                  f"{figures['cv_folds']}-fold CV short-or-passage {figures['cv_short_or_passage']}, passage kind "
                  f"{figures['cv_passage_kind']}; "
                  f"{kind_learn.KIND_SET} report half: short-or-passage {scored['learned']['short_or_passage']} "
                  f"(cue rules {scored['cue rules']['short_or_passage']}), kind {scored['learned']['kind']} "
                  f"(cue rules {scored['cue rules']['kind']})", highlight=False)


for _name, _command in (("passages", train_passages), ("articles", train_articles), ("adapter", train_adapter),
                        ("article-encoder", train_article_encoder)):
    train_app.command(_name)(_command)
