"""The case: its page (proposal, questions, decisions, sign-off), its form, its history and
its documents."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from osteoboard.api.stores import store_of
from osteoboard.case import Case
from osteoboard.explain import explain
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.proposal import Proposal
from osteoboard.render import format as fmt
from osteoboard.render.view import Speaker
from osteoboard.store import service
from osteoboard.store.errors import InvalidInputError, StateError
from osteoboard.store.models import (
    AgendaEntry,
    AuditRow,
    CaseVersion,
    Evaluation,
    ItemDecision,
    Meeting,
    OverallDecision,
)
from osteoboard.store.permissions import Operation
from osteoboard.store.reevaluate import ItemChange, compare
from osteoboard.web.caseform import (
    FormField,
    case_spec,
    convert_value,
    flatten,
    parse_form,
    set_path,
    spec_for_path,
)
from osteoboard.web.caseview import CaseView, case_view
from osteoboard.web.pages import changing
from osteoboard.web.routing import WebError, is_htmx, redirect, router
from osteoboard.web.security import document_policy
from osteoboard.web.session import WebUser, current_user, lang_of
from osteoboard.web.templating import page
from osteoboard.web.texts import Lang, say

__all__ = ["describe_changes"]


# -- helpers ----------------------------------------------------------------------------------


def when(value: Any, lang: Lang) -> str:
    """A UTC time as the page shows it: ``26.11.2026 14:05 UTC``."""
    if value is None:
        return ""
    return f"{fmt.date(value.date(), lang)} {value.strftime('%H:%M')} UTC"


def describe_changes(changes: list[ItemChange], kb: KnowledgeBase, lang: Lang) -> list[str]:
    """What changed between two proposals, in words."""
    speak = Speaker(kb, lang=lang)
    out = []
    for change in changes:
        item = speak.item_ref(change.key)
        vocabulary = "item_status" if change.kind == "status" else "priority"
        before = kb.labels.say(vocabulary, change.before, lang) if change.before else ""
        after = kb.labels.say(vocabulary, change.after, lang) if change.after else ""
        out.append(say(f"change.{change.kind}", lang, item=item, before=before, after=after))
    return out


def _entries_of(session: Session, case_id: int) -> list[AgendaEntry]:
    return list(
        session.scalars(
            select(AgendaEntry)
            .join(Meeting)
            .where(AgendaEntry.case_id == case_id)
            .order_by(Meeting.date.desc(), AgendaEntry.id.desc())
        )
    )


def _choose_entry(entries: list[AgendaEntry], wanted: str | None) -> AgendaEntry | None:
    """The agenda entry the page decides on: the one asked for, else the signed one, else
    the newest meeting's."""
    for entry in entries:
        if wanted and str(entry.id) == wanted:
            return entry
    signed = [e for e in entries if e.signed]
    return signed[0] if signed else (entries[0] if entries else None)


@dataclass
class DecisionState:
    """The board's decisions on the page's agenda entry."""

    entry_id: int
    meeting: str
    signed: bool
    signed_text: str
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    overall: dict[str, Any] | None = None
    undecided: list[str] = field(default_factory=list)


def _decision_state(
    session: Session,
    entry: AgendaEntry,
    evaluation: Evaluation | None,
    view: CaseView | None,
    lang: Lang,
) -> DecisionState:
    meeting = entry.meeting
    state = DecisionState(
        entry_id=entry.id,
        meeting=say(
            "decision_context",
            lang,
            meeting=meeting.title or meeting.id,
            date=fmt.date(meeting.date, lang),
            position=entry.position,
        ),
        signed=entry.signed,
        signed_text=(
            say("signed_banner", lang, when=when(entry.signed_at, lang), who=entry.signed_by)
            if entry.signed
            else ""
        ),
    )
    current = evaluation.id if evaluation is not None else None
    for d in entry.item_decisions:
        state.decisions[d.item_key] = {
            "outcome": d.outcome,
            "outcome_label": say(f"outcome.{d.outcome}", lang),
            "reason": d.reason or "",
            "text": d.text or "",
            "author": d.author,
            "when": when(d.decided_at, lang),
            "stale": d.evaluation_id != current,
        }
    overall = entry.overall
    if overall is not None:
        state.overall = {
            "text": overall.text,
            "conform": overall.guideline_conform,
            "deviation_reason": overall.deviation_reason or "",
            "author": overall.author,
            "when": when(overall.decided_at, lang),
        }
    if view is not None:
        state.undecided = [
            i.label + (f" ({i.lesion})" if i.lesion else "")
            for i in view.items
            if i.key not in state.decisions or state.decisions[i.key]["stale"]
        ]
    return state


