"""Training windows for the reader from KorQuAD 1.0 (read in place, never copied).

Each question is tokenised with its paragraph as ``question </s></s> context`` windows of
``max_length`` tokens overlapping by ``stride``; a window that holds the answer is labelled
with its start and end token, every other window with position 0 (``<s>``), the no-answer
label of SQuAD 2.0 readers. Windows without the answer already teach "not here"; on top of
that, a share of the questions is paired with the best-matching *other* paragraph of the
same split (BM25 over Kiwi morphemes, as retrieval would find it) that does not contain any
of its answers: the hard negatives a reader meets in open-domain use.

Only the articles of the split asked for are read: training uses articles 0–69.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: KorQuAD 1.0 dev articles the reader may learn from; 70–139 are for reporting only.
TRAIN_ARTICLES = range(0, 70)


@dataclass(frozen=True)
class Example:
    """A question over one paragraph; ``answer_start`` is ``None`` for a negative pair."""

    question_id: str
    question: str
    context: str
    answer_text: str | None
    answer_start: int | None


@dataclass(frozen=True)
class Features:
    """Token windows as padded arrays plus their span labels (0 = no answer in the window)."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    start_positions: np.ndarray
    end_positions: np.ndarray

    def __len__(self) -> int:
        return len(self.input_ids)


def read_examples(path: Path, articles: range = TRAIN_ARTICLES) -> tuple[list[Example], list[list[str]]]:
    """The answerable examples of ``articles`` (first gold answer each), and per example
    all its gold answers (for choosing negatives that hold none of them)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    examples, golds = [], []
    for a in articles:
        for paragraph in data[a]["paragraphs"]:
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                examples.append(Example(qa["id"], qa["question"], paragraph["context"],
                                        first["text"], first["answer_start"]))
                golds.append([ans["text"] for ans in qa["answers"]])
    return examples, golds


def hard_negatives(examples: list[Example], golds: list[list[str]], share: float, seed: int) -> list[Example]:
    """For a seeded ``share`` of the examples, the best BM25 match among the other
    paragraphs that contains none of the example's answers, as a no-answer pair."""
    from rag.bm25 import BM25
    from rag.lexical import tokenize_many

    contexts = sorted({e.context for e in examples})
    index = BM25.of(tokenize_many(contexts))
    chosen = np.flatnonzero(np.random.default_rng(seed).random(len(examples)) < share)
    queries = tokenize_many([examples[int(i)].question for i in chosen])
    negatives = []
    for i, query in zip(chosen, queries):
        example = examples[int(i)]
        rows, _ = index.search(query, 10)
        for row in rows:
            other = contexts[int(row)]
            if other != example.context and not any(g in other for g in golds[int(i)]):
                negatives.append(Example(example.question_id + "-neg", example.question, other, None, None))
                break
    return negatives


def featurize(examples: list[Example], tokenizer, max_length: int, stride: int) -> Features:
    """Windows of every example with span labels, padded to ``max_length``.

    The tokenizer is the bundled fast XLM-R tokenizer; its offset mapping locates the
    answer's characters among the context tokens (sequence id 1).
    """
    enc = tokenizer(
        [e.question for e in examples], [e.context for e in examples],
        truncation="only_second", max_length=max_length, stride=stride,
        return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length",
    )
    starts, ends, keep = [], [], []
    for w, offsets in enumerate(enc["offset_mapping"]):
        sample = enc["overflow_to_sample_mapping"][w]
        example = examples[sample]
        # A negative paragraph's first window is negative enough: its others would only
        # add no-answer windows, which the positives' far windows already provide.
        if example.answer_start is None and w and enc["overflow_to_sample_mapping"][w - 1] == sample:
            continue
        keep.append(w)
        start = end = 0
        if example.answer_start is not None:
            first = example.answer_start
            last = first + len(example.answer_text)
            seq = enc.sequence_ids(w)
            ctx = [i for i, s in enumerate(seq) if s == 1]
            if ctx and offsets[ctx[0]][0] <= first and offsets[ctx[-1]][1] >= last:
                start = next(i for i in ctx if offsets[i][1] > first)
                end = next(i for i in reversed(ctx) if offsets[i][0] < last)
        starts.append(start)
        ends.append(end)
    return Features(
        input_ids=np.asarray(enc["input_ids"], dtype=np.int64)[keep],
        attention_mask=np.asarray(enc["attention_mask"], dtype=np.int64)[keep],
        start_positions=np.asarray(starts, dtype=np.int64),
        end_positions=np.asarray(ends, dtype=np.int64),
    )
