"""Health and the knowledge base: what the server runs on."""

from __future__ import annotations

import functools
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from starlette.responses import Response

from osteoboard import __version__
from osteoboard.api.auth import Evaluator
from osteoboard.api.responses import problems_of
from osteoboard.api.stores import store_of
from osteoboard.guideline import Action, load_knowledge_base
from osteoboard.proposal import KnowledgeBaseInfo

__all__ = ["router"]

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(description="osteoboard's version.")
    knowledge_base: KnowledgeBaseInfo
    database: Literal["sqlite", "postgresql"] | str = Field(
        description="The store's database, which answered (else 503)."
    )


class RuleInfo(BaseModel):
    id: str
    file: str = Field(description="The rule file under knowledge/rules/.")
    per: Literal["case", "lesion"]
    action: str = Field(description="Action code (see actions).")
    priority: str
    strength: str
    when: str = Field(description="The condition in CEL.")
    sources: list[str]


class KnowledgeBaseDocument(BaseModel):
    version: str
    sha256: str = Field(description="Hash over every knowledge file.")
    rules: list[RuleInfo]
    actions: list[Action]
    sources: dict[str, dict[str, Any]] = Field(description="Bibliography as CSL-JSON, by key.")


@router.get(
    "/health",
    response_model=Health,
    summary="Health (no login): version, knowledge base, database",
    responses=problems_of(503),
)
def health(request: Request) -> Health:
    kb = load_knowledge_base()
    store = store_of(request)
    with store.read() as session:
        session.execute(text("SELECT 1"))
    return Health(
        version=__version__,
        knowledge_base=KnowledgeBaseInfo(version=kb.version, sha256=kb.sha256),
        database=store.dialect,
    )


@functools.lru_cache(maxsize=2)
def _kb_document(sha256: str) -> bytes:
    kb = load_knowledge_base()
    document = KnowledgeBaseDocument(
        version=kb.version,
        sha256=kb.sha256,
        rules=[
            RuleInfo(
                id=r.rule.id,
                file=r.file,
                per=r.rule.per,
                action=r.rule.action,
                priority=r.rule.priority.value,
                strength=r.rule.strength,
                when=" ".join(r.rule.when.split()),
                sources=list(r.rule.sources),
            )
            for r in kb.rules
        ],
        actions=list(kb.actions.values()),
        sources=kb.sources,
    )
    return document.model_dump_json().encode()


@router.get(
    "/knowledge-base",
    response_model=KnowledgeBaseDocument,
    summary="The knowledge base: version, hash, rules, actions, sources",
    responses={
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
        **problems_of(401, 403),
    },
)
def knowledge_base(request: Request, actor: Evaluator) -> Response:
    kb = load_knowledge_base()
    etag = f'"{kb.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(_kb_document(kb.sha256), media_type="application/json", headers=headers)