#: (proposal sha256, case version sha256, knowledge base sha256, language) → the page's view
#: of that evaluation: stored evaluations and versions never change.
_VIEWS: OrderedDict[tuple[str, str, str, str], CaseView] = OrderedDict()


def _view_of(evaluation: Evaluation, kb: KnowledgeBase, lang: Lang) -> CaseView:
    version = evaluation.case_version
    key = (evaluation.proposal_sha256, version.sha256, kb.sha256, lang)
    view = _VIEWS.get(key)
    if view is None:
        proposal = Proposal.model_validate_json(evaluation.proposal)
        view = case_view(proposal, service.case_document(version), kb, lang)
        _VIEWS[key] = view
        while len(_VIEWS) > 64:
            _VIEWS.popitem(last=False)
    else:
        _VIEWS.move_to_end(key)
    return view


def _case_page(
    request: Request,
    user: WebUser,
    case_id: int,
    *,
    flash: str | None = None,
    flash_focus: bool = False,
    errors: dict[str, str] | None = None,
    answers: dict[str, str] | None = None,
    status: int = 200,
    entry_id: str | None = None,
) -> Response:
    lang = lang_of(request)
    kb = load_knowledge_base()
    with store_of(request).read() as session:
        record = service.get_case(session, user.actor, case_id)
        versions = list(record.versions)
        latest = versions[-1]
        entries = _entries_of(session, case_id)
        entry = _choose_entry(entries, entry_id or request.query_params.get("entry"))
        if entry is not None:
            evaluation = service.current_evaluation(session, entry)
        else:
            evaluation = service.latest_evaluation(session, case_id)
        view = None
        evaluated_version = None
        if evaluation is not None:
            view = _view_of(evaluation, kb, lang)
            evaluated_version = evaluation.case_version.number
        state = _decision_state(session, entry, evaluation, view, lang) if entry else None
        signed = any(e.signed for e in entries)
        others = [
            {"id": e.id, "meeting": e.meeting.title or e.meeting.id, "date": e.meeting.date}
            for e in entries
            if entry is None or e.id != entry.id
        ]
        info = {
            "id": record.id,
            "pseudonym": record.patient.pseudonym,
            "version": latest.number,
            "evaluated_version": evaluated_version,
            "evaluation_id": evaluation.id if evaluation is not None else None,
        }
    may = {
        "edit": user.may(Operation.case_write) and not signed,
        "answer": user.may(Operation.case_write) and not signed and evaluation is not None,
        "evaluate": user.may(Operation.case_evaluate) and not signed,
        "decide": bool(user.may(Operation.decision_write) and state and not state.signed and view),
        "sign": bool(user.may(Operation.sign_off) and state and not state.signed and view),
    }
    return page(
        request,
        "case.html.j2",
        user=user,
        status=status,
        case=info,
        view=view,
        state=state,
        others=others,
        may=may,
        flash=flash or _flash(request, info),
        flash_focus=flash_focus,
        errors=errors or {},
        answers=answers or {},
        role_label=say(f"role.{user.actor.role.value}", lang),
    )


