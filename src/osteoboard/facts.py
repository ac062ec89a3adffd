"""The fact catalogue and the derivation of facts from a case and its scores.

Rules see facts only. Every fact is declared once in :data:`CATALOGUE` (name, type, unit,
meaning); loading the knowledge base fails on a name that is not declared here.

A fact is ``None`` when it is unknown. For each unknown fact the derivation also records its
*domain* (the values it could still take: both booleans, the enumeration, the categories a
score's range still spans, or for a number the interval it lies in) and the case paths whose
absence makes it unknown. The engine uses the domain to decide whether an unknown fact could
change a rule's outcome, and the paths to report ``missing_data``. Facts with a "not
documented means absent" policy are completed by the engine from the knowledge base.

Case facts live in namespaces (``patient.ecog``, ``labs.crcl_ml_min`` …); per-lesion facts in
the ``lesion`` namespace, evaluated once for every lesion.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from osteoboard.case import (
    MYELOMA_PRECURSOR_STAGES,
    SPINE_LEVELS,
    BoneModifyingAgent,
    BoneModifyingAgentDose,
    CardiacDevice,
    Case,
    Collapse,
    CrabFeature,
    DeficitLevel,
    EsccGrade,
    Frankel,
    Lesion,
    LesionType,
    MirelsPain,
    MyelomaDrug,
    MyelomaStage,
    Operation,
    OtherBone,
    PositiveNegative,
    Posterolateral,
    PrimarySite,
    Region,
    SarcomaSubtype,
    SpinalPain,
    Treatment,
)
from osteoboard.performance import conflicting, ecog_range_from_karnofsky
from osteoboard.prognosis import TEAM_ESTIMATE, Prognosis
from osteoboard.scores.base import ScoreResult
from osteoboard.scores.calcium import (
    HYPERCALCEMIA_ABOVE,
    HYPOCALCEMIA_BELOW,
    REFERENCE_ALBUMIN_G_L,
    corrected_calcium_mmol_l,
)
from osteoboard.sites import KatagiriGrowth, SiteTable
from osteoboard.units import calcium_mg_dl_to_mmol_l, calcium_mmol_l_to_mg_dl

if TYPE_CHECKING:
    from osteoboard.guideline import KnowledgeBase

__all__ = [
    "CATALOGUE",
    "DERIVATION_CONSTANTS",
    "Fact",
    "FactSet",
    "FactType",
    "case_facts",
    "catalogue_by_name",
    "lesion_facts",
]

FactType = Literal["bool", "int", "float", "string", "enum", "list"]
#: Drug classes that change a procedure (therapies.yaml ``drug_class``), each with the facts
#: ``medication.<class>`` and ``medication.<class>_names``.
DrugClass = Literal[
    "anticoagulant",
    "antiplatelet",
    "antiangiogenic",
    "braf_mek",
    "nsaid",
    "myeloma_drug",
    "cdk46_inhibitor",
    "mtor_inhibitor",
    "oral_bisphosphonate",
    "corticosteroid",
]
DRUG_CLASSES: tuple[str, ...] = get_args(DrugClass)
Scope = Literal["case", "lesion"]
Value = bool | int | float | str | list[str] | None


@dataclass(frozen=True)
class Fact:
    name: str
    type: FactType
    meaning: str
    unit: str | None = None
    values: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        return "lesion" if self.name.startswith("lesion.") else "case"

    def default_domain(self) -> list[Value]:
        if self.type == "bool":
            # Absence first: the first completion found to make a rule true then relies on
            # the documented findings rather than on an assumed one.
            return [False, True]
        if self.type == "enum":
            return list(self.values)
        return []  # numbers: test points from the knowledge base's thresholds (engine)


def _e(enum: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(getattr(m, "value", m)) for m in enum)


_BANDS = ("short", "intermediate", "long")
_SINS = ("stable", "indeterminate", "unstable")
_MIRELS = ("low", "borderline", "high")
_CALCIUM = ("hypocalcemia", "normal", "mild", "moderate", "severe")

CATALOGUE: tuple[Fact, ...] = (
    # -- patient --
    Fact("patient.age", "int", "Age", "years"),
    Fact("patient.sex", "enum", "Sex", values=("female", "male")),
    Fact("patient.weight_kg", "float", "Actual body weight", "kg"),
    Fact(
        "patient.childbearing_age",
        "bool",
        "Age within the years in which a pregnancy is reckoned with (at most "
        "kb.childbearing_age_max)",
    ),
    Fact(
        "patient.ecog",
        "int",
        "ECOG performance status (from Karnofsky via the common table "
        "when only Karnofsky is known)",
    ),
    Fact("patient.ecog_0_1", "bool", "ECOG 0–1 (or Karnofsky ≥ 70)"),
    Fact("patient.ecog_known", "bool", "ECOG or Karnofsky documented"),
    Fact(
        "patient.performance_status_conflict",
        "bool",
        "ECOG and Karnofsky both documented and at least two ECOG grades apart",
    ),
    Fact("patient.fit_for_surgery", "bool", "Operable as judged by surgery/anaesthesia"),
    Fact(
        "patient.unfit_documented",
        "bool",
        "Documented as not fit for surgery (false while not documented)",
    ),
    Fact("patient.dental_exam_done", "bool", "Dental examination done before BMA"),
    Fact(
        "patient.dental_exam_documented",
        "bool",
        "A dental examination is documented (false when not documented or unknown)",
    ),
    Fact(
        "patient.invasive_dental_procedure_planned",
        "bool",
        "Invasive dental procedure (extraction, implant) planned",
    ),
    Fact("patient.hypercalcemia_symptoms", "bool", "Symptoms of hypercalcaemia"),
    Fact(
        "patient.hypercalcemia_symptoms_documented",
        "bool",
        "Symptoms of hypercalcaemia are documented as present",
    ),
    Fact("patient.hypocalcemia_symptoms", "bool", "Symptoms or signs of hypocalcaemia"),
    Fact("patient.on_dialysis", "bool", "On dialysis"),
    Fact("patient.pregnant", "bool", "Pregnant"),
    Fact(
        "patient.pregnancy_documented",
        "bool",
        "Whether the patient is pregnant is documented, either way (false when not documented)",
    ),
    Fact(
        "patient.pregnancy_status",
        "bool",
        "Pregnant as documented, with nothing assumed: unknown while the case does not say "
        "(patient.pregnant reads that as not pregnant)",
    ),
    Fact("patient.breastfeeding", "bool", "Breast-feeding"),
    Fact(
        "patient.fetal_dose_acceptable",
        "bool",
        "Pregnancy: the estimated fetal dose of radiotherapy is acceptable (does not apply, "
        "and has nothing to try, unless pregnant)",
    ),
    Fact(
        "patient.jaw_osteonecrosis",
        "bool",
        "Established osteonecrosis of the jaw (also when only its stage is given)",
    ),
    Fact("patient.jaw_osteonecrosis_stage", "int", "Stage of the jaw osteonecrosis (AAOMS 1–3)"),
    Fact(
        "patient.cardiac_device",
        "enum",
        "Cardiac implantable electronic device (none, pacemaker, ICD, CRT-P, CRT-D)",
        values=_e(CardiacDevice),
    ),
    Fact(
        "patient.cardiac_device_documented",
        "bool",
        "A cardiac implantable electronic device is documented (false when none is documented "
        "or the field is left out)",
    ),
    Fact(
        "patient.cardiac_device_mr_conditional",
        "bool",
        "The implanted cardiac system is MR-conditional (nothing to try without a documented "
        "device)",
    ),
    Fact(
        "patient.cardiac_device_mr_conditional_documented",
        "bool",
        "A cardiac device is documented as MR-conditional (false when it is not, or when that "
        "is not documented)",
    ),
    Fact("patient.mri_contraindicated", "bool", "MRI is contraindicated"),
    Fact(
        "patient.mri_contraindication_documented",
        "bool",
        "An MRI contraindication is documented (false when MRI is documented possible or "
        "nothing is documented)",
    ),
    Fact("patient.mri_contraindication_reason", "string", "Why MRI is contraindicated"),
    # Informed refusal: true when the treatment is in patient.declines; otherwise unknown,
    # which the knowledge base reads as not declined (facts.yaml).
    Fact("patient.declines_surgery", "bool", "Declines surgery after being informed"),
    Fact("patient.declines_radiotherapy", "bool", "Declines radiotherapy after being informed"),
    Fact(
        "patient.declines_bone_modifying_agent",
        "bool",
        "Declines a bone-modifying agent (bisphosphonate, denosumab) after being informed",
    ),
    Fact(
        "patient.declines_systemic_therapy",
        "bool",
        "Declines systemic (drug) therapy of the cancer after being informed",
    ),
    # -- primary tumour --
    Fact("primary.site", "enum", "Primary site", values=_e(PrimarySite)),
    Fact("primary.hormone_receptor_positive", "bool", "Breast: hormone-receptor positive"),
    Fact("primary.her2_positive", "bool", "Breast: HER2 positive"),
    Fact("primary.castration_resistant", "bool", "Prostate: castration-resistant"),
    Fact("primary.castration_sensitive", "bool", "Prostate: castration-sensitive"),
    Fact(
        "primary.castration_status_documented",
        "bool",
        "Prostate: the castration status (sensitive or resistant) is documented",
    ),
    Fact("primary.psma_positive", "bool", "Prostate: PSMA-positive"),
    Fact(
        "primary.psma_negative_lesions",
        "bool",
        "Prostate: PSMA-negative metastases above the VISION size limits on the PSMA PET",
    ),
    Fact(
        "primary.psma_documented",
        "bool",
        "Prostate: the PSMA status (PSMA PET) is documented",
    ),
    Fact("primary.sstr_positive", "bool", "Neuroendocrine: somatostatin-receptor positive"),
    Fact(
        "primary.sstr_documented",
        "bool",
        "Neuroendocrine: the somatostatin-receptor status is documented",
    ),
    Fact("primary.net_well_differentiated", "bool", "Neuroendocrine: grade G1 or G2"),
    Fact("primary.net_gep", "bool", "Neuroendocrine: gastroenteropancreatic origin"),
    Fact("primary.net_progressive", "bool", "Neuroendocrine: progression documented"),
    Fact(
        "primary.prostate_not_progressing",
        "bool",
        "Prostate: documented as responding or stable on the current therapy (primary.progressive "
        "false)",
    ),
    Fact("primary.rai_avid", "bool", "Differentiated thyroid cancer: radioiodine-avid"),
    Fact(
        "primary.thyroid_differentiated",
        "bool",
        "Differentiated thyroid cancer (papillary, follicular, oncocytic): false for a "
        "medullary, anaplastic or poorly differentiated histology, false for other sites",
    ),
    Fact(
        "primary.thyroid_no_iodine_uptake",
        "bool",
        "Thyroid cancer whose histology takes up no iodine (medullary or anaplastic): false "
        "for any other or undocumented histology and for other sites",
    ),
    Fact(
        "primary.rai_documented",
        "bool",
        "Thyroid cancer whose radioiodine uptake is documented (avid or not): radioiodine has "
        "been given, so the thyroid has been removed",
    ),
    Fact("primary.targetable_driver", "bool", "Lung: targetable driver"),
    Fact("primary.controlled", "bool", "Primary resected or controlled"),
    Fact(
        "primary.first_metastatic_presentation",
        "bool",
        "The metastases are the first of this cancer (metastatic at diagnosis or first distant "
        "relapse)",
    ),
    Fact(
        "primary.earlier_metastases_documented",
        "bool",
        "Metastatic disease was known before (primary.first_metastatic_presentation false, "
        "documented)",
    ),
    Fact("primary.histology_known", "bool", "Histology of the primary is documented"),
    Fact(
        "primary.tissue_diagnosis",
        "bool",
        "The cancer has a tissue diagnosis: documented (primary.histology_confirmed), or a "
        "histology given, a lesion biopsied, a named primary site; never false - where none is "
        "documented it is open, and the biopsy decides",
    ),
    Fact(
        "primary.no_tissue_diagnosis",
        "bool",
        "The case documents that no cancer is diagnosed in tissue: none yet "
        "(primary.histology_confirmed false), or site unknown without any histology; false "
        "otherwise, also when the site is not given",
    ),
    Fact("primary.lung", "bool", "Lung cancer (NSCLC or SCLC)"),
    Fact("primary.solid_tumour", "bool", "Solid tumour (not myeloma or lymphoma)"),
    Fact(
        "primary.highly_radiosensitive",
        "bool",
        "Myeloma, lymphoma or a germ-cell tumour (sites.yaml highly_radiosensitive): a cord "
        "compression goes to radiotherapy, not surgery; open for an unknown primary without "
        "a histology",
    ),
    Fact(
        "primary.haematological_documented",
        "bool",
        "The documented primary is myeloma or lymphoma; false for a solid tumour or an "
        "unknown primary",
    ),
    Fact(
        "primary.radiosensitivity",
        "enum",
        "Radiosensitivity of the histology (NOMS)",
        values=("sensitive", "resistant", "unclassified"),
    ),
    Fact("primary.hypervascular", "bool", "Hypervascular primary (renal cell, thyroid)"),
    # -- visceral --
    Fact("visceral.present", "bool", "Visceral metastases present"),
    Fact(
        "visceral.absent_documented",
        "bool",
        "No visceral metastases, documented (visceral_metastases.present false)",
    ),
    Fact("visceral.brain", "bool", "Brain metastases"),
    Fact(
        "visceral.present_documented",
        "bool",
        "Visceral metastases documented as present (false while not documented)",
    ),
    Fact(
        "visceral.crisis_documented",
        "bool",
        "A visceral crisis documented by the team (visceral_metastases.crisis true; false "
        "while not documented)",
    ),
    Fact(
        "visceral.crisis_excluded",
        "bool",
        "A visceral crisis documented as absent (visceral_metastases.crisis false)",
    ),
    # -- bone disease --
    Fact("bone.total_count_min", "int", "Bone metastases listed or counted (lower bound)"),
    Fact("bone.metastasis_documented", "bool", "At least one bone metastasis listed or counted"),
    Fact("bone.multiple", "bool", "Two or more bone metastases"),
    Fact("bone.solitary", "bool", "Exactly one bone metastasis"),
    Fact("bone.all_blastic", "bool", "Every listed lesion osteoblastic"),
    Fact("bone.extensive_marrow", "bool", "Extensive bone-marrow involvement"),
    Fact(
        "bone.extensive_marrow_documented",
        "bool",
        "Extensive bone-marrow involvement is documented; false when not documented",
    ),
    Fact("bone.spinal_lesion_listed", "bool", "A spinal lesion is listed"),
    Fact("bone.skull_lesion_listed", "bool", "A skull lesion is listed"),
    Fact(
        "bone.spinal_metastasis_documented",
        "bool",
        "At least one vertebra with a metastasis, listed or counted",
    ),
    Fact("bone.counts_known", "bool", "Vertebral and extraspinal counts are both known"),
    Fact(
        "bone.any_painful",
        "bool",
        "At least one bone metastasis hurts, judged on the listed lesions (unknown when none is "
        "listed, false when the case documents no bone metastasis)",
    ),
    Fact(
        "bone.lytic_documented",
        "bool",
        "A listed lesion is documented as lytic (false when none is, or none is listed)",
    ),
    Fact("bone.long_bone_lesion_listed", "bool", "A long-bone lesion is listed"),
    Fact("bone.pelvic_lesion_listed", "bool", "A lesion of the pelvis or the sacrum is listed"),
    Fact("bone.histology_confirmed", "bool", "A bone lesion's histology is confirmed by biopsy"),
    Fact(
        "bone.biopsy_shows_metastasis",
        "bool",
        "A biopsy of a bone lesion has shown the metastasis (bone.histology_confirmed); never "
        "false - until it is documented the biopsy decides",
    ),
    Fact("disease.oligometastatic", "bool", "At most 5 metastases in all (bone and visceral)"),
    # -- prior and current therapy --
    Fact("prior.chemotherapy", "bool", "Previous chemotherapy"),
    Fact(
        "prior.systemic_lines_mcrpc",
        "int",
        "Systemic lines for mCRPC (not counting ADT)",
    ),
    Fact("prior.abiraterone_current", "bool", "Currently on abiraterone"),
    Fact("prior.arpi_received", "bool", "Androgen-receptor-pathway inhibitor given"),
    Fact("prior.taxane_received", "bool", "Taxane given"),
    Fact(
        "prior.castration_resistant_documented",
        "bool",
        "Prostate cancer documented as castration-resistant (false while not documented)",
    ),
    Fact("prior.arpi_documented", "bool", "An ARPI documented as given (false while not)"),
    Fact("prior.taxane_documented", "bool", "A taxane documented as given (false while not)"),
    Fact(
        "prior.bma",
        "enum",
        "Current bone-modifying agent",
        values=("none", "zoledronic_acid", "ibandronate", "pamidronate", "denosumab"),
    ),
    Fact(
        "prior.bma_dose",
        "enum",
        "Dose of the current bone-modifying agent: at the dose for bone metastases or at the "
        "osteoporosis dose",
        values=("bone_metastasis", "osteoporosis"),
    ),
    Fact("prior.on_denosumab", "bool", "Currently on denosumab"),
    Fact("prior.on_bma", "bool", "Currently on any bone-modifying agent"),
    Fact(
        "prior.bisphosphonate_osteoporosis_dose",
        "bool",
        "A bisphosphonate is given at the osteoporosis dose (zoledronic acid 5 mg yearly, "
        "ibandronate 150 mg by mouth monthly), documented",
    ),
    Fact(
        "prior.on_bisphosphonate",
        "bool",
        "Currently on a bisphosphonate (one of kb.bisphosphonates)",
    ),
    Fact(
        "prior.bma_months",
        "float",
        "Months since the bone-modifying agent was started",
        "months",
    ),
    Fact("prior.denosumab_stopped_recently", "bool", "Denosumab stopped recently"),
    Fact("prior.nsaid_current", "bool", "Currently taking NSAIDs"),
    Fact(
        "prior.planned_therapies",
        "list",
        "Therapies planned outside osteoboard: for an entry that names therapies of the "
        "knowledge base (therapies.yaml, by name or alias anywhere in the entry), their names; "
        "otherwise the entry in lower case",
    ),
    # -- current medication that changes a procedure --
    Fact(
        "medication.documented",
        "bool",
        "The current medication is documented (prior_therapy.current_medication given, an "
        "empty list included)",
    ),
    Fact(
        "medication.names",
        "list",
        "Current and planned drugs: the knowledge base's names of those it recognises "
        "(therapies.yaml), the others as entered in lower case",
    ),
    *(
        Fact(
            f"medication.{drug_class}",
            "bool",
            f"A current or planned drug of the class {drug_class} (therapies.yaml drug_class); "
            "unknown while the current medication is not documented and none is named",
        )
        for drug_class in DRUG_CLASSES
    ),
    *(
        Fact(
            f"medication.{drug_class}_names",
            "list",
            f"The current or planned drugs of the class {drug_class}, by their names in "
            "therapies.yaml",
        )
        for drug_class in DRUG_CLASSES
    ),
    Fact(
        "prior.myeloma_therapy_current",
        "bool",
        "A myeloma therapy is on the current medication (a line is running)",
    ),
    Fact(
        "prior.adt_started",
        "bool",
        "Androgen deprivation has been started (its start date is documented)",
    ),
    Fact(
        "prior.adt_weeks",
        "float",
        "Weeks from the start of androgen deprivation to the board date",
        "weeks",
    ),
    # -- laboratory --
    Fact(
        "labs.calcium_corrected_mmol_l",
        "float",
        "Albumin-corrected calcium",
        "mmol/L",
    ),
    Fact("labs.calcium_category", "enum", "Category of corrected calcium", values=_CALCIUM),
    Fact("labs.calcium_measured", "bool", "A total serum calcium is documented"),
    Fact(
        "labs.calcium_documented",
        "bool",
        "A calcium is documented: total, corrected as the laboratory reports it, or ionised",
    ),
    Fact("labs.calcium_ionized_mmol_l", "float", "Ionised calcium as measured", "mmol/L"),
    Fact("labs.calcium_ionized_measured", "bool", "An ionised calcium is documented"),
    Fact("labs.calcium_total_mmol_l", "float", "Total serum calcium as measured", "mmol/L"),
    Fact(
        "labs.calcium_total_mg_dl",
        "float",
        "Total serum calcium as measured, in mg/dL (the same value: for texts)",
        "mg/dL",
    ),
    Fact(
        "labs.calcium_total_if_mg_dl_mmol_l",
        "float",
        "The measured total calcium's number read as mg/dL, in mmol/L (for texts on a unit mix-up)",
        "mmol/L",
    ),
    Fact(
        "labs.hypercalcemia_emergency_measured",
        "bool",
        "A measured calcium shows a hypercalcaemia of 3.0 mmol/L or more: the corrected calcium, "
        "or every value it can take over plausible albumin (false when calcium is not measured "
        "or may be lower)",
    ),
    Fact(
        "labs.hypocalcemia_measured",
        "bool",
        "A measured calcium shows hypocalcaemia: the corrected calcium, or every value it can "
        "take over plausible albumin, is below the reference range (false when calcium is not "
        "measured or may be normal)",
    ),
    Fact(
        "labs.vitamin_d_25oh_nmol_l",
        "float",
        "25-hydroxyvitamin D in serum",
        "nmol/L",
    ),
    Fact("labs.albumin_g_l", "float", "Serum albumin", "g/L"),
    Fact("labs.bilirubin_umol_l", "float", "Total bilirubin", "µmol/L"),
    Fact("labs.bilirubin_measured", "bool", "A total bilirubin is documented"),
    Fact("labs.calcium_known", "bool", "Corrected calcium can be calculated"),
    Fact("labs.crcl_known", "bool", "Creatinine clearance can be calculated (at least as a range)"),
    Fact("labs.crcl_exact", "bool", "Creatinine clearance is known as one value (not a range)"),
    Fact(
        "labs.crcl_missing",
        "enum",
        "What a creatinine clearance known only as a range lacks: the weight, the sex or both",
        values=("weight", "sex", "weight_and_sex"),
    ),
    Fact(
        "labs.crcl_low_ml_min",
        "float",
        "Lowest creatinine clearance the documented values allow (the clearance itself when it "
        "is known as one value)",
        "mL/min",
    ),
    Fact(
        "labs.crcl_high_ml_min",
        "float",
        "Highest creatinine clearance the documented values allow (the clearance itself when "
        "it is known as one value)",
        "mL/min",
    ),
    Fact(
        "labs.crcl_ml_min",
        "float",
        "Creatinine clearance (Cockcroft–Gault)",
        "mL/min",
    ),
    Fact("labs.egfr", "float", "eGFR (CKD-EPI 2021)", "mL/min/1.73 m²"),
    Fact("labs.creatinine_umol_l", "float", "Serum creatinine", "µmol/L"),
    Fact(
        "labs.creatinine_baseline_umol_l",
        "float",
        "Serum creatinine before the current bisphosphonate course began",
        "µmol/L",
    ),
    Fact(
        "labs.creatinine_baseline_measured",
        "bool",
        "A creatinine before the current bisphosphonate course is documented",
    ),
    Fact(
        "labs.creatinine_rise_umol_l",
        "float",
        "Serum creatinine now minus its baseline before the bisphosphonate course",
        "µmol/L",
    ),
    Fact("labs.neutrophils_10e9_l", "float", "Neutrophils", "10⁹/L"),
    Fact("labs.platelets_10e9_l", "float", "Platelets", "10⁹/L"),
    Fact("labs.creatinine_known", "bool", "A serum creatinine is documented"),
    Fact("labs.platelets_known", "bool", "A platelet count is documented"),
    Fact(
        "labs.platelets_raised",
        "bool",
        "The platelets have been raised to what a procedure needs (a count after transfusion "
        "or recovery): false when they are documented as refractory, else unknown, so a "
        "procedure whose threshold the measured count misses stays conditional on it",
    ),
    Fact("labs.neutrophils_known", "bool", "A neutrophil count is documented"),
    Fact("labs.hemoglobin_known", "bool", "A haemoglobin value is documented"),
    Fact("labs.hemoglobin_g_dl", "float", "Haemoglobin", "g/dL"),
    # -- neurology --
    Fact("neuro.frankel", "enum", "Frankel grade", values=_e(Frankel)),
    Fact("neuro.new_deficit", "bool", "New or progressive neurological deficit"),
    Fact(
        "neuro.deficit_not_new_documented",
        "bool",
        "A new or progressive deficit is documented as absent (neurology.new_deficit false)",
    ),
    Fact("neuro.radicular_pain", "bool", "Radicular pain"),
    Fact("neuro.mscc_suspected", "bool", "Cord compression suspected by the treating team"),
    Fact(
        "neuro.spinal_deficit",
        "bool",
        "The new deficit may arise from the spine: weakness or sensory loss of trunk or limbs, "
        "bladder or bowel dysfunction (not documented as of the cranial nerves only)",
    ),
    Fact(
        "neuro.cranial_nerve_deficit",
        "bool",
        "The new deficit includes a cranial-nerve palsy (double vision, facial numbness or "
        "weakness, hearing loss, hoarseness, difficulty swallowing, a deviated tongue)",
    ),
    Fact("neuro.deficit_level_known", "bool", "Where the new deficit arises is documented"),
    Fact(
        "neuro.cranial_mri_done",
        "bool",
        "MRI of brain and skull base with contrast done for the cranial-nerve symptoms",
    ),
    Fact("neuro.any_deficit", "bool", "New deficit of trunk, limbs or sphincters, or Frankel A–D"),
    Fact(
        "neuro.any_deficit_documented",
        "bool",
        "A deficit of trunk, limbs or sphincters (neuro.any_deficit) is documented; false "
        "when documented absent or not documented",
    ),
    Fact(
        "neuro.radicular_pain_documented",
        "bool",
        "Radicular pain is documented; false when documented absent or not documented",
    ),
    Fact("neuro.deficit_onset_known", "bool", "Time since the deficit began is documented"),
    Fact("neuro.deficit_onset_hours", "float", "Hours since the deficit began", "h"),
    Fact(
        "neuro.deficit_onset_recent",
        "bool",
        "A deficit's onset is documented within kb.yaml new_deficit_onset_hours (new by its "
        "date); false when older or not documented",
    ),
    Fact(
        "neuro.paraplegia_over_window",
        "bool",
        "Frankel A or B for longer than kb.yaml paraplegia_surgery_window_hours (48 h): "
        "false once either is documented otherwise",
    ),
    Fact("neuro.whole_spine_mri_done", "bool", "Whole-spine MRI done for current symptoms"),
    # -- spine aggregates --
    Fact(
        "spine.any_escc_high_grade",
        "bool",
        "Any spinal lesion with ESCC grade 2–3, not counting a lesion decompressed since "
        "(kb.decompressing_operations: its grade is the one before the operation)",
    ),
    Fact(
        "spine.escc_high_grade_documented",
        "bool",
        "A listed spinal lesion has a documented ESCC grade 2–3 (not decompressed since); false "
        "while no such grade is documented",
    ),
    Fact(
        "spine.mri_excludes_compression",
        "bool",
        "Whole-spine MRI done and no listed spinal lesion with epidural disease abutting or "
        "compressing the cord (kb.cord_abutting_escc_grades, ESCC 1c–3; a decompressed lesion "
        "not counted)",
    ),
    Fact("spine.operated", "bool", "A listed spinal lesion has a documented operation"),
    Fact(
        "spine.decompressed",
        "bool",
        "A listed spinal lesion has a documented decompression (kb.decompressing_operations)",
    ),
    Fact(
        "spine.days_since_decompression",
        "int",
        "Days from the latest documented decompression to the board date",
        "days",
    ),
    # -- prognosis and case-level scores --
    Fact("prognosis.band", "enum", "Prognosis band", values=_BANDS),
    Fact("prognosis.ge_6_months", "bool", "Expected survival of at least 6 months"),
    Fact("prognosis.known", "bool", "A prognosis band could be decided"),
    Fact("prognosis.scores_disagree", "bool", "Prognostic estimates point to different bands"),
    Fact("prognosis.team_estimate", "bool", "The band rests on the treating team's estimate"),
    Fact(
        "score.tokuhashi_category",
        "enum",
        "Revised Tokuhashi category",
        values=("lt_6_months", "ge_6_months", "ge_12_months"),
    ),
    Fact(
        "score.tomita_category",
        "enum",
        "Tomita category",
        values=(
            "wide_or_marginal",
            "marginal_or_intralesional",
            "palliative_surgery",
            "supportive_care",
        ),
    ),
    Fact(
        "score.bauer_modified_category",
        "enum",
        "Modified Bauer category",
        values=("poor", "intermediate", "good"),
    ),
    Fact(
        "score.katagiri_category",
        "enum",
        "New Katagiri category",
        values=("low", "intermediate", "high"),
    ),
    # -- multiple myeloma (SPEC §6) --
    Fact("mm.present", "bool", "The case has a myeloma block"),
    Fact(
        "mm.stage",
        "enum",
        "Myeloma stage",
        values=("mgus", "smouldering", "active", "solitary_plasmacytoma"),
    ),
    Fact("mm.precursor", "bool", "MGUS or smouldering myeloma"),
    Fact(
        "mm.solitary_plasmacytoma",
        "bool",
        "Solitary plasmacytoma of bone documented as the stage (not myeloma)",
    ),
    Fact("mm.stage_known", "bool", "The myeloma stage is documented"),
    Fact(
        "mm.marrow_documented",
        "bool",
        "The share of plasma cells in the bone marrow is documented",
    ),
    Fact(
        "mm.flc_documented",
        "bool",
        "Both free light chains at baseline are documented",
    ),
    Fact("mm.smouldering_high_risk", "bool", "High-risk smouldering myeloma"),
    Fact(
        "mm.response",
        "enum",
        "IMWG status at the latest assessment",
        values=("scr", "cr", "vgpr", "pr", "mr", "sd", "pd", "not_assessable"),
    ),
    Fact("mm.progression_met", "bool", "IMWG progression criteria met"),
    Fact(
        "mm.progression_confirmed",
        "bool",
        "IMWG progression confirmed by two consecutive assessments (false while not confirmed)",
    ),
    Fact("mm.prior_lines", "int", "Prior lines of myeloma therapy"),
    Fact(
        "mm.exposed_agents",
        "list",
        "Myeloma drugs given before: those documented as given and those the myeloma is "
        "refractory to",
    ),
    Fact("mm.untreated", "bool", "No line of myeloma therapy given yet"),
    Fact(
        "mm.crab",
        "list",
        "CRAB features documented for the disease (at diagnosis or now): "
        "hypercalcemia, renal, anemia, bone",
    ),
    Fact(
        "mm.new_crab_stated",
        "list",
        "CRAB features about which the referral says whether they are new (either way)",
    ),
    Fact(
        "mm.new_crab_hypercalcemia",
        "bool",
        "Hypercalcaemia is new since the last assessment and due to myeloma",
    ),
    Fact(
        "mm.new_crab_renal",
        "bool",
        "Renal impairment is new since the last assessment and due to myeloma",
    ),
    Fact(
        "mm.new_crab_anemia",
        "bool",
        "Anaemia is new since the last assessment and due to myeloma",
    ),
    Fact(
        "mm.new_bone_lesions",
        "bool",
        "New bone lesions or soft-tissue plasmacytomas, or growth of known ones "
        "(new_crab.bone or an assessment of the course)",
    ),
    Fact(
        "mm.painful_lesion_new",
        "bool",
        "A painful bone lesion listed in myeloma is a new lesion (or a known one grown): "
        "unknown while the imaging has not said so, false when no lesion is painful",
    ),
    Fact("mm.bm_plasma_cells_pct", "float", "Clonal plasma cells in the marrow (latest)", "%"),
    Fact(
        "mm.baseline_flc_ratio",
        "float",
        "Involved / uninvolved free light chain ratio at baseline",
    ),
    Fact("mm.baseline_involved_flc_mg_l", "float", "Involved free light chain at baseline", "mg/L"),
    Fact(
        "mm.serum_m_sustained_rise_g_dl",
        "float",
        "Largest rise of serum M above the nadir reached by two consecutive measurements",
        "g/dL",
    ),
    Fact(
        "mm.urine_m_sustained_rise_mg_24h",
        "float",
        "Largest rise of urine M above the nadir reached by two consecutive measurements",
        "mg/24 h",
    ),
    Fact(
        "mm.involved_flc_sustained_rise_mg_l",
        "float",
        "Largest rise of the involved FLC above the nadir reached by two consecutive "
        "measurements with an abnormal ratio",
        "mg/L",
    ),
    Fact(
        "mm.involved_flc_sustained_rise_pct",
        "float",
        "That rise of the involved FLC as a share of its nadir",
        "%",
    ),
    Fact(
        "mm.serum_m_doubling_reference_g_dl",
        "float",
        "Serum M from which it at least doubled at the next measurement (largest such value; "
        "0 when it never doubled)",
        "g/dL",
    ),
    Fact(
        "mm.serum_m_doubling_months",
        "float",
        "Months between the two measurements of that doubling",
        "months",
    ),
    # -- advanced soft-tissue sarcoma (SPEC §7) --
    Fact("sts.present", "bool", "The case has a sarcoma block"),
    Fact("sts.subtype", "enum", "Sarcoma subtype", values=_e(SarcomaSubtype)),
    Fact("sts.prior_agents", "list", "Systemic agents given before"),
    Fact("sts.first_line", "bool", "No systemic agent given yet"),
    Fact("sts.advanced", "bool", "Metastatic or locally untreatable disease documented"),
    Fact("sts.rapid_progression", "bool", "Rapid progression"),
    Fact("sts.high_symptom_burden", "bool", "High symptom burden"),
    Fact("sts.metastases_resectable", "bool", "All metastases completely resectable"),
    Fact("sts.metastasis_count", "int", "Number of metastases"),
    Fact("sts.lung_only", "bool", "Metastases in the lung only"),
    Fact("sts.synchronous", "bool", "Metastases present at diagnosis"),
    Fact(
        "sts.disease_free_interval_months",
        "float",
        "Disease-free interval",
        "months",
    ),
    Fact("sts.primary_resectable", "bool", "Primary resectable or resected"),
    # -- lesion --
    Fact("lesion.id", "string", "Lesion id"),
    Fact("lesion.region", "enum", "Region", values=_e(Region)),
    Fact("lesion.region_documented", "bool", "The lesion's region is documented"),
    Fact("lesion.spine", "bool", "Spinal lesion"),
    Fact("lesion.long_bone", "bool", "Long-bone lesion"),
    Fact(
        "lesion.skull_base",
        "bool",
        "The lesion involves the skull base, where cranial nerves leave the skull (false "
        "outside the skull)",
    ),
    Fact("lesion.level", "string", "Vertebral level"),
    Fact(
        "lesion.cervical",
        "bool",
        "A spinal lesion at a documented cervical level (C1-C7); false while the level is not "
        "documented",
    ),
    Fact("lesion.type", "enum", "Lytic, mixed or blastic", values=_e(LesionType)),
    Fact("lesion.lytic", "bool", "Lytic lesion"),
    Fact("lesion.painful", "bool", "The lesion hurts"),
    Fact("lesion.pain_vas", "int", "Pain on the visual analogue scale", "0–10"),
    Fact("lesion.pain_mechanical", "bool", "Mechanical (movement/load-related) pain"),
    Fact("lesion.size_cm", "float", "Largest diameter", "cm"),
    Fact("lesion.pathologic_fracture", "bool", "Pathologic fracture"),
    Fact("lesion.previously_irradiated", "bool", "Irradiated before"),
    Fact(
        "lesion.local_progression",
        "bool",
        "Imaging shows the tumour growing at the lesion since its last treatment (after "
        "radiotherapy: a local failure, not a fracture from the radiotherapy alone)",
    ),
    Fact(
        "lesion.escc_grade",
        "enum",
        "Bilsky ESCC grade ('none' outside the spine)",
        values=(*_e(EsccGrade), "none"),
    ),
    Fact("lesion.escc_known", "bool", "ESCC grade known (MRI available)"),
    Fact("lesion.escc_high_grade", "bool", "ESCC grade 2 or 3"),
    Fact("lesion.sins", "int", "SINS total", "points"),
    Fact("lesion.sins_category", "enum", "SINS category", values=_SINS),
    Fact("lesion.mirels", "int", "Mirels total", "points"),
    Fact("lesion.mirels_category", "enum", "Mirels category", values=_MIRELS),
    Fact(
        "lesion.mirels_borderline",
        "bool",
        "Mirels category documented as borderline (8 points; never open: a score that may "
        "still reach 8 is not)",
    ),
    Fact(
        "lesion.segment",
        "enum",
        "Long-bone segment ('none' for other regions)",
        values=("peritrochanteric", "epiphyseal", "metaphyseal", "diaphyseal", "none"),
    ),
    Fact(
        "lesion.bone",
        "enum",
        "Long bone ('none' for other regions)",
        values=("femur", "tibia", "humerus", "radius", "ulna", "fibula", "other", "none"),
    ),
    Fact(
        "lesion.cortical_involvement",
        "enum",
        "Share of cortex destroyed ('none' for other regions)",
        values=("lt_one_third", "one_to_two_thirds", "gt_two_thirds", "none"),
    ),
    Fact(
        "lesion.other_bone",
        "enum",
        "Region other: the bone ('none' for the other regions)",
        values=(*_e(OtherBone), "none"),
    ),
    Fact("lesion.posterior_involvement", "bool", "Posterior elements involved"),
    Fact("lesion.hip_joint", "bool", "The hip joint (acetabulum or femoral head) is involved"),
    Fact(
        "lesion.pelvis_hip_documented",
        "bool",
        "The lesion is documented in the pelvis at the hip joint (never open)",
    ),
    Fact(
        "lesion.high_risk_joint",
        "bool",
        "A high-risk joint (kb.high_risk_joints) is involved: by the documented joint, or ruled "
        "out by a location that borders none (unknown when the location does not tell)",
    ),
    Fact(
        "lesion.vertebral_body_involved",
        "bool",
        "Vertebral body involved (documented, or shown by collapse or > 50 % involvement)",
    ),
    Fact("lesion.vertebral_fracture", "bool", "Pathologic vertebral (compression) fracture"),
    Fact("lesion.label", "string", "How texts name the lesion: its id (its level beside it)"),
    Fact(
        "lesion.histology_documented",
        "bool",
        "A biopsy of this lesion is documented (false when not documented or unknown)",
    ),
    Fact("lesion.cortex_known", "bool", "Long bone: cortical involvement documented"),
    Fact(
        "lesion.fracture_documented",
        "bool",
        "A pathologic fracture is documented (false when not documented or unknown)",
    ),
    Fact(
        "lesion.operation_long_ago",
        "bool",
        "The lesion's operation is dated more than kb.postoperative_rt_window_days before the "
        "board date (false when undated)",
    ),
    Fact(
        "lesion.operation",
        "enum",
        "Operation already done at the lesion ('none' when none is documented)",
        values=(*_e(Operation), "none"),
    ),
)


#: Knowledge constants (kb.yaml) the derivations read, with their kind: ``int`` or the
#: vocabulary of a list. Loading the knowledge base fails when one is missing.
DERIVATION_CONSTANTS: dict[str, str] = {
    "oligometastatic_max_metastases": "int",
    "high_risk_joints": "joint",
    "escc_high_grades": "escc_grade",
    "cord_abutting_escc_grades": "escc_grade",
    "decompressing_operations": "operation",
    "bisphosphonates": "bone_modifying_agent",
    "childbearing_age_max": "int",
    "performance_conflict_grades": "int",
    "new_deficit_onset_hours": "int",
    "paraplegia_surgery_window_hours": "int",
}


def catalogue_by_name() -> dict[str, Fact]:
    return {f.name: f for f in CATALOGUE}


_BY_NAME = catalogue_by_name()


@dataclass
class FactSet:
    """Fact values of one scope, with the domain and missing inputs of every unknown fact."""

    values: dict[str, Value] = field(default_factory=dict)
    domains: dict[str, list[Value]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    #: Unknown numbers known to lie in [low, high] (a score's range); an unknown number
    #: without an interval spans its plausible range from the knowledge base.
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: For each interval, the value the measurement behind it points to (the middle unless
    #: the derivation knows better, e.g. total calcium at the reference albumin): a rule is
    #: supported by the measurement only when it holds there.
    estimates: dict[str, float] = field(default_factory=dict)
    #: Unknown facts with nothing to try (a module the case does not have).
    closed: set[str] = field(default_factory=set)

    def set(
        self,
        name: str,
        value: Value,
        *,
        missing: Sequence[str] = (),
        domain: Sequence[Value] | None = None,
        interval: tuple[float, float] | None = None,
        estimate: float | None = None,
    ) -> None:
        fact = _BY_NAME.get(name)
        if fact is None:
            raise KeyError(f"fact {name!r} is not in the catalogue")
        self.values[name] = value
        if value is None:
            self.domains[name] = list(domain) if domain is not None else fact.default_domain()
            self.missing[name] = list(dict.fromkeys(missing))
            if interval is not None:
                self.intervals[name] = interval
                if estimate is None:
                    estimate = (interval[0] + interval[1]) / 2
                    if fact.type == "int":
                        estimate = float(math.floor(estimate + 0.5))
                self.estimates[name] = estimate
            elif domain is not None and not domain:
                self.closed.add(name)


# ---------------------------------------------------------------------------------------------
# helpers


def _any3(values: Iterable[bool | None]) -> bool | None:
    """Three-valued OR: True if any is True, False if all are False, else None."""
    vals = list(values)
    if any(v is True for v in vals):
        return True
    if all(v is False for v in vals):
        return False
    return None


def _score(scores: Sequence[ScoreResult], name: str, lesion: str | None = None) -> ScoreResult:
    for s in scores:
        if s.name == name and s.lesion == lesion:
            return s
    raise KeyError(name)


def _find(scores: Sequence[ScoreResult], name: str) -> ScoreResult | None:
    try:
        return _score(scores, name)
    except KeyError:
        return None


def _months_between(start: dt.date, end: dt.date) -> float:
    return round((end - start).days / 30.4375, 1)


# ---------------------------------------------------------------------------------------------
# case facts


def _bundled(kb: KnowledgeBase | None) -> KnowledgeBase:
    """The knowledge base the derivations read their constants and tables from."""
    if kb is not None:
        return kb
    from osteoboard.guideline import load_knowledge_base

    return load_knowledge_base()


def case_facts(
    case: Case,
    scores: Sequence[ScoreResult],
    prognosis: Prognosis,
    *,
    kb: KnowledgeBase | None = None,
) -> FactSet:
    """The case facts; constants and site properties come from ``kb`` (default: bundled)."""
    kb = _bundled(kb)
    fs = FactSet()
    _patient(
        fs,
        case,
        int(kb.constants["childbearing_age_max"]),
        int(kb.constants["performance_conflict_grades"]),
    )
    _primary(fs, case, kb.sites)
    _disease(fs, case, int(kb.constants["oligometastatic_max_metastases"]))
    sets = kb.constant_sets
    _prior(fs, case, sets["bisphosphonates"], kb.therapy_names, kb.drug_classes, kb.bma_products)
    _labs(fs, case, scores)
    _neuro(
        fs,
        case,
        int(kb.constants["new_deficit_onset_hours"]),
        int(kb.constants["paraplegia_surgery_window_hours"]),
    )
    _prognosis(fs, scores, prognosis, kb.prognosis.deciding_scores)
    _spine(
        fs,
        case,
        sets["escc_high_grades"],
        sets["cord_abutting_escc_grades"],
        sets["decompressing_operations"],
    )
    _myeloma(fs, case)
    _sarcoma(fs, case)
    return fs


_CRAB = tuple(f.value for f in CrabFeature)
_PARAPROTEIN = {
    "mm.serum_m_sustained_rise_g_dl": "serum_sustained_rise_g_dl",
    "mm.urine_m_sustained_rise_mg_24h": "urine_sustained_rise_mg_24h",
    "mm.involved_flc_sustained_rise_mg_l": "involved_flc_sustained_rise_mg_l",
    "mm.involved_flc_sustained_rise_pct": "involved_flc_sustained_rise_pct",
    "mm.serum_m_doubling_reference_g_dl": "serum_doubling_reference_g_dl",
    "mm.serum_m_doubling_months": "serum_doubling_months",
}
_MM_NUMBERS = (
    "mm.prior_lines",
    "mm.bm_plasma_cells_pct",
    "mm.baseline_flc_ratio",
    "mm.baseline_involved_flc_mg_l",
    *_PARAPROTEIN,
)
_MM_NEW_CRAB = ("mm.new_crab_hypercalcemia", "mm.new_crab_renal", "mm.new_crab_anemia")


def _myeloma(fs: FactSet, case: Case) -> None:
    """Myeloma facts: what the case documents and what the course measures. Whether that
    means relapse or a need to treat is decided by the knowledge base."""
    from osteoboard.myeloma import Response, analyse

    mm = case.myeloma
    synthesised = mm is None and case.primary.site is PrimarySite.myeloma
    if synthesised:
        # Referred as myeloma without the myeloma block: everything it would hold is unknown
        # (stage, course, earlier lines), not "no myeloma" - the myeloma rules are read on
        # the open facts, with their conditions and questions (SPEC §4.1).
        from osteoboard.case import Myeloma

        mm = Myeloma()
    fs.set("mm.present", mm is not None)
    if mm is None:
        for name in ("mm.stage", "mm.response", *_MM_NUMBERS, *_MM_NEW_CRAB):
            fs.set(name, None, missing=[], domain=[])
        fs.set("mm.precursor", False)
        fs.set("mm.solitary_plasmacytoma", False)
        fs.set("mm.marrow_documented", False)
        fs.set("mm.flc_documented", False)
        fs.set("mm.stage_known", False)
        fs.set("mm.untreated", False)
        fs.set("mm.smouldering_high_risk", False)
        fs.set("mm.progression_met", False)
        fs.set("mm.progression_confirmed", False)
        fs.set("mm.crab", [])
        fs.set("mm.new_crab_stated", [])
        fs.set("mm.new_bone_lesions", False)
        fs.set("mm.painful_lesion_new", False)
        fs.set("mm.exposed_agents", [])
        return
    stage = mm.stage.value if mm.stage else None
    fs.set("mm.stage", stage, missing=["myeloma.stage"])
    fs.set("mm.stage_known", stage is not None)
    fs.set(
        "mm.precursor",
        None if mm.stage is None else mm.stage in MYELOMA_PRECURSOR_STAGES,
        missing=["myeloma.stage"],
    )
    fs.set(
        "mm.solitary_plasmacytoma",
        None if mm.stage is None else mm.stage is MyelomaStage.solitary_plasmacytoma,
        missing=["myeloma.stage"],
    )
    fs.set(
        "mm.smouldering_high_risk",
        False if stage not in (None, "smouldering") else mm.smouldering_high_risk,
        missing=["myeloma.smouldering_high_risk"],
    )
    if synthesised and fs.values.get("bone.metastasis_documented") is True:
        # A documented bone lesion of a myeloma is a myeloma-defining event (IMWG 2014: an
        # osteolytic lesion), so not MGUS or smouldering myeloma; and a solitary plasmacytoma
        # is a diagnosis of its own that a referral names (biopsy, marrow, whole-body imaging;
        # def.solitary_plasmacytoma reads only a documented stage). The stage is active.
        fs.set("mm.stage", "active")
        fs.set("mm.precursor", False)
        fs.set("mm.solitary_plasmacytoma", False)
    course = analyse(mm)
    assessable = course.status is not Response.not_assessable
    fs.set("mm.response", course.status.value)
    fs.set(
        "mm.progression_met",
        course.progression_met if assessable else None,
        missing=["myeloma.series"],
    )
    fs.set("mm.progression_confirmed", assessable and course.progression_confirmed)
    fs.set("mm.prior_lines", mm.prior_lines, missing=["myeloma.prior_lines"])
    fs.set(
        "mm.untreated",
        None if mm.prior_lines is None else mm.prior_lines == 0,
        missing=["myeloma.prior_lines"],
    )
    # A drug the myeloma is refractory to has been given; one order, each drug once.
    given = {d.value for d in (*mm.exposed_to, *mm.refractory_to)}
    fs.set("mm.exposed_agents", [d.value for d in MyelomaDrug if d.value in given])

    # CRAB: the disease's features, and which are new (unknown unless the referral says).
    crab, new = mm.crab, mm.new_crab
    fs.set("mm.crab", [f for f in _CRAB if crab is not None and getattr(crab, f) is True])
    stated = [f for f in _CRAB if new is not None and getattr(new, f) is not None]
    fs.set("mm.new_crab_stated", stated)
    for name in _MM_NEW_CRAB:
        feature = name.removeprefix("mm.new_crab_")
        fs.set(
            name,
            getattr(new, feature) if new is not None else None,
            missing=[f"myeloma.new_crab.{feature}"],
        )
    new_bone = new.bone if new is not None else None
    fs.set(
        "mm.new_bone_lesions",
        True if course.new_lesions_reported else new_bone,
        missing=["myeloma.new_crab.bone", "myeloma.series"],
    )
    # A lesion that hurts with no imaging finding of it reported yet (the MRI pending) may be
    # the new lesion that makes a clinical relapse: open, not "none reported", until the
    # imaging or the referral says.
    if new_bone is not None or course.new_lesions_reported:
        painful_new: bool | None = True if course.new_lesions_reported else new_bone
    else:
        pending = any(_painful(les) and not _imaged(les) for les in case.lesions)
        painful_new = None if pending else False
    fs.set("mm.painful_lesion_new", painful_new, missing=["myeloma.new_crab.bone"])

    # Myeloma-defining biomarkers (SLiM): the marrow and the baseline light chains.
    fs.set(
        "mm.bm_plasma_cells_pct", mm.bm_plasma_cells_pct, missing=["myeloma.bm_plasma_cells_pct"]
    )
    fs.set("mm.marrow_documented", mm.bm_plasma_cells_pct is not None)
    base = mm.baseline
    inv = base.involved_flc_mg_l if base is not None else None
    uninv = base.uninvolved_flc_mg_l if base is not None else None
    fs.set(
        "mm.baseline_flc_ratio",
        round(inv / uninv, 6) if inv is not None and uninv else None,
        missing=["myeloma.baseline.involved_flc_mg_l", "myeloma.baseline.uninvolved_flc_mg_l"],
    )
    fs.set("mm.baseline_involved_flc_mg_l", inv, missing=["myeloma.baseline.involved_flc_mg_l"])
    fs.set("mm.flc_documented", inv is not None and uninv is not None)

    # The paraprotein's rise over the course. Without any assessment there is nothing to try:
    # the rules that need it stay open and ask for the course, but no item is made from a
    # guessed rise.
    rise = course.paraprotein
    for fact, attr in _PARAPROTEIN.items():
        if rise is None:
            fs.set(fact, None, missing=["myeloma.series"], domain=[])
        else:
            fs.set(fact, getattr(rise, attr))
    if synthesised and fs.values.get("mm.stage") == "active":
        # The documented lesion is the bone disease of CRAB. The myeloma-defining biomarkers
        # decide only between smouldering and active myeloma, which that lesion has decided:
        # nothing to try for them (each open number multiplies the completions explored).
        fs.set("mm.crab", ["bone"])
        for fact, path in (
            ("mm.bm_plasma_cells_pct", "myeloma.bm_plasma_cells_pct"),
            ("mm.baseline_flc_ratio", "myeloma.baseline.involved_flc_mg_l"),
            ("mm.baseline_involved_flc_mg_l", "myeloma.baseline.involved_flc_mg_l"),
        ):
            fs.set(fact, None, missing=[path], domain=[])


def _sarcoma(fs: FactSet, case: Case) -> None:
    st = case.sarcoma
    fs.set("sts.present", st is not None)
    if st is None:
        fs.set("sts.subtype", None, missing=[], domain=[])
        fs.set("sts.prior_agents", [])
        for name in (
            "first_line",
            "rapid_progression",
            "high_symptom_burden",
            "metastases_resectable",
            "lung_only",
            "synchronous",
            "primary_resectable",
            "advanced",
        ):
            fs.set(f"sts.{name}", False)
        fs.set("sts.metastasis_count", None, missing=[], domain=[])
        fs.set("sts.disease_free_interval_months", None, missing=[], domain=[])
        return
    fs.set("sts.subtype", st.subtype.value if st.subtype else None, missing=["sarcoma.subtype"])
    if st.prior_agents is None:
        fs.set("sts.prior_agents", None, missing=["sarcoma.prior_agents"], domain=[])
        # Documented chemotherapy (or none) settles the line even without the agents.
        chemo = case.prior_therapy.chemotherapy
        fs.set(
            "sts.first_line",
            None if chemo is None else not chemo,
            missing=["sarcoma.prior_agents", "prior_therapy.chemotherapy"],
        )
    else:
        agents = [a.value for a in st.prior_agents]
        fs.set("sts.prior_agents", agents)
        fs.set("sts.first_line", not agents)
    fs.set("sts.rapid_progression", st.rapid_progression, missing=["sarcoma.rapid_progression"])
    fs.set(
        "sts.high_symptom_burden", st.high_symptom_burden, missing=["sarcoma.high_symptom_burden"]
    )
    mets = st.metastases
    fs.set(
        "sts.metastases_resectable",
        mets.resectable if mets else None,
        missing=["sarcoma.metastases.resectable"],
    )
    fs.set(
        "sts.metastasis_count", mets.count if mets else None, missing=["sarcoma.metastases.count"]
    )
    sites = [x.value for x in mets.sites] if mets else []
    # Lung only: the sarcoma block names the lung alone, and the case lists no bone lesion and
    # counts none (bone metastases beside it are not "lung only", whatever the list says).
    bone_elsewhere = bool(
        case.lesions
        or case.bone_metastases.vertebral_count
        or case.bone_metastases.extraspinal_count
    )
    fs.set(
        "sts.lung_only",
        (sites == ["lung"] and not bone_elsewhere) if sites else None,
        missing=["sarcoma.metastases.sites"],
    )
    fs.set("sts.synchronous", st.metastases_synchronous, missing=["sarcoma.metastases_synchronous"])
    fs.set(
        "sts.advanced",
        _sts_advanced(case),
        missing=["sarcoma.metastases.count", "sarcoma.locally_treatable"],
    )
    fs.set(
        "sts.disease_free_interval_months",
        st.disease_free_interval_months,
        missing=["sarcoma.disease_free_interval_months"],
    )
    fs.set("sts.primary_resectable", st.primary_resectable, missing=["sarcoma.primary_resectable"])


def _sts_advanced(case: Case) -> bool | None:
    """Whether the sarcoma is documented as advanced (what the first-line therapy is for):
    metastases anywhere (the sarcoma block, visceral metastases, bone lesions or counts), stage
    IV, or disease that cannot be treated locally. False only for no metastases and locally
    treatable disease; None when the referral says neither."""
    st = case.sarcoma
    assert st is not None
    mets = st.metastases
    bone = case.bone_metastases
    if (
        (mets is not None and (bool(mets.sites) or (mets.count or 0) > 0))
        or case.visceral_metastases.present
        or bool(case.lesions)
        or (bone.vertebral_count or 0) + (bone.extraspinal_count or 0) > 0
        or st.uicc_stage == "IV"
        or st.locally_treatable is False
    ):
        return True
    if mets is not None and mets.count == 0 and st.locally_treatable is True:
        return False
    return None


def _patient(fs: FactSet, case: Case, childbearing_age_max: int, conflict_grades: int) -> None:
    p = case.patient
    fs.set("patient.age", p.age, missing=["patient.age"])
    childbearing = None if p.age is None else p.age <= childbearing_age_max
    fs.set("patient.childbearing_age", childbearing, missing=["patient.age"])
    fs.set("patient.sex", p.sex.value if p.sex else None, missing=["patient.sex"])
    fs.set("patient.weight_kg", p.weight_kg, missing=["patient.weight_kg"])
    # The ECOG grades the documented scales allow. Both documented and far apart (the
    # knowledge base's performance_conflict_grades) is a contradiction, not a conversion
    # difference: the grade is open between them.
    grades: tuple[int, ...] = ()
    if p.karnofsky is not None:
        grades = ecog_range_from_karnofsky(p.karnofsky) or (4,)
    conflict = conflicting(p.ecog, p.karnofsky, conflict_grades)
    if p.ecog is not None:
        grades = (p.ecog, *grades) if conflict else (p.ecog,)
    ecog = grades[0] if len(grades) == 1 else None
    ecog_interval = (float(min(grades)), float(max(grades))) if len(grades) > 1 else None
    fs.set(
        "patient.ecog", ecog, missing=["patient.ecog", "patient.karnofsky"], interval=ecog_interval
    )
    ecog01: bool | None = None
    if grades and max(grades) <= 1:
        ecog01 = True
    elif grades and min(grades) >= 2:
        ecog01 = False
    fs.set("patient.ecog_0_1", ecog01, missing=["patient.ecog", "patient.karnofsky"])
    fs.set("patient.ecog_known", p.ecog is not None or p.karnofsky is not None)
    fs.set("patient.performance_status_conflict", conflict)
    for name in (
        "fit_for_surgery",
        "dental_exam_done",
        "invasive_dental_procedure_planned",
        "hypercalcemia_symptoms",
        "hypocalcemia_symptoms",
        "on_dialysis",
    ):
        fs.set(f"patient.{name}", getattr(p, name), missing=[f"patient.{name}"])
    fs.set("patient.unfit_documented", p.fit_for_surgery is False)
    fs.set("patient.dental_exam_documented", p.dental_exam_done is True)
    fs.set("patient.hypercalcemia_symptoms_documented", p.hypercalcemia_symptoms is True)
    for name in ("pregnant", "breastfeeding"):
        fs.set(f"patient.{name}", getattr(p, name), missing=[f"patient.{name}"])
    # The same field twice more: documented at all (the check before radiation and drugs that
    # harm a fetus), and its value without the "not documented means not pregnant" reading.
    fs.set("patient.pregnancy_documented", p.pregnant is not None)
    fs.set("patient.pregnancy_status", p.pregnant, missing=["patient.pregnant"])
    if p.pregnant is True:
        path = ["patient.fetal_dose_acceptable"]
        fs.set("patient.fetal_dose_acceptable", p.fetal_dose_acceptable, missing=path)
    else:
        fs.set("patient.fetal_dose_acceptable", None, domain=[])  # no fetus to protect
    stage = p.jaw_osteonecrosis_stage
    onj = True if p.jaw_osteonecrosis is None and stage is not None else p.jaw_osteonecrosis
    fs.set("patient.jaw_osteonecrosis", onj, missing=["patient.jaw_osteonecrosis"])
    fs.set("patient.jaw_osteonecrosis_stage", stage, missing=["patient.jaw_osteonecrosis_stage"])
    # A cardiac device and an MRI contraindication: not documented is unknown (never "none"
    # or "MRI possible"); the rules branch on the always-known "documented" readings, so an
    # undocumented field raises no question of its own.
    device = p.cardiac_device
    fs.set(
        "patient.cardiac_device",
        device.value if device else None,
        missing=["patient.cardiac_device"],
    )
    has_device = device is not None and device is not CardiacDevice.none
    fs.set("patient.cardiac_device_documented", has_device)
    if has_device:
        path = ["patient.cardiac_device_mr_conditional"]
        fs.set(
            "patient.cardiac_device_mr_conditional", p.cardiac_device_mr_conditional, missing=path
        )
    else:
        fs.set("patient.cardiac_device_mr_conditional", None, domain=[])  # no device to judge
    fs.set(
        "patient.cardiac_device_mr_conditional_documented",
        has_device and p.cardiac_device_mr_conditional is True,
    )
    fs.set(
        "patient.mri_contraindicated",
        p.mri_contraindicated,
        missing=["patient.mri_contraindicated"],
    )
    fs.set("patient.mri_contraindication_documented", p.mri_contraindicated is True)
    reason = p.mri_contraindication_reason
    fs.set("patient.mri_contraindication_reason", reason, domain=[] if reason is None else None)
    # A refusal is documented only as one: a treatment not listed is not documented as
    # declined (unknown here, read as not declined by the knowledge base), never "accepted".
    for treatment in Treatment:
        declined = True if treatment in (p.declines or ()) else None
        fs.set(f"patient.declines_{treatment.value}", declined, missing=["patient.declines"])


#: Histology words (lower case, German and English) of a thyroid cancer that is not
#: differentiated (medullary, anaplastic, poorly differentiated): its treatment is not the
#: radioiodine pathway of a differentiated one.
_THYROID_NOT_DIFFERENTIATED = re.compile(
    r"medull|anaplast|undifferenz|entdifferenz|undifferentiated|dedifferentiated|c-zell|c-cell"
    r"|poorly|gering differenz|wenig differenz|schlecht differenz|insul[aä]r"
)
#: Histology words of a thyroid cancer that takes up no iodine at all: medullary (C-cell)
#: and anaplastic (undifferentiated) carcinoma (ATA 2015 MTC guideline, Wells 2015).
_THYROID_NO_IODINE_UPTAKE = re.compile(
    r"medull|anaplast|undifferenz|undifferentiated|c-zell|c-cell"
)
#: Histology words of a differentiated (follicular-cell) thyroid cancer.
_THYROID_DIFFERENTIATED = re.compile(
    r"papill|follik|follicul|onkozyt|oncocyt|h[uü]rthle|differenziert|differentiated"
)


def _thyroid_differentiated(histology: str | None, rai_avid: bool | None) -> bool | None:
    """Whether a thyroid cancer is differentiated, from its histology text; a documented
    radioiodine status (avid or refractory) implies it. Unknown without either."""
    text = (histology or "").casefold()
    if _THYROID_NOT_DIFFERENTIATED.search(text):
        return False
    if _THYROID_DIFFERENTIATED.search(text) or rai_avid is not None:
        return True
    return None


def _primary(fs: FactSet, case: Case, sites: SiteTable) -> None:
    pr = case.primary
    site = pr.site
    miss_site = ["primary.site"]
    fs.set("primary.site", site.value if site else None, missing=miss_site)

    def only(for_site: PrimarySite, fact: str, value: bool | None, path: str) -> None:
        """A site-specific flag: False for other sites, unknown when the site is."""
        if site is None:
            fs.set(fact, None, missing=[*miss_site, path])
        elif site is not for_site:
            fs.set(fact, False)
        else:
            fs.set(fact, value, missing=[path])

    def pos(v: PositiveNegative | None) -> bool | None:
        return None if v is None else v is PositiveNegative.positive

    hr = pos(pr.hormone_receptor)
    her2 = pos(pr.her2)
    for name, value, path in (
        ("hormone_receptor_positive", hr, "primary.hormone_receptor"),
        ("her2_positive", her2, "primary.her2"),
    ):
        fact = f"primary.{name}"
        if site is None:
            fs.set(fact, None, missing=[*miss_site, path])
        elif site is not PrimarySite.breast:
            fs.set(fact, False)
        else:
            fs.set(fact, value, missing=[path])

    cs = pr.castration_status
    fs.set("primary.castration_status_documented", cs is not None)
    for name, want in (
        ("castration_resistant", "resistant"),
        ("castration_sensitive", "sensitive"),
    ):
        fact = f"primary.{name}"
        if site is None:
            fs.set(fact, None, missing=[*miss_site, "primary.castration_status"])
        elif site is not PrimarySite.prostate:
            fs.set(fact, False)
        else:
            fs.set(
                fact,
                None if cs is None else cs.value == want,
                missing=["primary.castration_status"],
            )

    only(PrimarySite.prostate, "primary.psma_positive", pr.psma_positive, "primary.psma_positive")
    only(
        PrimarySite.prostate,
        "primary.psma_negative_lesions",
        pr.psma_negative_lesions,
        "primary.psma_negative_lesions",
    )
    only(
        PrimarySite.neuroendocrine,
        "primary.sstr_positive",
        pr.sstr_positive,
        "primary.sstr_positive",
    )
    fs.set("primary.sstr_documented", pr.sstr_positive is not None)
    fs.set("primary.psma_documented", pr.psma_positive is not None)
    grade = pr.neuroendocrine_grade
    only(
        PrimarySite.neuroendocrine,
        "primary.net_well_differentiated",
        None if grade is None else grade.value in ("g1", "g2"),
        "primary.neuroendocrine_grade",
    )
    origin = pr.neuroendocrine_origin
    only(
        PrimarySite.neuroendocrine,
        "primary.net_gep",
        None if origin is None else origin.value == "gastroenteropancreatic",
        "primary.neuroendocrine_origin",
    )
    only(
        PrimarySite.neuroendocrine,
        "primary.net_progressive",
        pr.progressive,
        "primary.progressive",
    )
    # Documented only: a prostate cancer responding or stable on its current therapy does not
    # go on to the next line (an unstated course is read as the referral's reason to come).
    fs.set(
        "primary.prostate_not_progressing",
        site is PrimarySite.prostate and pr.progressive is False,
    )
    only(PrimarySite.thyroid, "primary.rai_avid", pr.rai_avid, "primary.rai_avid")
    fs.set("primary.rai_documented", site is PrimarySite.thyroid and pr.rai_avid is not None)
    only(
        PrimarySite.thyroid,
        "primary.thyroid_differentiated",
        _thyroid_differentiated(pr.histology, pr.rai_avid),
        "primary.histology",
    )
    fs.set(
        "primary.thyroid_no_iodine_uptake",
        site is PrimarySite.thyroid
        and _THYROID_NO_IODINE_UPTAKE.search((pr.histology or "").casefold()) is not None,
    )

    if site is None:
        fs.set("primary.targetable_driver", None, missing=[*miss_site, "primary.targetable_driver"])
    elif sites[site].katagiri_growth is KatagiriGrowth.lung:
        # A site whose growth the driver decides (sites.yaml): asked while not documented.
        fs.set(
            "primary.targetable_driver", pr.targetable_driver, missing=["primary.targetable_driver"]
        )
    else:
        # Elsewhere (small-cell lung cancer among them) a driver only where one is documented.
        fs.set("primary.targetable_driver", pr.targetable_driver is True)
    fs.set("primary.controlled", pr.controlled, missing=["primary.controlled"])
    fs.set(
        "primary.first_metastatic_presentation",
        pr.first_metastatic_presentation,
        missing=["primary.first_metastatic_presentation"],
    )
    fs.set("primary.earlier_metastases_documented", pr.first_metastatic_presentation is False)
    fs.set("primary.histology_known", bool(pr.histology))
    _tissue_diagnosis(fs, case)

    fs.set(
        "primary.haematological_documented",
        site is not None and not sites[site].solid_tumour,
    )
    if site is None:
        for name in ("lung", "solid_tumour", "hypervascular", "highly_radiosensitive"):
            fs.set(f"primary.{name}", None, missing=miss_site)
        fs.set("primary.radiosensitivity", None, missing=miss_site)
        return
    info = sites[site]
    fs.set("primary.lung", info.lung)
    # An unknown primary without a histology may be a myeloma (a plasmacytoma is the
    # differential of a lytic lesion) or a lymphoma: open, so that both treatments of a cord
    # compression are named on their condition.
    if site is PrimarySite.unknown and not pr.histology:
        fs.set("primary.highly_radiosensitive", None, missing=["primary.histology"])
    else:
        fs.set("primary.highly_radiosensitive", info.highly_radiosensitive)
    fs.set("primary.solid_tumour", info.solid_tumour)
    if site is PrimarySite.sarcoma:
        subtype = case.sarcoma.subtype if case.sarcoma is not None else None
        fs.set(
            "primary.radiosensitivity",
            sites.value_for_sarcoma("radiosensitivity", subtype).value,
        )
        fs.set(
            "primary.hypervascular",
            sites.flag_for_sarcoma("hypervascular", subtype),
            missing=["sarcoma.subtype"],
        )
    else:
        fs.set("primary.radiosensitivity", info.radiosensitivity.value)
        fs.set("primary.hypervascular", info.hypervascular)


def _tissue_diagnosis(fs: FactSet, case: Case) -> None:
    """Whether a cancer has been diagnosed in tissue (Case.tissue_diagnosis). A bone lesion of
    a patient without one may be a primary bone tumour, which a local treatment before the
    biopsy harms (ESMO bone sarcoma guideline): the treatments wait for it (kb.yaml
    treatment_conditions)."""
    has = case.tissue_diagnosis
    paths = ["primary.histology_confirmed"] if case.primary.site is not None else ["primary.site"]
    # Never false: without a tissue diagnosis the biopsy decides what the lesion is.
    fs.set("primary.tissue_diagnosis", True if has else None, missing=paths)
    # Documented only: a case that names no primary at all does not document that none is
    # diagnosed (its treatments wait on primary.tissue_diagnosis above).
    fs.set("primary.no_tissue_diagnosis", has is False)


def _disease(fs: FactSet, case: Case, oligo_max: int) -> None:
    # The shared concepts are derived once in the case (the scores read the same views).
    v = case.visceral_metastases
    present = case.visceral_present
    fs.set("visceral.present", present, missing=["visceral_metastases.present"])
    fs.set("visceral.absent_documented", present is False)
    fs.set("visceral.brain", case.brain_metastases, missing=["visceral_metastases.brain"])
    fs.set("visceral.present_documented", present is True)
    fs.set("visceral.crisis_documented", v.crisis is True)
    fs.set("visceral.crisis_excluded", v.crisis is False)

    _, vmax = case.vertebral_count_bounds()
    _, emax = case.extraspinal_count_bounds()
    total_min, total_max = case.bone_count_bounds()
    count_paths = [
        p
        for p, hi in (
            ("bone_metastases.vertebral_count", vmax),
            ("bone_metastases.extraspinal_count", emax),
        )
        if hi is None
    ]
    fs.set("bone.total_count_min", total_min)
    fs.set(
        "bone.metastasis_documented",
        total_min > 0 or case.bone_metastases.extensive_marrow_involvement is True,
    )
    if total_max is not None and total_max != total_min:
        # Both counts given, but a lesion of unknown region may add to either of them.
        count_paths = [f"lesions[{les.id}].region" for les in case.unplaced_lesions]
    fs.set("bone.multiple", case.multiple_bone_metastases, missing=count_paths)
    fs.set("bone.solitary", case.solitary_bone_metastasis, missing=count_paths)
    types = [les.type for les in case.lesions]
    if any(t is not None and t is not LesionType.blastic for t in types):
        all_blastic: bool | None = False
    elif types and all(t is LesionType.blastic for t in types):
        all_blastic = True
    else:
        all_blastic = None
    fs.set(
        "bone.all_blastic",
        all_blastic,
        missing=[f"lesions[{les.id}].type" for les in case.lesions if les.type is None]
        or ["lesions"],
    )
    fs.set(
        "bone.extensive_marrow",
        case.bone_metastases.extensive_marrow_involvement,
        missing=["bone_metastases.extensive_marrow_involvement"],
    )
    fs.set(
        "bone.extensive_marrow_documented",
        case.bone_metastases.extensive_marrow_involvement is True,
    )
    fs.set("bone.counts_known", not count_paths)
    # Judged on the listed lesions; with none listed, unknown unless the case documents that
    # there is no bone metastasis at all.
    if case.lesions:
        painful = _any3(_painful(les) for les in case.lesions)
    else:
        painful = False if total_max == 0 else None
    fs.set(
        "bone.any_painful",
        painful,
        missing=[
            p
            for les in case.lesions
            if _painful(les) is None
            for p in (f"lesions[{les.id}].pain_vas", f"lesions[{les.id}].symptomatic")
        ]
        or ["lesions"],
    )
    fs.set(
        "bone.lytic_documented",
        any(les.type is LesionType.lytic for les in case.lesions),
    )
    biopsied = [les.histology_confirmed for les in case.lesions]
    fs.set(
        "bone.histology_confirmed",
        True if True in biopsied else (False if biopsied and None not in biopsied else None),
        missing=[
            f"lesions[{les.id}].histology_confirmed"
            for les in case.lesions
            if les.histology_confirmed is None
        ]
        or ["lesions"],
    )
    # What the biopsy of a solitary lesion will show is open until it is documented: a
    # curative local treatment (en-bloc resection) waits for it, conditional, not silent. A
    # lesion documented as not biopsied yet is no missing field: the biopsy proposed decides.
    fs.set(
        "bone.biopsy_shows_metastasis",
        True if True in biopsied else None,
        missing=[
            f"lesions[{les.id}].histology_confirmed"
            for les in case.lesions
            if les.histology_confirmed is None
        ]
        or ([] if case.lesions else ["lesions"]),
    )
    fs.set("bone.spinal_lesion_listed", any(les.region is Region.spine for les in case.lesions))
    fs.set("bone.skull_lesion_listed", any(les.region is Region.skull for les in case.lesions))
    fs.set("bone.spinal_metastasis_documented", case.vertebral_count_bounds()[0] > 0)
    fs.set(
        "bone.long_bone_lesion_listed", any(les.region is Region.long_bone for les in case.lesions)
    )
    fs.set(
        "bone.pelvic_lesion_listed",
        any(
            les.region is Region.pelvis
            or (les.region is Region.spine and les.level is not None and les.level.startswith("S"))
            for les in case.lesions
        ),
    )

    # Oligometastatic: at most oligo_max metastases in all.
    if present is False:
        vis_min, vis_max = 0, 0
    elif v.count is not None:
        vis_min = vis_max = v.count
    else:
        vis_min, vis_max = (1 if present else 0), None
    lo = total_min + vis_min
    hi = None if total_max is None or vis_max is None else total_max + vis_max
    oligo: bool | None = False if lo > oligo_max else (None if hi is None else hi <= oligo_max)
    oligo_missing = [*count_paths]
    if vis_max is None:
        oligo_missing.append(
            "visceral_metastases.count" if present else "visceral_metastases.present"
        )
    fs.set("disease.oligometastatic", oligo, missing=oligo_missing)


def _prior(
    fs: FactSet,
    case: Case,
    bisphosphonates: frozenset[str],
    therapies: Mapping[str, Sequence[str]],
    drug_classes: Mapping[str, str],
    bma_products: Mapping[str, tuple[BoneModifyingAgent, BoneModifyingAgentDose | None]],
) -> None:
    pt = case.prior_therapy
    for name in (
        "chemotherapy",
        "systemic_lines_mcrpc",
        "abiraterone_current",
        "arpi_received",
        "taxane_received",
        "denosumab_stopped_recently",
        "nsaid_current",
    ):
        fs.set(f"prior.{name}", getattr(pt, name), missing=[f"prior_therapy.{name}"])
    # The drug classes on the current medication (planned therapies do not count here).
    # An entry marked as stopped ("Xgeva abgesetzt 03/2026") is no current drug.
    current = (
        None
        if pt.current_medication is None
        else [entry for entry in pt.current_medication if not _stopped(entry)]
    )
    current_named = {n for entry in current or () for n in named_therapies(entry, therapies)}
    current_classes = {drug_classes.get(n) for n in current_named}
    if pt.nsaid_current is None and "nsaid" in current_classes:
        # Not stated, but an NSAID is on the current medication ("Ibuprofen 400 mg 1-1-1").
        fs.set("prior.nsaid_current", True)
    # A myeloma therapy on the current medication ("Lenalidomid 25 mg d1-21"): a line is
    # running. Not documented means none (the policy in facts.yaml).
    fs.set(
        "prior.myeloma_therapy_current",
        True
        if "myeloma_drug" in current_classes
        else (False if pt.current_medication is not None else None),
        missing=["prior_therapy.current_medication"],
    )
    bma = pt.bone_modifying_agent
    path = ["prior_therapy.bone_modifying_agent"]
    # The products of bone-modifying agents on the current medication (therapies.yaml).
    products = {bma_products[n] for n in current_named & bma_products.keys()}
    if bma is None and len({agent for agent, _ in products}) == 1:
        # Not stated, but a product is on the current medication ("Xgeva 120 mg"): the
        # patient is on that agent (not to be started on it, nor on another beside it).
        ((bma, _), *_) = products
    fs.set("prior.bma", bma.value if bma else None, missing=path)
    dose = pt.bone_modifying_agent_dose
    doses = {d for agent, d in products if agent is bma and d is not None}
    if dose is None and len(doses) == 1:
        # The product on the current medication names the dose ("Xgeva 120 mg s.c. q4w").
        (dose,) = doses
    fs.set(
        "prior.bma_dose",
        dose.value if dose else None,
        missing=["prior_therapy.bone_modifying_agent_dose"],
    )
    fs.set(
        "prior.bisphosphonate_osteoporosis_dose",
        bma is not None
        and bma.value in bisphosphonates
        and dose is not None
        and dose.value == "osteoporosis",
    )
    fs.set("prior.on_denosumab", None if bma is None else bma.value == "denosumab", missing=path)
    fs.set("prior.on_bma", None if bma is None else bma.value != "none", missing=path)
    fs.set(
        "prior.on_bisphosphonate",
        None if bma is None else bma.value in bisphosphonates,
        missing=path,
    )
    months: float | None = None
    if pt.bone_modifying_agent_since is not None and case.board_date is not None:
        months = _months_between(pt.bone_modifying_agent_since, case.board_date)
    fs.set(
        "prior.bma_months",
        months,
        missing=_absent(
            ("prior_therapy.bone_modifying_agent_since", pt.bone_modifying_agent_since),
            ("board_date", case.board_date),
        ),
    )
    planned: list[str] = []
    for entry in pt.planned_therapies:
        planned.extend(named_therapies(entry, therapies) or [entry.lower()])
    fs.set("prior.planned_therapies", list(dict.fromkeys(planned)))
    cs = case.primary.castration_status
    fs.set("prior.castration_resistant_documented", cs is not None and cs.value == "resistant")
    fs.set("prior.arpi_documented", pt.arpi_received is True)
    fs.set("prior.taxane_documented", pt.taxane_received is True)
    _medication(fs, current, planned, therapies, drug_classes)
    since = pt.androgen_deprivation_since
    fs.set(
        "prior.adt_started",
        True if since is not None else None,
        missing=["prior_therapy.androgen_deprivation_since"],
    )
    weeks: float | None = None
    if since is not None and case.board_date is not None:
        weeks = round((case.board_date - since).days / 7, 1)
    fs.set(
        "prior.adt_weeks",
        weeks,
        missing=_absent(
            ("prior_therapy.androgen_deprivation_since", since), ("board_date", case.board_date)
        ),
        # Not started: there is no duration to try.
        domain=[] if since is None else None,
    )


def _absent(*fields: tuple[str, object]) -> list[str]:
    """The case paths among (path, value) whose value is not given: a duration computed from
    two dates misses only the one that is not documented."""
    return [path for path, value in fields if value is None]


_WORD = re.compile(r"[^\W_]+")

#: Words that mark an entry of the current medication as stopped, German and English.
_STOPPED = frozenset({"abgesetzt", "gestoppt", "beendet", "stopped", "discontinued"})


def _stopped(entry: str) -> bool:
    """Whether a medication entry says the drug was stopped ("Xgeva abgesetzt")."""
    return not _STOPPED.isdisjoint(_words(entry))


def _words(text: str) -> list[str]:
    """The words of a text, lower case: letters and digits, split at everything else."""
    return _WORD.findall(text.lower())


def _names(words: Sequence[str], name: Sequence[str]) -> bool:
    """Whether consecutive words spell ``name`` (itself split into words), with or without
    the separators between them: ``Radium-223 (Xofigo)`` holds ``radium 223`` and ``ra223``
    holds ``ra-223``; a word is never cut (``strontiumranelat`` does not hold ``strontium``)."""
    target = "".join(name)
    if not target:
        return False
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if joined == target:
                return True
            if len(joined) >= len(target) or not target.startswith(joined):
                break
    return False


def _medication(
    fs: FactSet,
    current: Sequence[str] | None,
    planned: Sequence[str],
    therapies: Mapping[str, Sequence[str]],
    drug_classes: Mapping[str, str],
) -> None:
    """The drugs that change a procedure, from the current medication and the planned
    therapies (a drug to be continued or started matters as much): a class is present when a
    drug of it is named, absent when the medication is documented without one, and unknown
    otherwise (SPEC §4.1: an undocumented medication is not "none")."""
    names: list[str] = []
    for entry in current or ():
        names.extend(named_therapies(entry, therapies) or [entry.lower()])
    names.extend(planned)
    names = list(dict.fromkeys(names))
    fs.set("medication.documented", current is not None)
    fs.set("medication.names", names)
    path = ["prior_therapy.current_medication"]
    for drug_class in DRUG_CLASSES:
        members = [n for n in names if drug_classes.get(n) == drug_class]
        present: bool | None = True if members else (False if current is not None else None)
        fs.set(f"medication.{drug_class}", present, missing=path)
        fs.set(f"medication.{drug_class}_names", members)


def named_therapies(entry: str, therapies: Mapping[str, Sequence[str]]) -> list[str]:
    """The therapies (name -> its names and aliases) that a free-text entry of the planned
    therapies names: brand and generic names with brackets, doses or other words around them
    (``Radium-223 (Xofigo)``, ``Xofigo 55 kBq/kg``) are found; case, hyphens and spaces do
    not matter."""
    words = _words(entry)
    return [
        name
        for name, spellings in therapies.items()
        if any(_names(words, _words(spelling)) for spelling in spellings)
    ]


def _labs(fs: FactSet, case: Case, scores: Sequence[ScoreResult]) -> None:
    labs = case.labs
    cal = _find(scores, "corrected_calcium")
    value = cal.total if cal is not None and cal.assessable else None
    miss = cal.missing if cal is not None else ["labs.calcium_mmol_l", "labs.albumin_g_l"]
    # With total calcium measured and albumin missing the score gives the corrected range.
    bounds = cal.range if cal is not None and value is None else None
    total = labs.calcium_mmol_l
    estimate: float | None = None
    if bounds is not None:
        lo, hi = float(bounds[0]), float(bounds[1])
        if total is not None:
            # What the measurement points to: the total calcium as the formula corrects it at
            # its reference albumin (a normal total calcium does not raise a hypercalcaemia),
            # within what an ionised calcium allows.
            estimate = min(max(corrected_calcium_mmol_l(total, REFERENCE_ALBUMIN_G_L), lo), hi)
        elif lo > HYPERCALCEMIA_ABOVE:
            estimate = lo  # an ionised hypercalcaemia: its mildest degree, until measured
        elif hi < HYPOCALCEMIA_BELOW:
            estimate = hi
    fs.set(
        "labs.calcium_corrected_mmol_l",
        value,
        missing=miss,
        interval=None if bounds is None else (float(bounds[0]), float(bounds[1])),
        estimate=estimate,
    )
    fs.set(
        "labs.calcium_category",
        cal.category if cal is not None else None,
        missing=miss,
        domain=list(cal.possible_categories) if cal is not None and bounds else None,
    )
    fs.set("labs.calcium_known", value is not None)
    fs.set("labs.calcium_measured", total is not None)
    fs.set(
        "labs.calcium_documented",
        total is not None
        or labs.calcium_corrected_mmol_l is not None
        or labs.calcium_ionized_mmol_l is not None,
    )
    fs.set("labs.calcium_ionized_measured", labs.calcium_ionized_mmol_l is not None)
    fs.set(
        "labs.calcium_ionized_mmol_l",
        labs.calcium_ionized_mmol_l,
        missing=["labs.calcium_ionized_mmol_l"],
    )
    fs.set("labs.calcium_total_mmol_l", total, missing=["labs.calcium_mmol_l"])
    fs.set(
        "labs.calcium_total_mg_dl",
        None if total is None else round(calcium_mmol_l_to_mg_dl(total), 2),
        missing=["labs.calcium_mmol_l"],
    )
    fs.set(
        "labs.calcium_total_if_mg_dl_mmol_l",
        None if total is None else round(calcium_mg_dl_to_mmol_l(total), 2),
        missing=["labs.calcium_mmol_l"],
    )
    fs.set(
        "labs.hypocalcemia_measured",
        cal is not None and cal.category == _CALCIUM[0],
    )
    fs.set(
        "labs.hypercalcemia_emergency_measured",
        cal is not None
        and bool(cal.possible_categories)
        and set(cal.possible_categories) <= {"moderate", "severe"},
    )
    fs.set("labs.albumin_g_l", labs.albumin_g_l, missing=["labs.albumin_g_l"])
    # Read only behind labs.bilirubin_measured (def.visceral_crisis): closed while not
    # measured, so the rules that carry it explore no completions of it.
    fs.set(
        "labs.bilirubin_umol_l",
        labs.bilirubin_umol_l,
        missing=["labs.bilirubin_umol_l"],
        domain=[],
    )
    fs.set("labs.bilirubin_measured", labs.bilirubin_umol_l is not None)

    for fact, score_name in (
        ("labs.crcl_ml_min", "crcl_cockcroft_gault"),
        ("labs.egfr", "egfr_ckd_epi_2021"),
    ):
        res = _find(scores, score_name)
        if res is None:
            fs.set(fact, None, missing=["labs.creatinine_umol_l"])
        elif res.total is not None:
            fs.set(fact, float(res.total))
        elif res.range is not None:
            fs.set(
                fact,
                None,
                missing=res.missing,
                interval=(float(res.range[0]), float(res.range[1])),
            )
        else:
            fs.set(fact, None, missing=res.missing)
    # Known when calculable, even as a range (sex unknown): the dose rules decide by range.
    crcl = _find(scores, "crcl_cockcroft_gault")
    fs.set("labs.crcl_known", crcl is not None and crcl.range is not None)
    fs.set("labs.crcl_exact", crcl is not None and crcl.total is not None)
    # What makes it a range (age and creatinine are known whenever it is one): a text names
    # only the input that is missing.
    lacks = None
    if crcl is not None and crcl.range is not None and crcl.total is None:
        weight, sex = case.patient.weight_kg is None, case.patient.sex is None
        lacks = "weight_and_sex" if weight and sex else "weight" if weight else "sex"
    fs.set("labs.crcl_missing", lacks)
    # The ends of that range: a dose band holds for every completion exactly when the whole
    # range lies in it, so the band is decided whatever else a rule leaves open.
    bounds = crcl.range if crcl is not None else None
    unknown = ["labs.creatinine_umol_l"] if crcl is None else crcl.missing
    for fact, end in (("labs.crcl_low_ml_min", 0), ("labs.crcl_high_ml_min", 1)):
        fs.set(fact, None if bounds is None else float(bounds[end]), missing=unknown)
    fs.set("labs.creatinine_umol_l", labs.creatinine_umol_l, missing=["labs.creatinine_umol_l"])
    # Read only behind labs.creatinine_baseline_measured (documented values alone): not
    # documented, there is nothing to try for them (closed), so the rules that carry the
    # renal check of a bisphosphonate course explore no completions of them.
    baseline = labs.creatinine_baseline_umol_l
    fs.set(
        "labs.creatinine_baseline_umol_l",
        baseline,
        missing=["labs.creatinine_baseline_umol_l"],
        domain=[],
    )
    fs.set("labs.creatinine_baseline_measured", baseline is not None)
    rise_missing = [
        path
        for path, value in (
            ("labs.creatinine_umol_l", labs.creatinine_umol_l),
            ("labs.creatinine_baseline_umol_l", baseline),
        )
        if value is None
    ]
    fs.set(
        "labs.creatinine_rise_umol_l",
        None
        if labs.creatinine_umol_l is None or baseline is None
        else round(labs.creatinine_umol_l - baseline, 1),
        missing=rise_missing,
        domain=[],
    )
    fs.set("labs.creatinine_known", labs.creatinine_umol_l is not None)
    fs.set("labs.neutrophils_10e9_l", labs.neutrophils_10e9_l, missing=["labs.neutrophils_10e9_l"])
    fs.set("labs.platelets_10e9_l", labs.platelets_10e9_l, missing=["labs.platelets_10e9_l"])
    fs.set("labs.platelets_known", labs.platelets_10e9_l is not None)
    # Whether a transfusion or recovery will reach a procedure's threshold is open until a new
    # count is entered (which replaces the measured one); documented refractoriness settles it.
    # Nothing to ask: the blood count before a procedure is routine.
    fs.set(
        "labs.platelets_raised",
        False if case.patient.platelet_transfusion_refractory else None,
    )
    fs.set("labs.neutrophils_known", labs.neutrophils_10e9_l is not None)
    fs.set("labs.hemoglobin_known", labs.hemoglobin_g_dl is not None)
    fs.set("labs.hemoglobin_g_dl", labs.hemoglobin_g_dl, missing=["labs.hemoglobin_g_dl"])
    fs.set(
        "labs.vitamin_d_25oh_nmol_l",
        labs.vitamin_d_25oh_nmol_l,
        missing=["labs.vitamin_d_25oh_nmol_l"],
    )


def _neuro(fs: FactSet, case: Case, new_within_hours: int, window_hours: int) -> None:
    n = case.neurology
    fs.set("neuro.frankel", n.frankel.value if n.frankel else None, missing=["neurology.frankel"])
    fs.set("neuro.new_deficit", n.new_deficit, missing=["neurology.new_deficit"])
    fs.set("neuro.deficit_not_new_documented", n.new_deficit is False)
    fs.set("neuro.radicular_pain", n.radicular_pain, missing=["neurology.radicular_pain"])
    fs.set("neuro.mscc_suspected", n.mscc_suspected, missing=["neurology.mscc_suspected"])
    # Where the new deficit arises: the spine (MSCC), the cranial nerves (skull base), or both.
    # Whether the new deficit is a spinal one is read only off its documented level (rules
    # read it beside neuro.new_deficit); not documented, the spinal reading is the knowledge
    # base's policy (facts.yaml).
    level = n.deficit_level
    spinal = None if level is None else level is not DeficitLevel.cranial_nerves
    cranial: bool | None
    if n.new_deficit is False:
        cranial = False
    else:
        cranial = None if level is None else level is not DeficitLevel.spinal
    level_missing = ["neurology.new_deficit"] if n.new_deficit is None else []
    level_missing.append("neurology.deficit_level")
    fs.set("neuro.spinal_deficit", spinal, missing=["neurology.deficit_level"])
    fs.set("neuro.cranial_nerve_deficit", cranial, missing=level_missing)
    fs.set("neuro.deficit_level_known", level is not None)
    fs.set("neuro.cranial_mri_done", n.cranial_mri_done, missing=["neurology.cranial_mri_done"])
    frankel_deficit = None if n.frankel is None else n.frankel is not Frankel.E
    # A new deficit of the cranial nerves only is no deficit of trunk or limbs; of unstated
    # level it counts, as neuro.spinal_deficit reads it.
    new_spinal = n.new_deficit if spinal is None else n.new_deficit and spinal
    any_deficit = _any3([new_spinal, frankel_deficit])
    # A finding documented as present, never open: for rules that act only on a documented
    # finding (def.mscc_neurology_documented). They describe the documentation, so they are
    # context facts that support no open rule themselves.
    fs.set("neuro.any_deficit_documented", any_deficit is True)
    fs.set("neuro.radicular_pain_documented", n.radicular_pain is True)
    fs.set(
        "neuro.any_deficit",
        any_deficit,
        missing=[
            path
            for path, value in (
                ("neurology.new_deficit", n.new_deficit),
                ("neurology.frankel", n.frankel),
            )
            if value is None
        ],
    )
    fs.set("neuro.deficit_onset_known", n.deficit_onset_hours is not None)
    # A deficit whose documented onset makes it new by its date (kb.yaml
    # new_deficit_onset_hours). A yes/no finding rather than a comparison in the rules: read as
    # a number, an old onset would be moved under the limit when the engine tests what
    # supports an item, and so count for nothing and against everything. Documented only,
    # never open: an open onset would be explored as if independent of the new-deficit field
    # it dates, and a completion "recent, but not new" would take the support from a
    # documented Frankel grade. An undocumented onset is asked through neuro.new_deficit.
    hours = n.deficit_onset_hours
    fs.set("neuro.deficit_onset_recent", hours is not None and hours <= new_within_hours)
    # A paraplegia (Frankel A or B) past the window of surgery (kb.yaml
    # paraplegia_surgery_window_hours), as one yes/no finding: read as a grade and a number,
    # an item conditional on its absence was named on one of them only ("onset within 48 h"),
    # as if a Frankel D deficit of four days excluded surgery.
    paraplegic = None if n.frankel is None else n.frankel in (Frankel.A, Frankel.B)
    past = None if hours is None else hours > window_hours
    over: bool | None
    if paraplegic is False or past is False:
        over = False
    elif paraplegic and past:
        over = True
    else:
        over = None
    # Open, it asks for the onset; the grade is asked with the rest of the neurology
    # (neuro.frankel), in that question's words.
    fs.set(
        "neuro.paraplegia_over_window",
        over,
        missing=["neurology.deficit_onset_hours"] if past is None else [],
    )
    fs.set(
        "neuro.deficit_onset_hours",
        n.deficit_onset_hours,
        missing=["neurology.deficit_onset_hours"],
    )
    fs.set(
        "neuro.whole_spine_mri_done",
        n.whole_spine_mri_done,
        missing=["neurology.whole_spine_mri_done"],
    )


def _spine(
    fs: FactSet,
    case: Case,
    high_grades: frozenset[str],
    abutting_grades: frozenset[str],
    decompressing: frozenset[str],
) -> None:
    spinal = case.spinal_lesions
    # A lesion of unknown region may be a spinal one whose grade is not reported.
    unplaced = case.unplaced_lesions
    # The grade of a decompressed lesion is the one before the operation: it no longer
    # compresses the cord there (a new deficit after the operation is read by the rules).
    decompressed = [
        les for les in spinal if les.operation is not None and les.operation.value in decompressing
    ]
    treated = {les.id for les in decompressed}
    grades = [les.escc_grade for les in spinal if les.id not in treated]
    high = _any3(
        [None if g is None else g.value in high_grades for g in grades] + [None for _ in unplaced]
    )
    unknown_grades = [
        f"lesions[{les.id}].escc_grade"
        for les in spinal
        if les.escc_grade is None and les.id not in treated
    ] + [f"lesions[{les.id}].region" for les in unplaced]
    mri = case.neurology.whole_spine_mri_done
    if not spinal and not unplaced:
        # No spinal lesion listed: only a whole-spine MRI can say there is no compression.
        high = False if mri is True else None
        unknown_grades = ["neurology.whole_spine_mri_done"]
    elif not spinal and mri is not True:
        # Should none of the unplaced lesions be spinal, the MRI still has to say so.
        unknown_grades.append("neurology.whole_spine_mri_done")
    fs.set("spine.any_escc_high_grade", high, missing=unknown_grades)
    fs.set(
        "spine.escc_high_grade_documented",
        any(g is not None and g.value in high_grades for g in grades),
    )
    # Epidural disease that abuts the cord (Bilsky 1c) is an impending compression: beside a
    # new deficit or radicular pain the MRI that shows it does not end the suspicion.
    abutting = _any3(
        [None if g is None else g.value in abutting_grades for g in grades]
        + [None for _ in unplaced]
    )
    if not spinal and not unplaced:
        abutting = high
    if mri is False or high is True or abutting is True:
        excludes: bool | None = False
    elif mri is True and high is False and abutting is False:
        excludes = True
    else:
        excludes = None
    fs.set(
        "spine.mri_excludes_compression",
        excludes,
        missing=(["neurology.whole_spine_mri_done"] if mri is None else []) + unknown_grades,
    )
    # Not documented (None) reads as absent: the knowledge base's policy completes it.
    operated = [f"lesions[{les.id}].operation" for les in spinal]
    fs.set(
        "spine.operated",
        True if any(les.operation is not None for les in spinal) else None,
        missing=operated,
    )
    fs.set("spine.decompressed", True if decompressed else None, missing=operated)
    _days_since_decompression(fs, case, decompressed)


def _days_since_decompression(fs: FactSet, case: Case, decompressed: Sequence[Lesion]) -> None:
    """Days from the latest decompression to the board date; with an undated one, at most the
    days since the latest dated one (it may be more recent); nothing to try without one."""
    name = "spine.days_since_decompression"
    if not decompressed:
        fs.set(name, None, missing=[], domain=[])
        return
    board = case.board_date
    dated = [les.operation_date for les in decompressed if les.operation_date is not None]
    days = [(board - d).days for d in dated] if board is not None else []
    undated = [
        f"lesions[{les.id}].operation_date" for les in decompressed if les.operation_date is None
    ]
    if board is None:
        fs.set(name, None, missing=["board_date", *undated])
    elif not undated:
        fs.set(name, min(days))
    elif days:
        fs.set(name, None, missing=undated, interval=(0.0, float(min(days))))
    else:
        fs.set(name, None, missing=undated)


_SCORE_FACTS = {
    "score.tokuhashi_category": "tokuhashi_revised",
    "score.tomita_category": "tomita",
    "score.bauer_modified_category": "bauer_modified",
    "score.katagiri_category": "katagiri_new",
}


def _prognosis(
    fs: FactSet, scores: Sequence[ScoreResult], prognosis: Prognosis, deciding: Sequence[str]
) -> None:
    basis_missing = sorted(
        {p for s in scores if s.lesion is None and s.name in deciding for p in s.missing}
        | {"patient.life_expectancy_months"}
    )
    fs.set(
        "prognosis.band",
        prognosis.band.value if prognosis.band else None,
        missing=basis_missing,
        domain=[b.value for b in prognosis.possible_bands],
    )
    fs.set("prognosis.ge_6_months", prognosis.ge_6_months, missing=basis_missing)
    fs.set("prognosis.scores_disagree", prognosis.scores_disagree)
    fs.set("prognosis.team_estimate", prognosis.basis == TEAM_ESTIMATE)
    fs.set("prognosis.known", prognosis.band is not None)
    for fact, score_name in _SCORE_FACTS.items():
        res = _find(scores, score_name)
        if res is None:
            # The score does not apply (Tokuhashi without spinal involvement): no category is
            # possible, so nothing waits for one (an en-bloc resection of a solitary pelvic
            # lesion in lung cancer was open on a Tokuhashi score of 12 or more).
            fs.set(fact, None, missing=[], domain=[])
        elif res.category is not None:
            fs.set(fact, res.category)
        else:
            fs.set(fact, None, missing=res.missing, domain=list(res.possible_categories))


# ---------------------------------------------------------------------------------------------
# lesion facts


def lesion_facts(
    lesion: Lesion,
    scores: Sequence[ScoreResult],
    *,
    kb: KnowledgeBase | None = None,
    board_date: dt.date | None = None,
) -> FactSet:
    """The facts of one lesion; constants come from ``kb`` (default: bundled), and the age of
    its operation from ``board_date`` (none given: not known to be old). For a lesion whose
    region is not given, each fact over every region the lesion could lie in."""
    kb = _bundled(kb)
    if lesion.region is None:
        return _unplaced_lesion_facts(lesion, scores, kb, board_date)
    return _placed_lesion_facts(lesion, scores, kb, board_date)


def _unplaced_lesion_facts(
    lesion: Lesion, scores: Sequence[ScoreResult], kb: KnowledgeBase, board_date: dt.date | None
) -> FactSet:
    """A fact that is the same in every region stays known (pain, size, fracture …); one that
    depends on the region (spinal, long bone, SINS, weight-bearing …) becomes unknown, its
    domain the values it takes across the regions and the region first among its missing
    inputs. The per-lesion scores were computed as if the lesion lay in their region."""
    variants = [
        _placed_lesion_facts(lesion.model_copy(update={"region": region}), scores, kb, board_date)
        for region in Region
    ]
    region_path = [f"lesions[{lesion.id}].region"]
    fs = FactSet()
    for name in variants[0].values:
        values = [v.values[name] for v in variants]
        if values[0] is not None and all(v == values[0] for v in values):
            fs.set(name, values[0])
            continue
        missing = region_path + [p for v in variants for p in v.missing.get(name, ())]
        if any(name in v.closed for v in variants):
            fs.set(name, None, missing=missing, domain=[])
        elif _BY_NAME[name].type in ("int", "float"):
            # No interval: the values across regions are not a measurement (a SINS range
            # beside the 0 of every other region), so the number spans its plausible range
            # and cannot support a rule as a documented finding would.
            fs.set(name, None, missing=missing)
        else:
            domain: dict[Any, None] = {}
            for v in variants:
                for value in [v.values[name]] if v.values[name] is not None else v.domains[name]:
                    domain.setdefault(value, None)
            fs.set(name, None, missing=missing, domain=_in_catalogue_order(name, list(domain)))
    fs.set("lesion.region_documented", False)
    return fs


def _in_catalogue_order(name: str, domain: list[Value]) -> list[Value]:
    fact = _BY_NAME[name]
    if fact.type == "bool":
        return [b for b in (False, True) if b in domain]
    if fact.type == "enum":
        return [v for v in fact.values if v in domain]
    return domain


def _placed_lesion_facts(
    lesion: Lesion, scores: Sequence[ScoreResult], kb: KnowledgeBase, board_date: dt.date | None
) -> FactSet:
    assert lesion.region is not None
    high_grades = frozenset(kb.constants["escc_high_grades"])
    fs = FactSet()
    path = f"lesions[{lesion.id}]"

    def p(name: str) -> list[str]:
        return [f"{path}.{name}"]

    spine = lesion.region is Region.spine
    long_bone = lesion.region is Region.long_bone
    fs.set("lesion.id", lesion.id)
    fs.set("lesion.region", lesion.region.value)
    fs.set("lesion.region_documented", True)
    fs.set("lesion.spine", spine)
    fs.set("lesion.long_bone", long_bone)
    fs.set(
        "lesion.skull_base",
        lesion.skull_base if lesion.region is Region.skull else False,
        missing=p("skull_base"),
    )
    fs.set(
        "lesion.level",
        lesion.level if spine else "",
        missing=p("level"),
        domain=list(SPINE_LEVELS),
    )
    fs.set("lesion.cervical", spine and (lesion.level or "").startswith("C"))
    fs.set("lesion.type", lesion.type.value if lesion.type else None, missing=p("type"))
    fs.set(
        "lesion.lytic",
        None if lesion.type is None else lesion.type is LesionType.lytic,
        missing=p("type"),
    )

    painful = _painful(lesion)
    pain_paths = p("pain_vas") + p("symptomatic")
    fs.set("lesion.painful", painful, missing=pain_paths)
    fs.set("lesion.pain_vas", lesion.pain_vas, missing=p("pain_vas"))
    if lesion.pain is not None:
        mech: bool | None = lesion.pain is SpinalPain.mechanical
    elif lesion.mirels_pain is not None:
        mech = lesion.mirels_pain is MirelsPain.functional
    else:
        mech = None
    # Stated by lesions[].pain at the spine and the pelvis, by mirels_pain at a long bone;
    # no field states it elsewhere.
    pain_field = (
        ["pain"]
        if spine or lesion.region is Region.pelvis
        else ["mirels_pain"]
        if long_bone
        else []
    )
    fs.set("lesion.pain_mechanical", mech, missing=[f"{path}.{f}" for f in pain_field])
    fs.set("lesion.size_cm", lesion.size_cm, missing=p("size_cm"))
    fs.set(
        "lesion.pathologic_fracture", lesion.pathologic_fracture, missing=p("pathologic_fracture")
    )
    fs.set("lesion.fracture_documented", lesion.pathologic_fracture is True)
    fs.set("lesion.histology_documented", lesion.histology_confirmed is True)
    fs.set(
        "lesion.operation",
        lesion.operation.value if lesion.operation else None,
        missing=p("operation"),
    )
    # Documented only: an undated operation, or no board date, is not known to be old.
    window = int(kb.constants["postoperative_rt_window_days"])
    fs.set(
        "lesion.operation_long_ago",
        lesion.operation is not None
        and lesion.operation_date is not None
        and board_date is not None
        and (board_date - lesion.operation_date).days > window,
    )
    # Texts name the lesion by its id with the word and the level (engine: lesion names).
    fs.set("lesion.label", lesion.id)
    fs.set(
        "lesion.previously_irradiated",
        lesion.previously_irradiated,
        missing=p("previously_irradiated"),
    )
    fs.set("lesion.local_progression", lesion.local_progression, missing=p("local_progression"))
    fs.set(
        "lesion.other_bone",
        (lesion.other_bone.value if lesion.other_bone else None)
        if lesion.region is Region.other
        else "none",
        missing=p("other_bone"),
    )

    # Spine
    g = lesion.escc_grade
    if spine:
        fs.set("lesion.escc_grade", g.value if g else None, missing=p("escc_grade"))
        fs.set("lesion.escc_known", g is not None)
        fs.set(
            "lesion.escc_high_grade",
            None if g is None else g.value in high_grades,
            missing=p("escc_grade"),
        )
        sins = _score(scores, "sins", lesion.id)
        _score_facts(fs, "lesion.sins", sins)
        fs.set(
            "lesion.posterior_involvement",
            None
            if lesion.posterolateral is None
            else lesion.posterolateral is not Posterolateral.none,
            missing=p("posterolateral"),
        )
        # Any collapse, or more than half of the body involved, shows body involvement; the
        # SINS grade "none" (no collapse, at most half involved) leaves it open.
        body = lesion.vertebral_body_involved
        if body is None and lesion.collapse not in (None, Collapse.none):
            body = True
        fs.set(
            "lesion.vertebral_body_involved",
            body,
            missing=p("vertebral_body_involved") + ([] if lesion.collapse else p("collapse")),
        )
        # A compression fracture is a collapse: a documented collapse grade decides it unless
        # a pathologic fracture is documented.
        if lesion.pathologic_fracture is True:
            fracture: bool | None = True
        elif lesion.collapse is not None:
            fracture = lesion.collapse in (Collapse.lt_50, Collapse.gt_50)
        else:
            fracture = False if lesion.pathologic_fracture is False else None
        fs.set(
            "lesion.vertebral_fracture",
            fracture,
            missing=(p("pathologic_fracture") if lesion.pathologic_fracture is None else [])
            + (p("collapse") if lesion.collapse is None else []),
        )
    else:
        fs.set("lesion.escc_grade", "none")
        fs.set("lesion.escc_known", True)
        fs.set("lesion.escc_high_grade", False)
        fs.set("lesion.sins", 0)
        fs.set("lesion.sins_category", "stable")
        fs.set("lesion.posterior_involvement", False)
        fs.set("lesion.vertebral_body_involved", False)
        fs.set("lesion.vertebral_fracture", False)

    if long_bone:
        mirels = _score(scores, "mirels", lesion.id)
        _score_facts(fs, "lesion.mirels", mirels)
        fs.set("lesion.mirels_borderline", mirels.category == "borderline")
        fs.set(
            "lesion.segment", lesion.segment.value if lesion.segment else None, missing=p("segment")
        )
        fs.set("lesion.bone", lesion.bone.value if lesion.bone else None, missing=p("bone"))
        ci = lesion.cortical_involvement
        fs.set(
            "lesion.cortical_involvement",
            ci.value if ci else None,
            missing=p("cortical_involvement"),
        )
        fs.set("lesion.cortex_known", ci is not None)
    else:
        fs.set("lesion.mirels", 0)
        fs.set("lesion.mirels_category", "low")
        fs.set("lesion.mirels_borderline", False)
        fs.set("lesion.segment", "none")
        fs.set("lesion.bone", "none")
        fs.set("lesion.cortical_involvement", "none")
        fs.set("lesion.cortex_known", True)

    # Unknown unless the documented joint or the location rules the high-risk joints in or out.
    joints = lesion.possible_joints()
    high_risk = {j.value for j in joints or ()} & set(kb.constants["high_risk_joints"])
    if joints is not None and not high_risk:
        hrj: bool | None = False
    elif joints is not None and lesion.joint is not None:
        hrj = True
    else:
        hrj = None
    fs.set("lesion.high_risk_joint", hrj, missing=p("joint"))
    fs.set(
        "lesion.hip_joint",
        None if lesion.joint is None else lesion.joint.value == "hip",
        missing=p("joint"),
    )
    fs.set(
        "lesion.pelvis_hip_documented",
        lesion.region is Region.pelvis and lesion.joint is not None and lesion.joint.value == "hip",
    )
    return fs


def _imaged(lesion: Lesion) -> bool:
    """Whether any imaging finding of the lesion is documented (its type, size, compression
    grade or the vertebra's alignment and collapse)."""
    return any(
        value is not None
        for value in (
            lesion.type,
            lesion.size_cm,
            lesion.escc_grade,
            lesion.alignment,
            lesion.collapse,
            lesion.cortical_involvement,
        )
    )


def _painful(lesion: Lesion) -> bool | None:
    """Whether the lesion hurts: any pain field can tell; none given means unknown."""
    signals: list[bool | None] = []
    if lesion.pain is not None:
        signals.append(lesion.pain is not SpinalPain.none)
    if lesion.mirels_pain is not None:
        signals.append(True)
    if lesion.pain_vas is not None:
        signals.append(lesion.pain_vas > 0)
    if lesion.symptomatic is not None:
        signals.append(lesion.symptomatic)
    return _any3(signals) if signals else None


def _score_facts(fs: FactSet, prefix: str, result: ScoreResult) -> None:
    if result.total is not None:
        fs.set(prefix, int(result.total))
    else:
        lo, hi = result.range or (None, None)
        if lo is None or hi is None:
            fs.set(prefix, None, missing=result.missing)
        else:
            fs.set(prefix, None, missing=result.missing, interval=(float(lo), float(hi)))
    fs.set(
        f"{prefix}_category",
        result.category,
        missing=result.missing,
        domain=list(result.possible_categories),
    )
