"""Skeleton body map: a schematic adult skeleton (front view) with one marker per lesion.

The figure is a standalone SVG drawn from simple shapes, for the board protocol (HTML and PDF).
Nothing is fetched: no external resources, no scripts, only the generic ``sans-serif`` font.
The output depends only on the input (no random ids, stable order), so two calls with the same
lesions and scores give the same bytes.

Orientation is the radiological front view: the patient's right side is on the viewer's left.
Each lesion is a circle at its anatomical position, coloured by the stability score that applies
to its region (SINS for the spine, Mirels for long bones) and labelled with its id and a letter
for the state, so that the colour is never the only carrier of the information. Lesions whose
place cannot be drawn (region ``other``, a spinal lesion without level, a long bone that is not
named) are listed in a small box beside the figure.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from html import escape

from osteoboard.case import LONG_BONE_JOINTS, Joint, Lesion, LongBone, Region, Segment, Side
from osteoboard.labels import Labels
from osteoboard.render import format as fmt
from osteoboard.scores.base import ScoreResult

__all__ = [
    "HEIGHT",
    "LEVELS",
    "LEVEL_Y",
    "STATE_COLOURS",
    "STATE_LABELS",
    "STATE_LETTERS",
    "WIDTH",
    "body_map_svg",
    "lesion_state",
]

WIDTH = 260.0
HEIGHT = 550.0
_CX = WIDTH / 2  # the body's midline

# --------------------------------------------------------------------------------------------
# Colours and states

#: stable · indeterminate · unstable · not_assessable, in legend order.
STATE_LABELS: dict[str, str] = {
    "stable": "stabil / niedriges Frakturrisiko",
    "indeterminate": "potenziell instabil / grenzwertiges Frakturrisiko",
    "unstable": "instabil / hohes Frakturrisiko",
    "not_assessable": "nicht beurteilbar",
}

#: Marker fill per state. Every marker also has a dark outline (contrast > 15:1 on white).
STATE_COLOURS: dict[str, str] = {
    "stable": "#1b7a35",
    "indeterminate": "#f2a900",
    "unstable": "#c62828",
    "not_assessable": "#a6a6a6",
}

#: A letter inside every marker, so that the state does not depend on colour alone.
STATE_LETTERS: dict[str, str] = {
    "stable": "S",
    "indeterminate": "G",
    "unstable": "I",
    "not_assessable": "?",
}

# Letter colour on each fill, each with a contrast ratio of at least 4.5:1.
_LETTER_COLOURS: dict[str, str] = {
    "stable": "#ffffff",
    "indeterminate": "#111111",
    "unstable": "#ffffff",
    "not_assessable": "#111111",
}

_CATEGORY_STATE: dict[str, str] = {
    "stable": "stable",
    "low": "stable",
    "indeterminate": "indeterminate",
    "borderline": "indeterminate",
    "unstable": "unstable",
    "high": "unstable",
}

#: Which score colours which region.
_REGION_SCORE: dict[Region, str] = {Region.spine: "sins", Region.long_bone: "mirels"}
_SCORE_TITLE: dict[str, str] = {"sins": "SINS", "mirels": "Mirels"}

_OUTLINE = "#111111"
_BONE_FILL = "#f3efe4"
_BONE_LINE = "#8a8478"
_BONE_DARK = "#d6cfbf"
_TEXT = "#111111"
_MUTED = "#444444"

# --------------------------------------------------------------------------------------------
# Spine geometry: C1 … S5, top to bottom

LEVELS: tuple[str, ...] = (
    tuple(f"C{i}" for i in range(1, 8))
    + tuple(f"T{i}" for i in range(1, 13))
    + tuple(f"L{i}" for i in range(1, 6))
    + tuple(f"S{i}" for i in range(1, 6))
)


def _level_geometry() -> dict[str, tuple[float, float, float]]:
    """Level → (centre y, body height, body width) of the drawn vertebra."""
    out: dict[str, tuple[float, float, float]] = {}
    y = 86.0
    for i in range(1, 8):  # cervical: 4.6 per level
        out[f"C{i}"] = (y + 2.3, 3.6, 9.0 + 0.4 * i)
        y += 4.6
    y += 0.4
    for i in range(1, 13):  # thoracic: 7.8 per level
        out[f"T{i}"] = (y + 3.9, 6.4, 12.0 + 0.3 * i)
        y += 7.8
    for i in range(1, 6):  # lumbar: 9.0 per level
        out[f"L{i}"] = (y + 4.5, 7.6, 16.0 + 0.5 * i)
        y += 9.0
    y += 0.6
    for i in range(1, 6):  # sacral segments inside the sacrum, tapering
        out[f"S{i}"] = (y + 3.5, 7.0, 24.0 - 3.6 * i)
        y += 7.0
    return out


_LEVEL_GEOMETRY = _level_geometry()

#: y of each vertebral level's centre, C1 (top) … S5 (bottom), in user units.
LEVEL_Y: dict[str, float] = {level: geo[0] for level, geo in _LEVEL_GEOMETRY.items()}

# --------------------------------------------------------------------------------------------
# Places on the patient's right side (viewer's left); the left side is the mirror image.

Point = tuple[float, float]

# Long bones: shaft axis from proximal to distal end.
_SHAFTS: dict[LongBone, tuple[Point, Point]] = {
    LongBone.humerus: ((83.0, 126.0), (75.0, 203.0)),
    LongBone.ulna: ((80.0, 211.0), (77.0, 270.0)),
    LongBone.radius: ((71.0, 213.0), (66.0, 270.0)),
    LongBone.femur: ((101.0, 300.0), (106.0, 376.0)),
    LongBone.tibia: ((110.0, 386.0), (111.0, 455.0)),
    LongBone.fibula: ((98.0, 390.0), (99.0, 453.0)),
}
# Fraction of the shaft from the proximal end.
_SEGMENT_T: dict[Segment, float] = {Segment.epiphyseal: 0.0, Segment.metaphyseal: 0.14}
_DIAPHYSIS_T = 0.5
# Points that are not on the shaft axis.
_FEMUR_HEAD: Point = (111.0, 287.0)
_FEMUR_NECK: Point = (105.0, 292.0)
_FEMUR_TROCHANTER: Point = (100.0, 302.0)
_HUMERUS_HEAD: Point = (85.0, 123.0)
# The joint that marks the distal end of each bone (else the proximal end is drawn).
_DISTAL_JOINT: dict[LongBone, Joint] = {
    bone: joints[1] for bone, joints in LONG_BONE_JOINTS.items() if len(joints) > 1
}
_PROXIMAL_JOINT: dict[LongBone, Joint] = {
    bone: joints[0] for bone, joints in LONG_BONE_JOINTS.items()
}

_ACETABULUM: Point = (109.0, 286.0)
_SACROILIAC: Point = (117.0, 262.0)
_ILIAC_WING: Point = (99.0, 252.0)
_SYMPHYSIS: Point = (_CX, 300.0)
_RIB: Point = (88.0, 170.0)
_SKULL: Point = (_CX, 36.0)
_SKULL_SIDE: Point = (117.0, 38.0)
_STERNUM: Point = (_CX, 148.0)

# The box for lesions without a drawable place.
_BOX_X = 194.0
_BOX_Y = 22.0
_BOX_W = 62.0
_BOX_HEAD = 19.0
_BOX_ROW = 11.0

_LEGEND_Y = 490.0
_MARKER_R = 4.5
_MIN_GAP = 2 * _MARKER_R + 0.4  # centre distance at which two markers do not overlap
_LABEL_FS = 6.5
_LABEL_MAX = 14
_BOX_LABEL_MAX = 10

# --------------------------------------------------------------------------------------------
# German wording

# Every value is said with the words of the knowledge base (labels.yaml); the labels of the
# figure being drawn are held here for its helpers.
_LABELS: ContextVar[Labels] = ContextVar("bodymap_labels")


def _say(vocabulary: str, value: object, *, short: bool = True) -> str:
    return _LABELS.get().say(vocabulary, value, "de", short=short)


def _level(level: str) -> str:
    return _LABELS.get().level(level, "de")


# --------------------------------------------------------------------------------------------
# Small helpers


def _n(v: float) -> str:
    """A number for the SVG: at most two decimals, no trailing zeros, never '-0'."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _attr(s: str) -> str:
    return escape(s, quote=True)