def _flash(request: Request, info: dict[str, Any]) -> str | None:
    done = request.query_params.get("done")
    lang = lang_of(request)
    if done == "evaluated":
        return say("evaluated_msg", lang, version=info["version"])
    if done == "saved":
        return say("case_saved", lang, version=info["version"])
    if done == "signed":
        return say("signed_msg", lang)
    return None


# -- the case form ---------------------------------------------------------------------------------


def _form_page(
    request: Request,
    user: WebUser,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    case_id: int | None = None,
    version: int | None = None,
    pseudonym: str | None = None,
    note: str = "",
    status: int = 200,
) -> Response:
    return page(
        request,
        "case_form.html.j2",
        user=user,
        status=status,
        spec=case_spec(),
        values=values,
        errors=errors,
        error_count=sum(len(v) for v in errors.values()),
        case_id=case_id,
        version=version,
        pseudonym=pseudonym,
        note=note,
    )


def _submitted(
    request: Request,
    user: WebUser,
    form: Any,
    *,
    case_id: int | None = None,
    version: int | None = None,
    pseudonym: str | None = None,
) -> tuple[Case | None, Response, str]:
    """The case of a submitted form and its note; or, when the form asked for one more list
    entry or the case is invalid, the form again (with its errors at their fields)."""
    add_row = str(form.get("_add") or "") or None
    note = str(form.get("_note") or "")
    parsed = parse_form(form, lang=lang_of(request), add_row=add_row, fixed_id=pseudonym)
    if add_row or parsed.case is None:
        again = _form_page(
            request,
            user,
            values=parsed.values,
            errors={} if add_row else parsed.errors,
            case_id=case_id,
            version=version,
            pseudonym=pseudonym,
            note=note,
            status=200 if add_row else 422,
        )
        return None, again, note
    return parsed.case, Response(status_code=204), note


@router.get("/cases/new")
def new_case_form(request: Request) -> Response:
    user = current_user(request)
    if not user.may(Operation.case_write):
        raise WebError(403, say("forbidden", lang_of(request)))
    return _form_page(request, user, values={}, errors={})


@router.post("/cases/new")
async def create_case(request: Request) -> Response:
    form, user = await changing(request)
    case, again, note = _submitted(request, user, form)
    if case is None:
        return again

    def run() -> int:
        with store_of(request).write() as session:
            return service.create_case(session, user.actor, case, note=note or None).case_id

    case_id = await run_in_threadpool(run)
    return redirect(request, f"/cases/{case_id}?done=saved")


@router.get("/cases/{case_id}/edit")
def edit_case_form(case_id: int, request: Request) -> Response:
    user = current_user(request)
    lang = lang_of(request)
    if not user.may(Operation.case_write):
        raise WebError(403, say("forbidden", lang))
    with store_of(request).read() as session:
        version = service.get_case_version(session, user.actor, case_id)
        document = json.loads(version.document)
        number = version.number
    return _form_page(
        request,
        user,
        values=flatten(document, lang),
        errors={},
        case_id=case_id,
        version=number,
        pseudonym=document["id"],
    )


@router.post("/cases/{case_id}/edit")
async def edit_case(case_id: int, request: Request) -> Response:
    form, user = await changing(request)
    try:
        expected = int(str(form.get("_version") or ""))
    except ValueError:
        expected = None
    with store_of(request).read() as session:
        pseudonym = service.get_case(session, user.actor, case_id).patient.pseudonym
    case, again, note = _submitted(
        request, user, form, case_id=case_id, version=expected, pseudonym=pseudonym
    )
    if case is None:
        return again

    def run() -> None:
        with store_of(request).write() as session:
            service.new_case_version(
                session, user.actor, case_id, case, note=note or None, expected_version=expected
            )

    await run_in_threadpool(run)
    return redirect(request, f"/cases/{case_id}?done=saved")


# -- the case page -------------------------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(case_id: int, request: Request) -> Response:
    return _case_page(request, current_user(request), case_id)


