"""The cohort report: one self-contained HTML file from a run folder.

German first (English beside it), no network: the charts are inline SVG bars drawn here, the
styles inline. It shows the counts, the recommendation rates per discipline, the emergencies,
the prognosis bands, the primary sites, the most frequent missing fields, and the quality
indicators of ``knowledge/quality.yaml`` — those over proposals from the run's rows, those over
the board's decisions from a store when ``database`` names one (read through the store's
service functions; nothing is written).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from osteoboard.errors import OsteoboardError
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.labels import field_key
from osteoboard.quality import Tally, decision_view
from osteoboard.render.format import number

__all__ = ["ReportError", "Summary", "summarise", "write_report"]

#: Most missing fields listed.
TOP_MISSING = 15
#: Most errors quoted.
TOP_ERRORS = 20


class ReportError(OsteoboardError, ValueError):
    """The folder is not a cohort run, or the store cannot be read."""


@dataclass
class Row:
    label: str
    count: int
    of: int
    note: str = ""


@dataclass
class Summary:
    cases: int
    errors: int
    items: int
    kb_versions: list[str]
    disciplines: list[Row]
    emergencies: list[Row]
    bands: list[Row]
    sites: list[Row]
    missing: list[Row]
    quality: list[tuple[str, str, Tally, str]]  # id, name, tally, over
    error_lines: list[str]
    decisions_read: int | None


def _read(folder: Path, table: str, columns: Sequence[str]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from osteoboard.cohort import schema
    from osteoboard.cohort.runner import part_files

    full = {
        "cases": schema.CASE_SCHEMA,
        "items": schema.ITEM_SCHEMA,
        "errors": schema.ERROR_SCHEMA,
    }[table]
    parts = part_files(folder, table)
    wanted = pa.schema([full.field(c) for c in columns])
    if not parts:
        return wanted.empty_table()
    return pa.concat_tables(pq.read_table(p, columns=list(columns)) for p in parts)


def _pct(count: int, of: int) -> str:
    return f"{number(100 * count / of, 'de', digits=1)} %" if of else "–"


def summarise(
    folder: Path, *, kb: KnowledgeBase | None = None, database: str | None = None
) -> Summary:
    """Everything the report shows, computed from the run's Parquet parts."""
    import pyarrow.compute as pc

    if not (folder / "cases").is_dir():
        raise ReportError(
            f"{folder}: kein Ergebnisordner von 'osteoboard cohort run' (cases/ fehlt)"
        )
    kb = kb or load_knowledge_base()
    cases = _read(
        folder,
        "cases",
        ["source", "kb_version", "primary_site", "prognosis_band", "missing", "quality"],
    )
    items = _read(folder, "items", ["source", "kind", "code", "discipline", "status"])
    errors = _read(folder, "errors", ["source", "case_id", "error"])
    n = cases.num_rows

    # Recommendation rates: cases with at least one item of the discipline (firm or not).
    per_discipline: dict[str, set[str]] = {}
    firm: dict[str, set[str]] = {}
    emerg: dict[str, Counter[tuple[str, str]]] = {}
    for source, kind, code, discipline, status in zip(
        *(items.column(c).to_pylist() for c in ("source", "kind", "code", "discipline", "status")),
        strict=True,
    ):
        per_discipline.setdefault(discipline, set()).add(source)
        if status in ("firm", "confirmed"):
            firm.setdefault(discipline, set()).add(source)
        if kind == "emergency":
            emerg.setdefault(code, Counter())[(source, status)] += 1
    disciplines = [
        Row(
            f"{kb.disciplines[d].de} / {kb.disciplines[d].en}" if d in kb.disciplines else d,
            len(per_discipline[d]),
            n,
            f"fest {_pct(len(firm.get(d, ())), n)}",
        )
        for d in kb.disciplines
        if d in per_discipline
    ]
    emergencies = []
    for code in sorted(emerg):
        by_status = Counter(status for _, status in emerg[code])
        cases_with = len({source for source, _ in emerg[code]})
        label = kb.actions[code].label if code in kb.actions else None
        emergencies.append(
            Row(
                f"{label.de} ({code})" if label else code,
                cases_with,
                n,
                ", ".join(
                    f"{'bestätigt' if s == 'confirmed' else 'Verdacht'} {c}"
                    for s, c in sorted(by_status.items())
                ),
            )
        )

    band_names = {
        "short": "kurz (< 3 Monate)",
        "intermediate": "mittel (3–12 Monate)",
        "long": "lang (> 12 Monate)",
        None: "nicht entschieden",
    }
    bands = Counter(cases.column("prognosis_band").to_pylist())
    band_rows = [
        Row(band_names.get(b, str(b)), bands[b], n)
        for b in ("short", "intermediate", "long", None)
        if bands.get(b)
    ]
    sites = Counter(cases.column("primary_site").to_pylist())
    site_rows = [
        Row(kb.labels.say("primary_site", s) if s else "nicht angegeben", c, n)
        for s, c in sorted(sites.items(), key=lambda kv: (-kv[1], str(kv[0])))
    ]

    flat = pc.list_flatten(cases.column("missing"))
    parents = pc.list_parent_indices(cases.column("missing")).to_pylist()
    fields = [field_key(f)[0] for f in pc.struct_field(flat, "field").to_pylist()]
    priorities = pc.struct_field(flat, "priority").to_pylist()
    seen: dict[str, set[int]] = {}
    urgent: dict[str, set[int]] = {}
    for parent, key, priority in zip(parents, fields, priorities, strict=True):
        seen.setdefault(key, set()).add(parent)
        if priority == "urgent":
            urgent.setdefault(key, set()).add(parent)
    top = sorted(seen, key=lambda k: (-len(seen[k]), k))[:TOP_MISSING]
    missing = [
        Row(
            f"{_field_name(kb, k)} ({k})",
            len(seen[k]),
            n,
            f"dringlich {_pct(len(urgent.get(k, ())), n)}",
        )
        for k in top
    ]

    quality: list[tuple[str, str, Tally, str]] = []
    tallies = {qi.id: Tally() for qi in kb.quality}
    flat_q = pc.list_flatten(cases.column("quality"))
    for qid, den, num in zip(
        pc.struct_field(flat_q, "id").to_pylist(),
        pc.struct_field(flat_q, "denominator").to_pylist(),
        pc.struct_field(flat_q, "numerator").to_pylist(),
        strict=True,
    ):
        if qid in tallies:
            tallies[qid].add((bool(den), bool(num)))
    decisions_read = None
    if database is not None:
        decisions_read = _decision_tallies(database, kb, tallies)
    for qi in kb.quality:
        name = f"{qi.definition.name.de} / {qi.definition.name.en}"
        quality.append((qi.id, name, tallies[qi.id], qi.definition.over))

    error_rows = errors.to_pylist()
    error_rows.sort(key=lambda r: r["source"])
    return Summary(
        cases=n,
        errors=errors.num_rows,
        items=items.num_rows,
        kb_versions=sorted(set(cases.column("kb_version").to_pylist())),
        disciplines=disciplines,
        emergencies=emergencies,
        bands=band_rows,
        sites=site_rows,
        missing=missing,
        quality=quality,
        error_lines=[
            f"{r['source']} ({r['case_id'] or '–'}): {r['error']}" for r in error_rows[:TOP_ERRORS]
        ],
        decisions_read=decisions_read,
    )