def _mirror(p: Point, side: Side | None) -> Point:
    """A point given for the patient's right side, moved to the patient's left if asked."""
    return (WIDTH - p[0], p[1]) if side is Side.left else p


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _points_value(s: ScoreResult) -> str:
    unit = f" {fmt.unit(s.unit)}" if s.unit else " Punkte"
    if s.total is not None:
        return f"{fmt.number(s.total)}{' Punkt' if unit == ' Punkte' and s.total == 1 else unit}"
    if s.range is not None and s.assessable:
        return f"{fmt.span(s.range[0], s.range[1])}{unit}"
    return "n. b."


# --------------------------------------------------------------------------------------------
# State of a lesion


def _score_for(lesion: Lesion, scores: Sequence[ScoreResult]) -> ScoreResult | None:
    if lesion.region is None:
        return None  # a score of an unplaced lesion holds only if it lies in that region
    name = _REGION_SCORE.get(lesion.region)
    if name is None:
        return None
    for s in scores:
        if s.name == name and s.lesion == lesion.id:
            return s
    return None


def lesion_state(lesion: Lesion, scores: Sequence[ScoreResult]) -> str:
    """stable · indeterminate · unstable · not_assessable, from the score for its region.

    Spinal lesions take the SINS category, long-bone lesions the Mirels category; a score
    whose category is not decided (missing inputs), a missing score and every other region
    give ``not_assessable``.
    """
    s = _score_for(lesion, scores)
    if s is None or s.category is None:
        return "not_assessable"
    return _CATEGORY_STATE.get(s.category, "not_assessable")


def _score_text(lesion: Lesion, score: ScoreResult | None, state: str) -> str:
    if lesion.region is None:
        return f"Region nicht angegeben, kein Stabilitätsscore zuzuordnen – {STATE_LABELS[state]}"
    name = _REGION_SCORE.get(lesion.region)
    if name is None:
        return f"Kein Stabilitätsscore für diese Region – {STATE_LABELS[state]}"
    title = _SCORE_TITLE[name]
    if score is None:
        return f"{title} nicht berechnet – {STATE_LABELS[state]}"
    value = _points_value(score)
    if score.category is not None:
        cat = _LABELS.get().category(score.name, score.category)
        return f"{title} {value}: {cat}"
    if score.assessable and score.possible_categories:
        cats = " / ".join(_LABELS.get().category(score.name, c) for c in score.possible_categories)
        return f"{title} {value}: nicht entschieden ({cats}) – {STATE_LABELS[state]}"
    return f"{title} {value} – {STATE_LABELS[state]}"


