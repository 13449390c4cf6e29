"""The figures of ``rag bench speed``, their ratios to the LangChain baseline, and how they print.

Pure data and formatting: nothing here loads a model, so the unit tests exercise it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.table import Table

from bench.langchain_baseline import PrefixCheck
from rag.evaluation import percentile

#: Key of the variant every ratio divides by.
BASELINE = "langchain"
#: Key of the variant the acceptance targets are about.
OURS = "ours"
#: Our p50 (retrieval + answer) may be at most this share of the baseline's p50 (retrieval only).
P50_TARGET_SHARE = 0.8


@dataclass(frozen=True)
class Latency:
    """Percentiles of one probe's latencies, in milliseconds."""

    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float

    @classmethod
    def of(cls, ms: Sequence[float]) -> Latency:
        return cls(samples=len(ms), p50_ms=percentile(ms, 50), p95_ms=percentile(ms, 95),
                   p99_ms=percentile(ms, 99), mean_ms=sum(ms) / len(ms) if ms else 0.0)


@dataclass(frozen=True)
class VariantResult:
    """What one variant measured. ``embedder`` names its embedding floor in :attr:`SpeedReport.embed_floors`."""

    key: str
    label: str
    embedder: str
    build_seconds: float | None  # None: it serves an index another variant built
    chunks: int
    latency: Latency
    throughput_qps: dict[int, float]
    peak_rss_mb: float


@dataclass(frozen=True)
class Figure:
    """One row of the comparison table."""

    name: str
    label: str
    higher_is_better: bool = False

    def value(self, variant: VariantResult) -> float | None:
        if self.name.startswith("qps@"):
            return variant.throughput_qps.get(int(self.name.removeprefix("qps@")))
        if self.name in ("p50_ms", "p95_ms", "p99_ms"):
            return getattr(variant.latency, self.name)
        return getattr(variant, self.name)


def figures(concurrency: Sequence[int]) -> list[Figure]:
    """The comparison rows, one throughput row per concurrency level."""
    return [
        Figure("build_seconds", "index build (s)"),
        Figure("p50_ms", "query p50 (ms)"),
        Figure("p95_ms", "query p95 (ms)"),
        Figure("p99_ms", "query p99 (ms)"),
        *(Figure(f"qps@{n}", f"throughput, {n} caller{'s' if n > 1 else ''} (q/s)", higher_is_better=True)
          for n in concurrency),
        Figure("peak_rss_mb", "peak RSS, fresh process (MB)"),
    ]


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """``ours / baseline``, or None when either is missing or the baseline is 0."""
    if ours is None or not baseline:
        return None
    return ours / baseline


@dataclass(frozen=True)
class RatioRow:
    """One figure for every variant, and each non-baseline variant's ratio to the baseline."""

    figure: str
    label: str
    higher_is_better: bool
    values: dict[str, float | None]
    ratios: dict[str, float | None]


def ratio_rows(variants: Sequence[VariantResult], concurrency: Sequence[int]) -> list[RatioRow]:
    """The comparison table: every figure of every variant, divided by the baseline's."""
    rows = []
    for figure in figures(concurrency):
        values = {v.key: figure.value(v) for v in variants}
        ratios = {v.key: ratio(values[v.key], values[BASELINE]) for v in variants if v.key != BASELINE}
        rows.append(RatioRow(figure.name, figure.label, figure.higher_is_better, values, ratios))
    return rows


@dataclass(frozen=True)
class Target:
    """An acceptance target: ``value ≤ limit``."""

    name: str
    value: float
    limit: float

    @property
    def met(self) -> bool:
        return self.value <= self.limit


def targets(variants: Sequence[VariantResult]) -> list[Target]:
    """Our p50 ≤ 0.8 × the baseline's p50, and our peak RSS ≤ the baseline's."""
    by_key = {v.key: v for v in variants}
    ours, baseline = by_key[OURS], by_key[BASELINE]
    return [
        Target(f"p50 (retrieval + answer) ≤ {P50_TARGET_SHARE:g} × baseline p50 (retrieval)",
               ours.latency.p50_ms, P50_TARGET_SHARE * baseline.latency.p50_ms),
        Target("peak RSS ≤ baseline peak RSS", ours.peak_rss_mb, baseline.peak_rss_mb),
    ]