def _field_name(kb: KnowledgeBase, key: str) -> str:
    """A case path without list indices in words (``lesions[].level`` → ``Wirbelhöhe``)."""
    label = kb.labels.fields.get(key) or kb.labels.fields.get(key + "[]")
    return label.say("de") if label is not None else key


def _int(value: int) -> str:
    """A count with the German thousands separator (``7.721``)."""
    return f"{value:,}".replace(",", ".")


def _decision_tallies(database: str, kb: KnowledgeBase, tallies: Mapping[str, Tally]) -> int:
    """Tally the decision indicators over every agenda entry of the store; the entries read."""
    from sqlalchemy.exc import SQLAlchemyError

    from osteoboard.quality import proposal_items
    from osteoboard.store import service
    from osteoboard.store.db import Store
    from osteoboard.store.permissions import SYSTEM

    indicators = [qi for qi in kb.quality if qi.definition.over == "decision"]
    try:
        store = Store(database)
    except (SQLAlchemyError, ValueError, OSError) as exc:
        raise ReportError(f"--database: {str(exc).splitlines()[0][:300]}") from None
    entries = 0
    try:
        if store.current() != store.head():
            raise ReportError(
                "--database: die Datenbank ist nicht migriert (osteoboard db upgrade)"
            )
        with store.read() as session:
            for meeting in service.list_meetings(session, SYSTEM):
                for entry in service.list_agenda(session, SYSTEM, meeting.id):
                    evaluation = service.current_evaluation(session, entry)
                    if evaluation is None:
                        continue
                    entries += 1
                    view = decision_view(
                        items=proposal_items(service.proposal_of(evaluation)),
                        decisions=[
                            {"code": d.code, "lesion": d.lesion, "outcome": d.outcome}
                            for d in entry.item_decisions
                        ],
                        guideline_conform=(
                            entry.overall.guideline_conform if entry.overall else None
                        ),
                        signed=entry.signed,
                    )
                    for qi in indicators:
                        tallies[qi.id].add(qi.judge(view))
    except SQLAlchemyError as exc:
        raise ReportError(f"--database: {str(exc).splitlines()[0][:300]}") from None
    finally:
        store.dispose()
    return entries