# --------------------------------------------------------------------------------------------
# Place of a lesion


@dataclass(frozen=True)
class _Place:
    point: Point | None  # None: listed in the box beside the figure
    where: str  # German description of the place
    notes: tuple[str, ...] = ()
    spine: bool = False


def _side_for(lesion: Lesion) -> tuple[Side, list[str], str]:
    """The side to draw a paired structure on, notes, and the side in words."""
    if lesion.side is Side.left:
        return Side.left, [], "links"
    if lesion.side is Side.right:
        return Side.right, [], "rechts"
    if lesion.side is Side.midline:
        return Side.right, ["rechts eingezeichnet"], "Seite unbekannt (Mitte angegeben)"
    return Side.right, ["rechts eingezeichnet"], "Seite unbekannt"


def _long_bone_place(lesion: Lesion) -> _Place:
    bone = lesion.bone
    if bone is None and lesion.segment is Segment.peritrochanteric:
        bone = LongBone.femur  # peritrochanteric is femur only
    if bone is None or bone is LongBone.other:
        what = "Knochen nicht angegeben" if bone is None else _say("long_bone", LongBone.other)
        return _Place(None, f"Röhrenknochen ({what})")
    side, notes, side_de = _side_for(lesion)
    shaft = _SHAFTS[bone]
    segment = lesion.segment
    parts = [_say("long_bone", bone)]
    if segment is None:
        point = _lerp(*shaft, _DIAPHYSIS_T)
        notes.append("Abschnitt unbekannt, Schaftmitte eingezeichnet")
    elif segment is Segment.diaphyseal:
        point = _lerp(*shaft, _DIAPHYSIS_T)
        parts.append(_say("segment", segment))
    elif segment is Segment.peritrochanteric:
        point = _FEMUR_TROCHANTER
        parts.append(_say("segment", segment))
    else:
        distal = lesion.joint is not None and lesion.joint is _DISTAL_JOINT.get(bone)
        proximal = lesion.joint is not None and lesion.joint is _PROXIMAL_JOINT.get(bone)
        t = _SEGMENT_T[segment]
        if distal:
            point = _lerp(*shaft, 1.0 - t)
            parts.append(f"{_say('segment', segment)} distal")
        else:
            point = _lerp(*shaft, t)
            parts.append(f"{_say('segment', segment)} proximal")
            if not proximal:
                notes.append("proximal/distal nicht angegeben, proximal eingezeichnet")
            if segment is Segment.epiphyseal and bone is LongBone.femur:
                point = _FEMUR_HEAD
            elif segment is Segment.metaphyseal and bone is LongBone.femur:
                point = _FEMUR_NECK
            elif segment is Segment.epiphyseal and bone is LongBone.humerus:
                point = _HUMERUS_HEAD
    if lesion.joint is not None and lesion.joint is not Joint.none:
        parts.append(f"nahe {_say('joint', lesion.joint)}")
    parts.append(side_de)
    return _Place(_mirror(point, side), ", ".join(parts), tuple(notes))


def _place(lesion: Lesion) -> _Place:
    region = lesion.region
    if region is None:
        side = f", {_say('side', lesion.side)}" if lesion.side is not None else ""
        return _Place(None, f"Lokalisation nicht angegeben{side}")
    if region is Region.spine:
        side = f", {_say('side', lesion.side)}" if lesion.side is not None else ""
        if lesion.level is None or lesion.level not in LEVEL_Y:
            return _Place(None, f"Wirbelsäule, Höhe nicht angegeben{side}")
        return _Place(
            (_CX, LEVEL_Y[lesion.level]), f"Wirbelsäule {_level(lesion.level)}{side}", spine=True
        )
    if region is Region.long_bone:
        return _long_bone_place(lesion)
    if region is Region.pelvis:
        if lesion.side is Side.midline and lesion.joint in (None, Joint.none):
            return _Place(_SYMPHYSIS, "Becken, Mitte (Symphyse)")
        side, notes, side_de = _side_for(lesion)
        if lesion.joint is Joint.hip:
            point, part = _ACETABULUM, "Acetabulum/Hüftgelenk"
        elif lesion.joint is Joint.sacroiliac:
            point, part = _SACROILIAC, "Iliosakralgelenk"
        else:
            point, part = _ILIAC_WING, "Os ilium"
        return _Place(_mirror(point, side), f"Becken, {part}, {side_de}", tuple(notes))
    if region is Region.rib:
        side, notes, side_de = _side_for(lesion)
        return _Place(_mirror(_RIB, side), f"Rippe, {side_de}", tuple(notes))
    if region is Region.skull:
        if lesion.side in (Side.left, Side.right):
            return _Place(
                _mirror(_SKULL_SIDE, lesion.side), f"Schädel, {_say('side', lesion.side)}"
            )
        return _Place(_SKULL, "Schädel")
    if region is Region.sternum:
        return _Place(_STERNUM, "Sternum")
    side = f", {_say('side', lesion.side)}" if lesion.side is not None else ""
    return _Place(None, f"andere Lokalisation{side}")


