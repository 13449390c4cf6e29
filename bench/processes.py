"""CPU time and memory of a server's whole process tree: what the server spent, not its clients.

``rag serve --workers N`` runs a supervisor and N worker processes; a figure of the first
process alone would miss the workers, where the work happens. Read with psutil.
"""

from __future__ import annotations

import psutil


class ProcessTree:
    """A process and its descendants, found again at every reading (workers may be restarted)."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)

    def processes(self) -> list[psutil.Process]:
        """The live processes of the tree, the root first."""
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds spent so far by the live processes of the tree."""
        total = 0.0
        for process in self.processes():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def rss_by_pid(self) -> dict[int, float]:
        """Resident memory of each live process in MB, by process id."""
        sizes = {}
        for process in self.processes():
            try:
                sizes[process.pid] = round(process.memory_info().rss / 2**20, 1)
            except psutil.NoSuchProcess:
                continue
        return sizes

    def rss_mb(self) -> list[float]:
        """Resident memory of each live process in MB, largest first (the workers, then the supervisor)."""
        return sorted(self.rss_by_pid().values(), reverse=True)
