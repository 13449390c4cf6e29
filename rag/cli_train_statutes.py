"""``rag train passages``, ``articles`` and ``adapter``: what learns from the civic and inquiry sets'
``tune`` halves and the questions written to learn from, asked over an index of corpus/ and the statutes
(registered on ``rag train`` by :mod:`rag.cli_train`)."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

import numpy as np
import typer

from rag.settings import Settings
from rag.terminal import (console, fail, friendly_errors, ingest_with_progress, load_pipeline, progress_bar,
                          read_documents)

if TYPE_CHECKING:
    from rich.progress import Progress

    from rag.pipeline import Pipeline

#: The options of the commands that learn from the civic and inquiry sets over corpus/ and the statutes.
_LAWS = typer.Option(Path("corpus/laws"), "--laws", help="The AI statutes.")
_CIVIC_LAWS = typer.Option(Path("corpus/civic-laws"), "--civic-laws", help="The civic statutes.")
_SEED = typer.Option(0, "--seed", help="Seed of the cross-validation folds (and of the adapter's fit).")
_STATUTE_INDEX_DIR = typer.Option(
    None, "--index-dir", help="Keep the index of corpus/ and the statutes here and reuse it (default: a temporary folder).")


def _statute_folders(laws: Path, civic_laws: Path) -> list[Path]:
    """What the civic and inquiry sets are asked over: the article, both statute folders and the lease acts."""
    missing = [path for path in (laws, civic_laws) if not path.exists()]
    if missing:
        fail(f"statutes not found at {', '.join(map(str, missing))}; pass --laws and --civic-laws", 2)
    return [Path("corpus/news"), laws, civic_laws, Path("eval/inquiry_corpus")]


def _article_sets() -> list[Path]:
    """The sets whose questions have governing articles to learn from: the inquiry and civic sets
    (their ``tune`` halves) and the questions written in their forms to learn from only."""
    from rag.answer.passage_learn import TRAINING_SET
    from rag.article_learn import INQUIRY_TRAINING_SET

    return [Path("eval/inquiry_dev.jsonl"), Path("eval/civic_dev.jsonl"), TRAINING_SET, INQUIRY_TRAINING_SET]


@contextmanager
def _statute_index(laws: Path, civic_laws: Path, index_dir: Path | None) -> Iterator[tuple[Pipeline, list[Path], Progress]]:
    """A rules pipeline over the index of :func:`_statute_folders` (built, or brought up to date, in
    ``index_dir``, else in a temporary folder), the folders, and the progress display it was built under."""
    folders = _statute_folders(laws, civic_laws)
    with friendly_errors(), tempfile.TemporaryDirectory(prefix="rag-train-") as tmp:
        pipeline = load_pipeline(Settings(store="embedded", index_dir=index_dir or Path(tmp), reader="rules"))
        with progress_bar() as progress:
            ingest_with_progress(pipeline, read_documents(folders, progress), True, progress)
            yield pipeline, folders, progress


def _adapter_inputs(pipeline: Pipeline, questions: list) -> tuple[list, np.ndarray, list[int], np.ndarray, np.ndarray]:
    """What the query adapter learns from, over the pipeline's index: each chunk's unit, which
    chunks are gold for each question, the questions with a gold chunk, their vectors, the chunks'."""
    from rag.articles import unit_of

    units = [unit_of(indexed.chunk) for indexed in pipeline.index.chunks]
    gold = np.stack([np.fromiter((unit in q.articles for unit in units), dtype=bool, count=len(units)) for q in questions])
    kept = [i for i in range(len(questions)) if gold[i].any()]
    queries = pipeline.embedder.encode_queries([questions[i].text for i in kept])
    return units, gold[kept], kept, queries, pipeline.index.vectors_of(range(len(units)))


def _card(sets: list[Path], folders: list[Path], command: str, seed: int) -> dict[str, Any]:
    """What a learned file records of its making: the data, the index and the command."""
    return {"data": [f"{path} part tune" for path in sets], "index": [str(folder) for folder in folders],
            "command": f"rag train {command} --seed {seed}"}


def _write(learned: Any, out: Path, started: float) -> str:
    """Record in ``learned``'s card how long learning took, save it to ``out`` and say so: the start of
    the line each command prints (``learned`` is any learned file's model with ``meta`` and ``save``)."""
    learned.meta["seconds"] = round(time.perf_counter() - started, 1)
    learned.save(out)
    return f"wrote {out} in {learned.meta['seconds']} s"