@router.post("/cases/{case_id}/evaluate")
async def evaluate(case_id: int, request: Request) -> Response:
    _form, user = await changing(request)

    def run() -> None:
        with store_of(request).write() as session:
            service.evaluate_case(session, user.actor, case_id)

    await run_in_threadpool(run)
    return redirect(request, f"/cases/{case_id}?done=evaluated")


@router.post("/cases/{case_id}/answer")
async def answer(case_id: int, request: Request) -> Response:
    """Answer a question of the board: the answered fields are set in a new version of the
    case, which is evaluated at once; the page shows what changed."""
    form, user = await changing(request)
    lang = lang_of(request)
    kb = load_knowledge_base()
    given: dict[str, str] = {}
    for key in form:
        if key.startswith("a:"):
            given[key[2:]] = str(form.get(key) or "")
    question = str(form.get("question") or "")
    try:
        expected = int(str(form.get("version") or ""))
    except ValueError:
        expected = None

    def run() -> tuple[str | None, dict[str, str], int]:
        errors: dict[str, str] = {}
        with store_of(request).write() as session:
            version = service.get_case_version(session, user.actor, case_id)
            if expected is not None and version.number != expected:
                # Above the page: the newer version may no longer ask this question.
                return None, {"page": say("stale", lang, latest=version.number)}, 409
            before = service.latest_evaluation(session, case_id)
            document = json.loads(version.document)
            labels = []
            for path, raw in given.items():
                spec = spec_for_path(path)
                if not isinstance(spec, FormField) or not raw.strip():
                    errors[question] = say("answer_for", lang, field=kb.labels.field(path, lang))
                    continue
                try:
                    set_path(document, path, convert_value(spec, raw))
                except KeyError:
                    errors[question] = say("not_found", lang)
                labels.append(kb.labels.field(path, lang))
            if errors or not given:
                return None, errors or {question: say("not_found", lang)}, 422
            try:
                case = Case.model_validate(document)
            except ValidationError as exc:
                problems = explain(exc.errors(include_url=False), Case, document)
                text = "; ".join(
                    "; ".join([p.what.render(lang), *(h.render(lang) for h in p.hints)])
                    for p in problems
                )
                return None, {question: text}, 422
            note = ("Antwort auf eine Frage an das Board: " if lang == "de" else "Answer: ") + (
                ", ".join(labels)
            )
            new = service.new_case_version(
                session, user.actor, case_id, case, note=note, expected_version=version.number
            )
            after = service.evaluate_case(session, user.actor, case_id, new.number)
            changed = (
                describe_changes(compare(before.proposal, after.proposal), kb, lang)
                if before is not None
                else []
            )
            summary = " ".join(changed) if changed else say("no_change", lang)
            return say("answered", lang, version=new.number, changes=summary), {}, 200

    flash, errors, status = await run_in_threadpool(run)
    if flash is not None and not is_htmx(request):
        return redirect(request, f"/cases/{case_id}?done=evaluated")
    return _case_page(
        request,
        user,
        case_id,
        flash=flash,
        flash_focus=True,
        errors=errors,
        answers=given,
        status=status,
    )


# -- decisions -----------------------------------------------------------------------------------


def _on_entry(
    request: Request, user: WebUser, entry_id: int, change: Callable[[Session], object]
) -> tuple[int, str | None, int]:
    """Make one change to an agenda entry: (its case, the refusal in words or None, the
    HTTP status). Invalid input and a refused state (signed, undecided items …) are
    answered on the page; anything else (not found, not allowed) is an error page."""
    with store_of(request).read() as session:
        case_id = service.get_agenda_entry(session, user.actor, entry_id).case_id
    try:
        with store_of(request).write() as session:
            change(session)
    except (InvalidInputError, StateError) as exc:
        lang = lang_of(request)
        message = exc.message(lang)
        if exc.field in _FIELD_WORDS:  # the store names its field; the page, the form's label
            message = f"{say(_FIELD_WORDS[exc.field], lang)}: {message.split(': ', 1)[1]}"
        return case_id, message, exc.status
    return case_id, None, 200


