"""A clinician's console summary of a Proposal (rich); emergencies first, in red."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import Proposal
from osteoboard.render.view import (
    MISSING_PRIORITY_DE,
    PRIORITY_DE,
    band_de,
    basis_de,
    category_de,
    score_value,
)
from osteoboard.scores.base import ScoreResult

__all__ = ["render_score", "render_text"]


#: Width of the summary when it does not go to a terminal (a file, a pipe).
PLAIN_WIDTH = 100


def _console() -> Console:
    """As wide as the terminal (rich detects it); a fixed width for files and pipes."""
    console = Console(soft_wrap=False, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=PLAIN_WIDTH, highlight=False)
    return console


def render_text(proposal: Proposal, heading: str | None = None) -> None:
    con = _console()
    title = f"Fall {proposal.case_id}" + (f" ({heading})" if heading else "")
    con.rule(f"[bold]{title}")
    for em in proposal.emergencies:
        lesion = f" [{em.lesion}]" if em.lesion else ""
        con.print(
            Panel(
                escape(em.text.de),
                title=f"[bold]NOTFALL {em.code}{escape(lesion)}",
                style="bold red",
            )
        )
    for r in proposal.recommendations:
        if r.priority.value == "urgent":
            lesion = f" [{r.lesion}]" if r.lesion else ""
            con.print(
                f"[bold red]DRINGEND {r.code}{escape(lesion)}:[/bold red] {escape(r.text.de)}"
            )
    p = proposal.prognosis
    kb = load_knowledge_base()
    band = band_de(kb, p)
    basis = basis_de(kb, p)
    con.print(f"[bold]Prognose:[/bold] {band} (Basis: {basis})")
    for est in p.estimates:
        con.print(f"  · {est.statement.de}", markup=False)
    if p.scores_disagree:
        con.print("  [yellow]Die Schätzungen weisen auf unterschiedliche Prognosebänder.[/yellow]")

    table = Table(title="Scores", show_lines=False, expand=False)
    for col in ("Score", "Läsion", "Wert", "Kategorie", "Fehlend"):
        table.add_column(col)
    for s in proposal.scores:
        cat = (
            category_de(s.category)
            if s.category
            else ("/".join(category_de(c) for c in s.possible_categories) or "–")
        )
        table.add_row(s.name, s.lesion or "", score_value(s), cat, str(len(s.missing)))
    con.print(table)

    if proposal.recommendations:
        disciplines = load_knowledge_base().disciplines
        rec = Table(title="Empfehlungen", show_lines=False)
        for col in ("Disziplin", "Code", "Läsion", "Priorität", "Empfehlung"):
            rec.add_column(col, overflow="fold")
        for r in proposal.recommendations:
            rec.add_row(
                disciplines[r.discipline].de,
                r.code,
                r.lesion or "",
                PRIORITY_DE[r.priority.value],
                r.text.de,
            )
        con.print(rec)
    for w in proposal.warnings:
        lesion = f" [{w.lesion}]" if w.lesion else ""
        con.print(f"[yellow]Warnung {w.code}{escape(lesion)}:[/yellow] {escape(w.text.de)}")
    if proposal.missing_data:
        con.print("[bold]Fehlende Angaben[/bold] (würden das Ergebnis ändern können):")
        for m in proposal.missing_data:
            con.print(
                f"  · ({MISSING_PRIORITY_DE[m.priority]}) {m.field} → {', '.join(m.needed_for)}",
                markup=False,
            )


def render_score(result: ScoreResult, title: str) -> None:
    con = _console()
    table = Table(title=title)
    for col in ("Item", "Wert", "Punkte"):
        table.add_column(col)
    for it in result.items:
        if it.points is not None:
            pts = str(it.points)
        elif it.possible:
            pts = f"{min(it.possible)}–{max(it.possible)}"
        else:
            pts = ""
        value = "unbekannt" if it.value is None else str(it.value)
        table.add_row(f"{it.label.de} / {it.label.en}", value, pts)
    con.print(table)
    cat = (
        category_de(result.category)
        if result.category
        else ("/".join(category_de(c) for c in result.possible_categories) or "–")
    )
    con.print(f"[bold]Ergebnis:[/bold] {score_value(result)} → {cat}")
    if result.interpretation:
        con.print(result.interpretation.de)
        con.print(result.interpretation.en, style="dim")
    for note in result.notes:
        con.print(f"Hinweis: {note.de}", style="dim", markup=False)
    con.print(f"Quelle: {result.source}", style="dim")
