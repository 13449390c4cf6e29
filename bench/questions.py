"""Distinct questions for the load benchmark: a chatbot seldom sees the same question twice.

The pool holds every question of ``eval/*.jsonl`` (the turns of conversations included), the
KorQuAD 1.0 dev questions when the data is on this machine (read in place; nothing of it is
stored), and variants of each as people write them: a greeting or a preamble before, a request
after ("안녕하세요. … 알려주세요."). A variant is a new text to the server: no answer cache,
memoised tokenisation or other per-text shortcut recognises it. The pool is shuffled with a
fixed seed and handed out in order, so no question repeats within a run until the pool is
used up; what repeats after that is counted (:attr:`QuestionPool.repeated`).

The load client imports nothing of ``rag``: the files are read as plain JSON, which keeps the
client light beside the server it loads.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

#: Written before and after a question, as citizens write to a chatbot or an agency.
PREFIXES = ("", "안녕하세요. ", "질문이 있습니다. ", "궁금한 점이 있어서요, ")
SUFFIXES = ("", " 알려주세요.", " 답변 부탁드립니다.")


def eval_questions(eval_dir: Path) -> list[str]:
    """Every question of the eval sets in file order, the turns of the dialogue set's conversations included."""
    questions = []
    for path in sorted(eval_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                questions += [turn["question"] for turn in row.get("turns", [row])]
    return questions


def korquad_questions(path: Path) -> list[str]:
    """The questions of a KorQuAD 1.0 file (every article: only their wording is used, as load)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [qa["question"] for article in data for paragraph in article["paragraphs"] for qa in paragraph["qas"]]


def variants(question: str) -> list[str]:
    """``question`` as written plainly and with each preamble and request around it."""
    return [f"{before}{question}{after}" for before in PREFIXES for after in SUFFIXES]


class QuestionPool:
    """Questions handed out without repetition until the pool is used up, then again reshuffled.

    ``repeat=True`` hands out ``base`` alone, in order and round and round: the recurring
    questions of a chatbot, which its answer cache is for.
    """

    def __init__(self, base: Sequence[str], extra: Sequence[str] = (), seed: int = 0, repeat: bool = False):
        texts = list(base) if repeat else list(dict.fromkeys(v for q in [*base, *extra] for v in variants(q)))
        if not texts:
            raise ValueError("no questions to ask")
        self._texts = texts
        self._rng = random.Random(seed)
        self._repeat = repeat
        if not repeat:
            self._rng.shuffle(self._texts)
        self._next = 0
        self._asked: set[str] = set()
        self.repeated = 0

    def __len__(self) -> int:
        return len(self._texts)

    def take(self) -> str:
        """The next question; a text asked before in this run is counted in :attr:`repeated`."""
        if self._next == len(self._texts):
            self._next = 0
            if not self._repeat:
                self._rng.shuffle(self._texts)
        text = self._texts[self._next]
        self._next += 1
        if text in self._asked:
            self.repeated += 1
        else:
            self._asked.add(text)
        return text