@dataclass(frozen=True)
class Recall:
    """recall@k of each retriever on one question set; ``build_seconds`` when the set has its own index."""

    name: str
    questions: int
    recall: dict[str, float]
    build_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class SpeedReport:
    """Everything one run measured, as printed and as written to JSON."""

    mode: str
    concurrency: list[int]
    variants: list[VariantResult]
    embed_floors: dict[str, Latency]
    faiss_floor: Latency
    quality: list[Recall]
    prefix_check: PrefixCheck
    environment: dict
    notes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ratios"] = [asdict(row) for row in ratio_rows(self.variants, self.concurrency)]
        data["targets"] = [asdict(t) | {"met": t.met} for t in targets(self.variants)]
        data["prefix_check"]["ok"] = self.prefix_check.ok
        return data


# -- printing ---------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"


def _ratio(value: float | None, higher_is_better: bool) -> str:
    if value is None:
        return "—"
    better = value > 1 if higher_is_better else value < 1
    return f"[{'green' if better else 'red'}]{value:.2f}×[/]"


def comparison_table(report: SpeedReport) -> Table:
    table = Table(title=f"rag bench speed ({report.mode}): ours vs LangChain, same corpus, questions and machine")
    table.add_column("figure")
    for variant in report.variants:
        table.add_column(variant.label, justify="right")
    others = [v for v in report.variants if v.key != BASELINE]
    for variant in others:
        table.add_column(f"{variant.key}/{BASELINE}", justify="right")
    for row in ratio_rows(report.variants, report.concurrency):
        table.add_row(row.label, *(_number(row.values[v.key]) for v in report.variants),
                      *(_ratio(row.ratios[v.key], row.higher_is_better) for v in others))
    return table


def latency_table(report: SpeedReport) -> Table:
    """Each variant's percentiles beside the floors it cannot go under."""
    table = Table(title="query latency after warm-up (ms), and the floors under it")
    for column in ("probe", "n", "p50", "p95", "p99", "mean", "p50 above its embedding floor"):
        table.add_column(column, justify="left" if column == "probe" else "right")
    for variant in report.variants:
        floor = report.embed_floors[variant.embedder]
        above = variant.latency.p50_ms - floor.p50_ms
        table.add_row(variant.label, *_latency_cells(variant.latency),
                      f"{above:+.1f} ({variant.latency.p50_ms / floor.p50_ms:.1f}×)" if floor.p50_ms else "—")
    for name, floor in report.embed_floors.items():
        table.add_row(f"[dim]floor: embed query, {name}[/]", *_latency_cells(floor), "")
    table.add_row("[dim]floor: FAISS search k=5[/]", *_latency_cells(report.faiss_floor), "")
    return table


def _latency_cells(latency: Latency) -> list[str]:
    return [str(latency.samples), *(f"{v:.2f}" for v in (latency.p50_ms, latency.p95_ms, latency.p99_ms,
                                                          latency.mean_ms))]


def quality_table(report: SpeedReport) -> Table:
    names = list(report.quality[0].recall)
    table = Table(title="recall@5", caption="relevant: a chunk holding a gold answer (KorQuAD: the question's own "
                                            "paragraph)")
    table.add_column("set")
    table.add_column("questions", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for row in report.quality:
        table.add_row(row.name, str(row.questions), *(f"{row.recall[n]:.3f}" for n in names))
    return table


def print_report(report: SpeedReport, console: Console) -> None:
    console.print(comparison_table(report))
    console.print(latency_table(report))
    if report.quality:
        console.print(quality_table(report))
    for row in report.quality:
        if row.build_seconds:
            builds = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in row.build_seconds.items())
            console.print(f"{row.name} index build: {builds}")
    for target in targets(report.variants):
        verdict = "[green]met[/]" if target.met else "[red]not met[/]"
        console.print(f"target: ours {target.name}: {target.value:.1f} vs {target.limit:.1f} — {verdict}",
                      highlight=False)
    check = report.prefix_check
    console.print(f"LangChain vectors vs sentence-transformers with the e5 prefixes: cosine {check.query_cosine:.6f} "
                  f"(query), {check.passage_cosine:.6f} (passage); {check.unprefixed_query_cosine:.4f} to the bare "
                  f"question, {check.ours_query_cosine:.4f} to our query vector", highlight=False)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
