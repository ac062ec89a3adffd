"""A hypothesis strategy for valid, varied cases (pseudonyms only), shared by property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from osteoboard.case import PrimarySite

LEVELS = (
    [f"C{i}" for i in range(1, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + [f"S{i}" for i in range(1, 6)]
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@st.composite
def spine_lesion(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    return _drop_none(
        {
            "id": ident,
            "region": "spine",
            "level": draw(maybe(st.sampled_from(LEVELS))),
            "type": draw(maybe(st.sampled_from(["lytic", "mixed", "blastic"]))),
            "pain": draw(maybe(st.sampled_from(["mechanical", "non_mechanical", "none"]))),
            "pain_vas": draw(maybe(st.integers(0, 10))),
            "alignment": draw(
                maybe(st.sampled_from(["normal", "de_novo_deformity", "subluxation_translation"]))
            ),
            "collapse": draw(
                maybe(st.sampled_from(["none", "body_involved_gt_50", "lt_50", "gt_50"]))
            ),
            "posterolateral": draw(maybe(st.sampled_from(["none", "unilateral", "bilateral"]))),
            "escc_grade": draw(maybe(st.sampled_from(["0", "1a", "1b", "1c", "2", "3"]))),
            "size_cm": draw(maybe(st.sampled_from([0.8, 1.5, 2.0, 3.5]))),
            "pathologic_fracture": draw(maybe(st.booleans())),
            "previously_irradiated": draw(maybe(st.booleans())),
            "symptomatic": draw(maybe(st.booleans())),
        }
    )


@st.composite
def long_bone_lesion(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    bone = draw(maybe(st.sampled_from(["femur", "tibia", "humerus", "radius", "ulna", "fibula"])))
    segments = ["epiphyseal", "metaphyseal", "diaphyseal"] + (
        ["peritrochanteric"] if bone in (None, "femur") else []
    )
    return _drop_none(
        {
            "id": ident,
            "region": "long_bone",
            "bone": bone,
            "segment": draw(maybe(st.sampled_from(segments))),
            "type": draw(maybe(st.sampled_from(["lytic", "mixed", "blastic"]))),
            "mirels_pain": draw(maybe(st.sampled_from(["mild", "moderate", "functional"]))),
            "cortical_involvement": draw(
                maybe(st.sampled_from(["lt_one_third", "one_to_two_thirds", "gt_two_thirds"]))
            ),
            "size_cm": draw(maybe(st.sampled_from([1.0, 2.5, 4.0]))),
            "pathologic_fracture": draw(maybe(st.booleans())),
            "previously_irradiated": draw(maybe(st.booleans())),
            "symptomatic": draw(maybe(st.booleans())),
        }
    )


@st.composite
def other_lesion(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    region = draw(st.sampled_from(["pelvis", "rib", "skull", "sternum", "other"]))
    joint = draw(maybe(st.sampled_from(["hip", "shoulder", "sacroiliac", "knee", "none"])))
    return _drop_none(
        {
            "id": ident,
            "region": region,
            "joint": joint,
            "type": draw(maybe(st.sampled_from(["lytic", "mixed", "blastic"]))),
            "size_cm": draw(maybe(st.sampled_from([1.0, 2.5]))),
            "symptomatic": draw(maybe(st.booleans())),
            "previously_irradiated": draw(maybe(st.booleans())),
        }
    )


@st.composite
def unplaced_lesion(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    """A lesion whose region the referral does not state: only region-free fields."""
    return _drop_none(
        {
            "id": ident,
            "side": draw(maybe(st.sampled_from(["left", "right", "midline"]))),
            "joint": draw(maybe(st.sampled_from(["hip", "shoulder", "none"]))),
            "type": draw(maybe(st.sampled_from(["lytic", "mixed", "blastic"]))),
            "pain_vas": draw(maybe(st.integers(0, 10))),
            "size_cm": draw(maybe(st.sampled_from([1.0, 2.5]))),
            "pathologic_fracture": draw(maybe(st.booleans())),
            "previously_irradiated": draw(maybe(st.booleans())),
            "symptomatic": draw(maybe(st.booleans())),
        }
    )


@st.composite
def lesion_lists(
    draw: st.DrawFn, spine: int = 3, long_bone: int = 2, other: int = 1, unplaced: int = 1
) -> list[dict[str, Any]]:
    """Up to ``spine`` spinal, ``long_bone`` long-bone and ``other`` other lesions, and
    ``unplaced`` lesions whose region is not stated."""
    n_spine = draw(st.integers(0, spine))
    n_long = draw(st.integers(0, long_bone))
    n_other = draw(st.integers(0, other))
    n_unplaced = draw(st.integers(0, unplaced))
    return (
        [draw(spine_lesion(f"S{i}")) for i in range(n_spine)]
        + [draw(long_bone_lesion(f"B{i}")) for i in range(n_long)]
        + [draw(other_lesion(f"O{i}")) for i in range(n_other)]
        + [draw(unplaced_lesion(f"U{i}")) for i in range(n_unplaced)]
    )


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    site = draw(maybe(st.sampled_from([s.value for s in PrimarySite])))
    primary: dict[str, Any] = {"site": site, "controlled": draw(maybe(st.booleans()))}
    if site == "breast":
        primary["hormone_receptor"] = draw(maybe(st.sampled_from(["positive", "negative"])))
        primary["her2"] = draw(maybe(st.sampled_from(["positive", "negative"])))
    if site == "prostate":
        primary["castration_status"] = draw(maybe(st.sampled_from(["sensitive", "resistant"])))
        primary["psma_positive"] = draw(maybe(st.booleans()))
    if site in ("lung_nsclc", "lung_sclc"):
        primary["targetable_driver"] = draw(maybe(st.booleans()))
    if site == "neuroendocrine":
        primary["sstr_positive"] = draw(maybe(st.booleans()))
        primary["neuroendocrine_grade"] = draw(maybe(st.sampled_from(["g1", "g2", "g3"])))
        primary["neuroendocrine_origin"] = draw(
            maybe(st.sampled_from(["gastroenteropancreatic", "lung", "other"]))
        )
    if site == "thyroid":
        primary["rai_avid"] = draw(maybe(st.booleans()))
    visceral_present = draw(maybe(st.booleans()))
    visceral: dict[str, Any] = {"present": visceral_present}
    if visceral_present:
        visceral["pattern"] = draw(maybe(st.sampled_from(["nodular", "disseminated"])))
        visceral["count"] = draw(maybe(st.integers(1, 8)))
    lesions = draw(lesion_lists())
    case = {
        "id": "prop-" + str(draw(st.integers(0, 9999))),
        "board_date": "2026-11-20",
        "patient": _drop_none(
            {
                "age": draw(maybe(st.integers(30, 90))),
                "sex": draw(maybe(st.sampled_from(["female", "male"]))),
                "weight_kg": draw(maybe(st.sampled_from([50, 70, 95]))),
                "ecog": draw(maybe(st.integers(0, 4))),
                "fit_for_surgery": draw(maybe(st.booleans())),
                "dental_exam_done": draw(maybe(st.booleans())),
                "invasive_dental_procedure_planned": draw(maybe(st.booleans())),
                "hypercalcemia_symptoms": draw(maybe(st.booleans())),
                "on_dialysis": draw(maybe(st.booleans())),
                "life_expectancy_months": draw(maybe(st.sampled_from([2, 5, 9, 24]))),
            }
        ),
        "primary": _drop_none(primary),
        "visceral_metastases": _drop_none(visceral),
        "bone_metastases": _drop_none(
            {
                "vertebral_count": draw(maybe(st.integers(0, 6))),
                "extraspinal_count": draw(maybe(st.integers(0, 6))),
                "extensive_marrow_involvement": draw(maybe(st.booleans())),
            }
        ),
        "prior_therapy": _drop_none(
            {
                "chemotherapy": draw(maybe(st.booleans())),
                "systemic_lines_mcrpc": draw(maybe(st.integers(0, 3)))
                if site == "prostate"
                else None,
                "abiraterone_current": draw(maybe(st.booleans())),
                "arpi_received": draw(maybe(st.booleans())),
                "taxane_received": draw(maybe(st.booleans())),
                "bone_modifying_agent": draw(
                    maybe(
                        st.sampled_from(
                            ["none", "zoledronic_acid", "ibandronate", "pamidronate", "denosumab"]
                        )
                    )
                ),
                "denosumab_stopped_recently": draw(maybe(st.booleans())),
                "nsaid_current": draw(maybe(st.booleans())),
                "planned_therapies": draw(
                    st.lists(
                        st.sampled_from(["tanezumab", "strontium-89", "pembrolizumab"]), max_size=1
                    )
                ),
            }
        ),
        "labs": _drop_none(
            {
                "calcium_mmol_l": draw(maybe(st.sampled_from([2.0, 2.4, 2.75, 3.1, 3.6]))),
                "albumin_g_l": draw(maybe(st.sampled_from([30, 38, 44]))),
                "creatinine_umol_l": draw(maybe(st.sampled_from([60, 110, 160, 250, 420]))),
                "ldh_u_l": draw(maybe(st.sampled_from([180, 300]))),
                "crp_mg_l": draw(maybe(st.sampled_from([2, 10]))),
                "platelets_10e9_l": draw(maybe(st.sampled_from([80, 200]))),
                "bilirubin_umol_l": draw(maybe(st.sampled_from([8, 30]))),
                "hemoglobin_g_dl": draw(maybe(st.sampled_from([9.5, 12.5]))),
                "neutrophils_10e9_l": draw(maybe(st.sampled_from([1.2, 3.0]))),
            }
        ),
        "neurology": _drop_none(
            {
                "frankel": draw(maybe(st.sampled_from(["A", "B", "C", "D", "E"]))),
                "new_deficit": draw(maybe(st.booleans())),
                "deficit_onset_hours": draw(maybe(st.sampled_from([10, 30, 72]))),
                "radicular_pain": draw(maybe(st.booleans())),
                "mscc_suspected": draw(maybe(st.booleans())),
                "whole_spine_mri_done": draw(maybe(st.booleans())),
            }
        ),
        "lesions": lesions,
    }
    return case
