"""A clinician's console summary of a Proposal (rich); emergencies first, in red."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from osteoboard.guideline import load_knowledge_base
from osteoboard.labels import Labels
from osteoboard.proposal import Proposal, Recommendation, Warning
from osteoboard.render import format as fmt
from osteoboard.render.view import Speaker, band_de, basis_de, changes, conditions_lead
from osteoboard.scores.base import ScoreResult

__all__ = ["render_score", "render_text"]


#: Width of the summary when it does not go to a terminal (a file, a pipe).
PLAIN_WIDTH = 100


def _console(file: TextIO | None = None) -> Console:
    """As wide as the terminal (rich detects it); a fixed width for files and pipes; into
    ``file`` as plain text (no colours) when given."""
    if file is not None:
        return Console(
            file=file, soft_wrap=False, width=PLAIN_WIDTH, highlight=False, color_system=None
        )
    console = Console(soft_wrap=False, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=PLAIN_WIDTH, highlight=False)
    return console


def _lesion(lesion: str | None) -> str:
    return f" [{lesion}]" if lesion else ""


def _status_note(item: Recommendation, labels: Labels) -> str:
    """ " (unter Bedingungen)" after an item that is not firm, nothing after a firm one."""
    return "" if item.status.value == "firm" else f" ({labels.say('item_status', item.status)})"


def _details(item: Recommendation | Warning, speak: Speaker) -> list[str]:
    """The lines under an item: its conditions, assumptions and alternative, in words."""
    lines = []
    if item.conditions:
        lines.append(f"{conditions_lead(item.status)}: {speak.conditions(item.conditions)}")
    for said in speak.assumed(item.assumed):
        lines.append(f"angenommen (nicht dokumentiert): {said}")
    if isinstance(item, Recommendation) and item.alternative_to:
        lines.append(f"alternativ zu: {speak.action(item.alternative_to)}")
    return lines


def render_text(proposal: Proposal, heading: str | None = None, file: TextIO | None = None) -> None:
    """Print the summary to the terminal, or as plain text into ``file``."""
    con = _console(file)
    kb = load_knowledge_base()
    speak = Speaker(kb)
    labels = kb.labels
    title = f"Fall {proposal.case_id}" + (f" ({heading})" if heading else "")
    con.rule(f"[bold]{escape(title)}")
    for em in proposal.emergencies:
        kind = "VERDACHT AUF NOTFALL" if em.status.value == "suspected" else "NOTFALL"
        body = "\n".join([fmt.text(em.text.de), *_details(em, speak)])
        con.print(
            Panel(
                escape(body),
                title=f"[bold]{kind} {em.code}{escape(_lesion(em.lesion))}: "
                f"{escape(speak.action(em.code))}",
                style="bold red",
            )
        )
    for r in proposal.recommendations:
        if r.priority.value == "urgent":
            # An urgent step on a condition says so where it is listed, with what it waits
            # for: read alone, "DRINGEND" beside a decompression would read as decided.
            status = _status_note(r, labels)
            details = "".join(f"\n    {line}" for line in _details(r, speak))
            con.print(
                f"[bold red]DRINGEND{escape(status)} {r.code}{escape(_lesion(r.lesion))}:"
                f"[/bold red] {escape(speak.action(r.code))} – {escape(fmt.text(r.text.de))}"
                f"{escape(details)}"
            )
    if proposal.questions:
        con.print("[bold]Fragen an das Board:[/bold]")
        for q in proposal.questions:
            con.print(f"  · {q.text.de} → {changes(q.decides, speak, shown=4)}", markup=False)
    p = proposal.prognosis
    con.print(f"[bold]Prognose:[/bold] {band_de(kb, p)} (Grundlage: {basis_de(kb, p)})")
    for est in p.estimates:
        con.print(f"  · {fmt.text(est.statement.de)}", markup=False)
    if p.scores_disagree:
        con.print(
            "  [yellow]Hinweis für das Board: Die Prognoseschätzungen weisen auf "
            "unterschiedliche Prognosegruppen hin.[/yellow]"
        )

    table = Table(title="Scores", show_lines=False, expand=False)
    for col in ("Score", "Läsion", "Wert", "Kategorie", "Fehlend"):
        table.add_column(col)
    for s in proposal.scores:
        cat = speak.category(s.name, s.category, s.possible_categories)
        table.add_row(
            _score_title(s.name), s.lesion or "", speak.score_value(s), cat, str(len(s.missing))
        )
    con.print(table)

    if proposal.recommendations:
        rec = Table(title="Empfehlungen", show_lines=False)
        for col in ("Disziplin", "Code", "Läsion", "Priorität", "Empfehlung"):
            rec.add_column(col, overflow="fold")
        for r in proposal.recommendations:
            status = _status_note(r, labels)
            rec.add_row(
                kb.disciplines[r.discipline].de,
                r.code,
                r.lesion or "",
                labels.say("priority", r.priority.value) + status,
                "\n".join([fmt.text(r.text.de), *_details(r, speak)]),
            )
        con.print(rec)
    for w in proposal.warnings:
        con.print(
            f"[yellow]Warnung {escape(speak.action(w.code))}{escape(_lesion(w.lesion))}:[/yellow] "
            f"{escape(fmt.text(w.text.de))}"
        )
    if proposal.missing_data:
        con.print("[bold]Fehlende Angaben[/bold] (könnten den Vorschlag ändern):")
        for m in proposal.missing_data:
            con.print(
                f"  · ({labels.say('missing_priority', m.priority)}) "
                f"{speak.field(m.field)} → {changes(m.needed_for, speak, shown=4)}",
                markup=False,
            )


def _score_title(name: str) -> str:
    from osteoboard.scores import REGISTRY

    return REGISTRY[name].title.de if name in REGISTRY else name


def render_score(result: ScoreResult, title: str) -> None:
    con = _console()
    speak = Speaker(load_knowledge_base())
    table = Table(title=title)
    for col in ("Item", "Wert", "Punkte"):
        table.add_column(col)
    for it in result.items:
        if it.points is not None:
            pts = fmt.number(it.points)
        elif it.possible:
            pts = fmt.span(min(it.possible), max(it.possible))
        else:
            pts = ""
        value = speak.item_value(result.name, it.name, it.value)
        table.add_row(f"{it.label.de} / {it.label.en}", value, pts)
    con.print(table)
    cat = speak.category(result.name, result.category, result.possible_categories)
    con.print(f"[bold]Ergebnis:[/bold] {speak.score_value(result)} → {cat}")
    if result.interpretation:
        con.print(fmt.text(result.interpretation.de))
        con.print(result.interpretation.en, style="dim")
    for note in result.notes:
        con.print(f"Hinweis: {fmt.text(note.de)}", style="dim", markup=False)
    cited = speak.cite([result.source], [result.source]) or result.source
    con.print(f"Quelle: {cited}", style="dim")
