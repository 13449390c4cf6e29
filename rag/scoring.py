"""Answer scoring as defined by the official KorQuAD 1.0 evaluation script.

Extractive answers are judged by exact match and character-level F1 after the
KorQuAD normalisation (quote-like symbols and ASCII punctuation removed, lower case,
whitespace collapsed). The definitions are reproduced here rather than imported so
dev-set figures are comparable with published KorQuAD numbers. Beside them, the rule
that picks a threshold from the scores it gives (:func:`centre_of_widest_best`).
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Callable, Iterable, Sequence

# The official script turns these into spaces before stripping ASCII punctuation.
_SPACED_SYMBOLS = "'\"《》<>〈〉()‘’"
_SPACE_TABLE = str.maketrans({ch: " " for ch in _SPACED_SYMBOLS})
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """KorQuAD normalisation: symbols to spaces, lower case, no punctuation, single spaces."""
    text = text.translate(_SPACE_TABLE).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    return " ".join(text.split())


def exact_match(prediction: str, truth: str) -> bool:
    """Whether the normalised strings are equal."""
    return normalize_answer(prediction) == normalize_answer(truth)


def f1(prediction: str, truth: str) -> float:
    """Character-level F1 over the normalised strings, whitespace ignored."""
    predicted = list("".join(normalize_answer(prediction).split()))
    expected = list("".join(normalize_answer(truth).split()))
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0.0
    precision = same / len(predicted)
    recall = same / len(expected)
    return 2 * precision * recall / (precision + recall)


def best_over_truths(metric: Callable[[str, str], float], prediction: str, truths: Iterable[str]) -> float:
    """The best score of ``prediction`` against any of the gold answers (0 when none)."""
    return max((float(metric(prediction, truth)) for truth in truths), default=0.0)


def centre_of_widest_best(values: Sequence[float]) -> int:
    """The index of the best value; of several equally good ones, the centre of the widest
    run of them (the later run and the higher centre on a tie), so that a small shift
    does not change the pick."""
    top = max(values)
    runs: list[list[int]] = []
    previous = False
    for i, value in enumerate(values):
        best = value == top
        if best and previous:
            runs[-1].append(i)
        elif best:
            runs.append([i])
        previous = best
    widest = max(reversed(runs), key=len)
    return widest[len(widest) // 2]