async def _entry_change(
    request: Request,
    user: WebUser,
    entry_id: int,
    change: Callable[[Session], object],
    *,
    done: str,
    error_at: str,
    answers: dict[str, str],
    focus: bool = False,
) -> Response:
    """Make a change to an agenda entry and answer: a plain form post is sent back to the
    case page; htmx gets the page to swap in, with the message, or the refusal at the form
    (``error_at``; a refused state, such as a signed record, above the page)."""
    case_id, error, status = await run_in_threadpool(_on_entry, request, user, entry_id, change)
    if error is None and not is_htmx(request):
        return redirect(request, f"/cases/{case_id}?entry={entry_id}")
    return _case_page(
        request,
        user,
        case_id,
        flash=None if error else done,
        flash_focus=focus and error is None,
        errors={("page" if status == 409 else error_at): error} if error else None,
        answers=answers,
        status=status,
        entry_id=str(entry_id),
    )


#: The store's names of decision fields → the words of their labels on the page.
_FIELD_WORDS = {
    "reason": "reason",
    "text": "overall_text",
    "outcome": "outcome",
    "deviation_reason": "deviation_reason",
    "guideline_conform": "conform",
}


@router.post("/entries/{entry_id}/decisions")
async def decide_item(entry_id: int, request: Request) -> Response:
    form, user = await changing(request)
    lang = lang_of(request)
    key = str(form.get("item_key") or "")
    outcome = str(form.get("outcome") or "")
    reason = str(form.get("reason") or "") or None
    text = str(form.get("text") or "") or None

    def change(session: Session) -> object:
        return service.record_item_decision(
            session, user.actor, entry_id, key, outcome, reason=reason, text=text
        )

    label = Speaker(load_knowledge_base(), lang=lang).item_ref(key)
    return await _entry_change(
        request,
        user,
        entry_id,
        change,
        done=say("decision_saved", lang, item=label),
        error_at=f"item:{key}",
        answers={f"item:{key}:outcome": outcome, f"item:{key}:reason": reason or ""},
    )


@router.post("/entries/{entry_id}/overall")
async def decide_overall(entry_id: int, request: Request) -> Response:
    form, user = await changing(request)
    lang = lang_of(request)
    text = str(form.get("text") or "")
    conform_raw = str(form.get("conform") or "")
    deviation = str(form.get("deviation_reason") or "") or None

    def change(session: Session) -> object:
        if conform_raw not in ("yes", "no"):
            raise InvalidInputError("required", field="guideline_conform")
        return service.record_overall_decision(
            session, user.actor, entry_id, text, conform_raw == "yes", deviation_reason=deviation
        )

    return await _entry_change(
        request,
        user,
        entry_id,
        change,
        done=say("overall_saved", lang),
        error_at="overall",
        answers={
            "overall:text": text,
            "overall:conform": conform_raw,
            "overall:deviation_reason": deviation or "",
        },
    )


@router.post("/entries/{entry_id}/sign-off")
async def sign_off(entry_id: int, request: Request) -> Response:
    _, user = await changing(request)

    def change(session: Session) -> object:
        return service.sign_off(session, user.actor, entry_id)

    return await _entry_change(
        request,
        user,
        entry_id,
        change,
        done=say("signed_msg", lang_of(request)),
        error_at="sign",
        answers={},
        focus=True,
    )


# -- history ---------------------------------------------------------------------------------------


def _version_changes(
    before: dict[str, Any], after: dict[str, Any], kb: KnowledgeBase, lang: Lang
) -> list[str]:
    old, new = flatten(before, lang), flatten(after, lang)
    out = []
    for path in dict.fromkeys([*old, *new]):
        if path.endswith("[]"):
            continue
        if old.get(path) != new.get(path):
            spec = spec_for_path(path)
            shown = []
            for value in (old.get(path), new.get(path)):
                shown.append(_show(spec, value, kb, lang))
            out.append(
                say(
                    "change_set",
                    lang,
                    field=kb.labels.field(path, lang),
                    old=shown[0],
                    new=shown[1],
                )
            )
    return out