# Offsets for lesions at the same place: first on the spot, then around it.
def _ring_offsets() -> list[Point]:
    out: list[Point] = [(0.0, 0.0)]
    step = 2 * _MARKER_R + 1.0
    for ring in range(1, 6):
        count = 6 * ring
        for k in range(count):
            a = 2 * math.pi * k / count
            out.append((ring * step * math.cos(a), ring * step * math.sin(a)))
    return out


_RING_OFFSETS = _ring_offsets()


def _offset(k: int, spine: bool) -> Point:
    """Offset of the k-th lesion (0-based) at one spot; along the vertebra on the spine."""
    step = 2 * _MARKER_R + 1.0
    if spine:
        n = (k + 1) // 2
        return ((step * n) if k % 2 else (-step * n), 0.0)
    if k < len(_RING_OFFSETS):
        return _RING_OFFSETS[k]
    return (step * (k - len(_RING_OFFSETS) + 6), 0.0)


# --------------------------------------------------------------------------------------------
# Skeleton drawing

Prim = tuple[str, tuple[float, ...], str]  # kind, numbers, path data


def _line(x1: float, y1: float, x2: float, y2: float, w: float) -> Prim:
    return ("line", (x1, y1, x2, y2, w), "")


def _ell(cx: float, cy: float, rx: float, ry: float) -> Prim:
    return ("ellipse", (cx, cy, rx, ry), "")


def _path(d: str) -> Prim:
    return ("path", (), d)


def _curve(d: str, w: float) -> Prim:
    return ("curve", (w,), d)


def _bone(prims: Iterable[Prim]) -> list[str]:
    """One bone as the union of its shapes: outline pass first, fill pass on top."""
    prims = list(prims)
    out: list[str] = []
    for fill_pass in (False, True):
        colour = _BONE_FILL if fill_pass else _BONE_LINE
        extra = 0.0 if fill_pass else 2.0
        for kind, v, d in prims:
            if kind == "line":
                out.append(
                    f'<line x1="{_n(v[0])}" y1="{_n(v[1])}" x2="{_n(v[2])}" y2="{_n(v[3])}" '
                    f'stroke="{colour}" stroke-width="{_n(v[4] + extra)}" '
                    'stroke-linecap="round"/>'
                )
            elif kind == "curve":
                out.append(
                    f'<path d="{d}" fill="none" stroke="{colour}" '
                    f'stroke-width="{_n(v[0] + extra)}" stroke-linecap="round"/>'
                )
            elif kind == "ellipse":
                stroke = "" if fill_pass else f' stroke="{colour}" stroke-width="2"'
                out.append(
                    f'<ellipse cx="{_n(v[0])}" cy="{_n(v[1])}" rx="{_n(v[2])}" '
                    f'ry="{_n(v[3])}" fill="{colour}"{stroke}/>'
                )
            else:
                stroke = "" if fill_pass else f' stroke="{colour}" stroke-width="2"'
                out.append(f'<path d="{d}" fill="{colour}"{stroke} stroke-linejoin="round"/>')
    return out


def _mx(x: float, left: bool) -> float:
    return WIDTH - x if left else x


def _pd(cmds: Sequence[tuple[str, Sequence[float]]], left: bool) -> str:
    """Path data from (command, x, y, x, y …) tuples, mirrored to the patient's left if asked.

    An arc (``A rx ry rotation large-arc sweep x y``) mirrors only its end point's x; its
    rotation changes sign and its sweep flag turns, since a mirror reverses the direction."""
    parts: list[str] = []
    for cmd, nums in cmds:
        if cmd == "A":
            coords = [_arc(nums[i : i + 7], left) for i in range(0, len(nums), 7)]
        else:
            coords = [_n(_mx(v, left)) if i % 2 == 0 else _n(v) for i, v in enumerate(nums)]
        parts.append(cmd + " ".join(coords) if coords else cmd)
    return " ".join(parts)


def _arc(args: Sequence[float], left: bool) -> str:
    rx, ry, rotation, large, sweep, x, y = args
    if left:
        rotation, sweep, x = -rotation, 1 - sweep, _mx(x, True)
    return " ".join(_n(v) for v in (rx, ry, rotation, large, sweep, x, y))


def _skull() -> list[str]:
    out = _bone(
        [
            _path("M113 56 Q112 72 119 79 Q130 88 141 79 Q148 72 147 56 Z"),  # mandible
            _ell(_CX, 44, 22, 24),  # cranium
        ]
    )
    dark = _BONE_DARK
    out += [
        f'<ellipse cx="121.5" cy="47" rx="5.5" ry="4.6" fill="{dark}" stroke="{_BONE_LINE}" '
        'stroke-width="0.8"/>',
        f'<ellipse cx="138.5" cy="47" rx="5.5" ry="4.6" fill="{dark}" stroke="{_BONE_LINE}" '
        'stroke-width="0.8"/>',
        f'<path d="M130 53 L127 60 L133 60 Z" fill="{dark}" stroke="{_BONE_LINE}" '
        'stroke-width="0.8" stroke-linejoin="round"/>',
        f'<path d="M120 70 Q130 73 140 70" fill="none" stroke="{_BONE_LINE}" stroke-width="0.8"/>',
    ]
    return out


