"""A bounded memo that keeps what was used lately, shared between the cases of a process."""

from __future__ import annotations

from typing import Any


class Generations:
    """Two generations of entries: new and found entries go to the young one; when it is full
    it becomes the old one and the oldest are dropped. What cases keep using survives every
    turn, where clearing all at once dropped the entries every case needs with the rest.

    At most twice ``limit`` entries. Each operation is a single dict operation or an
    attribute swap, so threads may share it: a lost entry is only computed again."""

    __slots__ = ("limit", "old", "young")

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.young: dict[Any, Any] = {}
        self.old: dict[Any, Any] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        found = self.young.get(key)
        if found is None:
            found = self.old.get(key)
            if found is None:
                return default
            self[key] = found
        return found

    def __setitem__(self, key: Any, value: Any) -> None:
        young = self.young
        young[key] = value
        if len(young) >= self.limit:
            self.old, self.young = young, {}

    def __len__(self) -> int:
        return len(self.young) + len(self.old)

    def clear(self) -> None:
        self.old, self.young = {}, {}
