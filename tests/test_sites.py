"""The primary-site table against SPEC §2.3 (Tokuhashi), §2.6 (Katagiri) and §2.9."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from osteoboard.case import PrimarySite as P
from osteoboard.caseio import parse_case
from osteoboard.facts import case_facts
from osteoboard.guideline import KnowledgeError, load_knowledge_base
from osteoboard.prognosis import derive_prognosis
from osteoboard.scores import compute_all
from osteoboard.sites import SITES, KatagiriGrowth, Radiosensitivity, read_site_table, site_info
from tests.kb_copies import edited_copy, load_error

# SPEC §2.3, primary-site row of the revised Tokuhashi score, for every site it names.
TOKUHASHI_LISTED = {
    P.lung_nsclc: 0,
    P.lung_sclc: 0,
    P.osteosarcoma: 0,
    P.stomach: 0,
    P.bladder: 0,
    P.oesophagus: 0,
    P.pancreas: 0,
    P.liver: 1,
    P.gallbladder: 1,
    P.unknown: 1,
    P.kidney: 3,
    P.uterus: 3,
    P.rectum: 4,
    P.thyroid: 5,
    P.breast: 5,
    P.prostate: 5,
    P.neuroendocrine: 5,  # carcinoid
}

# SPEC §2.9, radiosensitivity (laufer2013).
RADIOSENSITIVE = {
    P.lymphoma,
    P.myeloma,
    P.germ_cell,
    P.breast,
    P.prostate,
    P.ovary,
    P.neuroendocrine,
    P.lung_sclc,
}  # germ_cell = seminoma
RADIORESISTANT = {
    P.kidney,
    P.thyroid,
    P.liver,
    P.colon,
    P.rectum,
    P.lung_nsclc,
    P.sarcoma,
    P.osteosarcoma,
    P.melanoma,
    P.stomach,
    P.oesophagus,
    P.pancreas,
    P.gallbladder,
}

# SPEC §2.6, new Katagiri primary-tumour classes.
K = KatagiriGrowth
KATAGIRI = {
    P.breast: K.breast,
    P.prostate: K.prostate,  # hormone-dependent slow, else moderate
    P.lung_nsclc: K.lung,
    P.lung_sclc: K.rapid,  # no driver to target (NSCLC: targeted therapy moderate)
    P.thyroid: K.slow,
    P.myeloma: K.slow,
    P.lymphoma: K.slow,
    P.kidney: K.moderate,
    P.uterus: K.moderate,
    P.ovary: K.moderate,
    P.sarcoma: K.moderate,
    P.osteosarcoma: K.moderate,
    P.colon: K.rapid,
    P.rectum: K.rapid,
    P.stomach: K.rapid,
    P.pancreas: K.rapid,
    P.head_neck: K.rapid,
    P.oesophagus: K.rapid,
    P.bladder: K.rapid,
    P.melanoma: K.rapid,
    P.liver: K.rapid,
    P.gallbladder: K.rapid,
    P.cervix: K.rapid,
    P.unknown: K.rapid,
}


def test_every_site_has_exactly_one_row() -> None:
    assert set(SITES) == set(P)
    assert len(SITES) == len(P)
    for site, row in SITES.items():
        assert row.site is site
        assert site_info(site) is row


@pytest.mark.parametrize(("site", "points"), list(TOKUHASHI_LISTED.items()))
def test_tokuhashi_listed_sites(site: P, points: int) -> None:
    assert SITES[site].tokuhashi_points == points


def test_tokuhashi_others_score_two_unless_an_assumption_is_stated() -> None:
    for site, row in SITES.items():
        if site in TOKUHASHI_LISTED:
            continue
        if "tokuhashi" in row.notes:
            continue  # e.g. cervix counted as uterus: documented assumption
        assert row.tokuhashi_points == 2, site


def test_tokuhashi_assumptions_are_documented() -> None:
    assert SITES[P.cervix].tokuhashi_points == 3
    assert "tokuhashi" in SITES[P.cervix].notes
    assert "tokuhashi" in SITES[P.neuroendocrine].notes


def test_radiosensitivity() -> None:
    for site, row in SITES.items():
        if site in RADIOSENSITIVE:
            assert row.radiosensitivity is Radiosensitivity.sensitive, site
        elif site in RADIORESISTANT:
            assert row.radiosensitivity is Radiosensitivity.resistant, site
        else:
            assert row.radiosensitivity is Radiosensitivity.unclassified, site


@pytest.mark.parametrize(("site", "growth"), list(KATAGIRI.items()))
def test_katagiri_listed_sites(site: P, growth: KatagiriGrowth) -> None:
    assert SITES[site].katagiri_growth is growth


def test_katagiri_others_are_moderate_with_a_note_or_other() -> None:
    for site, row in SITES.items():
        if site in KATAGIRI:
            continue
        assert row.katagiri_growth is K.moderate, site


def test_lung_flag_and_bauer_favourable() -> None:
    assert {s for s, r in SITES.items() if r.lung} == {P.lung_nsclc, P.lung_sclc}
    # SPEC §2.5: favourable = breast, kidney, lymphoma, multiple myeloma.
    assert {s for s, r in SITES.items() if r.bauer_favourable} == {
        P.breast,
        P.kidney,
        P.lymphoma,
        P.myeloma,
    }


def test_haematological_sites_are_not_solid_tumours() -> None:
    assert {s for s, r in SITES.items() if not r.solid_tumour} == {P.myeloma, P.lymphoma}


def test_highly_radiosensitive_sites_are_a_rule_constant() -> None:
    """Rules read the list as kb.highly_radiosensitive_sites; it is kept in sites.yaml."""
    kb = load_knowledge_base()
    listed = {s.value for s, r in SITES.items() if r.highly_radiosensitive}
    assert listed == {"myeloma", "lymphoma", "germ_cell"}
    assert set(kb.constants["highly_radiosensitive_sites"]) == listed
    assert kb.sites.rows == dict(SITES)


def test_hypervascular_sites() -> None:
    """Renal cell, thyroid and hepatocellular carcinoma and neuroendocrine tumours (sources in
    sites.yaml); melanoma and myeloma are not listed."""
    listed = {s for s, r in SITES.items() if r.hypervascular}
    assert listed == {P.kidney, P.thyroid, P.liver, P.neuroendocrine}


@pytest.mark.parametrize(
    ("sarcoma", "expected"),
    [
        ({"subtype": "extraskeletal_ewing"}, "sensitive"),
        ({"subtype": "rhabdomyosarcoma_embryonal"}, "sensitive"),
        ({"subtype": "rhabdomyosarcoma_alveolar"}, "sensitive"),
        ({"subtype": "rhabdomyosarcoma_pleomorphic"}, "resistant"),
        ({"subtype": "leiomyosarcoma"}, "resistant"),
        ({"subtype": "liposarcoma_myxoid"}, "sensitive"),
        ({"subtype": "liposarcoma_dedifferentiated"}, "resistant"),
        ({}, "resistant"),
    ],
)
def test_radiosensitivity_of_sarcoma_by_subtype(sarcoma: dict[str, Any], expected: str) -> None:
    """Ewing sarcoma, embryonal/alveolar rhabdomyosarcoma and myxoid liposarcoma (Chung 2009)
    are radiosensitive; the other adult-type soft-tissue sarcomas, and a sarcoma whose subtype
    is not given, stay radioresistant."""
    case = parse_case({"id": "s", "primary": {"site": "sarcoma"}, "sarcoma": sarcoma})
    scores = compute_all(case)
    fs = case_facts(case, scores, derive_prognosis(None, scores))
    assert fs.values["primary.radiosensitivity"] == expected


@pytest.mark.parametrize(
    ("sarcoma", "expected", "missing"),
    [
        ({"subtype": "solitary_fibrous_tumor"}, True, None),
        ({"subtype": "angiosarcoma"}, True, None),
        ({"subtype": "leiomyosarcoma"}, False, None),
        ({}, None, ["sarcoma.subtype"]),
        (None, None, ["sarcoma.subtype"]),
    ],
)
def test_hypervascular_sarcoma_by_subtype(
    sarcoma: dict[str, Any] | None, expected: bool | None, missing: list[str] | None
) -> None:
    data: dict[str, Any] = {"id": "s", "primary": {"site": "sarcoma"}}
    if sarcoma is not None:
        data["sarcoma"] = sarcoma
    case = parse_case(data)
    scores = compute_all(case)
    fs = case_facts(case, scores, derive_prognosis(None, scores))
    assert fs.values["primary.hypervascular"] is expected
    if missing is not None:
        assert fs.missing["primary.hypervascular"] == missing


# --- the linter -------------------------------------------------------------------------------


def _lint(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    kb_dir = edited_copy(tmp_path, "sites.yaml", change)
    message = load_error(kb_dir)
    if "source key" not in message and "reserved" not in message:
        # Everything but the bibliography and the other constants is checked by the table
        # alone too (the scores read it without the whole knowledge base).
        with pytest.raises(KnowledgeError) as alone:
            read_site_table(kb_dir)
        assert str(alone.value) == message
    return message


def _props(data: dict[str, Any]) -> dict[str, Any]:
    return data["properties"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: _props(d)["hypervascular"]["sites"].append("kidneys"),
            "sites.yaml: properties.hypervascular.sites: 'kidneys' is not a primary site",
        ),
        (
            lambda d: _props(d)["hypervascular"]["sites"].append("kidney"),
            "sites.yaml: properties.hypervascular.sites: kidney listed twice",
        ),
        (
            lambda d: _props(d)["tokuhashi_points"]["values"][5].append("kidney"),
            "sites.yaml: properties.tokuhashi_points.values: kidney has two values (3 and 5)",
        ),
        (
            lambda d: _props(d)["tokuhashi_points"]["values"][4].remove("rectum"),
            "sites.yaml: properties.tokuhashi_points: no value for rectum",
        ),
        (
            lambda d: _props(d)["tokuhashi_points"]["values"].update({6: ["rectum"]}),
            "sites.yaml: properties.tokuhashi_points.values: 6 is not a value of this property",
        ),
        (
            lambda d: _props(d)["radiosensitivity"]["values"].update(
                {"very_sensitive": _props(d)["radiosensitivity"]["values"].pop("sensitive")}
            ),
            "sites.yaml: properties.radiosensitivity.values: 'very_sensitive' is not a value",
        ),
        (
            lambda d: _props(d).update(vascular=_props(d).pop("hypervascular")),
            "sites.yaml: properties.vascular: unknown property",
        ),
        (
            lambda d: _props(d).pop("haematological"),
            "sites.yaml: properties: haematological missing",
        ),
        (
            lambda d: _props(d)["highly_radiosensitive"]["sites"].append("kidney"),
            "sites.yaml: properties.highly_radiosensitive: kidney is not listed as radiosensitive",
        ),
        (
            lambda d: d["notes"]["cervix"].update(bauer={"de": "x", "en": "x"}),
            "sites.yaml: notes.cervix.bauer: not a score with a site table",
        ),
        (
            lambda d: _props(d)["lung"].update(values={True: ["lung_nsclc"]}, sites=None),
            "sites.yaml: properties.lung: give `sites:`",
        ),
        (
            lambda d: _props(d)["hypervascular"]["sarcoma_subtypes"].append("leiomyosarcom"),
            "sites.yaml: properties.hypervascular.sarcoma_subtypes: 'leiomyosarcom' is not a "
            "sarcoma subtype",
        ),
        (
            lambda d: _props(d)["hypervascular"]["sites"].append("sarcoma"),
            "sites.yaml: properties.hypervascular.sarcoma_subtypes: sarcoma is listed as a whole",
        ),
        (
            lambda d: _props(d)["radiosensitivity"].update(sarcoma_subtypes=["angiosarcoma"]),
            "sites.yaml: properties.radiosensitivity: only a list of sites can be a constant or "
            "name sarcoma subtypes",
        ),
        (
            lambda d: _props(d)["radiosensitivity"]["sarcoma_subtype_values"]["sensitive"].append(
                "ewing_of_bone"
            ),
            "sites.yaml: properties.radiosensitivity.sarcoma_subtype_values.sensitive: "
            "'ewing_of_bone' is not a sarcoma subtype",
        ),
        (
            lambda d: _props(d)["radiosensitivity"]["sarcoma_subtype_values"].update(
                resistant=["extraskeletal_ewing"]
            ),
            "sites.yaml: properties.radiosensitivity.sarcoma_subtype_values: extraskeletal_ewing "
            "has two values (sensitive and resistant)",
        ),
        (
            lambda d: _props(d)["radiosensitivity"]["sarcoma_subtype_values"].update(
                highly=["dsrct"]
            ),
            "sites.yaml: properties.radiosensitivity.sarcoma_subtype_values: 'highly' is not a "
            "value of this property",
        ),
        (
            lambda d: _props(d)["hypervascular"].update(sarcoma_subtype_values={"x": ["dsrct"]}),
            "sites.yaml: properties.hypervascular: only a property with one value per site names "
            "sarcoma subtype values",
        ),
        (
            lambda d: _props(d)["hypervascular"].update(sources=["nair2031"]),
            "sites.yaml: properties.hypervascular: unknown source key 'nair2031'",
        ),
        (
            lambda d: _props(d)["hypervascular"].update(constant="not_approved_therapies"),
            "sites.yaml: constant 'not_approved_therapies' is reserved",
        ),
    ],
    ids=[
        "unknown-site",
        "twice",
        "two-values",
        "no-value",
        "bad-value",
        "bad-enum-value",
        "unknown-property",
        "missing-property",
        "highly-not-sensitive",
        "note-score",
        "kind",
        "subtype",
        "subtype-and-site",
        "subtype-on-values",
        "subtype-value-unknown-subtype",
        "subtype-value-twice",
        "subtype-value-bad-value",
        "subtype-values-on-flag",
        "source",
        "reserved-constant",
    ],
)
def test_lint_names_the_entry(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    message = _lint(tmp_path, change)
    assert message.startswith(expected), message


def test_small_cell_lung_cancer_is_not_asked_for_a_driver() -> None:
    """Small-cell lung cancer has no driver to target: its Katagiri growth is rapid and no
    question or missing field asks for one (the scores and the prognosis band are decided
    without it)."""
    from osteoboard.caseio import parse_case
    from osteoboard.engine import evaluate

    doc = {
        "id": "sclc-driver",
        "board_date": "2026-11-20",
        "patient": {"age": 64, "sex": "male", "ecog": 1},
        "primary": {"site": "lung_sclc"},
        "lesions": [{"id": "T6", "region": "spine", "level": "T6", "type": "lytic"}],
    }
    p = evaluate(parse_case(doc))
    assert all(m.field != "primary.targetable_driver" for m in p.missing_data)
    katagiri = next(s for s in p.scores if s.name == "katagiri_new")
    growth = next(i for i in katagiri.items if i.name == "growth")
    assert growth.points == 3
