"""The board's web app: server-rendered pages (Jinja2) with htmx, on the REST API's app.

:func:`install_web` mounts its pages, its static files (``/static/``) and the security
headers on an app made by :func:`osteoboard.api.app.create_app`. See docs/web.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["install_web"]


def install_web(app: FastAPI) -> None:
    """Mount the web app's pages and static files on ``app`` and add the security headers."""
    from osteoboard.web import casepages, pages  # noqa: F401  (their routes join the router)
    from osteoboard.web.routing import router
    from osteoboard.web.security import SecurityHeadersMiddleware

    app.include_router(router)
    app.mount(
        "/static",
        StaticFiles(packages=[("osteoboard.web", "static")], follow_symlink=False),
        name="static",
    )
    app.add_middleware(SecurityHeadersMiddleware)
