"""A bounded memo that keeps what was used lately, shared between the cases of a process."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any


class Generations(MutableMapping[Any, Any]):
    """Two generations of entries: new and found entries go to the young one; when it is full
    it becomes the old one and the oldest are dropped. What cases keep using survives every
    turn, where clearing all at once dropped the entries every case needs with the rest.

    At most twice ``limit`` entries. Reads and writes are single dict operations or an
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

    def __getitem__(self, key: Any) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __setitem__(self, key: Any, value: Any) -> None:
        young = self.young
        young[key] = value
        if len(young) >= self.limit:
            self.old, self.young = young, {}

    def __delitem__(self, key: Any) -> None:
        found = self.young.pop(key, None) is not None
        found = self.old.pop(key, None) is not None or found
        if not found:
            raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        young, old = self.young, self.old
        yield from young
        yield from (key for key in old if key not in young)

    def __len__(self) -> int:
        return len(self.young) + sum(1 for key in self.old if key not in self.young)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """All of ``other`` into the young generation at once (which turns if full)."""
        young = self.young
        young.update(other, **kwargs)
        if len(young) >= self.limit:
            self.old, self.young = young, {}

    def clear(self) -> None:
        self.old, self.young = {}, {}