_RIB_SPAN = (15, 23, 29, 34, 38, 41, 43, 44, 44, 43, 40, 35)


def _ribs(left: bool) -> list[str]:
    """Twelve ribs as arcs from the vertebra out and down (floating ribs 11 and 12 short)."""
    prims: list[Prim] = []
    for i, w in enumerate(_RIB_SPAN, start=1):
        y = LEVEL_Y[f"T{i}"]
        x0 = _CX + 5.0
        xl = _CX + w
        drop = 5.0 + 0.9 * i
        if i <= 10:
            cmds: list[tuple[str, Sequence[float]]] = [
                ("M", (x0, y)),
                ("C", (x0 + w * 0.45, y - 4.5, xl, y - 2.0, xl, y + drop)),
                ("Q", (xl, y + drop + 5.0, xl - 5.0 - 0.4 * i, y + drop + 7.0)),
            ]
        else:  # floating ribs: short, ending free
            cmds = [
                ("M", (x0, y)),
                ("C", (x0 + w * 0.45, y - 3.0, xl, y, xl + 1.0, y + drop + 2.0)),
            ]
        prims.append(_curve(_pd(cmds, left), 2.4))
    return _bone(prims)


def _spine() -> list[str]:
    out: list[str] = []
    for level in LEVELS[:24]:
        y, h, w = _LEVEL_GEOMETRY[level]
        out.append(
            f'<rect x="{_n(_CX - w / 2)}" y="{_n(y - h / 2)}" width="{_n(w)}" height="{_n(h)}" '
            f'rx="1.4" fill="{_BONE_FILL}" stroke="{_BONE_LINE}" stroke-width="1"/>'
        )
    top = LEVEL_Y["S1"] - 3.8
    bottom = LEVEL_Y["S5"] + 4.5
    out.append(
        f'<path d="M{_n(_CX - 14)} {_n(top)} L{_n(_CX + 14)} {_n(top)} '
        f"Q{_n(_CX + 11)} {_n(bottom - 10)} {_n(_CX + 3)} {_n(bottom)} "
        f"L{_n(_CX - 3)} {_n(bottom)} "
        f'Q{_n(_CX - 11)} {_n(bottom - 10)} {_n(_CX - 14)} {_n(top)} Z" '
        f'fill="{_BONE_FILL}" stroke="{_BONE_LINE}" stroke-width="1" stroke-linejoin="round"/>'
    )
    for level in LEVELS[24:]:  # sacral foramina
        y = LEVEL_Y[level]
        half = _LEVEL_GEOMETRY[level][2] / 2
        if half > 3:
            for x in (_CX - half + 1.5, _CX + half - 1.5):
                out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="1" fill="{_BONE_DARK}"/>')
    return out


def _sternum() -> list[str]:
    return _bone(
        [
            _path(
                "M124 118 L136 118 L135 128 L133 130 L133 168 L130 176 L127 168 L127 130 L125 128 Z"
            ),
        ]
    )


def _clavicle(left: bool) -> list[str]:
    d = _pd([("M", (125, 118)), ("Q", (110, 114, 100, 117)), ("Q", (92, 119, 87, 116))], left)
    return _bone([_curve(d, 3.4)])


def _arm(left: bool) -> list[str]:
    m = left

    def x(v: float) -> float:
        return _mx(v, m)

    humerus = _bone(
        [
            _ell(x(85), 124, 6.2, 6.2),
            _line(x(83), 126, x(75), 201, 5.2),
            _ell(x(75), 203, 7.2, 3.8),
        ]
    )
    ulna = _bone([_line(x(80), 209, x(77), 270, 3.0), _ell(x(80.5), 210, 2.6, 3.2)])
    radius = _bone([_line(x(71), 212, x(66), 269, 3.2), _ell(x(66), 270, 3.0, 2.2)])
    hand = _bone(
        [
            _ell(x(72), 277, 7.0, 5.0),
            _line(x(65), 281, x(61), 293, 2.0),
            _line(x(68.5), 282, x(67), 299, 2.0),
            _line(x(72), 282, x(72.5), 301, 2.0),
            _line(x(75.5), 282, x(77.5), 299, 2.0),
            _line(x(78.5), 280, x(83.5), 291, 2.0),
        ]
    )
    return humerus + ulna + radius + hand


def _hip_bone(left: bool) -> list[str]:
    m = left
    ilium = _path(
        _pd(
            [
                ("M", (118, 257)),
                ("C", (111, 240, 100, 234, 90, 240)),
                ("C", (86, 252, 92, 268, 101, 280)),
                ("L", (104, 290)),
                ("Q", (110, 304, 127, 301)),
                ("L", (127, 293)),
                ("Q", (116, 289, 118, 280)),
                ("Z", ()),
            ],
            m,
        )
    )
    out = _bone([ilium])
    foramen = _pd(
        [
            ("M", (114, 290)),
            ("Q", (108, 292, 112, 298)),
            ("Q", (120, 300, 121, 294)),
            ("Q", (120, 289, 114, 290)),
            ("Z", ()),
        ],
        m,
    )
    out.append(f'<path d="{foramen}" fill="#ffffff" stroke="{_BONE_LINE}" stroke-width="0.8"/>')
    acetabulum = _pd([("M", (103, 282)), ("A", (8, 8, 0, 0, 0, 112, 278))], m)
    if m:  # mirrored arc: sweep flag flips
        acetabulum = acetabulum.replace(" 0 0 0 ", " 0 0 1 ")
    out.append(f'<path d="{acetabulum}" fill="none" stroke="{_BONE_LINE}" stroke-width="0.8"/>')
    return out