def _show(spec: Any, value: Any, kb: KnowledgeBase, lang: Lang) -> str:
    if value is None:
        return "–"
    if isinstance(spec, FormField):
        if spec.kind == "boolean":
            return say("yes" if value == "true" else "no", lang)
        if spec.kind in ("enum", "enum_list"):
            names = dict(spec.options)
            values = value if isinstance(value, list) else [value]
            return ", ".join(
                str(getattr(names[v], lang)) if names.get(v) is not None else v for v in values
            )
        if spec.unit:
            return f"{value} {fmt.unit(spec.unit, lang)}"
    return str(value).replace("\n", ", ")


@router.get("/cases/{case_id}/history")
def history(case_id: int, request: Request) -> Response:
    user = current_user(request)
    lang = lang_of(request)
    kb = load_knowledge_base()
    with store_of(request).read() as session:
        record = service.get_case(session, user.actor, case_id)
        versions = list(record.versions)
        rows = []
        previous: dict[str, Any] | None = None
        for version in versions:
            document = json.loads(version.document)
            rows.append(
                {
                    "number": version.number,
                    "author": version.author,
                    "when": when(version.created_at, lang),
                    "note": version.note or "",
                    "changes": (
                        _version_changes(previous, document, kb, lang)
                        if previous is not None
                        else [say("first_version", lang)]
                    ),
                }
            )
            previous = document
        evaluations = []
        before: Evaluation | None = None
        for evaluation in service.list_evaluations(session, user.actor, case_id):
            evaluations.append(
                {
                    "id": evaluation.id,
                    "version": evaluation.case_version.number,
                    "author": evaluation.created_by,
                    "when": when(evaluation.created_at, lang),
                    "kb": evaluation.kb_version,
                    "changes": describe_changes(
                        compare(before.proposal, evaluation.proposal), kb, lang
                    )
                    if before is not None
                    else [],
                }
            )
            before = evaluation
        audit = _audit_rows(session, case_id, versions, lang)
        pseudonym = record.patient.pseudonym
    return page(
        request,
        "history.html.j2",
        user=user,
        case={"id": case_id, "pseudonym": pseudonym},
        versions=rows,
        evaluations=evaluations,
        audit=audit,
    )


def _audit_rows(
    session: Session, case_id: int, versions: list[CaseVersion], lang: Lang
) -> list[dict[str, Any]]:
    """The audit chain's rows about this case: the case, its versions and evaluations, its
    agenda entries and the decisions recorded on them."""
    version_ids = [v.id for v in versions]
    evaluation_ids = list(
        session.scalars(select(Evaluation.id).where(Evaluation.case_version_id.in_(version_ids)))
    )
    entry_ids = list(session.scalars(select(AgendaEntry.id).where(AgendaEntry.case_id == case_id)))
    decision_ids = list(
        session.scalars(select(ItemDecision.id).where(ItemDecision.agenda_entry_id.in_(entry_ids)))
    )
    overall_ids = list(
        session.scalars(
            select(OverallDecision.id).where(OverallDecision.agenda_entry_id.in_(entry_ids))
        )
    )
    wanted = {
        "case": [case_id],
        "case_version": version_ids,
        "evaluation": evaluation_ids,
        "agenda_entry": entry_ids,
        "item_decision": decision_ids,
        "overall_decision": overall_ids,
    }
    conditions = [
        (AuditRow.object_type == kind) & AuditRow.object_id.in_([str(i) for i in ids])
        for kind, ids in wanted.items()
        if ids
    ]
    rows = session.scalars(select(AuditRow).where(or_(*conditions)).order_by(AuditRow.seq))
    out = []
    for row in rows:
        key = f"audit.{row.action}"
        out.append(
            {
                "seq": row.seq,
                "when": row.at[:16].replace("T", " ") + " UTC",
                "actor": row.actor,
                "action": say(key, lang) if key in _AUDIT_KEYS else row.action,
                "object": f"{row.object_type} {row.object_id}",
                "hash": row.row_hash[:12],
            }
        )
    return out