def train_passages(
    out: Optional[Path] = typer.Option(None, "--out", help="Weights file (default: the package's "
                                       "rag/answer/passage-weights.json, which the answerer serves)."),
    seed: int = _SEED,
    laws: Path = _LAWS,
    civic_laws: Path = _CIVIC_LAWS,
    index_dir: Optional[Path] = _STATUTE_INDEX_DIR,
) -> None:
    """Learn the passage ranker and its confidence from the tune half of the civic set and the
    civic training questions (eval/train/civic_passages.jsonl)."""
    from rag.answer.answerer import Answerer, AnswererConfig
    from rag.answer.passage_learn import TRAINING_SET, collect, learn, passage_questions
    from rag.answer.passage_ranker import PASSAGE_WEIGHTS_FILE, PassageWeights

    out = out or PASSAGE_WEIGHTS_FILE
    started = time.perf_counter()
    # Not the inquiry set: its gold is an article, not the passage that answers, and learning
    # from it too lowered the civic set's cross-validated best-passage accuracy from 0.63 to 0.45.
    sets = [Path("eval/civic_dev.jsonl"), TRAINING_SET]
    with _statute_index(laws, civic_laws, index_dir) as (pipeline, folders, progress):
        questions = passage_questions(sets, folders)
        answerer = Answerer(AnswererConfig(hits=pipeline.settings.answer_hits, passage_weights=PassageWeights.untrained()))
        task = progress.add_task("questions", total=len(questions))
        asked = collect(lambda text, k: pipeline.retrieve(text, k, answering=True), answerer, questions,
                        lambda n: progress.update(task, completed=n))
    weights = learn(asked, seed, _card(sets, folders, "passages", seed))
    wrote = _write(weights, out, started)
    figures = weights.meta["figures"]
    console.print(f"{wrote}: {figures['questions']} questions asking for a passage "
                  f"({figures['with_a_right_passage']} with a right passage retrieved); {figures['cv_folds']}-fold CV: "
                  f"best passage right {figures['cv_best_right']} ({figures['cv_best_right_when_reachable']} where one "
                  f"was retrieved), ECE {figures['cv_ece']}, answered {figures['cv_answered']} at threshold "
                  f"{weights.threshold:.3f}", highlight=False)


def train_articles(
    out: Optional[Path] = typer.Option(None, "--out", help="Weights file (default: the package's "
                                       "rag/article-weights.json, which article search serves; "
                                       "rag/article-weights-encoder.json with RAG_ARTICLE_ENCODER=true)."),
    seed: int = _SEED,
    laws: Path = _LAWS,
    civic_laws: Path = _CIVIC_LAWS,
    index_dir: Optional[Path] = _STATUTE_INDEX_DIR,
) -> None:
    """Learn the article ranker from the inquiry and civic tune halves and both sets' training questions."""
    from rag import adapter_learn, article_learn
    from rag.answer.passage_learn import passage_questions
    from rag.article_encoder import train as encoder_train
    from rag.article_encoder.model import ArticleEncoder
    from rag.articles import ARTICLE_WEIGHTS_FILE
    from rag.embedding.cache import ensure_bundled_model
    from rag.query_adapter import QueryAdapter

    started = time.perf_counter()
    sets = _article_sets()
    with _statute_index(laws, civic_laws, index_dir) as (pipeline, folders, progress):
        learnable = [q for q in passage_questions(sets, folders) if any(article is not None for _, article in q.articles)]
        questions = [(q.id, q.text, q.articles) for q in learnable]
        task = progress.add_task("questions", total=len(questions))
        every_unit = len(pipeline.index.chunks)  # more units than there can be: all of them, as served

        def units(text: str):
            found = pipeline.search_articles(text, every_unit)
            return [hit.unit for hit in found], [hit.features for hit in found]

        asked = article_learn.collect(units, questions, lambda n: progress.update(task, completed=n))
        served = pipeline.retriever.adapter
        if served is not None:
            _, gold, kept, queries, passages = _adapter_inputs(pipeline, learnable)
            encoder = isinstance(served, ArticleEncoder)
            refolds = progress.add_task(f"folds (the {'encoder' if encoder else 'adapter'} learned again without each)",
                                        total=article_learn.FOLDS)

            def without(held):
                """Every question searched with an adapter or encoder learned without the questions ``held``."""
                held_ids = {asked[n].question_id for n in held}
                train = [j for j, i in enumerate(kept) if learnable[i].id not in held_ids]
                if encoder:
                    pipeline.retriever.adapter = encoder_train.fine_tune(
                        ensure_bundled_model(), [learnable[kept[j]].text for j in train], gold[train], passages,
                        encoder_train.EncoderTrainConfig(), seed)
                else:
                    config = adapter_learn.AdapterConfig(**served.meta.get("config", {}))
                    a, b = adapter_learn.fit(queries[train], gold[train], passages, config, seed)
                    pipeline.retriever.adapter = QueryAdapter(a, b, served.model)
                try:
                    again = article_learn.collect(units, questions)
                finally:
                    pipeline.retriever.adapter = served
                progress.advance(refolds)
                by_id = {a.question_id: a for a in again}
                return [by_id[a.question_id] for a in asked]
        weights = article_learn.learn(asked, seed, _card(sets, folders, "articles", seed),
                                      without if served is not None else None)
    wrote = _write(weights, out or (ARTICLE_WEIGHTS_FILE if served is None else served.article_weights), started)
    figures = weights.meta["figures"]
    console.print(f"{wrote}: {figures['questions']} questions "
                  f"({figures['with_a_gold_unit']} with a gold article among the candidates); {figures['cv_folds']}-fold "
                  f"CV learned {figures['cv_learned']}, fused reciprocal ranks {figures['cv_fused']}", highlight=False)


