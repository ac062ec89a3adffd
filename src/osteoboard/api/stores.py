"""The store an app works on (one per app, shared by its requests)."""

from __future__ import annotations

from starlette.requests import Request

from osteoboard.store.db import Store

__all__ = ["store_of"]


def store_of(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store
