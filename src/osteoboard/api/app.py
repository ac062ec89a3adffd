"""The app factory: ``create_app(settings)`` builds the FastAPI app of every face that shares
it (the REST API under ``/api/v1`` today; the web app and the CDS Hooks service mount their
routers beside it)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from anyio.to_thread import current_default_thread_limiter
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from osteoboard import __version__
from osteoboard.api.bodies import DocumentProblem
from osteoboard.api.docs import OPENAPI_URL, install_docs
from osteoboard.api.middleware import RequestGuard
from osteoboard.api.problems import case_error_problem, install_problem_handlers
from osteoboard.api.settings import SERVE_WORKERS_ENV, Settings
from osteoboard.api.storeerrors import install_store_errors
from osteoboard.guideline import load_knowledge_base
from osteoboard.store.db import Store

if TYPE_CHECKING:
    from osteoboard.cds.settings import CdsSettings

__all__ = ["API_PREFIX", "create_app", "create_app_from_env"]

API_PREFIX = "/api/v1"

DESCRIPTION = """\
osteoboard's REST API: evaluate a case (validated scores and a guideline-based proposal),
keep cases, evaluations and the board's decisions. Decision support for the tumour board,
never a replacement for it.

Every error is an RFC 9457 problem document (`application/problem+json`). Messages are
German; `Accept-Language: en` gives English.
"""


async def _on_document_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DocumentProblem)
    return case_error_problem(request, exc.error)


def v1_router() -> APIRouter:
    from osteoboard.api.routers import admin, cases, evaluate, fhir, meetings, session, system

    router = APIRouter()
    for part in (system, session, evaluate, cases, meetings, admin, fhir):
        router.include_router(part.router)
    return router


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Load the knowledge base before the first request, not during it.
    load_knowledge_base()
    # Blocking request work (sync routes and dependencies) runs in the event loop's thread
    # pool; the server library's default of 40 threads lets 40 CPU-bound requests of one
    # process take turns on its interpreter lock, and a request holding the store's write
    # lock then waits for the others' turns.
    settings: Settings = app.state.settings
    current_default_thread_limiter().total_tokens = settings.worker_threads
    if getattr(app.state, "worker_process", False):
        from osteoboard.workers import settle_worker

        settle_worker()  # a process of `osteoboard serve`: it lives as long as the server
    yield


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    cds_settings: CdsSettings | None = None,
    workers: int = 1,
) -> FastAPI:
    """The app with the REST API under ``/api/v1``, its OpenAPI document at
    ``/api/openapi.json`` and the documentation page at ``/api/docs``.

    ``store``: the database to work on (default: the one of ``settings.database_url``, or
    the store's own default). The app does not migrate it: ``osteoboard serve`` and
    ``osteoboard db upgrade`` do. ``cds_settings``: those of the CDS Hooks service under
    ``/cds-services`` (default: from the environment). ``workers``: the server's worker
    processes, each running this app (with more than one, a loaded worker sheds connections:
    ``Settings.rebalance_at``)."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="osteoboard",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.store = store if store is not None else Store(settings.database_url)
    install_problem_handlers(app)
    install_store_errors(app)
    app.add_exception_handler(DocumentProblem, _on_document_problem)
    install_docs(app)
    app.include_router(v1_router(), prefix=API_PREFIX)
    from osteoboard.cds.service import install_cds

    install_cds(app, cds_settings)  # CDS Hooks: /cds-services (docs/cds-hooks.md)
    from osteoboard.web import install_web

    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        rebalance_at=settings.rebalance_at if workers > 1 else 0,
    )
    install_web(app)  # the board's web app: pages, static files, security headers (outermost)
    return app


def create_app_from_env() -> FastAPI:
    """The app with the settings of the environment (the factory ``osteoboard serve`` runs in
    each worker process)."""
    workers = os.environ.get(SERVE_WORKERS_ENV, "1")
    app = create_app(Settings.from_env(), workers=int(workers) if workers.isdigit() else 1)
    app.state.worker_process = True
    return app
