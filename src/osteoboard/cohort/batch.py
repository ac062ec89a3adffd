"""The one batch function every cohort face uses: raw cases in, table rows out.

:func:`evaluate_batch` is pure: it takes a list of raw case documents (dicts as read from YAML,
JSON or a table, or the document text itself) and returns the rows of the three tables of
:mod:`osteoboard.cohort.schema` — one per case, one per proposal item, one per case that could
not be read or evaluated — as plain Python values. The local runner and the Spark adapter call
it the same way, so both write the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from osteoboard.caseio import CaseError, parse_case, read_document
from osteoboard.engine import evaluate
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.messages import Lang, one_line
from osteoboard.quality import judge_all, proposal_items, proposal_view

__all__ = ["Batch", "evaluate_batch"]

#: Longest error message in the errors table, in characters.
MAX_ERROR = 1000


@dataclass
class Batch:
    """The rows of one batch (see :mod:`osteoboard.cohort.schema` for the columns)."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _case_id(doc: Any) -> str | None:
    value = doc.get("id") if isinstance(doc, Mapping) else None
    return value if isinstance(value, str) else None


def _internal(exc: Exception, lang: Lang) -> str:
    what = "interner Fehler" if lang == "de" else "internal error"
    return f"{what}: {type(exc).__name__}: {exc}"


def evaluate_batch(
    docs: Sequence[Mapping[str, Any] | str],
    sources: Sequence[str] | None = None,
    *,
    kb: KnowledgeBase | None = None,
    lang: Lang = "de",
) -> Batch:
    """Evaluate raw case documents; ``sources`` names where each came from (default: its
    position). A case that cannot be read or evaluated becomes an error row; it never stops
    the batch."""
    kb = kb or load_knowledge_base()
    names = list(sources) if sources is not None else [str(i) for i in range(len(docs))]
    if len(names) != len(docs):
        raise ValueError("evaluate_batch: one source per document")
    out = Batch()
    for source, raw in zip(names, docs, strict=True):
        doc: Any = raw
        try:
            if isinstance(raw, str):
                doc = read_document(raw, name=source)
            case = parse_case(doc, name=source)
            proposal = evaluate(case, kb)
        except CaseError as exc:
            message = "; ".join(exc.lines(lang))
            out.errors.append(_error(source, _case_id(doc), message))
            continue
        except Exception as exc:  # a bad case never stops the run
            out.errors.append(_error(source, _case_id(doc), _internal(exc, lang)))
            continue
        _rows(out, source, case, proposal, kb)
    return out


def _error(source: str, case_id: str | None, message: str) -> dict[str, Any]:
    return {"source": source, "case_id": case_id, "error": one_line(message, MAX_ERROR)}


def _value(enum: Any) -> Any:
    return getattr(enum, "value", enum)


def _rows(out: Batch, source: str, case: Any, proposal: Any, kb: KnowledgeBase) -> None:
    items = proposal_items(proposal)
    site = _value(case.primary.site) if case.primary is not None else None
    view = proposal_view(proposal, primary_site=site, items=items)
    indicators = [qi for qi in kb.quality if qi.definition.over == "proposal"]
    prognosis = view["prognosis"]
    out.cases.append(
        {
            "source": source,
            "case_id": proposal.case_id,
            "engine_version": proposal.engine_version,
            "kb_version": kb.version,
            "kb_sha256": kb.sha256,
            "primary_site": site,
            "lesions": len(case.lesions),
            "prognosis_band": prognosis["band"],
            "prognosis_basis": prognosis["basis"],
            "prognosis_ge_6_months": prognosis["ge_6_months"],
            "scores": [
                {
                    **s,
                    "total": _number(s["total"]),
                    "min": _number(s["min"]),
                    "max": _number(s["max"]),
                }
                for s in view["scores"]
            ],
            "items": [
                {k: i[k] for k in ("kind", "code", "lesion", "status", "priority")} for i in items
            ],
            "questions": view["questions"],
            "missing": view["missing"],
            "quality": [
                {"id": qi.id, "denominator": judged[0], "numerator": judged[1]}
                for qi, judged in zip(
                    indicators, judge_all(indicators, view) if indicators else [], strict=True
                )
            ],
        }
    )
    for position, item in enumerate(items):
        out.items.append(
            {"source": source, "case_id": proposal.case_id, "position": position, **item}
        )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
