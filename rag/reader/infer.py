"""Run the int8 reader over passages: the best spans, each with a no-answer score.

A passage is a character range of a document. It is tokenised alone (offsets kept), cut
into windows of context tokens, and each window is read as ``<s> question </s></s>
window </s>``, the pair layout the reader was trained on. All windows of a question go
through onnxruntime as one batch. A span's score is its start plus end logit; the
window's no-answer score is the same sum at ``<s>`` (SQuAD 2.0 style), so ``score -
null`` says how much the reader prefers this span to "not in this window".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from rag.reader.model import ReaderFiles

#: Starts and ends considered per window (SQuAD convention), and the longest span in tokens.
TOP_K = 20
MAX_ANSWER_TOKENS = 30
_BOS, _PAD, _EOS = 0, 1, 2
#: What is never part of an answer's edges.
_EDGE = " \t\n.,;:!?·ㆍ\"'“”‘’()[]{}<>「」『』《》〈〉"


@dataclass(frozen=True)
class Passage:
    """``text[start:end]`` is read; ``text`` is the whole document, so offsets stay the document's."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Plan:
    """The windows one question reads, likeliest first: ``(passage, context ids, document
    offsets)`` each, and ``head``, the ``<s> question </s></s>`` ids every window follows."""

    head: list[int]
    windows: list[tuple[int, list[int], list[tuple[int, int]]]]
    passages: Sequence[Passage]


@dataclass(frozen=True)
class Span:
    """A candidate answer: ``passage``'s document text ``[start:end]``."""

    passage: int
    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        return self.score - self.null


