"""Security headers of every response, and the Content-Security-Policy of the web pages.

The pages load scripts and styles from ``/static/`` only: no inline script, no inline style
element or attribute, no ``eval`` (htmx's is switched off), so the policy needs no
``'unsafe-inline'``. A document rendered by :mod:`osteoboard.render` (the protocol and the
letter preview) carries its own ``<style>`` element and a few ``style`` attributes: it gets a
policy listing exactly their hashes (:func:`document_policy`) and no script at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PAGE_POLICY", "SecurityHeadersMiddleware", "document_policy"]

#: The policy of the app's own pages.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

#: Headers every response gets (the API's too).
COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
_STYLE_ATTRIBUTE = re.compile(r"""\sstyle=(?:"([^"]*)"|'([^']*)')""", re.I)


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def document_policy(document: str) -> str:
    """The policy of a rendered document: its own style element(s) and style attributes by
    hash, images inline, no script, not framed."""
    hashes = {_hash(m.group(1)) for m in _STYLE_ELEMENT.finditer(document)}
    attributes = {
        _hash(html.unescape(m.group(1) if m.group(1) is not None else m.group(2)))
        for m in _STYLE_ATTRIBUTE.finditer(document)
    }
    styles = " ".join(sorted(hashes | attributes))
    unsafe_hashes = " 'unsafe-hashes'" if attributes else ""
    return (
        f"default-src 'none'; style-src{unsafe_hashes} {styles}; img-src data:; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds :data:`COMMON_HEADERS` to every response and :data:`PAGE_POLICY` to every
    response outside ``/api/`` that has no policy of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in COMMON_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                if not is_api and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
