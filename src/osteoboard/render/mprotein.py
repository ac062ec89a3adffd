"""M-protein course as a self-contained, accessible SVG line plot (SPEC §6).

Plots the parameter that carries the IMWG response (serum M in g/dL; urine M in mg/24 h, or the
involved–uninvolved FLC difference in mg/L for light-chain disease) over time, with the
baseline (dotted), the nadir (ringed and labelled), the progression threshold from the nadir
(dashed, labelled "Progressionsschwelle") and one point per assessment with its value.
Deterministic: the same course gives the same bytes. No scripts, fonts or external resources.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from osteoboard.case import MyelomaAssessment
from osteoboard.myeloma import MyelomaCourse, Nadir

__all__ = ["mprotein_svg"]

WIDTH, HEIGHT = 680, 380
#: Draw the baseline to scale only when it is at most this many times the rest of the plot.
BASELINE_CLIP = 2.5
LEFT, RIGHT, TOP, BOTTOM = 72, 28, 44, 56

_LINE = "#1f4e79"
_THRESHOLD = "#b3261e"
_BASELINE = "#5f6368"
_NADIR = "#1b7f3b"
_GRID = "#e3e3e3"
_TEXT = "#202124"


@dataclass(frozen=True)
class _Box:
    """An axis-aligned box in SVG coordinates (for keeping labels off points and lines)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @staticmethod
    def around(x: float, y: float, rx: float, ry: float) -> _Box:
        return _Box(x - rx, y - ry, x + rx, y + ry)

    @staticmethod
    def text(x: float, y: float, txt: str, anchor: str, size: float = 12) -> _Box:
        """Approximate box of a text at baseline ``y`` (average glyph width 0.6 em)."""
        w = 0.6 * size * len(txt)
        x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        return _Box(x0 - 2, y - 0.8 * size - 1, x0 + w + 2, y + 0.25 * size + 1)

    def hits(self, o: _Box) -> bool:
        return self.x0 < o.x1 and o.x0 < self.x1 and self.y0 < o.y1 and o.y0 < self.y1

    def within(self, o: _Box) -> bool:
        return self.x0 >= o.x0 and self.x1 <= o.x1 and self.y0 >= o.y0 and self.y1 <= o.y1


@dataclass(frozen=True)
class _Param:
    key: str
    name_de: str
    name_en: str
    unit_de: str
    unit_en: str
    digits: int
    value: Callable[[MyelomaAssessment], float | None]


def _dflc(a: MyelomaAssessment) -> float | None:
    if a.involved_flc_mg_l is None or a.uninvolved_flc_mg_l is None:
        return None
    return a.involved_flc_mg_l - a.uninvolved_flc_mg_l


_PARAMS = {
    "serum": _Param(
        "serum", "Serum-M-Protein", "Serum M-protein", "g/dl", "g/dL", 2, lambda a: a.serum_m_g_dl
    ),
    "urine": _Param(
        "urine",
        "Urin-M-Protein",
        "Urine M-protein",
        "mg/24 h",
        "mg/24 h",
        0,
        lambda a: a.urine_m_mg_24h,
    ),
    "flc": _Param(
        "flc",
        "dFLC (betroffene minus nicht betroffene Leichtkette)",
        "dFLC (involved minus uninvolved light chain)",
        "mg/l",
        "mg/L",
        1,
        _dflc,
    ),
}


def _num(x: float, digits: int, lang: str) -> str:
    s = f"{x:.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s == "-0":
        s = "0"
    return s.replace(".", ",") if lang == "de" else s


def _date(d: dt.date, lang: str) -> str:
    return d.strftime("%d.%m.%Y") if lang == "de" else d.isoformat()


def _f(x: float) -> str:
    """Coordinates with one decimal, stable across platforms."""
    return f"{x:.1f}"


def _nice_step(span: float, max_ticks: int = 6) -> float:
    if span <= 0:
        return 1.0
    raw = span / max_ticks
    mag: float = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * mag >= raw:
            return m * mag
    return 10.0 * mag


