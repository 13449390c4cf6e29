"""The gates of an evaluation set: the metric floors and ceilings ``rag eval`` enforces.

Each set may have a small TOML config beside it (``eval/<set>.toml``): floors under
``[thresholds]``, ceilings under ``[max]``, both keyed like ``hybrid.recall@5`` or
``answer.exact_match``, and the levels a set should reach under ``[target]`` and
``[target_max]`` (see :class:`EvalConfig`), and the documents the set is asked over
(``corpus``). Kept apart from :mod:`rag.evaluation`, which
computes the metrics these bounds are checked against.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

#: Ceilings every set has: a broken citation is a bug, never something to tune.
FIXED_MAXIMA: dict[str, float] = {"answer.invariant_violations": 0.0}


@dataclass
class EvalConfig:
    """Per-set settings read from ``eval/<set>.toml``.

    ``thresholds`` are floors (a metric under its value fails), ``maxima`` ceilings
    (a metric over its value fails, e.g. ``answer.false_refusals``). ``targets`` and
    ``target_maxima`` are where a set should get to: reported, met or not, but they
    do not fail the run, so the gates can guard today's level while the goal stays
    visible. ``corpus`` lists the files and folders (relative to the project root) whose
    documents the set's questions are asked over; empty means all of ``corpus/``.
    """

    thresholds: dict[str, float] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=lambda: dict(FIXED_MAXIMA))
    targets: dict[str, float] = field(default_factory=dict)
    target_maxima: dict[str, float] = field(default_factory=dict)
    corpus: tuple[str, ...] = ()


def load_eval_config(set_path: Path) -> EvalConfig:
    """The config beside ``set_path`` (same stem, ``.toml``), or an empty one."""
    config_path = set_path.with_suffix(".toml")
    if not config_path.exists():
        return EvalConfig()
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    return EvalConfig(
        thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
        maxima={**{k: float(v) for k, v in data.get("max", {}).items()}, **FIXED_MAXIMA},
        targets={k: float(v) for k, v in data.get("target", {}).items()},
        target_maxima={k: float(v) for k, v in data.get("target_max", {}).items()},
        corpus=tuple(str(p) for p in data.get("corpus", ())),
    )


def check_thresholds(
    metrics: dict[str, dict[str, float]], thresholds: dict[str, float], maxima: dict[str, float] | None = None
) -> list[str]:
    """Failures as readable lines; keys look like ``hybrid.recall@5`` or ``answer.exact_match``.

    A metric fails under its value in ``thresholds`` or over its value in ``maxima``.
    """
    gates = [(key, bound, "<") for key, bound in thresholds.items()]
    gates += [(key, bound, ">") for key, bound in (maxima or {}).items()]
    failures = []
    for key, bound, failing in sorted(gates):
        group, _, name = key.partition(".")
        value = metrics.get(group, {}).get(name)
        if value is None:
            failures.append(f"{key}: no such metric")
        elif (value < bound) if failing == "<" else (value > bound):
            failures.append(f"{key} = {value:.3f} {failing} {bound:.3f}")
    return failures