def _leg(left: bool) -> list[str]:
    m = left

    def x(v: float) -> float:
        return _mx(v, m)

    femur = _bone(
        [
            _ell(x(111), 287, 5.6, 5.6),
            _line(x(110), 288, x(101), 297, 4.6),
            _ell(x(99), 300, 4.2, 5.2),
            _line(x(101), 300, x(106), 373, 6.0),
            _ell(x(106), 376, 8.4, 4.6),
        ]
    )
    patella = _bone([_ell(x(107), 373, 3.6, 4.2)])
    fibula = _bone([_line(x(98), 389, x(99), 453, 2.6), _ell(x(98), 388, 2.6, 2.8)])
    tibia = _bone(
        [
            _ell(x(109), 385, 8.2, 4.0),
            _line(x(110), 386, x(111), 453, 5.4),
            _ell(x(112), 455, 4.0, 3.0),
        ]
    )
    foot = _bone(
        [
            _ell(x(107), 461, 7.0, 4.0),
            _line(x(104), 463, x(92), 470, 2.0),
            _line(x(106), 464, x(97), 472, 2.0),
            _line(x(109), 464, x(104), 473, 2.0),
            _line(x(112), 463, x(111), 472, 2.0),
        ]
    )
    return femur + fibula + tibia + patella + foot


def _skeleton() -> list[str]:
    out: list[str] = ['<g id="skeleton" aria-hidden="true">']
    for left in (False, True):
        out += _hip_bone(left)
    out += _spine()
    for left in (False, True):
        out += _ribs(left)
    out += _sternum()
    for left in (False, True):
        out += _clavicle(left)
    for left in (False, True):
        out += _arm(left)
        out += _leg(left)
    out += _skull()
    out.append("</g>")
    return out


# --------------------------------------------------------------------------------------------
# Labels


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def hits(self, other: _Box) -> bool:
        return not (
            self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0
        )


def _text_width(text: str, size: float) -> float:
    return 0.6 * size * len(text) + 1.0


def _short(lesion_id: str, limit: int = _LABEL_MAX) -> str:
    return lesion_id if len(lesion_id) <= limit else lesion_id[: limit - 1] + "…"


