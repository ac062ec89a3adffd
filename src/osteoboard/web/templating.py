"""The web app's Jinja2 templates: autoescaped, strict about undefined names."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from osteoboard import __version__
from osteoboard.guideline import load_knowledge_base
from osteoboard.render import format as fmt
from osteoboard.store.permissions import Operation
from osteoboard.web.caseform import Block, FormField, bounds_text, input_id
from osteoboard.web.session import WebUser, lang_of
from osteoboard.web.texts import Lang, say

__all__ = ["environment", "page"]


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("osteoboard.web", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        input_id=input_id,
        bounds_text=bounds_text,
        node_kind=node_kind,
        has_values=has_values,
        fmt_unit=fmt.unit,
        labels=load_knowledge_base().labels,
        Operation=Operation,
    )
    return env


def node_kind(node: object) -> str:
    """``field``, ``block`` or ``list`` (a list of blocks), for the form's template."""
    if isinstance(node, FormField):
        return "field"
    return "block" if isinstance(node, Block) else "list"


def has_values(values: dict[str, Any], path: str) -> bool:
    """Whether any value (or error) lies at or below ``path``."""
    return any(
        key == path or key.startswith(path + ".") or key.startswith(path + "[") for key in values
    )


def page(
    request: Request,
    template: str,
    *,
    user: WebUser | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page of the app in the request's language."""
    lang: Lang = lang_of(request)

    def t(key: str, **params: object) -> str:
        return say(key, lang, **params)

    html = (
        environment()
        .get_template(template)
        .render(
            t=t,
            lang=lang,
            user=user,
            request_path=request.url.path,
            app_version=__version__,
            flash=context.pop("flash", None),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response
