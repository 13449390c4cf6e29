"""A bounded, thread-safe cache of answers for repeated questions.

A chatbot front end sees the same questions again and again ("재단은 언제 설립되었나?"),
and an answer only changes when the index does. The pipeline keys entries by the
index generation they were computed from, so a write makes every older entry
unreachable without a lock around the whole pipeline; least-recently used entries
go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """At most ``size`` values; ``size`` 0 keeps nothing."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value``, dropping the least recently used entry when full."""
        if self.size == 0:
            return
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