def _place_label(
    text: str, mx: float, my: float, obstacles: list[_Box], prefer_left: bool, bottom: float
) -> tuple[float, float, str, bool]:
    """Label position (x, baseline y, anchor, leader line needed) avoiding the obstacles."""
    w = _text_width(text, _LABEL_FS)
    h = _LABEL_FS + 1.0
    first: tuple[float, float, str, bool] | None = None
    for step in range(0, 13):
        dy = 0.0 if step == 0 else (h * ((step + 1) // 2) * (1 if step % 2 else -1))
        for left in (prefer_left, not prefer_left):
            gap = _MARKER_R + 2.0 + (5.0 if dy else 0.0)
            x = mx - gap if left else mx + gap
            cy = my + dy
            box = (
                _Box(x - w, cy - h / 2, x, cy + h / 2)
                if left
                else _Box(x, cy - h / 2, x + w, cy + h / 2)
            )
            inside = box.x0 >= 1 and box.x1 <= WIDTH - 1 and box.y0 >= 16 and box.y1 <= bottom
            cand = (x, cy + _LABEL_FS * 0.35, "end" if left else "start", dy != 0.0)
            if first is None:
                first = cand
            if inside and not any(box.hits(o) for o in obstacles):
                obstacles.append(box)
                return cand
    assert first is not None
    return first


# --------------------------------------------------------------------------------------------
# The figure


@dataclass(frozen=True)
class _Marker:
    lesion: Lesion
    state: str
    x: float
    y: float
    tooltip: str
    summary: str
    in_box: bool
    #: Letters beside the label: F pathological fracture, K cord compression.
    marks: str = ""
    side_unknown: bool = False

    def label(self) -> str:
        """The lesion's id, and for a spinal lesion its level in German notation, so that an
        id that looks like a level (``L1`` at LWK 2) cannot be read as one."""
        limit = _BOX_LABEL_MAX if self.in_box else _LABEL_MAX
        text = _short(self.lesion.id, limit)
        if self.lesion.region is Region.spine and self.lesion.level and not self.in_box:
            text += f" ({_level(self.lesion.level)})"
        return f"{text} {self.marks}" if self.marks else text


def _marks(lesion: Lesion, compression: frozenset[str]) -> str:
    marks = "F" if lesion.pathologic_fracture else ""
    if lesion.escc_grade is not None and lesion.escc_grade.value in compression:
        marks += "K"
    return marks


def _markers(
    lesions: Sequence[Lesion], scores: Sequence[ScoreResult], compression: frozenset[str]
) -> list[_Marker]:
    taken: list[Point] = []
    box_rows = 0
    out: list[_Marker] = []
    for lesion in lesions:
        place = _place(lesion)
        score = _score_for(lesion, scores)
        state = lesion_state(lesion, scores)
        score_text = _score_text(lesion, score, state)
        extra = list(place.notes)
        # After an operation the findings are those before it (the case format says so).
        before = " vor der Operation" if lesion.operation is not None else ""
        if lesion.pathologic_fracture:
            extra.append("pathologische Fraktur" + before)
        marks = _marks(lesion, compression)
        if "K" in marks:
            extra.append("Myelonkompression" + before)
        if lesion.operation is not None:
            extra.append(
                "operiert: " + _LABELS.get().say("operation", lesion.operation, "de", short=True)
            )
        side_unknown = any("Seite unbekannt" in n or "rechts eingezeichnet" in n for n in extra)
        note = f" ({'; '.join(extra)})" if extra else ""
        tooltip = f"Läsion {lesion.id}: {place.where}{note}. {score_text}."
        summary = f"{lesion.id}: {place.where}{note}; {score_text}"
        if place.point is None:
            x = _BOX_X + 8.0
            y = _BOX_Y + _BOX_HEAD + 4.0 + _BOX_ROW * box_rows
            box_rows += 1
            out.append(_Marker(lesion, state, x, y, tooltip, summary, True, marks))
            continue
        # First free spot: on the place itself, else the next offset around it, so that no
        # marker hides another (lesions at one place, or at neighbouring cervical levels).
        k = 0
        while True:
            dx, dy = _offset(k, place.spine)
            x, y = place.point[0] + dx, place.point[1] + dy
            if all(math.hypot(x - p[0], y - p[1]) >= _MIN_GAP for p in taken):
                break
            k += 1
        taken.append((x, y))
        out.append(_Marker(lesion, state, x, y, tooltip, summary, False, marks, side_unknown))
    return out


def _legend(y0: float, extra: Sequence[str] = ()) -> list[str]:
    out = [
        f'<g id="legend" font-size="7" fill="{_TEXT}">',
        f'<text x="8" y="{_n(y0)}" font-weight="bold">Legende</text>',
        f'<text x="44" y="{_n(y0)}" font-size="5.8" fill="{_MUTED}">Farbe nach SINS '
        "(Wirbelsäule) bzw. Mirels (Röhrenknochen)</text>",
    ]
    # One state a row: the longest label would run into a second column.
    for i, (state, label) in enumerate(STATE_LABELS.items()):
        x = 14.0
        y = y0 + 11.0 + 11.0 * i
        out.append(_marker_shape(state, x, y))
        out.append(f'<text x="{_n(x + 8)}" y="{_n(y + 2.4)}">{escape(label)}</text>')
    for i, line in enumerate(extra):
        y = y0 + 11.0 + 11.0 * (len(STATE_LABELS) + i)
        out.append(f'<text x="8" y="{_n(y + 2.4)}" font-size="6.3">{escape(line)}</text>')
    out.append("</g>")
    return out


def _legend_lines(markers: Sequence[_Marker], compression: frozenset[str]) -> list[str]:
    """Lines under the legend: the letters beside labels, and lesions drawn on an assumed
    side."""
    lines = []
    marks = "".join(m.marks for m in markers)
    said = []
    if "F" in marks:
        said.append("F = pathologische Fraktur")
    if "K" in marks:
        grades = sorted(compression)
        said.append(
            "K = Myelonkompression ("
            + _LABELS.get().say("escc_grade", grades[0], "de", short=True)
            + ("–" + grades[-1] if len(grades) > 1 else "")
            + ")"
        )
    if said:
        lines.append(" · ".join(said))
    unknown = [_short(m.lesion.id, _BOX_LABEL_MAX) for m in markers if m.side_unknown]
    if unknown:
        lines.append("Seite unbekannt (rechts eingezeichnet): " + ", ".join(unknown))
    return lines


def _marker_shape(state: str, x: float, y: float) -> str:
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(_MARKER_R)}" fill="{STATE_COLOURS[state]}" '
        f'stroke="{_OUTLINE}" stroke-width="1.2"/>'
        f'<text x="{_n(x)}" y="{_n(y + 2.1)}" font-size="5.8" font-weight="bold" '
        f'text-anchor="middle" fill="{_LETTER_COLOURS[state]}">{STATE_LETTERS[state]}</text>'
    )


def _uid(lesions: Sequence[Lesion], scores: Sequence[ScoreResult], title: str) -> str:
    """A deterministic id prefix, distinct for distinct figures on one HTML page."""
    h = hashlib.sha256(title.encode())
    for lesion in lesions:
        h.update(lesion.model_dump_json().encode())
    for s in scores:
        h.update(repr((s.name, s.lesion, s.category, s.total, s.range)).encode())
    return "bodymap-" + h.hexdigest()[:10]


def body_map_svg(
    lesions: Sequence[Lesion],
    scores: Sequence[ScoreResult],
    *,
    title: str = "Skelettbefall",
    labels: Labels | None = None,
    compression_grades: Iterable[str] | None = None,
) -> str:
    """A standalone SVG skeleton (front view) with one marker per lesion.

    ``scores`` may hold any results; a spinal lesion takes the SINS result and a long-bone
    lesion the Mirels result whose ``lesion`` is its id. The output is deterministic.
    """
    if labels is None or compression_grades is None:
        from osteoboard.guideline import load_knowledge_base

        kb = load_knowledge_base()
        labels = labels or kb.labels
        if compression_grades is None:
            compression_grades = kb.constants["escc_high_grades"]
    token = _LABELS.set(labels)
    try:
        return _figure(lesions, scores, title, frozenset(compression_grades))
    finally:
        _LABELS.reset(token)