def _month_ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 6), 120)
    ticks: list[dt.date] = []
    y, m = start.year, start.month
    # First tick: the first month start at or after ``start`` on the step grid.
    idx = y * 12 + (m - 1)
    if dt.date(y, m, 1) < start:
        idx += 1
    idx = ((idx + step - 1) // step) * step
    while True:
        d = dt.date(idx // 12, idx % 12 + 1, 1)
        if d > end:
            break
        ticks.append(d)
        idx += step
    return ticks


def _param_values(
    course: MyelomaCourse,
) -> tuple[_Param, float | None, Nadir | None, float | None]:
    key = course.parameter or "serum"
    p = _PARAMS[key]
    b = course.baseline
    if key == "serum":
        base = b.serum_m_g_dl if b else None
        return p, base, course.nadir_serum, course.progression_threshold_serum_g_dl
    if key == "urine":
        base = b.urine_m_mg_24h if b else None
        return p, base, course.nadir_urine, course.progression_threshold_urine_mg_24h
    base = (
        b.involved_flc_mg_l - b.uninvolved_flc_mg_l
        if b and b.involved_flc_mg_l is not None and b.uninvolved_flc_mg_l is not None
        else None
    )
    return p, base, course.nadir_dflc, course.progression_threshold_dflc_mg_l


_STATUS = {
    "scr": "sCR",
    "cr": "CR",
    "vgpr": "VGPR",
    "pr": "PR",
    "mr": "MR",
    "sd": "SD",
    "pd": "PD",
    "not_assessable": "nicht beurteilbar",
}
_STATUS_EN = {**_STATUS, "not_assessable": "not assessable"}


@dataclass(frozen=True)
class _Words:
    """The chart's words: the parameter's name, the reference lines and the nadir."""

    name: str
    baseline: str
    nadir: str
    threshold: str
    status: bool  # describe the IMWG status (the board's chart) or not (the patient's)


def _words(p: _Param, lang: str, words: Mapping[str, str] | None) -> _Words:
    if words is not None:
        return _Words(
            name=words[p.key],
            baseline=words["baseline"],
            nadir=words["nadir"],
            threshold=words["threshold"],
            status=False,
        )
    if lang == "de":
        return _Words(p.name_de, "Ausgangswert", "Nadir", "Progressionsschwelle", True)
    return _Words(p.name_en, "Baseline", "Nadir", "Progression threshold", True)


def _describe(
    course: MyelomaCourse,
    p: _Param,
    points: list[tuple[dt.date, float]],
    base: float | None,
    nadir: Nadir | None,
    threshold: float | None,
    lang: str,
    w: _Words,
) -> tuple[str, str]:
    de = lang == "de"
    unit = p.unit_de if de else p.unit_en
    name = w.name

    def n(x: float) -> str:
        return _num(x, p.digits, lang)

    title = f"Verlauf {name} ({unit})" if de else f"{name} over time ({unit})"
    parts: list[str] = []
    if not points:
        parts.append(
            "Keine Verlaufswerte für diesen Parameter."
            if de
            else "No assessments with this parameter."
        )
    else:
        vals = "; ".join(n(v) for _, v in points)
        first, last = _date(points[0][0], lang), _date(points[-1][0], lang)
        k = len(points)
        parts.append(
            f"{k} Kontrolle{'n' if k != 1 else ''} von {first} bis {last}: {vals} {unit}."
            if de
            else f"{k} assessment{'s' if k != 1 else ''} from {first} to {last}: {vals} {unit}."
        )
    if base is not None:
        parts.append(f"{w.baseline} {n(base)} {unit}.")
    if nadir is not None:
        when = _date(nadir.date, lang) if nadir.date else w.baseline
        parts.append(f"{w.nadir} {n(nadir.value)} {unit} ({when}).")
    if threshold is not None:
        above = bool(points) and points[-1][1] >= threshold - 1e-9
        if de:
            rel = "liegt darüber" if above else "liegt darunter"
            parts.append(
                f"{w.threshold} {n(threshold)} {unit}; der letzte Wert {rel}."
                if points
                else f"{w.threshold} {n(threshold)} {unit}."
            )
        else:
            rel = "is at or above it" if above else "is below it"
            parts.append(
                f"{w.threshold} {n(threshold)} {unit}; the latest value {rel}."
                if points
                else f"{w.threshold} {n(threshold)} {unit}."
            )
    if not w.status:
        return title, " ".join(parts)
    status = (_STATUS if de else _STATUS_EN)[course.status.value]
    best = (_STATUS if de else _STATUS_EN)[course.best_response.value]
    parts.append(
        f"IMWG-Status: {status}; bestes Ansprechen: {best}."
        if de
        else f"IMWG status: {status}; best response: {best}."
    )
    return title, " ".join(parts)


def mprotein_svg(
    course: MyelomaCourse, *, lang: str = "de", words: Mapping[str, str] | None = None
) -> str:
    """The M-protein course of ``course`` as an SVG document (a string).

    ``words`` (German only) replaces the chart's words: the parameter's name (keys ``serum``,
    ``urine``, ``flc``), ``baseline``, ``nadir`` and ``threshold``; the description then leaves
    out the IMWG status. The patient letter passes the words its glossary uses.
    """
    if lang not in ("de", "en"):
        raise ValueError("lang must be 'de' or 'en'")
    if words is not None and lang != "de":
        raise ValueError("words are German: use lang 'de'")
    de = lang == "de"
    p, base, nadir, threshold = _param_values(course)
    w = _words(p, lang, words)
    unit = p.unit_de if de else p.unit_en
    points = [(a.date, v) for a in course.series if (v := p.value(a)) is not None]
    title, desc = _describe(course, p, points, base, nadir, threshold, lang, w)

    def n(x: float) -> str:
        return _num(x, p.digits, lang)

    px0, px1 = LEFT, WIDTH - RIGHT
    py0, py1 = TOP, HEIGHT - BOTTOM

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="mprotein-title mprotein-desc" '
        f'font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">',
        f'<title id="mprotein-title">{escape(title)}</title>',
        f'<desc id="mprotein-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="14" font-weight="bold" fill="{_TEXT}">'
        f"{escape(title)}</text>",
    ]

    if not points:
        msg = "Keine Verlaufswerte" if de else "No assessments"
        out.append(
            f'<text x="{WIDTH / 2:.1f}" y="{HEIGHT / 2:.1f}" text-anchor="middle" '
            f'fill="{_BASELINE}">{escape(msg)}</text>'
        )
        out.append("</svg>")
        return "\n".join(out) + "\n"

    # ---- scales
    d0, d1 = points[0][0], points[-1][0]
    span = (d1 - d0).days
    pad = max(span * 0.06, 20.0) if span > 0 else 45.0
    t0 = d0.toordinal() - pad
    t1 = d1.toordinal() + pad

    def sx(d: dt.date) -> float:
        return px0 + (d.toordinal() - t0) / (t1 - t0) * (px1 - px0)

    core = max([v for _, v in points] + [threshold or 0.0, 0.0])
    # A baseline far above the recent course would squeeze it flat: then the baseline is
    # named at the top edge instead of drawn to scale.
    base_off_scale = base is not None and core > 0 and base > BASELINE_CLIP * core
    vmax = core if base_off_scale or base is None else max(core, base)
    step = _nice_step(vmax * 1.08 if vmax > 0 else 1.0)
    ytop = step * math.ceil((vmax * 1.08 if vmax > 0 else 1.0) / step)

    def sy(v: float) -> float:
        return py1 - v / ytop * (py1 - py0)

    # ---- grid and axes
    out.append('<g class="grid" stroke="' + _GRID + '" stroke-width="1">')
    k = 0
    while k * step <= ytop + 1e-9:
        y = sy(k * step)
        out.append(f'<line x1="{px0}" y1="{_f(y)}" x2="{px1}" y2="{_f(y)}"/>')
        k += 1
    out.append("</g>")
    out.append(f'<g class="y-axis" fill="{_TEXT}" text-anchor="end">')
    k = 0
    tick_digits = 0 if step >= 1 else (1 if step * 10 >= 1 and (step * 10) % 1 == 0 else 2)
    while k * step <= ytop + 1e-9:
        y = sy(k * step)
        out.append(
            f'<text x="{px0 - 8}" y="{_f(y + 4)}">{_num(k * step, tick_digits, lang)}</text>'
        )
        k += 1
    ylab = f"{w.name} ({unit})"
    if p.key == "flc":
        ylab = f"dFLC ({unit})"
    out.append(
        f'<text x="18" y="{_f((py0 + py1) / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 18 {_f((py0 + py1) / 2)})">{escape(ylab)}</text>'
    )
    out.append("</g>")
    out.append(
        f'<g class="axes" stroke="{_TEXT}" stroke-width="1">'
        f'<line x1="{px0}" y1="{py1}" x2="{px1}" y2="{py1}"/>'
        f'<line x1="{px0}" y1="{py0}" x2="{px0}" y2="{py1}"/></g>'
    )
    out.append(f'<g class="x-axis" fill="{_TEXT}" text-anchor="middle">')
    first_day = dt.date.fromordinal(math.ceil(t0))
    last_day = dt.date.fromordinal(math.floor(t1))
    for tick in _month_ticks(first_day, last_day):
        x = sx(tick)
        out.append(
            f'<line x1="{_f(x)}" y1="{py1}" x2="{_f(x)}" y2="{py1 + 5}" stroke="{_TEXT}"/>'
            f'<text x="{_f(x)}" y="{py1 + 19}">{tick.strftime("%m/%Y")}</text>'
        )
    out.append(
        f'<text x="{_f((px0 + px1) / 2)}" y="{HEIGHT - 12}">{"Datum" if de else "Date"}</text>'
    )
    out.append("</g>")

    # ---- the course (drawn first so that labels can avoid it)
    xy = [(sx(d), sy(v)) for d, v in points]
    obstacles: list[_Box] = []
    for (xa, ya), (xb, yb) in itertools.pairwise(xy):
        steps = max(1, int(math.hypot(xb - xa, yb - ya) // 6))
        for i in range(steps + 1):
            t = i / steps
            obstacles.append(_Box.around(xa + t * (xb - xa), ya + t * (yb - ya), 2, 2))
    for (x, y), (_, v) in zip(xy, points, strict=True):
        obstacles.append(_Box.around(x, y, 6, 6))
        obstacles.append(_Box.text(x, y - 10, n(v), "middle"))

    body: list[str] = []
    path = " ".join(f"{_f(x)},{_f(y)}" for x, y in xy)
    body.append(
        f'<polyline class="course" points="{path}" fill="none" stroke="{_LINE}" '
        f'stroke-width="2" stroke-linejoin="round"/>'
    )

    # ---- reference lines: baseline (dotted) and threshold (dashed), labelled beside them
    lines: list[str] = []
    placed: list[_Box] = []

    def place(candidates: list[tuple[float, float, str]], txt: str) -> tuple[float, float, str]:
        """The first candidate that stays inside the plot and clear of everything placed;
        else the one with the fewest collisions (ties: the earlier candidate)."""
        inside = _Box(px0, py0 - 14, px1, py1)
        best: tuple[int, int] | None = None
        for i, (x, y, anchor) in enumerate(candidates):
            box = _Box.text(x, y, txt, anchor)
            if not box.within(inside):
                continue
            hits = sum(box.hits(o) for o in obstacles + placed)
            if best is None or hits < best[0]:
                best = (hits, i)
            if hits == 0:
                break
        x, y, anchor = candidates[best[1] if best is not None else 0]
        placed.append(_Box.text(x, y, txt, anchor))
        return x, y, anchor

    def line_label(y: float, txt: str) -> tuple[float, float, str]:
        spots = [
            (px1 - 4, "end"),
            (px0 + 6, "start"),
            ((px0 + px1) / 2, "middle"),
            (px0 + (px1 - px0) / 4, "middle"),
            (px0 + 3 * (px1 - px0) / 4, "middle"),
        ]
        return place(
            [(x, y + dy, anchor) for dy in (-5.0, 15.0) for x, anchor in spots],
            txt,
        )

    if threshold is not None:
        y = sy(threshold)
        lines.append(
            f'<line class="threshold" x1="{px0}" y1="{_f(y)}" x2="{px1}" y2="{_f(y)}" '
            f'stroke="{_THRESHOLD}" stroke-width="1.5" stroke-dasharray="7 4"/>'
        )
        txt = f"{w.threshold} {n(threshold)} {unit}"
        lx, ly, anchor = line_label(y, txt)
        lines.append(
            f'<text class="threshold-label" x="{_f(lx)}" y="{_f(ly)}" text-anchor="{anchor}" '
            f'fill="{_THRESHOLD}">{escape(txt)}</text>'
        )
    if base is not None:
        txt = f"{w.baseline} {n(base)} {unit}"
        if base_off_scale:
            txt += " ↑"
            lx, ly, anchor = place([(px1 - 4, py0 + 4, "end"), (px0 + 6, py0 + 4, "start")], txt)
        else:
            y = sy(base)
            lines.append(
                f'<line class="baseline" x1="{px0}" y1="{_f(y)}" x2="{px1}" y2="{_f(y)}" '
                f'stroke="{_BASELINE}" stroke-width="1.5" stroke-dasharray="2 3"/>'
            )
            lx, ly, anchor = line_label(y, txt)
        lines.append(
            f'<text class="baseline-label" x="{_f(lx)}" y="{_f(ly)}" text-anchor="{anchor}" '
            f'fill="{_BASELINE}">{escape(txt)}</text>'
        )

    # ---- nadir: ringed point and label
    nadir_xy = None
    if nadir is not None and nadir.date is not None:
        nadir_xy = next(
            ((x, y) for (x, y), (d, _) in zip(xy, points, strict=True) if d == nadir.date), None
        )
    if nadir is not None and nadir_xy is not None:
        x, y = nadir_xy
        txt = f"{w.nadir} {n(nadir.value)} {unit}"
        body.append(
            f'<circle class="nadir" cx="{_f(x)}" cy="{_f(y)}" r="8" fill="none" '
            f'stroke="{_NADIR}" stroke-width="2"/>'
        )
        lx, ly, anchor = place(
            [
                (x, y + 24, "middle"),
                (x + 12, y + 18, "start"),
                (x - 12, y + 18, "end"),
                (x + 12, y - 12, "start"),
                (x - 12, y - 12, "end"),
                (x, y - 24, "middle"),
            ],
            txt,
        )
        body.append(
            f'<text class="nadir-label" x="{_f(lx)}" y="{_f(ly)}" text-anchor="{anchor}" '
            f'fill="{_NADIR}" font-weight="bold">{escape(txt)}</text>'
        )
    elif nadir is not None and nadir.date is None:
        txt = f"{w.nadir} = {w.baseline}"
        lx, ly, anchor = place([(px0 + 6, py0 + 20, "start"), (px1 - 4, py0 + 20, "end")], txt)
        body.append(
            f'<text class="nadir-label" x="{_f(lx)}" y="{_f(ly)}" text-anchor="{anchor}" '
            f'fill="{_NADIR}" font-weight="bold">{escape(txt)}</text>'
        )

    out.extend(lines)
    out.extend(body)
    out.append(f'<g class="points" fill="{_LINE}">')
    for (x, y), (d, v) in zip(xy, points, strict=True):
        tip = f"{_date(d, lang)}: {n(v)} {unit}"
        out.append(
            f'<circle class="point" cx="{_f(x)}" cy="{_f(y)}" r="4.5" '
            f'data-date="{d.isoformat()}" data-value="{v}"><title>{escape(tip)}</title></circle>'
            f'<text class="value" x="{_f(x)}" y="{_f(y - 10)}" text-anchor="middle" '
            f'fill="{_TEXT}">{n(v)}</text>'
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
