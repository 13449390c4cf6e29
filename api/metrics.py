"""Prometheus metrics: requests and latency per route and status, abstentions, index size.

With several worker processes (``rag serve --workers N``) each process keeps its own
counters; ``rag serve`` then points ``PROMETHEUS_MULTIPROC_DIR`` at a shared folder
before the workers start, prometheus-client writes every sample there, and ``/metrics``
(answered by any one worker) merges them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from rag.index import Index

#: The variable prometheus-client reads to switch to multi-process mode.
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

_LABELS = ("method", "route", "status")

REQUESTS = Counter("rag_http_requests", "HTTP requests by method, route template and status.", _LABELS)
LATENCY = Histogram(
    "rag_http_request_duration_seconds", "HTTP request latency by method, route template and status.", _LABELS,
    # Questions take tens of milliseconds; writes that embed a large document, minutes.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
ABSTENTIONS = Counter("rag_abstentions", "Questions the service declined to answer (weak evidence).")
INDEX_DOCUMENTS = Gauge("rag_index_documents", "Documents in the served index.", multiprocess_mode="livemostrecent")
INDEX_CHUNKS = Gauge("rag_index_chunks", "Chunks in the served index.", multiprocess_mode="livemostrecent")
WRITES_IN_PROGRESS = Gauge(
    "rag_index_writes_in_progress", "Document writes building a new index generation.", multiprocess_mode="livesum"
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    labels = (method, route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def observe_index(index: Index) -> None:
    INDEX_DOCUMENTS.set(len(index.documents))
    INDEX_CHUNKS.set(len(index.chunks))


def exposition() -> tuple[bytes, str]:
    """All metrics in the Prometheus text format, and that format's content type."""
    registry = REGISTRY
    if MULTIPROCESS_DIR_ENV in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def process_exited() -> None:
    """Drop this worker's live gauges from the merged view when it shuts down."""
    if MULTIPROCESS_DIR_ENV in os.environ:
        multiprocess.mark_process_dead(os.getpid())

