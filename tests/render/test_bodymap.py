"""Skeleton body map: valid accessible SVG, one marker per lesion, colours, places, order."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from osteoboard.case import EsccGrade, Lesion, LongBone, Region, Side
from osteoboard.render.bodymap import (
    LEVEL_Y,
    LEVELS,
    STATE_COLOURS,
    STATE_LABELS,
    WIDTH,
    body_map_svg,
    lesion_state,
)
from osteoboard.scores.base import ScoreResult
from osteoboard.scores.mirels import MirelsInput, mirels
from osteoboard.scores.sins import SinsInput, sins

NS = "{http://www.w3.org/2000/svg}"
MIDLINE = WIDTH / 2

SINS_FIELDS = ("level", "pain", "type", "alignment", "collapse", "posterolateral")
MIRELS_FIELDS = ("bone", "segment", "mirels_pain", "type", "cortical_involvement")


def spine(lesion_id: str, level: str | None, **kw: Any) -> Lesion:
    return Lesion(id=lesion_id, region="spine", level=level, **kw)


def long_bone(lesion_id: str, bone: str | None, **kw: Any) -> Lesion:
    return Lesion(id=lesion_id, region="long_bone", bone=bone, **kw)


def scored(lesions: list[Lesion]) -> list[ScoreResult]:
    """SINS and Mirels for the lesions, computed by the real score functions."""
    out = []
    for les in lesions:
        if les.region is Region.spine:
            out.append(sins(SinsInput(**{f: getattr(les, f) for f in SINS_FIELDS}), les.id))
        elif les.region is Region.long_bone:
            out.append(mirels(MirelsInput(**{f: getattr(les, f) for f in MIRELS_FIELDS}), les.id))
    return out


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def markers(root: ET.Element) -> dict[str, ET.Element]:
    found = [g for g in root.iter(f"{NS}g") if "data-lesion" in g.attrib]
    out = {g.attrib["data-lesion"]: g for g in found}
    assert len(out) == len(found), "data-lesion values must be unique"
    return out


def centre(group: ET.Element) -> tuple[float, float]:
    circle = group.find(f"{NS}circle")
    assert circle is not None
    return float(circle.attrib["cx"]), float(circle.attrib["cy"])


def fill(group: ET.Element) -> str:
    circle = group.find(f"{NS}circle")
    assert circle is not None
    return circle.attrib["fill"]


def marker_radius(found: dict[str, ET.Element]) -> float:
    circle = next(iter(found.values())).find(f"{NS}circle")
    assert circle is not None
    return float(circle.attrib["r"])


def tooltip(group: ET.Element) -> str:
    title = group.find(f"{NS}title")
    assert title is not None and title.text
    return title.text


def positions(lesions: list[Lesion]) -> dict[str, tuple[float, float]]:
    root = parse(body_map_svg(lesions, scored(lesions)))
    return {k: centre(g) for k, g in markers(root).items()}


# SINS inputs by category (Fisher 2010): T7 semi-rigid 1 point.
SINS_STABLE = {"pain": "none", "type": "blastic", "alignment": "normal", "collapse": "none",
               "posterolateral": "none"}  # fmt: skip
SINS_INDETERMINATE = {**SINS_STABLE, "pain": "mechanical", "type": "lytic", "collapse": "lt_50"}
SINS_UNSTABLE = {"pain": "mechanical", "type": "lytic", "alignment": "subluxation_translation",
                 "collapse": "gt_50", "posterolateral": "bilateral"}  # fmt: skip
# Mirels inputs by category: femur diaphysis (lower limb, 2 points).
MIRELS_LOW = {"mirels_pain": "mild", "type": "blastic", "cortical_involvement": "lt_one_third"}
MIRELS_BORDERLINE = {**MIRELS_LOW, "mirels_pain": "functional", "type": "mixed"}
MIRELS_HIGH = {
    "mirels_pain": "functional",
    "type": "lytic",
    "cortical_involvement": "gt_two_thirds",
}


def example() -> list[Lesion]:
    return [
        spine("S-stable", "T7", **SINS_STABLE),
        spine("S-indet", "T9", **SINS_INDETERMINATE),
        spine("S-unstable", "L2", **SINS_UNSTABLE),
        spine("S-open", "C5", pain="none"),
        long_bone("M-low", "femur", segment="diaphyseal", side="left", **MIRELS_LOW),
        long_bone("M-border", "femur", segment="diaphyseal", side="right", **MIRELS_BORDERLINE),
        long_bone("M-high", "humerus", segment="diaphyseal", side="right", **MIRELS_HIGH),
        long_bone("M-open", "tibia", side="left"),
        Lesion(id="P1", region="pelvis", joint="hip", side="left"),
        Lesion(id="R1", region="rib", side="right"),
        Lesion(id="K1", region="skull"),
        Lesion(id="St1", region="sternum"),
        Lesion(id="O1", region="other"),
    ]


# --------------------------------------------------------------------------------------------
# Document


def test_valid_svg_with_title_desc_and_role() -> None:
    lesions = example()
    svg = body_map_svg(lesions, scored(lesions), title="Skelettbefall Fall 7")
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.attrib["role"] == "img"
    assert root.attrib["viewBox"].split()[:2] == ["0", "0"]
    assert "sans-serif" in root.attrib["font-family"]
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None and desc is not None
    assert title.text == "Skelettbefall Fall 7"
    # aria-labelledby names exactly the title and desc ids.
    assert root.attrib["aria-labelledby"].split() == [title.attrib["id"], desc.attrib["id"]]
    # The description lists every lesion with its place and state, in German.
    text = desc.text or ""
    for les in lesions:
        assert les.id in text
    assert "Wirbelsäule BWK 7" in text and "Wirbelsäule LWK 2" in text
    assert "SINS 17 Punkte: instabil" in text
    assert "SINS 1 Punkt: stabil" in text
    assert "hohes Frakturrisiko" in text
    assert "Femur, diaphysär, links" in text
    assert "Becken, Acetabulum/Hüftgelenk, links" in text


def test_no_scripts_or_external_resources() -> None:
    lesions = example()
    svg = body_map_svg(lesions, scored(lesions))
    root = parse(svg)
    tags = {el.tag.removeprefix(NS) for el in root.iter()}
    assert not tags & {"script", "image", "foreignObject", "use", "style", "a"}
    for el in root.iter():
        for name, value in el.attrib.items():
            assert "href" not in name
            assert not name.startswith("on"), name
            assert "url(" not in value
    assert svg.count("http") == 1  # the SVG namespace only
    assert "@import" not in svg and "@font-face" not in svg


def test_legend_names_the_four_states_in_german() -> None:
    root = parse(body_map_svg([], []))
    texts = {el.text for el in root.iter(f"{NS}text")}
    for label in (
        "stabil / niedriges Frakturrisiko",
        "potenziell instabil / grenzwertiges Frakturrisiko",
        "instabil / hohes Frakturrisiko",
        "nicht beurteilbar",
    ):
        assert label in texts
    assert set(STATE_LABELS.values()) <= texts


def test_no_lesions() -> None:
    root = parse(body_map_svg([], []))
    assert markers(root) == {}
    desc = root.find(f"{NS}desc")
    assert desc is not None and "keine Läsionen" in (desc.text or "")


# --------------------------------------------------------------------------------------------
# Markers and colours


def test_one_marker_per_lesion_with_tooltip_and_label() -> None:
    lesions = example()
    root = parse(body_map_svg(lesions, scored(lesions)))
    found = markers(root)
    assert list(found) == [les.id for les in lesions]  # input order kept
    for les in lesions:
        group = found[les.id]
        assert len(group.findall(f"{NS}circle")) == 1
        assert les.id in tooltip(group)
        assert tooltip(group).startswith("Läsion ")
        labels = [t.text or "" for t in group.iter(f"{NS}text")]
        # the id is written next to the marker (a spinal lesion's with its level)
        assert any(label.split(" ")[0] == les.id for label in labels)


@pytest.mark.parametrize(
    ("lesion_id", "state"),
    [
        ("S-stable", "stable"),
        ("S-indet", "indeterminate"),
        ("S-unstable", "unstable"),
        ("S-open", "not_assessable"),
        ("M-low", "stable"),
        ("M-border", "indeterminate"),
        ("M-high", "unstable"),
        ("M-open", "not_assessable"),
        ("P1", "not_assessable"),
        ("R1", "not_assessable"),
        ("K1", "not_assessable"),
        ("St1", "not_assessable"),
        ("O1", "not_assessable"),
    ],
)
def test_colour_follows_category(lesion_id: str, state: str) -> None:
    lesions = example()
    scores = scored(lesions)
    by_id = {s.lesion: s for s in scores}
    # The example really spans the categories (guards against a change in the scores).
    expected_category = {
        "S-stable": "stable",
        "S-indet": "indeterminate",
        "S-unstable": "unstable",
        "S-open": None,
        "M-low": "low",
        "M-border": "borderline",
        "M-high": "high",
        "M-open": None,
    }
    if lesion_id in expected_category:
        assert by_id[lesion_id].category == expected_category[lesion_id]
    group = markers(parse(body_map_svg(lesions, scores)))[lesion_id]
    assert group.attrib["data-state"] == state
    assert fill(group) == STATE_COLOURS[state]
    if state == "not_assessable":
        assert "nicht beurteilbar" in tooltip(group)
    else:
        words = {"stable": "stabil", "indeterminate": "instabil", "unstable": "instabil"}
        words_mirels = {
            "stable": "niedriges",
            "indeterminate": "grenzwertiges",
            "unstable": "hohes",
        }
        want = words_mirels[state] if lesion_id.startswith("M-") else words[state]
        assert want in tooltip(group)


def test_state_colours_are_distinct_and_traffic_light() -> None:
    def rgb(hex_colour: str) -> tuple[int, int, int]:
        h = hex_colour.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

    r, g, b = rgb(STATE_COLOURS["stable"])
    assert g > r and g > b  # green
    r, g, b = rgb(STATE_COLOURS["unstable"])
    assert r > g and r > b  # red
    r, g, b = rgb(STATE_COLOURS["indeterminate"])
    assert r > b and g > b and r >= g  # amber
    r, g, b = rgb(STATE_COLOURS["not_assessable"])
    assert r == g == b  # grey
    assert len(set(STATE_COLOURS.values())) == 4


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_marker_outline_and_letters_meet_wcag_contrast() -> None:
    lesions = example()
    root = parse(body_map_svg(lesions, scored(lesions)))
    for group in markers(root).values():
        circle = group.find(f"{NS}circle")
        assert circle is not None
        assert _contrast(circle.attrib["stroke"], "#ffffff") >= 4.5
        assert float(circle.attrib["stroke-width"]) >= 1
        # The state letter inside the marker (not colour alone) is readable on its fill.
        letter = next(t for t in group.iter(f"{NS}text") if t.attrib.get("text-anchor") == "middle")
        assert letter.text in {"S", "G", "I", "?"}
        assert _contrast(letter.attrib["fill"], circle.attrib["fill"]) >= 4.5


def test_state_letters_differ_by_state() -> None:
    lesions = example()
    root = parse(body_map_svg(lesions, scored(lesions)))
    letters: dict[str, set[str | None]] = {}
    for group in markers(root).values():
        letter = next(t for t in group.iter(f"{NS}text") if t.attrib.get("text-anchor") == "middle")
        letters.setdefault(group.attrib["data-state"], set()).add(letter.text)
    assert all(len(v) == 1 for v in letters.values())
    assert len({next(iter(v)) for v in letters.values()}) == 4


def test_score_only_counts_for_its_own_region_and_lesion() -> None:
    les = spine("A", "T5", **SINS_UNSTABLE)
    unstable = sins(SinsInput(**{f: getattr(les, f) for f in SINS_FIELDS}), "A")
    assert lesion_state(les, [unstable]) == "unstable"
    # The same result for another lesion id, or a Mirels result, does not colour it.
    other = sins(SinsInput(**{f: getattr(les, f) for f in SINS_FIELDS}), "B")
    assert lesion_state(les, [other]) == "not_assessable"
    wrong = mirels(MirelsInput(bone="femur", segment="diaphyseal", **MIRELS_HIGH), "A")
    assert lesion_state(les, [wrong]) == "not_assessable"
    # A pelvic lesion has no stability score even if a result carries its id.
    pelvis = Lesion(id="A", region="pelvis")
    assert lesion_state(pelvis, [unstable]) == "not_assessable"


def test_undecided_score_is_grey_and_says_so() -> None:
    les = spine("U", "T12", pain="mechanical")
    scores = scored([les])
    assert scores[0].category is None and scores[0].assessable
    group = markers(parse(body_map_svg([les], scores)))["U"]
    assert fill(group) == STATE_COLOURS["not_assessable"]
    assert "nicht entschieden" in tooltip(group)


# --------------------------------------------------------------------------------------------
# Places


def test_spinal_markers_ordered_by_level_top_to_bottom() -> None:
    lesions = [spine(f"x{level}", level) for level in reversed(LEVELS)]
    pos = positions(lesions)
    ys = [pos[f"x{level}"][1] for level in LEVELS]
    assert ys == sorted(ys) and len(set(ys)) == len(LEVELS)  # C1 at the top … S5 at the bottom
    assert pos["xC1"][1] < pos["xL5"][1] < pos["xS5"][1]
    assert list(LEVEL_Y) == list(LEVELS)
    assert all(LEVEL_Y[a] < LEVEL_Y[b] for a, b in itertools.pairwise(LEVELS))
    # Each marker sits at its level (offset sideways only, where neighbours would overlap).
    for level in LEVELS:
        assert pos[f"x{level}"][1] == pytest.approx(LEVEL_Y[level])
        assert abs(pos[f"x{level}"][0] - MIDLINE) < 25


def test_spine_region_order_in_figure() -> None:
    pos = positions(
        [
            Lesion(id="skull", region="skull"),
            spine("c1", "C1"),
            spine("l5", "L5"),
            Lesion(id="hip", region="pelvis", joint="hip", side="right"),
            long_bone("knee", "tibia", segment="epiphyseal", joint="knee", side="right"),
        ]
    )
    ys = [pos[k][1] for k in ("skull", "c1", "l5", "hip", "knee")]
    assert ys == sorted(ys)


@pytest.mark.parametrize("bone", ["femur", "tibia", "fibula", "humerus", "radius", "ulna"])
def test_left_and_right_long_bones_on_opposite_sides(bone: str) -> None:
    pos = positions(
        [
            long_bone("R", bone, side="right", segment="diaphyseal"),
            long_bone("L", bone, side="left", segment="diaphyseal"),
        ]
    )
    # Front view: the patient's right is on the viewer's left.
    assert pos["R"][0] < MIDLINE < pos["L"][0]
    assert pos["R"][0] == pytest.approx(WIDTH - pos["L"][0])
    assert pos["R"][1] == pytest.approx(pos["L"][1])


def test_paired_structures_left_right() -> None:
    pos = positions(
        [
            Lesion(id="rib-r", region="rib", side="right"),
            Lesion(id="rib-l", region="rib", side="left"),
            Lesion(id="si-r", region="pelvis", joint="sacroiliac", side="right"),
            Lesion(id="si-l", region="pelvis", joint="sacroiliac", side="left"),
        ]
    )
    assert pos["rib-r"][0] < MIDLINE < pos["rib-l"][0]
    assert pos["si-r"][0] < MIDLINE < pos["si-l"][0]


def test_unknown_side_drawn_on_the_right_and_said() -> None:
    lesions = [
        long_bone("known", "femur", side="right", segment="diaphyseal"),
        long_bone("unknown", "humerus", segment="diaphyseal"),
        Lesion(id="rib", region="rib"),
    ]
    root = parse(body_map_svg(lesions, scored(lesions)))
    found = markers(root)
    for key in ("unknown", "rib"):
        assert centre(found[key])[0] < MIDLINE
        assert "Seite unbekannt" in tooltip(found[key])
    assert "Seite unbekannt" not in tooltip(found["known"])
    # Same place as an explicit right side.
    right = positions([long_bone("h", "humerus", side="right", segment="diaphyseal")])["h"]
    assert centre(found["unknown"]) == pytest.approx(right)


def test_long_bone_segments_along_the_bone() -> None:
    pos = positions(
        [
            long_bone("epi", "femur", side="right", segment="epiphyseal", joint="hip"),
            long_bone("peri", "femur", side="right", segment="peritrochanteric"),
            long_bone("dia", "femur", side="right", segment="diaphyseal"),
            long_bone("meta-d", "femur", side="right", segment="metaphyseal", joint="knee"),
            long_bone("epi-d", "femur", side="right", segment="epiphyseal", joint="knee"),
        ]
    )
    ys = [pos[k][1] for k in ("epi", "peri", "dia", "meta-d", "epi-d")]
    assert ys == sorted(ys) and len(set(ys)) == 5
    # Unknown segment → mid-bone, the same place as the diaphysis.
    mid = positions([long_bone("none", "femur", side="left")])
    dia = positions([long_bone("dia", "femur", side="left", segment="diaphyseal")])
    assert mid["none"] == pytest.approx(dia["dia"])
    # Epiphyseal without a joint: drawn at the proximal end, and the tooltip says so.
    root = parse(body_map_svg([long_bone("e", "humerus", side="left", segment="epiphyseal")], []))
    group = markers(root)["e"]
    assert centre(group)[1] < dia["dia"][1] - 100
    assert "proximal eingezeichnet" in tooltip(group)


def test_pelvis_places_differ() -> None:
    pos = positions(
        [
            Lesion(id="hip", region="pelvis", joint="hip", side="right"),
            Lesion(id="si", region="pelvis", joint="sacroiliac", side="right"),
            Lesion(id="wing", region="pelvis", side="right"),
        ]
    )
    assert len({pos[k] for k in ("hip", "si", "wing")}) == 3
    assert pos["wing"][1] < pos["hip"][1]  # the iliac wing is above the acetabulum
    assert pos["wing"][0] < pos["si"][0]  # and lateral of the sacroiliac joint


def test_skull_sternum_midline() -> None:
    pos = positions([Lesion(id="k", region="skull"), Lesion(id="st", region="sternum")])
    assert pos["k"][0] == pytest.approx(MIDLINE)
    assert pos["st"][0] == pytest.approx(MIDLINE)
    assert pos["k"][1] < LEVEL_Y["C1"] < pos["st"][1] < LEVEL_Y["L1"]


def test_unplaceable_lesions_go_to_the_side_box() -> None:
    lesions = [
        Lesion(id="o1", region="other"),
        spine("nolevel", None),
        long_bone("nobone", None),
        long_bone("otherbone", "other", side="left"),
    ]
    root = parse(body_map_svg(lesions, scored(lesions)))
    box = next(g for g in root.iter(f"{NS}g") if g.attrib.get("id") == "other-box")
    rect = box.find(f"{NS}rect")
    assert rect is not None
    x0, y0 = float(rect.attrib["x"]), float(rect.attrib["y"])
    x1, y1 = x0 + float(rect.attrib["width"]), y0 + float(rect.attrib["height"])
    found = markers(root)
    assert len(found) == 4
    for group in found.values():
        x, y = centre(group)
        assert x0 < x < x1 and y0 < y < y1
    assert "Höhe nicht angegeben" in tooltip(found["nolevel"])


def test_coincident_lesions_are_offset() -> None:
    lesions = [
        *(long_bone(f"f{i}", "femur", side="left", segment="diaphyseal") for i in range(8)),
        *(spine(f"s{i}", "T4") for i in range(3)),
        *(Lesion(id=f"r{i}", region="rib", side="right") for i in range(3)),
    ]
    root = parse(body_map_svg(lesions, scored(lesions)))
    found = markers(root)
    pts = {k: centre(g) for k, g in found.items()}
    radius = marker_radius(found)
    for (a, pa), (b, pb) in itertools.combinations(pts.items(), 2):
        assert math.dist(pa, pb) >= 2 * radius, (a, b)  # no marker covers another
    # Spinal lesions at one level stay at that level, side by side.
    assert all(pts[f"s{i}"][1] == pytest.approx(LEVEL_Y["T4"]) for i in range(3))
    assert len({pts[f"s{i}"][0] for i in range(3)}) == 3
    # The first lesion keeps the exact place; the others cluster around it.
    alone = positions([long_bone("f0", "femur", side="left", segment="diaphyseal")])["f0"]
    assert pts["f0"] == pytest.approx(alone)
    assert all(math.dist(pts[f"f{i}"], alone) < 30 for i in range(8))


def test_neighbouring_cervical_levels_do_not_overlap() -> None:
    lesions = [spine(f"C{i}", f"C{i}") for i in range(1, 8)]
    found = markers(parse(body_map_svg(lesions, [])))
    pts = [centre(g) for g in found.values()]
    radius = marker_radius(found)
    for pa, pb in itertools.combinations(pts, 2):
        assert math.dist(pa, pb) >= 2 * radius


# --------------------------------------------------------------------------------------------
# Determinism and escaping


def test_deterministic() -> None:
    lesions = example()
    scores = scored(lesions)
    first = body_map_svg(lesions, scores)
    assert body_map_svg(lesions, scores) == first
    assert body_map_svg(list(lesions), list(scored(lesions))) == first
    # Another figure gets other element ids (two maps may share one HTML page).
    other = body_map_svg(lesions[:3], scores)
    assert parse(other).attrib["aria-labelledby"] != parse(first).attrib["aria-labelledby"]


def test_ids_and_title_are_escaped() -> None:
    nasty = "<&\"x'>"
    lesion = Lesion.model_construct(id=nasty, region=Region.skull)
    svg = body_map_svg([lesion], [], title="Fall <1> & 2")
    assert nasty not in svg
    assert "<&" not in svg and "<1>" not in svg
    root = parse(svg)  # still well-formed XML
    found = markers(root)
    assert list(found) == [nasty]  # the attribute round-trips
    assert nasty in tooltip(found[nasty])
    title = root.find(f"{NS}title")
    assert title is not None and title.text == "Fall <1> & 2"


def test_long_ids_are_shortened_in_the_label_only() -> None:
    long_id = "a" * 40
    group = markers(parse(body_map_svg([Lesion(id=long_id, region="sternum")], [])))[long_id]
    labels = [t.text or "" for t in group.iter(f"{NS}text")]
    assert any(lbl.endswith("…") and len(lbl) < 20 for lbl in labels)
    assert long_id in tooltip(group)


def _label(svg: str, lesion_id: str) -> str:
    group = markers(parse(svg))[lesion_id]
    return [t.text or "" for t in group.iter(f"{NS}text")][-1]  # after the marker's letter


def _all_text(svg: str) -> str:
    return " ".join(t.text or "" for t in parse(svg).iter(f"{NS}text"))


def test_spinal_label_names_the_level_so_an_id_is_not_read_as_one() -> None:
    lesion = Lesion(id="L1", region=Region.spine, level="L2")
    label = _label(body_map_svg([lesion], []), "L1")
    assert label.startswith("L1 ") and "(LWK 2)" in label
    # Placed at L2, not at L1.
    y = float(markers(parse(body_map_svg([lesion], [])))["L1"].find(f"{NS}circle").attrib["cy"])
    assert abs(y - LEVEL_Y["L2"]) < abs(y - LEVEL_Y["L1"])


def test_unknown_side_is_said_in_the_figure_itself() -> None:
    known = Lesion(id="F1", region=Region.long_bone, bone=LongBone.femur, side=Side.left)
    unknown = Lesion(id="F2", region=Region.long_bone, bone=LongBone.femur)
    assert "Seite unbekannt" not in _all_text(body_map_svg([known], []))
    text = _all_text(body_map_svg([known, unknown], []))
    assert "Seite unbekannt (rechts eingezeichnet): F2" in text


def test_fracture_and_cord_compression_are_marked() -> None:
    fracture = Lesion(
        id="F1",
        region=Region.long_bone,
        bone=LongBone.femur,
        side=Side.left,
        pathologic_fracture=True,
    )
    mscc = Lesion(id="T8", region=Region.spine, level="T8", escc_grade=EsccGrade.g2)
    low = Lesion(id="T9", region=Region.spine, level="T9", escc_grade=EsccGrade.g1c)
    svg = body_map_svg([fracture, mscc, low], [])
    assert _label(svg, "F1").endswith(" F")
    assert _label(svg, "T8").endswith(" K")
    assert not _label(svg, "T9").endswith(("K", "F"))
    text = _all_text(svg)
    assert "F = pathologische Fraktur" in text
    assert "K = Myelonkompression (Bilsky 2–3)" in text
    assert "Myelonkompression" not in _all_text(body_map_svg([low], []))


def test_every_arc_has_valid_flags_on_both_sides() -> None:
    """An arc's large-arc and sweep flags are 0 or 1 on the mirrored (left) side too, and
    the mirrored arc turns the other way (a browser drops an arc with a bad flag)."""
    lesions = example()
    root = parse(body_map_svg(lesions, scored(lesions)))
    arcs = []
    for el in root.iter(f"{NS}path"):
        for match in re.finditer(r"A([^A-Za-z]+)", el.attrib.get("d", "")):
            numbers = match.group(1).split()
            assert len(numbers) % 7 == 0, el.attrib["d"]
            for i in range(0, len(numbers), 7):
                large, sweep, x, y = numbers[i + 3 : i + 7]
                assert large in ("0", "1") and sweep in ("0", "1"), el.attrib["d"]
                arcs.append((float(y), sweep, float(x)))
    # The acetabulum is drawn on both sides: same height, opposite sweep.
    by_height: dict[float, set[str]] = {}
    for y, sweep, _ in arcs:
        by_height.setdefault(y, set()).add(sweep)
    assert any(sweeps == {"0", "1"} for sweeps in by_height.values())