class Reader:
    """The assembled reader (:func:`rag.reader.model.ensure_reader`) on onnxruntime."""

    def __init__(self, files: ReaderFiles, threads: int | None = None):
        from rag.embedding.pieces import shared_pieces
        from rag.embedding.threads import onnx_session

        self.files = files
        # The embedding model's own instance: the reader reads with the same pieces.
        self._pieces = shared_pieces(files.tokenizer_dir / "tokenizer.json")
        # Idle threads sleep instead of spinning: the rule answerer runs beside the reader and
        # the next query's embedding after it, and spinning threads took their cores (civic
        # index, 993 questions: ask p50 127 -> 98 ms, retrieval p50 19 -> 14 ms). The embedding
        # model keeps spinning: one short query there gained from it (retrieval p50 11.6 vs 16.6 ms).
        self._session = onnx_session(files.onnx, threads, spinning=False)

    @staticmethod
    @lru_cache(maxsize=2)
    def shared(files: ReaderFiles, threads: int | None = None) -> Reader:
        """One reader per process, model and thread count: every pipeline of a process reads
        with the same onnxruntime session (which may run calls from several threads at once)."""
        return Reader(files, threads)

    @property
    def threads(self) -> int:
        """Intra-op threads the session computes with."""
        return self._session.get_session_options().intra_op_num_threads

    def windows(self, question_pieces: int, passages: Sequence[Passage], window: int | None = None,
                stride: int | None = None) -> list[tuple[int, list[int], list[tuple[int, int]]]]:
        """``(passage, context ids, document offsets)`` of every window, in passage order.

        ``window`` is how many context tokens one window holds (default: what the
        trained length leaves after a question of ``question_pieces`` pieces);
        consecutive windows overlap by ``stride`` tokens.
        """
        room = self.files.max_length - question_pieces - 4
        window = max(16, min(window or room, room))
        stride = min(stride if stride is not None else self.files.stride, window // 2)
        out = []
        for p, passage in enumerate(passages):
            ids, offsets = self._pieces.encode(passage.text[passage.start:passage.end])
            offsets = [(a + passage.start, b + passage.start) for a, b in offsets]
            first = 0
            while True:
                out.append((p, ids[first:first + window], offsets[first:first + window]))
                if first + window >= len(ids):
                    break
                first += window - stride
        return out

    def plan(self, question: str, passages: Sequence[Passage], window: int | None = None,
             stride: int | None = None, limit: int | None = None) -> Plan:
        """What :meth:`read_windows` reads for ``question``: every window of ``passages``, or with
        ``limit`` only that many, those sharing the most question word pieces (each piece
        weighted by how few of the windows hold it), most shared first."""
        q_ids = self._pieces.encode(question)[0][: self.files.max_length // 2]
        wins = [w for w in self.windows(len(q_ids), passages, window, stride) if w[1]]
        if limit is not None and len(wins) > limit:
            wins = _most_shared(q_ids, wins, limit)
        return Plan([_BOS, *q_ids, _EOS, _EOS], wins, passages)

    def read(self, question: str, passages: Sequence[Passage], window: int | None = None,
             stride: int | None = None, best: int = 5, limit: int | None = None) -> list[Span]:
        """The ``best`` spans over the windows of ``passages`` (:meth:`plan`), highest score first."""
        return self.read_windows(self.plan(question, passages, window, stride, limit), best=best)

    def read_windows(self, plan: Plan, first: int = 0, last: int | None = None, best: int = 5) -> list[Span]:
        """One onnxruntime batch over ``plan.windows[first:last]``: the ``best`` spans among them.

        Reading a plan in parts lets a caller stop after the likeliest window when what it
        found there is clear enough (:class:`rag.reader.answerer.ReaderAnswerer`).
        """
        wins = plan.windows[first:last]
        return self._read_windows(plan.head, wins, plan.passages, best) if wins else []

    def _read_windows(self, head: list[int], wins: list, passages: Sequence[Passage], best: int) -> list[Span]:
        """One onnxruntime batch over ``wins``: the ``best`` spans among them."""
        width = len(head) + max(len(ids) for _, ids, _ in wins) + 1
        input_ids = np.full((len(wins), width), _PAD, dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, (_, ids, _) in enumerate(wins):
            seq = head + ids + [_EOS]
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        starts, ends = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        found = []
        for row, (p, _, offsets) in enumerate(wins):
            found += self._best_in_window(passages[p], p, offsets, starts[row], ends[row], len(head), best)
        return best_spans(found, best)

    @staticmethod
    def _best_in_window(passage: Passage, p: int, offsets: list[tuple[int, int]], start_logits: np.ndarray,
                        end_logits: np.ndarray, head: int, best: int) -> list[Span]:
        n = len(offsets)
        s_log = start_logits[head:head + n]
        e_log = end_logits[head:head + n]
        null = float(start_logits[0] + end_logits[0])
        top_s = np.argsort(-s_log)[:TOP_K]
        top_e = np.argsort(-e_log)[:TOP_K]
        found = []
        for i in top_s:
            for j in top_e:
                if j < i or j - i + 1 > MAX_ANSWER_TOKENS:
                    continue
                start, end = _trim(passage.text, offsets[i][0], offsets[j][1])
                if start < end and "\n" not in passage.text[start:end]:
                    found.append(Span(p, start, end, float(s_log[i] + e_log[j]), null))
        found.sort(key=lambda s: -s.score)
        return found[:best]


def best_spans(spans: list[Span], best: int) -> list[Span]:
    """The ``best`` highest-scoring of ``spans``, each place in a document once (at its best score)."""
    kept: dict[tuple[int, int, int], Span] = {}
    for span in spans:
        key = (span.passage, span.start, span.end)
        if key not in kept or kept[key].score < span.score:
            kept[key] = span
    return sorted(kept.values(), key=lambda s: -s.score)[:best]


def _most_shared(q_ids: list[int], wins: list, limit: int) -> list:
    """The ``limit`` windows whose pieces cover most of the question's, rarer pieces
    counting more (an inverse document frequency over these windows), most shared first."""
    sets = [set(ids) for _, ids, _ in wins]
    question = set(q_ids)
    df = {piece: sum(piece in s for s in sets) for piece in question}
    weight = {piece: np.log((len(sets) + 1) / (n + 0.5)) for piece, n in df.items() if n}
    scores = [sum(weight.get(piece, 0.0) for piece in question & s) for s in sets]
    return [wins[i] for i in np.argsort(-np.asarray(scores), kind="stable")[:limit]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without spaces and punctuation at its edges (brackets that close
    inside the span stay: 「개인정보 보호법」)."""
    while start < end and text[start] in _EDGE and not _closes_inside(text, start, end):
        start += 1
    while end > start and text[end - 1] in _EDGE and not _opens_inside(text, start, end):
        end -= 1
    return start, end


_PAIRS = {"(": ")", "[": "]", "「": "」", "『": "』", "《": "》", "〈": "〉", "“": "”", "‘": "’", "{": "}", "<": ">"}


def _closes_inside(text: str, start: int, end: int) -> bool:
    closing = _PAIRS.get(text[start])
    return closing is not None and closing in text[start + 1:end]


def _opens_inside(text: str, start: int, end: int) -> bool:
    closing = text[end - 1]
    opening = next((o for o, c in _PAIRS.items() if c == closing), None)
    return opening is not None and opening in text[start:end - 1]
