"""How many threads the engines use: every CPU this process may run on, and no more.

A container limited to fewer cores than the machine has must not be oversubscribed:
onnxruntime and torch would otherwise size their pools by the machine.
"""

from __future__ import annotations

import contextlib
import os


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def configure_torch_threads() -> None:
    """One intra-op thread per available CPU and a single inter-op thread.

    torch defaults to the machine's physical cores, which oversubscribes a container
    limited to fewer; inter-op parallelism buys nothing for one encoder forward at a time.
    """
    import torch

    torch.set_num_threads(available_cpus())
    # Raises once set or once parallel work has run in this process: then keep what is there.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
