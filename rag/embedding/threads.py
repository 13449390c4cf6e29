"""How many threads the engines use: every CPU this process may run on, and no more.

A container limited to fewer cores than the machine has must not be oversubscribed:
onnxruntime and torch would otherwise size their pools by the machine.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def shared_threads(workers: int) -> int:
    """Threads per process when ``workers`` processes share this process's CPUs (at least one)."""
    return max(1, available_cpus() // max(1, workers))


def onnx_session(path: Path, threads: int | None = None, spinning: bool = True):
    """An onnxruntime CPU session over the graph at ``path``: ``threads`` intra-op threads
    (default every available CPU), one inter-op thread, all graph optimisations.
    ``spinning=False`` lets idle threads sleep instead of spinning for the next call."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or available_cpus()
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def configure_torch_threads(threads: int | None = None) -> None:
    """``threads`` intra-op threads (default one per available CPU) and a single inter-op thread.

    torch defaults to the machine's physical cores, which oversubscribes a container
    limited to fewer; inter-op parallelism buys nothing for one encoder forward at a time.
    """
    import torch

    torch.set_num_threads(threads or available_cpus())
    # Raises once set or once parallel work has run in this process: then keep what is there.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