def _figure(
    lesions: Sequence[Lesion],
    scores: Sequence[ScoreResult],
    title: str,
    compression: frozenset[str],
) -> str:
    uid = _uid(lesions, scores, title)
    markers = _markers(lesions, scores, compression)
    notes = _legend_lines(markers, compression)
    n_box = sum(1 for m in markers if m.in_box)
    box_h = _BOX_HEAD + _BOX_ROW * max(n_box, 1) + 2.0
    legend_y = max(_LEGEND_Y, _BOX_Y + box_h + 12.0)
    height = HEIGHT + (legend_y - _LEGEND_Y) + 11.0 * len(notes)

    if lesions:
        desc = (
            f"Skelettschema von ventral (rechte Körperseite links im Bild) mit "
            f"{len(lesions)} Läsion{'en' if len(lesions) != 1 else ''}: "
            + "; ".join(m.summary for m in markers)
            + "."
        )
    else:
        desc = "Skelettschema von ventral (rechte Körperseite links im Bild); keine Läsionen."

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(WIDTH)} {_n(height)}" '
        f'width="{_n(WIDTH)}" height="{_n(height)}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-family="sans-serif">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{_n(WIDTH)}" height="{_n(height)}" fill="#ffffff"/>',
        f'<text x="8" y="12" font-size="9" font-weight="bold" fill="{_TEXT}">{escape(title)}'
        "</text>",
    ]
    out += _skeleton()
    out += [
        f'<g font-size="8" font-weight="bold" fill="{_MUTED}" aria-hidden="true">',
        '<text x="22" y="364" text-anchor="middle">R</text>',
        f'<text x="{_n(WIDTH - 22)}" y="364" text-anchor="middle">L</text>',
        "</g>",
    ]
    # The box for lesions without a drawable place.
    out += [
        f'<g id="other-box" font-size="6.3" fill="{_TEXT}">',
        f'<rect x="{_n(_BOX_X)}" y="{_n(_BOX_Y)}" width="{_n(_BOX_W)}" height="{_n(box_h)}" '
        f'rx="2" fill="#ffffff" stroke="{_MUTED}" stroke-width="0.8"/>',
        f'<text x="{_n(_BOX_X + 4)}" y="{_n(_BOX_Y + 8)}" font-weight="bold">Sonstige /</text>',
        f'<text x="{_n(_BOX_X + 4)}" y="{_n(_BOX_Y + 15)}" font-weight="bold">Lage unklar</text>',
    ]
    if n_box == 0:
        out.append(
            f'<text x="{_n(_BOX_X + 4)}" y="{_n(_BOX_Y + _BOX_HEAD + 6)}" fill="{_MUTED}">'
            "keine</text>"
        )
    out.append("</g>")

    # Labels: every marker and every placed label is an obstacle for the next label.
    obstacles = [
        _Box(
            m.x - _MARKER_R - 0.5,
            m.y - _MARKER_R - 0.5,
            m.x + _MARKER_R + 0.5,
            m.y + _MARKER_R + 0.5,
        )
        for m in markers
    ]
    obstacles.append(_Box(_BOX_X, _BOX_Y, _BOX_X + _BOX_W, _BOX_Y + box_h))
    out.append(f'<g id="lesions" font-size="{_n(_LABEL_FS)}">')
    for m in markers:
        text = m.label()
        lid = _attr(m.lesion.id)
        out.append(
            f'<g class="lesion" data-lesion="{lid}" data-state="{m.state}" '
            f'data-region="{m.lesion.region.value if m.lesion.region else "unknown"}">'
        )
        out.append(f"<title>{escape(m.tooltip)}</title>")
        if m.in_box:
            lx, ly, anchor, leader = m.x + _MARKER_R + 2.5, m.y + _LABEL_FS * 0.35, "start", False
        else:
            lx, ly, anchor, leader = _place_label(
                text, m.x, m.y, obstacles, m.x < _CX - 1, legend_y - 4
            )
        if leader:
            ex = lx + (1.0 if anchor == "end" else -1.0)
            ey = ly - _LABEL_FS * 0.35
            dx, dy = ex - m.x, ey - m.y
            dist = math.hypot(dx, dy) or 1.0
            sx, sy = m.x + dx / dist * _MARKER_R, m.y + dy / dist * _MARKER_R
            out.append(
                f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(ex)}" y2="{_n(ey)}" '
                f'stroke="{_MUTED}" stroke-width="0.6"/>'
            )
        out.append(_marker_shape(m.state, m.x, m.y))
        out.append(
            f'<text x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" fill="{_TEXT}" '
            f'stroke="#ffffff" stroke-width="2" stroke-linejoin="round" paint-order="stroke">'
            f"{escape(text)}</text>"
        )
        out.append("</g>")
    out.append("</g>")
    out += _legend(legend_y, notes)
    out.append("</svg>")
    return "\n".join(out) + "\n"