# -- HTML ----------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem auto;max-width:60rem;
padding:0 1rem;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}td,th{padding:.25rem .5rem;text-align:left;
vertical-align:middle;border-bottom:1px solid #eee}td.n{text-align:right;white-space:nowrap}
svg.bar{display:block}small,.en{color:#555}.kpi{display:flex;gap:1rem;flex-wrap:wrap}
.kpi div{border:1px solid #ccc;border-radius:.4rem;padding:.5rem 1rem}
.kpi b{display:block;font-size:1.4rem}
@media (max-width:40rem){td.bar{display:none}}
"""


def _bar(share: float | None, width: int = 220) -> str:
    """An inline SVG bar for a share between 0 and 1."""
    filled = 0 if share is None else round(max(0.0, min(1.0, share)) * width)
    label = "–" if share is None else f"{number(100 * share, 'de', digits=1)} %"
    return (
        f'<svg class="bar" width="{width}" height="14" role="img" aria-label="{label}" '
        f'viewBox="0 0 {width} 14"><rect width="{width}" height="14" fill="#e6e9ef"/>'
        f'<rect width="{filled}" height="14" fill="#2f5d8a"/></svg>'
    )


def _rows_table(rows: Iterable[Row], head: tuple[str, str]) -> str:
    e = html.escape
    out = [
        f"<table><thead><tr><th>{e(head[0])}</th><th>{e(head[1])}</th><th>Anteil / share</th>"
        "<th></th><th></th></tr></thead><tbody>"
    ]
    for r in rows:
        share = r.count / r.of if r.of else None
        out.append(
            f"<tr><td>{e(r.label)}</td><td class=n>{_int(r.count)}</td>"
            f"<td class=n>{e(_pct(r.count, r.of))}</td><td class=bar>{_bar(share)}</td>"
            f"<td><small>{e(r.note)}</small></td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def render_report(summary: Summary) -> str:
    e = html.escape
    s = summary
    parts = [
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Kohortenbericht – osteoboard</title>"
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Kohortenbericht <span class=en>/ Cohort report</span></h1>",
        "<p>Entscheidungsunterstützung für die Tumorkonferenz, kein Ersatz für sie. "
        "<span class=en>Decision support for the tumour board, never a replacement for it.</span>"
        f"</p><p><small>Wissensbasis / knowledge base: {e(', '.join(s.kb_versions) or '–')}"
        "</small></p>",
        "<div class=kpi>",
        f"<div><b>{_int(s.cases)}</b>Fälle ausgewertet <span class=en>cases</span></div>",
        f"<div><b>{_int(s.errors)}</b>Fehler <span class=en>errors</span></div>",
        f"<div><b>{_int(s.items)}</b>Vorschläge <span class=en>items</span></div>",
        "</div>",
        "<h2>Empfehlungen je Fachgebiet "
        "<span class=en>/ recommendations per discipline</span></h2>",
        "<p><small>Anteil der Fälle mit mindestens einem Vorschlag des Fachgebiets (fest: ohne "
        "offene Bedingung). <span class=en>Share of cases with at least one item of the "
        "discipline.</span></small></p>",
        _rows_table(s.disciplines, ("Fachgebiet / discipline", "Fälle / cases")),
        "<h2>Notfälle <span class=en>/ emergencies</span></h2>",
        _rows_table(s.emergencies, ("Notfall / emergency", "Fälle / cases"))
        if s.emergencies
        else "<p>Keine Notfälle. <span class=en>No emergencies.</span></p>",
        "<h2>Qualitätsindikatoren <span class=en>/ quality indicators</span></h2>",
        _quality_table(s),
        "<h2>Häufigste fehlende Angaben <span class=en>/ most frequent missing fields</span></h2>",
        _rows_table(s.missing, ("Angabe / field", "Fälle / cases")),
        "<h2>Prognose <span class=en>/ prognosis band</span></h2>",
        _rows_table(s.bands, ("Prognose / band", "Fälle / cases")),
        "<h2>Primärtumoren <span class=en>/ primary sites</span></h2>",
        _rows_table(s.sites, ("Primärtumor / primary", "Fälle / cases")),
    ]
    if s.errors:
        parts.append(
            "<h2>Fehler <span class=en>/ errors</span></h2>"
            f"<p>{_int(s.errors)} Fälle konnten nicht gelesen oder ausgewertet werden (alle in "
            "<code>errors.tsv</code>); die ersten:</p><ul>"
            + "".join(f"<li><code>{e(line)}</code></li>" for line in s.error_lines)
            + "</ul>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _quality_table(s: Summary) -> str:
    e = html.escape
    out = [
        "<table><thead><tr><th>Indikator / indicator</th><th>Zähler / Nenner</th>"
        "<th>Anteil / share</th><th></th></tr></thead><tbody>"
    ]
    for qid, name, tally, over in s.quality:
        if over == "decision" and s.decisions_read is None:
            cells = (
                "<td colspan=3><small>nur mit <code>--database</code> (Entscheidungen der "
                "Konferenz) / needs <code>--database</code></small></td>"
            )
        else:
            share = tally.share
            cells = (
                f"<td class=n>{_int(tally.numerator)} / {_int(tally.denominator)}</td>"
                f"<td class=n>{e(_pct(tally.numerator, tally.denominator))}</td>"
                f"<td class=bar>{_bar(share)}</td>"
            )
        out.append(f"<tr><td>{e(name)} <small>({e(qid)})</small></td>{cells}</tr>")
    out.append("</tbody></table>")
    if s.decisions_read is not None:
        out.append(
            f"<p><small>Entscheidungen aus der Datenbank: {_int(s.decisions_read)} "
            "Tagesordnungspunkte. <span class=en>Board decisions read from the store.</span>"
            "</small></p>"
        )
    return "".join(out)


def write_report(folder: Path, target: Path, *, database: str | None = None) -> Path:
    """Write the report of a run folder to ``target`` (renamed into place)."""
    text = render_report(summarise(folder, database=database))
    if not target.parent.is_dir():
        raise ReportError(f"{target.parent}: Ordner nicht gefunden / no such folder")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