def train_adapter(
    out: Optional[Path] = typer.Option(None, "--out", help="Adapter file (default: the package's "
                                       "rag/query-adapter.json, which article search serves)."),
    seed: int = _SEED,
    laws: Path = _LAWS,
    civic_laws: Path = _CIVIC_LAWS,
    index_dir: Optional[Path] = _STATUTE_INDEX_DIR,
) -> None:
    """Learn the query adapter of article search from the questions the article ranker learns from
    (run before `rag train articles`, whose features it changes)."""
    from rag import adapter_learn
    from rag.answer.passage_learn import passage_questions
    from rag.query_adapter import ADAPTER_FILE

    started = time.perf_counter()
    sets = _article_sets()
    with _statute_index(laws, civic_laws, index_dir) as (pipeline, folders, _):
        questions = [q for q in passage_questions(sets, folders) if any(a is not None for _, a in q.articles)]
        units, gold, kept, queries, passages = _adapter_inputs(pipeline, questions)
    with console.status(f"fitting and cross-validating over {len(kept)} questions…"):
        adapter = adapter_learn.learn(queries, gold, passages, units,
                                      [questions[i].articles for i in kept], pipeline.embedder.model_id, seed,
                                      _card(sets, folders, "adapter", seed))
    wrote = _write(adapter, out or ADAPTER_FILE, started)
    cv = adapter.meta["cv"]
    console.print(f"{wrote}: {len(kept)} questions; dense article ranks, "
                  f"{cv['folds']}-fold CV grouped by gold article: plain {cv['plain']}, adapted {cv['adapted']}",
                  highlight=False)


def train_article_encoder(
    out: Optional[Path] = typer.Option(None, "--out", help="Weights folder (default: the package's "
                                       "rag/article_encoder/weights, which article search serves)."),
    seed: int = _SEED,
    laws: Path = _LAWS,
    civic_laws: Path = _CIVIC_LAWS,
    index_dir: Optional[Path] = _STATUTE_INDEX_DIR,
    cross_validate: bool = typer.Option(True, "--cv/--no-cv", help="Also fine-tune once per fold, grouped by "
                                        "gold article, and record the out-of-fold ranks (five more runs)."),
) -> None:
    """Fine-tune the query side of the bundled encoder for article search on the questions the
    article ranker learns from (run before `rag train articles`, whose features it changes)."""
    from rag.answer.passage_learn import passage_questions
    from rag.article_encoder import train
    from rag.article_encoder.model import WEIGHTS_DIR, base_sha256, save_weights
    from rag.embedding.cache import ensure_bundled_model

    started = time.perf_counter()
    sets = _article_sets()
    config = train.EncoderTrainConfig()
    base_dir = ensure_bundled_model()
    with _statute_index(laws, civic_laws, index_dir) as (pipeline, folders, progress):
        questions = [q for q in passage_questions(sets, folders) if any(a is not None for _, a in q.articles)]
        units, gold, kept, queries, passages = _adapter_inputs(pipeline, questions)
        texts, golds = [questions[i].text for i in kept], [questions[i].articles for i in kept]
        cv = None
        if cross_validate:
            folds = progress.add_task("folds (fine-tuned again without each)", total=config.folds)
            cv = train.cross_validate(base_dir, texts, gold, queries, passages, units, golds, config, seed,
                                      lambda n: progress.update(folds, completed=n))
        steps = progress.add_task("fine-tuning", total=None)
        tuned = train.fine_tune(base_dir, texts, gold, passages, config, seed,
                                lambda step, total, loss, _: progress.update(steps, completed=step, total=total,
                                                                             description=f"fine-tuning, loss {loss:.3f}"))
        card = _card(sets, folders, "article-encoder", seed)
        meta = train.card_meta(config, seed, len(texts), len(passages), cv, card["command"], base_sha256(base_dir),
                               card["data"] + [f"index: {', '.join(card['index'])}"])
        meta["model"] = pipeline.embedder.model_id
    meta["seconds"] = round(time.perf_counter() - started, 1)
    written = save_weights(train.delta(tuned), meta, out or WEIGHTS_DIR)
    console.print(f"wrote {written} in {meta['seconds']} s: {len(texts)} questions"
                  + (f"; dense article ranks, {cv['folds']}-fold CV grouped by gold article: plain {cv['plain']}, "
                     f"tuned {cv['tuned']}, summed {cv['summed']}" if cv else ""), highlight=False)