_AUDIT_KEYS = {
    "audit.case.create",
    "audit.case_version.create",
    "audit.evaluation.create",
    "audit.agenda_entry.create",
    "audit.agenda_entry.move",
    "audit.agenda_entry.delete",
    "audit.item_decision.record",
    "audit.overall_decision.record",
    "audit.agenda_entry.sign_off",
}


# -- documents -------------------------------------------------------------------------------------


def decision_words(session: Session, evaluation: Evaluation) -> dict[str, Any] | None:
    """The board's decisions on an evaluation, in German words for the protocol (the signed
    entry's, else the newest meeting's), or None when nothing is decided yet."""
    kb = load_knowledge_base()
    entries = [
        e
        for e in _entries_of(session, evaluation.case_version.case_id)
        if (service.current_evaluation(session, e) or evaluation).id == evaluation.id
    ]
    entry = _choose_entry(entries, None)
    if entry is None or (not entry.item_decisions and entry.overall is None):
        return None
    speak = Speaker(kb, lang="de")
    overall = entry.overall
    meeting = entry.meeting
    return {
        "meeting": f"{meeting.title or 'Sitzung ' + str(meeting.id)}, {fmt.date(meeting.date)}",
        "items": [
            {
                "label": speak.item_ref(d.code),
                "lesion": d.lesion or "",
                "outcome": say(f"outcome.{d.outcome}", "de")
                + ("" if d.evaluation_id == evaluation.id else " (ältere Auswertung)"),
                "reason": d.reason or "",
                "text": d.text or "",
            }
            for d in entry.item_decisions
        ],
        "overall": overall.text if overall else "–",
        "conform": (
            "leitlinienkonform"
            if overall and overall.guideline_conform
            else f"Abweichung von der Leitlinie: {overall.deviation_reason}"
            if overall
            else ""
        ),
        "signed": (
            f"abgezeichnet am {when(entry.signed_at, 'de')} von {entry.signed_by}"
            if entry.signed
            else "noch nicht abgezeichnet (Entwurf)"
        ),
    }


_DOCUMENTS = {"protocol": "board", "letter": "patient"}


@router.get("/evaluations/{evaluation_id}/{document}.{fmt_name}")
def document(evaluation_id: int, document: str, fmt_name: str, request: Request) -> Response:
    """The protocol (with the board's decisions) or the patient letter, as HTML or PDF."""
    user = current_user(request)
    if document not in _DOCUMENTS or fmt_name not in ("html", "pdf"):
        raise WebError(404, say("not_found", lang_of(request)))
    with store_of(request).read() as session:
        evaluation = service.get_evaluation(session, user.actor, evaluation_id)
        proposal = Proposal.model_validate_json(evaluation.proposal)
        case = service.case_document(evaluation.case_version)
        decision = decision_words(session, evaluation) if document == "protocol" else None
    name = f"{case.id}-{evaluation_id}.{_DOCUMENTS[document]}.{fmt_name}"
    headers = {"Cache-Control": "no-store"}
    if document == "protocol":
        if fmt_name == "html":
            from osteoboard.render.html import render_protocol_html

            body = render_protocol_html(proposal, case, decision=decision)
        else:
            from osteoboard.render.protocol import render_protocol_pdf

            data = render_protocol_pdf(proposal, case, decision=decision)
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return Response(data, media_type="application/pdf", headers=headers)
    else:
        from osteoboard.render.letter import load_contact, render_letter_html, render_letter_pdf

        contact = load_contact()
        if fmt_name == "pdf":
            data = render_letter_pdf(proposal, case, contact=contact)
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return Response(data, media_type="application/pdf", headers=headers)
        body = render_letter_html(proposal, case, contact=contact)
    headers["Content-Security-Policy"] = document_policy(body)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)
