"""The case: one patient at one board date.

This is the single domain model. Every input adapter (YAML/JSON file, web form, FHIR bundle)
produces a :class:`Case`; nothing downstream reads raw input. Unknown fields are rejected so
that a typo never passes silently. Every field is optional unless the SPEC marks it required:
missing clinical data is not an error, it yields score ranges and ``missing_data`` entries.

Units are part of every field name. Conventional units (mg/dL …) are accepted under their own
explicit names and converted in :mod:`osteoboard.units`.
"""

import datetime as dt
import functools
import re
import types
import unicodedata
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Self, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from osteoboard import units

__all__ = [
    "LONG_BONE_JOINTS",
    "OPERATION_REGIONS",
    "SACROILIAC_LEVELS",
    "SPINE_LEVELS",
    "Alignment",
    "BoneMetastases",
    "BoneModifyingAgent",
    "BoneModifyingAgentDose",
    "CardiacDevice",
    "Case",
    "CastrationStatus",
    "Collapse",
    "CorticalInvolvement",
    "Crab",
    "CrabFeature",
    "DeficitLevel",
    "EsccGrade",
    "Frankel",
    "Joint",
    "Labs",
    "Lesion",
    "LesionType",
    "LongBone",
    "MirelsPain",
    "Myeloma",
    "MyelomaAssessment",
    "MyelomaBaseline",
    "MyelomaStage",
    "MyelomaStaging",
    "Neurology",
    "Operation",
    "OtherBone",
    "Patient",
    "Posterolateral",
    "Primary",
    "PrimarySite",
    "PriorTherapy",
    "Region",
    "Sarcoma",
    "SarcomaMetastases",
    "Segment",
    "Sex",
    "Side",
    "SpinalPain",
    "Treatment",
    "VisceralMetastases",
    "normalise_spine_level",
    "spine_level_index",
]


class _Model(BaseModel):
    """Base for every input block: unknown fields are an error, strings are stripped, a
    number must be finite (``.nan``, ``.inf`` and 1e309 are refused by name) and is never
    true or false."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _number_not_bool(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1 and false as 0 where a number is expected; a case never
        # means that (YAML 1.1 even spells false "no"), so every number field of every block
        # refuses a boolean by name. Text such as "75" is still read as a number.
        if isinstance(value, bool) and info.field_name is not None:
            kind = _number_kind(cls, info.field_name)
            if kind == "int":
                raise PydanticCustomError(
                    "int_from_bool", "must be a whole number, not true or false"
                )
            if kind == "float":
                raise PydanticCustomError("float_from_bool", "must be a number, not true or false")
        if isinstance(value, float) and value == 0.0:
            return 0.0  # -0.0 is 0 (a count of "-0" would read so in every text)
        return value


@functools.cache
def _number_kind(model: type[BaseModel], name: str) -> str | None:
    """``"int"`` or ``"float"`` when the field takes a number (and no boolean), else None."""
    info = model.model_fields.get(name)
    if info is None:
        return None
    kinds = set()
    pending = [info.annotation]
    while pending:
        tp = pending.pop()
        args = get_args(tp)
        if get_origin(tp) is Annotated:
            pending.append(args[0])
        elif args and get_origin(tp) in (Union, types.UnionType):
            pending.extend(args)
        elif tp in (int, float, bool):
            kinds.add(tp.__name__)
    if "bool" in kinds:
        return None
    return "float" if "float" in kinds else "int" if "int" in kinds else None


# --------------------------------------------------------------------------------------------
# Enumerations (lower-case snake case, as in SPEC §1)


class Sex(StrEnum):
    female = "female"
    male = "male"


class PrimarySite(StrEnum):
    breast = "breast"
    prostate = "prostate"
    thyroid = "thyroid"
    kidney = "kidney"
    lung_nsclc = "lung_nsclc"
    lung_sclc = "lung_sclc"
    myeloma = "myeloma"
    lymphoma = "lymphoma"
    uterus = "uterus"
    cervix = "cervix"
    ovary = "ovary"
    rectum = "rectum"
    colon = "colon"
    stomach = "stomach"
    oesophagus = "oesophagus"
    pancreas = "pancreas"
    liver = "liver"
    gallbladder = "gallbladder"
    bladder = "bladder"
    melanoma = "melanoma"
    sarcoma = "sarcoma"
    osteosarcoma = "osteosarcoma"
    head_neck = "head_neck"
    neuroendocrine = "neuroendocrine"
    germ_cell = "germ_cell"
    unknown = "unknown"
    other = "other"


class Growth(StrEnum):
    slow = "slow"
    moderate = "moderate"
    rapid = "rapid"


class PositiveNegative(StrEnum):
    positive = "positive"
    negative = "negative"


class CastrationStatus(StrEnum):
    sensitive = "sensitive"
    resistant = "resistant"


class NeuroendocrineGrade(StrEnum):
    g1 = "g1"
    g2 = "g2"
    g3 = "g3"


class NeuroendocrineOrigin(StrEnum):
    gastroenteropancreatic = "gastroenteropancreatic"
    lung = "lung"
    other = "other"


class VisceralPattern(StrEnum):
    nodular = "nodular"
    disseminated = "disseminated"


class BoneModifyingAgent(StrEnum):
    none = "none"
    zoledronic_acid = "zoledronic_acid"
    ibandronate = "ibandronate"
    pamidronate = "pamidronate"
    denosumab = "denosumab"


class BoneModifyingAgentDose(StrEnum):
    """The dose at which the current bone-modifying agent is given."""

    bone_metastasis = "bone_metastasis"
    osteoporosis = "osteoporosis"


class Frankel(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class DeficitLevel(StrEnum):
    """Where a new neurological deficit arises: the cranial nerves only (skull base, brain,
    meninges), the spine (cord, cauda equina, nerve roots), or both."""

    cranial_nerves = "cranial_nerves"
    spinal = "spinal"
    cranial_nerves_and_spinal = "cranial_nerves_and_spinal"


class Region(StrEnum):
    spine = "spine"
    long_bone = "long_bone"
    pelvis = "pelvis"
    rib = "rib"
    skull = "skull"
    sternum = "sternum"
    other = "other"


class LesionType(StrEnum):
    lytic = "lytic"
    mixed = "mixed"
    blastic = "blastic"


class SpinalPain(StrEnum):
    mechanical = "mechanical"
    non_mechanical = "non_mechanical"
    none = "none"


class Alignment(StrEnum):
    normal = "normal"
    de_novo_deformity = "de_novo_deformity"
    subluxation_translation = "subluxation_translation"


class Collapse(StrEnum):
    none = "none"
    body_involved_gt_50 = "body_involved_gt_50"
    lt_50 = "lt_50"
    gt_50 = "gt_50"


class Posterolateral(StrEnum):
    none = "none"
    unilateral = "unilateral"
    bilateral = "bilateral"


class EsccGrade(StrEnum):
    g0 = "0"
    g1a = "1a"
    g1b = "1b"
    g1c = "1c"
    g2 = "2"
    g3 = "3"


class LongBone(StrEnum):
    femur = "femur"
    tibia = "tibia"
    humerus = "humerus"
    radius = "radius"
    ulna = "ulna"
    fibula = "fibula"
    other = "other"


class OtherBone(StrEnum):
    """Region ``other``: the bones named most often outside the spine, the long bones, the
    pelvis, the ribs, the skull and the sternum (the hands and feet as one bone each: the
    carpal, metacarpal and finger bones; the other tarsal, metatarsal and toe bones)."""

    clavicle = "clavicle"
    scapula = "scapula"
    mandible = "mandible"
    patella = "patella"
    hand = "hand"
    calcaneus = "calcaneus"
    talus = "talus"
    foot = "foot"


class Segment(StrEnum):
    peritrochanteric = "peritrochanteric"
    epiphyseal = "epiphyseal"
    metaphyseal = "metaphyseal"
    diaphyseal = "diaphyseal"


class MirelsPain(StrEnum):
    mild = "mild"
    moderate = "moderate"
    functional = "functional"


class CorticalInvolvement(StrEnum):
    lt_one_third = "lt_one_third"
    one_to_two_thirds = "one_to_two_thirds"
    gt_two_thirds = "gt_two_thirds"


class Side(StrEnum):
    left = "left"
    right = "right"
    midline = "midline"


class Joint(StrEnum):
    hip = "hip"
    shoulder = "shoulder"
    sacroiliac = "sacroiliac"
    knee = "knee"
    elbow = "elbow"
    none = "none"


class Operation(StrEnum):
    """An operation at a lesion that has already been done (the case's history, not a plan)."""

    decompression = "decompression"
    stabilization = "stabilization"
    decompression_stabilization = "decompression_stabilization"
    intramedullary_nail = "intramedullary_nail"
    plate_osteosynthesis = "plate_osteosynthesis"
    osteosynthesis = "osteosynthesis"
    endoprosthesis = "endoprosthesis"
    resection = "resection"


class CardiacDevice(StrEnum):
    """A cardiac implantable electronic device (``patient.cardiac_device``)."""

    none = "none"
    pacemaker = "pacemaker"
    icd = "icd"
    crt_p = "crt_p"
    crt_d = "crt_d"


class Treatment(StrEnum):
    """A kind of treatment the patient can decline after being informed (``patient.declines``).

    ``surgery``: every operation (decompression, stabilisation, fixation, endoprosthesis,
    resection, metastasectomy); a needle biopsy, cement augmentation, thermal ablation and an
    embolisation of their own are not operations. ``radiotherapy``: external-beam radiotherapy
    of every kind. ``bone_modifying_agent``: bisphosphonates and denosumab at any dose.
    ``systemic_therapy``: drug therapy of the cancer (chemotherapy, endocrine, targeted,
    antibody and immune therapy; the myeloma and sarcoma regimens). Radionuclide therapy
    (radium-223, lutetium, radioiodine) is none of these.
    """

    surgery = "surgery"
    radiotherapy = "radiotherapy"
    bone_modifying_agent = "bone_modifying_agent"
    systemic_therapy = "systemic_therapy"


_NOT_SPINE = tuple(r for r in Region if r is not Region.spine)
#: The regions each operation can be done in: decompression and stabilisation at the spine,
#: a nail in a long bone, an endoprosthesis replacing a joint-bearing segment of a long bone
#: or the acetabulum, a plate or another osteosynthesis anywhere outside the spine, and a
#: resection (with its reconstruction) anywhere.
OPERATION_REGIONS: dict[Operation, tuple[Region, ...]] = {
    Operation.decompression: (Region.spine,),
    Operation.stabilization: (Region.spine,),
    Operation.decompression_stabilization: (Region.spine,),
    Operation.intramedullary_nail: (Region.long_bone,),
    Operation.plate_osteosynthesis: _NOT_SPINE,
    Operation.osteosynthesis: _NOT_SPINE,
    Operation.endoprosthesis: (Region.long_bone, Region.pelvis),
    Operation.resection: tuple(Region),
}


class MyelomaStage(StrEnum):
    mgus = "mgus"
    smouldering = "smouldering"
    active = "active"
    #: Solitary plasmacytoma of bone (IMWG 2014): one biopsy-proven bone lesion of clonal
    #: plasma cells, fewer than 10 % clonal plasma cells in the marrow, no other lesion on
    #: whole-body imaging and no CRAB damage - not myeloma (extramedullary plasmacytoma is
    #: not a bone disease and has no value here).
    solitary_plasmacytoma = "solitary_plasmacytoma"


#: The precursor stages of myeloma (no myeloma-defining event yet: IMWG, Rajkumar 2014).
MYELOMA_PRECURSOR_STAGES = frozenset({MyelomaStage.mgus, MyelomaStage.smouldering})


class MyelomaDrug(StrEnum):
    lenalidomide = "lenalidomide"
    pomalidomide = "pomalidomide"
    thalidomide = "thalidomide"
    bortezomib = "bortezomib"
    carfilzomib = "carfilzomib"
    ixazomib = "ixazomib"
    daratumumab = "daratumumab"
    isatuximab = "isatuximab"
    elotuzumab = "elotuzumab"
    melphalan = "melphalan"
    cyclophosphamide = "cyclophosphamide"
    selinexor = "selinexor"
    belantamab = "belantamab"
    teclistamab = "teclistamab"
    elranatamab = "elranatamab"
    talquetamab = "talquetamab"
    cilta_cel = "cilta_cel"
    ide_cel = "ide_cel"
    venetoclax = "venetoclax"
    other = "other"


class SarcomaSubtype(StrEnum):
    leiomyosarcoma = "leiomyosarcoma"
    liposarcoma_well_differentiated = "liposarcoma_well_differentiated"
    liposarcoma_dedifferentiated = "liposarcoma_dedifferentiated"
    liposarcoma_myxoid = "liposarcoma_myxoid"
    liposarcoma_pleomorphic = "liposarcoma_pleomorphic"
    undifferentiated_pleomorphic_sarcoma = "undifferentiated_pleomorphic_sarcoma"
    synovial_sarcoma = "synovial_sarcoma"
    myxofibrosarcoma = "myxofibrosarcoma"
    angiosarcoma = "angiosarcoma"
    mpnst = "mpnst"
    solitary_fibrous_tumor = "solitary_fibrous_tumor"
    rhabdomyosarcoma_embryonal = "rhabdomyosarcoma_embryonal"
    rhabdomyosarcoma_alveolar = "rhabdomyosarcoma_alveolar"
    rhabdomyosarcoma_pleomorphic = "rhabdomyosarcoma_pleomorphic"
    extraskeletal_ewing = "extraskeletal_ewing"
    #: Ewing sarcoma of bone (or of either, when the referral does not say): treated in the
    #: same protocols as the extraskeletal one.
    ewing = "ewing"
    dsrct = "dsrct"
    gist = "gist"
    other = "other"


class SarcomaSite(StrEnum):
    lung = "lung"
    liver = "liver"
    bone = "bone"
    soft_tissue = "soft_tissue"
    abdomen = "abdomen"
    brain = "brain"
    lymph_nodes = "lymph_nodes"
    other = "other"


class SarcomaAgent(StrEnum):
    doxorubicin = "doxorubicin"
    epirubicin = "epirubicin"
    liposomal_doxorubicin = "liposomal_doxorubicin"
    ifosfamide = "ifosfamide"
    dacarbazine = "dacarbazine"
    trabectedin = "trabectedin"
    eribulin = "eribulin"
    gemcitabine = "gemcitabine"
    docetaxel = "docetaxel"
    paclitaxel = "paclitaxel"
    pazopanib = "pazopanib"
    regorafenib = "regorafenib"
    sunitinib = "sunitinib"
    imatinib = "imatinib"
    temozolomide = "temozolomide"
    other = "other"


# --------------------------------------------------------------------------------------------
# Spine levels

_LEVEL_RE = re.compile(r"^(C[1-7]|T(?:[1-9]|1[0-2])|L[1-5]|S[1-5])$")
#: Every vertebral level from cranial to caudal.
SPINE_LEVELS: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    *(f"S{i}" for i in range(1, 6)),
)


def spine_level_index(level: str) -> int:
    """Position of a vertebral level from cranial (C1 = 0) to caudal (S5 = 28)."""
    return SPINE_LEVELS.index(level)


# Anatomy: the joints a lesion can involve by where it lies (wrist and ankle are not in Joint).

#: The joints at the ends of each long bone, proximal first.
LONG_BONE_JOINTS: dict[LongBone, tuple[Joint, ...]] = {
    LongBone.femur: (Joint.hip, Joint.knee),
    LongBone.humerus: (Joint.shoulder, Joint.elbow),
    LongBone.radius: (Joint.elbow,),
    LongBone.ulna: (Joint.elbow,),
    LongBone.tibia: (Joint.knee,),
    LongBone.fibula: (Joint.knee,),
}
#: Sacral segments that form the sacroiliac joint.
SACROILIAC_LEVELS: tuple[str, ...] = ("S1", "S2", "S3")
#: Joints of the pelvis beside a pelvic lesion (acetabulum, sacroiliac joint).
_PELVIC_JOINTS = (Joint.hip, Joint.sacroiliac)


# German notation: Halswirbelkörper, Brustwirbelkörper (also "Th"), Lendenwirbelkörper,
# Sakralwirbelkörper.
_GERMAN_SEGMENT = {"HWK": "C", "BWK": "T", "TH": "T", "LWK": "L", "SWK": "S"}
_LEVEL_TEXT = re.compile(r"^(HWK|BWK|LWK|SWK|TH|C|T|L|S)(\d{1,2})$")


def normalise_spine_level(text: str) -> str:
    """A vertebral level as C1…C7, T1…T12, L1…L5 or S1…S5.

    German notation is accepted: HWK 1–7, BWK 1–12 and Th1–Th12, LWK 1–5, SWK 1–5; spaces,
    dots and case do not matter ("BWK 8", "Th.8", "lwk3"). Raises ValueError otherwise.
    """
    match = _LEVEL_TEXT.match(re.sub(r"[\s.]", "", text).upper())
    level = match and _GERMAN_SEGMENT.get(match[1], match[1]) + str(int(match[2]))
    if not level or not _LEVEL_RE.match(level):
        raise ValueError("must be a vertebral level C1…C7, T1…T12, L1…L5 or S1…S5")
    return level


Percent = Annotated[float, Field(ge=0, le=100)]
NonNeg = Annotated[float, Field(ge=0)]

# Dates outside this window are typing errors, not clinical history; keeping them out also
# keeps date arithmetic (months after a date, plot axes) far from the calendar's ends.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def _plausible_date(v: dt.date) -> dt.date:
    if not EARLIEST_DATE <= v <= LATEST_DATE:
        raise ValueError(f"must be a date from {EARLIEST_DATE} to {LATEST_DATE}")
    return v


ClinicalDate = Annotated[
    dt.date,
    AfterValidator(_plausible_date),
    Field(
        json_schema_extra={
            "formatMinimum": EARLIEST_DATE.isoformat(),
            "formatMaximum": LATEST_DATE.isoformat(),
        }
    ),
]

# Unicode categories free text may not contain: control characters, surrogates (a lone one
# cannot be written as UTF-8), private-use and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
# Bidirectional overrides and isolates reorder the text around them on screen.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable_text(v: str) -> str:
    for ch in v:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _BIDI_CONTROLS:
            raise ValueError(f"must be printable text (contains U+{ord(ch):04X} at {v.index(ch)})")
    return v


#: Free text: printable characters only (any script; no control characters).
FreeText = Annotated[str, AfterValidator(_printable_text)]


# --------------------------------------------------------------------------------------------
# Blocks


class Patient(_Model):
    age: Annotated[int, Field(ge=18, le=120, description="Age in years (adults only).")] | None = (
        None
    )
    sex: Sex | None = Field(default=None, description="Sex (for creatinine clearance and eGFR).")
    weight_kg: Annotated[float, Field(gt=20, le=350)] | None = Field(
        default=None, description="Body weight (for creatinine clearance)."
    )
    ecog: Annotated[int, Field(ge=0, le=4, description="ECOG performance status 0–4.")] | None = (
        None
    )
    karnofsky: (
        Annotated[int, Field(ge=0, le=100, multiple_of=10, description="Karnofsky 0–100, in tens.")]
        | None
    ) = None
    life_expectancy_months: (
        Annotated[
            float,
            Field(ge=0, le=600, description="The treating team's own estimate; overrides bands."),
        ]
        | None
    ) = None
    fit_for_surgery: bool | None = Field(
        default=None, description="Operability as judged by surgeon/anaesthesia; null = unknown."
    )
    dental_exam_done: bool | None = Field(
        default=None, description="Dental examination done before a bone-modifying agent."
    )
    invasive_dental_procedure_planned: bool | None = Field(
        default=None, description="An invasive dental procedure (extraction, implant) is planned."
    )
    hypercalcemia_symptoms: bool | None = Field(
        default=None,
        description="Thirst, polyuria, nausea, constipation, confusion or other signs of "
        "hypercalcaemia.",
    )
    hypocalcemia_symptoms: bool | None = Field(
        default=None,
        description="Tingling around the mouth or in the fingers, muscle cramps, tetany or "
        "carpopedal spasm, laryngospasm, a seizure or a prolonged QT interval from low calcium.",
    )
    on_dialysis: bool | None = Field(default=None, description="The patient is on dialysis.")
    platelet_transfusion_refractory: bool | None = Field(
        default=None,
        description="The platelets cannot be raised for a procedure (refractory to platelet "
        "transfusion, documented by the haematologists): a procedure whose threshold the "
        "count misses is then not proposed; left out, it stays conditional on a count after "
        "transfusion or recovery.",
    )
    pregnant: bool | None = Field(
        default=None,
        description="The patient is pregnant (not for a male patient); left out = not "
        "documented, read as not pregnant.",
    )
    breastfeeding: bool | None = Field(
        default=None,
        description="The patient is breast-feeding (not for a male patient); left out = not "
        "documented, read as not breast-feeding.",
    )
    fetal_dose_acceptable: bool | None = Field(
        default=None,
        description="Pregnancy only: medical physics has estimated the fetal dose of the "
        "planned radiotherapy and the board finds it acceptable (target far from the uterus, "
        "shielding); false = radiotherapy waits until after delivery.",
    )
    jaw_osteonecrosis: bool | None = Field(
        default=None,
        description="An established osteonecrosis of the jaw (exposed bone, or bone that can "
        "be probed through a fistula, for more than 8 weeks); left out = not documented.",
    )
    jaw_osteonecrosis_stage: Annotated[int, Field(ge=1, le=3)] | None = Field(
        default=None,
        description="Stage of the established osteonecrosis of the jaw, 1–3 (AAOMS 2022).",
    )
    cardiac_device: CardiacDevice | None = Field(
        default=None,
        description="Cardiac implantable electronic device: none, pacemaker, icd "
        "(implantable cardioverter-defibrillator), crt_p or crt_d (cardiac resynchronisation "
        "with pacemaker or defibrillator function); left out = not documented (unknown).",
    )
    cardiac_device_mr_conditional: bool | None = Field(
        default=None,
        description="The whole implanted system (generator and leads) is labelled "
        "MR-conditional; only with a cardiac device; left out = not documented.",
    )
    mri_contraindicated: bool | None = Field(
        default=None,
        description="MRI is contraindicated for this patient, as judged by radiology (e.g. a "
        "device that is not MR-conditional, a metallic foreign body, a cochlear implant, "
        "claustrophobia despite sedation); false = MRI possible; left out = not documented "
        "(unknown, never read as no contraindication).",
    )
    mri_contraindication_reason: Annotated[FreeText, Field(max_length=200)] | None = Field(
        default=None,
        description="Why MRI is contraindicated, in free text (only with mri_contraindicated "
        "true).",
    )
    declines: list[Treatment] | None = Field(
        default=None,
        max_length=len(Treatment),
        description="Treatments the patient has declined after being informed (informed "
        "refusal, documented in the record): surgery = every operation (not a needle biopsy, "
        "cement augmentation or ablation); radiotherapy = external-beam radiotherapy; "
        "bone_modifying_agent = bisphosphonates and denosumab; systemic_therapy = drug "
        "therapy of the cancer (not radionuclide therapy). None of them is proposed: the board "
        "records the refusal and the alternatives are proposed instead. Left out or empty = "
        "no refusal documented.",
    )

    @model_validator(mode="after")
    def _pregnancy_and_jaw(self) -> Self:
        if self.sex is Sex.male:
            for name in ("pregnant", "breastfeeding"):
                if getattr(self, name):
                    raise ValueError(f"{name} is true but sex is male")
        if self.fetal_dose_acceptable is not None and self.pregnant is not True:
            raise ValueError("fetal_dose_acceptable applies only when pregnant is true")
        if self.jaw_osteonecrosis_stage is not None and self.jaw_osteonecrosis is False:
            raise ValueError("jaw_osteonecrosis_stage is given but jaw_osteonecrosis is false")
        if self.cardiac_device_mr_conditional is not None and self.cardiac_device in (
            None,
            CardiacDevice.none,
        ):
            raise ValueError(
                "cardiac_device_mr_conditional applies only when cardiac_device names a device "
                "(pacemaker, icd, crt_p or crt_d)"
            )
        if self.mri_contraindication_reason is not None and self.mri_contraindicated is not True:
            raise ValueError(
                "mri_contraindication_reason applies only when mri_contraindicated is true"
            )
        return self

    @field_validator("declines")
    @classmethod
    def _declined_once(cls, v: list[Treatment] | None) -> list[Treatment] | None:
        twice = [t for t in dict.fromkeys(v or ()) if (v or []).count(t) > 1]
        if twice:
            raise ValueError(f"{twice[0].value!r} is listed twice; name each treatment once")
        return v


class Primary(_Model):
    site: PrimarySite | None = Field(
        default=None, description="Primary tumour site (myeloma and lymphoma included)."
    )
    histology: Annotated[FreeText, Field(max_length=200)] | None = Field(
        default=None, description="Histology in words, e.g. invasive ductal carcinoma."
    )
    histology_confirmed: bool | None = Field(
        default=None,
        description="The cancer has a tissue diagnosis (histology or cytology of the primary or "
        "of a metastasis). false = none yet: no cancer is known and a bone lesion is the first "
        "finding, or a cancer is only suspected on imaging - every bone lesion is then of "
        "unknown nature until a biopsy shows what it is. Left out: a histology given "
        "(primary.histology, a lesion's histology_confirmed) or a named primary site counts as "
        "one; site unknown without any histology counts as none yet (a cancer of unknown "
        "primary is diagnosed in tissue: give its histology); with no site given it is open.",
    )
    hormone_receptor: PositiveNegative | None = Field(default=None, description="Breast only.")
    her2: PositiveNegative | None = Field(default=None, description="Breast only.")
    castration_status: CastrationStatus | None = Field(default=None, description="Prostate only.")
    psma_positive: bool | None = Field(
        default=None,
        description="Prostate only: the PSMA PET shows PSMA-positive metastases (uptake above "
        "the liver).",
    )
    psma_negative_lesions: bool | None = Field(
        default=None,
        description="Prostate only: the PSMA PET shows PSMA-negative metastases above the size "
        "limits of the VISION trial (uptake not above the liver in a lymph node of 2.5 cm short "
        "axis or more, a solid-organ metastasis of 1 cm or more, or a bone metastasis with a "
        "soft-tissue part of 1 cm or more); false when the PET and CT show none.",
    )
    sstr_positive: bool | None = Field(default=None, description="Neuroendocrine only.")
    neuroendocrine_grade: NeuroendocrineGrade | None = Field(
        default=None, description="Neuroendocrine only."
    )
    neuroendocrine_origin: NeuroendocrineOrigin | None = Field(
        default=None, description="Neuroendocrine only."
    )
    progressive: bool | None = Field(
        default=None,
        description="Neuroendocrine and prostate: progression documented under the current "
        "therapy (neuroendocrine: on imaging, e.g. under a somatostatin analogue; prostate: on "
        "imaging or as a confirmed PSA rise); false = responding or stable on it.",
    )
    rai_avid: bool | None = Field(
        default=None, description="Differentiated thyroid cancer only: radioiodine-avid."
    )
    targetable_driver: bool | None = Field(
        default=None,
        description="Lung: true when treated or treatable with a molecularly targeted drug.",
    )
    controlled: bool | None = Field(default=None, description="Primary resected or controlled.")
    first_metastatic_presentation: bool | None = Field(
        default=None,
        description="The metastases now documented are the first of this cancer (metastatic at "
        "diagnosis, or its first distant relapse); false = metastatic disease was known before "
        "(a progression).",
    )
    growth: Growth | None = Field(
        default=None, description="Optional override of the site's growth class."
    )

    @model_validator(mode="after")
    def _site_specific(self) -> Self:
        only: dict[str, tuple[PrimarySite, ...]] = {
            "hormone_receptor": (PrimarySite.breast,),
            "her2": (PrimarySite.breast,),
            "castration_status": (PrimarySite.prostate,),
            "psma_positive": (PrimarySite.prostate,),
            "psma_negative_lesions": (PrimarySite.prostate,),
            "sstr_positive": (PrimarySite.neuroendocrine,),
            "neuroendocrine_grade": (PrimarySite.neuroendocrine,),
            "neuroendocrine_origin": (PrimarySite.neuroendocrine,),
            "progressive": (PrimarySite.neuroendocrine, PrimarySite.prostate),
            "rai_avid": (PrimarySite.thyroid,),
            "targetable_driver": (PrimarySite.lung_nsclc, PrimarySite.lung_sclc),
        }
        if self.histology_confirmed is False and self.histology:
            raise ValueError("histology is given but histology_confirmed is false")
        if self.site is None:
            return self
        for name, sites in only.items():
            if getattr(self, name) is not None and self.site not in sites:
                allowed = " or ".join(s.value for s in sites)
                raise ValueError(f"{name} applies only to primary.site {allowed}")
        return self


class VisceralMetastases(_Model):
    present: bool | None = Field(default=None, description="Visceral (organ) metastases present.")
    pattern: VisceralPattern | None = Field(
        default=None,
        description="nodular (incl. cerebral) or disseminated (pleural, peritoneal, "
        "leptomeningeal).",
    )
    brain: bool | None = Field(default=None, description="Brain metastases present.")
    count: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        default=None, description="Number of visceral metastases (for oligometastatic disease)."
    )
    removable: bool | None = Field(default=None, description="Tokuhashi: removable.")
    treatable: bool | None = Field(default=None, description="Tomita: treatable.")
    crisis: bool | None = Field(
        default=None,
        description="Visceral crisis as the treating team judges it (ESO-ESMO ABC 5: severe "
        "organ dysfunction from rapidly progressing metastases, e.g. a bilirubin above 1.5 "
        "times normal from liver metastases or dyspnoea at rest from lung involvement); it "
        "calls for the most rapidly effective therapy. Left out, a measured bilirubin above "
        "1.5 times normal beside organ metastases is read as one.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.present is False:
            for name in ("pattern", "removable", "treatable"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} must be empty when present is false")
            if self.crisis:
                raise ValueError("crisis is true but present is false")
            if self.count:
                raise ValueError("count must be 0 or empty when present is false")
            if self.brain:
                raise ValueError("brain is true but present is false")
        return self


class BoneMetastases(_Model):
    vertebral_count: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None,
        description="Number of vertebrae with metastases, when not every lesion is listed.",
    )
    extraspinal_count: Annotated[int, Field(ge=0, le=500)] | None = Field(
        default=None,
        description="Number of bone metastases outside the spine, when not every lesion is listed.",
    )
    extensive_marrow_involvement: bool | None = Field(
        default=None, description="Diffuse/extensive bone-marrow involvement (superscan etc.)."
    )


class PriorTherapy(_Model):
    chemotherapy: bool | None = Field(default=None, description="Chemotherapy given before.")
    systemic_lines_mcrpc: Annotated[int, Field(ge=0, le=20)] | None = Field(
        default=None,
        description="Prostate: lines of systemic therapy for castration-resistant disease "
        "(ADT not counted).",
    )
    abiraterone_current: bool | None = Field(
        default=None, description="Prostate: currently on abiraterone."
    )
    arpi_received: bool | None = Field(
        default=None,
        description="Prostate: an androgen-receptor-pathway inhibitor was given (abiraterone, "
        "enzalutamide, apalutamide, darolutamide).",
    )
    taxane_received: bool | None = Field(
        default=None, description="Prostate: docetaxel or cabazitaxel was given."
    )
    bone_modifying_agent: BoneModifyingAgent | None = Field(
        default=None, description="Current bone-modifying agent (none when none is given)."
    )
    bone_modifying_agent_since: ClinicalDate | None = Field(
        default=None, description="Start of the current bone-modifying agent."
    )
    bone_modifying_agent_dose: BoneModifyingAgentDose | None = Field(
        default=None,
        description="Dose of the current bone-modifying agent: bone_metastasis = the dose that "
        "prevents skeletal events (denosumab 120 mg every 4 weeks, e.g. Xgeva; zoledronic acid "
        "4 mg every 3-4 or 12 weeks; ibandronate 6 mg IV); osteoporosis = the dose against bone "
        "loss (denosumab 60 mg every 6 months, e.g. Prolia; zoledronic acid 5 mg yearly), which "
        "does not prevent skeletal events from bone metastases. Needs bone_modifying_agent.",
    )
    denosumab_stopped_recently: bool | None = Field(
        default=None, description="Denosumab was stopped recently (risk of rebound bone loss)."
    )
    nsaid_current: bool | None = Field(default=None, description="Currently taking NSAIDs.")
    androgen_deprivation_since: ClinicalDate | None = Field(
        default=None,
        description="Prostate: start of the current androgen deprivation (first dose of a GnRH "
        "agonist or antagonist, or orchiectomy); left out when none has been started.",
    )
    planned_therapies: list[Annotated[FreeText, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list,
        max_length=20,
        description="Drugs or procedures planned outside osteoboard, in free text; a therapy "
        "the knowledge base knows is recognised by its generic or brand name with other words "
        "around it (e.g. 'Radium-223 (Xofigo)') and checked (evidence guard, label limits).",
    )
    current_medication: list[Annotated[FreeText, Field(min_length=1, max_length=80)]] | None = (
        Field(
            default=None,
            max_length=40,
            description="Drugs the patient takes now, in free text (e.g. 'Apixaban 5 mg 2x tgl.', "
            "'Cabometyx'); recognised by generic or brand name like the planned therapies. What "
            "matters to a procedure is checked: anticoagulants and antiplatelet agents before "
            "cement augmentation, thermal ablation and surgery, antiangiogenic drugs before "
            "surgery, BRAF/MEK inhibitors around radiotherapy; a myeloma drug makes a line "
            "running, a CDK4/6 inhibitor explains a neutropenia, a corticosteroid already taken "
            "is raised for a cord compression rather than started again. An unrecognised name "
            "is kept "
            "and shown in the protocol. Left out, the medication is unknown; an empty list "
            "documents that none is taken.",
        )
    )

    @model_validator(mode="after")
    def _dose_needs_agent(self) -> Self:
        agent = self.bone_modifying_agent
        if self.bone_modifying_agent_dose is not None and agent in (None, BoneModifyingAgent.none):
            raise ValueError(
                "bone_modifying_agent_dose needs a current bone_modifying_agent "
                "(zoledronic_acid, ibandronate, pamidronate or denosumab)"
            )
        return self


#: Lowest serum creatinine the case format accepts, in µmol/l (0.2 mg/dl). The adult reference
#: interval starts at about 45 µmol/l in women and 59 µmol/l in men (Ceriotti et al., Clin Chem
#: 2008;54:559-66), and even extreme loss of muscle stays around it: 0.27 ± 0.12 mg/dl (24 ± 11
#: µmol/l) in Duchenne muscular dystrophy (Viollet et al., Muscle Nerve 2009;40:438-42). A
#: smaller number is a value in mg/dl written in the µmol/l field (creatinine in mg/dl runs from
#: about 0.4 to 15): as µmol/l it would give a creatinine clearance of several hundred ml/min
#: and full doses of renally cleared drugs. It is refused with the hint to give it as
#: creatinine_mg_dl.
MIN_CREATININE_UMOL_L = 18


class Labs(_Model):
    """Laboratory values in SI units.

    Conventional units are accepted under explicit names (``calcium_mg_dl`` …) and converted
    here; giving both spellings of one value is allowed only when they agree.
    """

    calcium_mmol_l: Annotated[float, Field(gt=0.5, lt=6.0)] | None = Field(
        default=None, description="Total serum calcium (corrected for albumin by osteoboard)."
    )
    albumin_g_l: Annotated[float, Field(gt=5, lt=70)] | None = Field(
        default=None, description="Serum albumin (for the albumin-corrected calcium)."
    )
    calcium_corrected_mmol_l: Annotated[float, Field(gt=0.5, lt=6.0)] | None = Field(
        default=None,
        description="Albumin-corrected calcium as the laboratory reports it, for a report "
        "without the total calcium and albumin (with them, osteoboard corrects the total "
        "itself, Payne).",
    )
    calcium_ionized_mmol_l: Annotated[float, Field(gt=0.3, lt=3.0)] | None = Field(
        default=None,
        description="Ionised (free) calcium, e.g. from a blood-gas analyser; not the total "
        "calcium. Above 1.30 mmol/L hypercalcaemia, 1.15-1.30 normal, below 1.15 "
        "hypocalcaemia; decides where total calcium and albumin are not both measured.",
    )
    creatinine_umol_l: Annotated[float, Field(ge=MIN_CREATININE_UMOL_L, lt=3000)] | None = Field(
        default=None, description="Serum creatinine."
    )
    creatinine_baseline_umol_l: (
        Annotated[float, Field(ge=MIN_CREATININE_UMOL_L, lt=3000)] | None
    ) = Field(
        default=None,
        description="Serum creatinine before the current course of zoledronic acid or "
        "pamidronate began (its baseline; also as creatinine_baseline_mg_dl). A rise from it "
        "during the course - by 0.5 mg/dL (44 µmol/L) from a baseline below 1.4 mg/dL (124 "
        "µmol/L), by 1.0 mg/dL (88 µmol/L) from a higher one - withholds the next dose until "
        "creatinine is back within 10 % of the baseline (Zometa and Aredia product "
        "information).",
    )
    ldh_u_l: Annotated[float, Field(gt=0, lt=20000)] | None = Field(
        default=None, description="Lactate dehydrogenase (LDH)."
    )
    crp_mg_l: Annotated[float, Field(ge=0, lt=1000)] | None = Field(
        default=None, description="C-reactive protein (CRP)."
    )
    platelets_10e9_l: Annotated[float, Field(ge=0, lt=3000)] | None = Field(
        default=None, description="Platelet count."
    )
    bilirubin_umol_l: Annotated[float, Field(ge=0, lt=1000)] | None = Field(
        default=None, description="Total bilirubin."
    )
    # From 2 g/dL: below it no patient comes to a board, while a g/L value read as g/dL
    # (10.5 "g/L" = 1.05 g/dL) lands there and would propose transfusions.
    hemoglobin_g_dl: Annotated[float, Field(ge=2, lt=25)] | None = Field(
        default=None, description="Haemoglobin (g/dL = g/L ÷ 10 = mmol/L × 1.611)."
    )
    neutrophils_10e9_l: Annotated[float, Field(ge=0, lt=200)] | None = Field(
        default=None, description="Absolute neutrophil count."
    )
    vitamin_d_25oh_nmol_l: Annotated[float, Field(gt=0, lt=750)] | None = Field(
        default=None,
        description="25-hydroxyvitamin D (calcidiol) in serum; in ng/ml as "
        "vitamin_d_25oh_ng_ml (1 ng/ml = 2.496 nmol/l).",
    )

    @model_validator(mode="before")
    @classmethod
    def _conventional_units(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return units.normalise_labs(data)
        return data


class Neurology(_Model):
    frankel: Frankel | None = Field(
        default=None,
        description="Frankel grade of neurological function, A (complete) to E (normal).",
    )
    new_deficit: bool | None = Field(
        default=None,
        description="New or progressive motor/sensory deficit or sphincter dysfunction.",
    )
    deficit_onset_hours: Annotated[float, Field(ge=0, le=100000)] | None = Field(
        default=None, description="Hours since the neurological deficit began."
    )
    radicular_pain: bool | None = Field(default=None, description="Radicular (nerve-root) pain.")
    mscc_suspected: bool | None = Field(
        default=None,
        description="Spinal cord compression suspected by the treating team because of "
        "neurological symptoms or signs (e.g. 'V. a. MSCC' in the referral, or a suspected-"
        "diagnosis code), before the structured findings are documented.",
    )
    whole_spine_mri_done: bool | None = Field(
        default=None, description="Whole-spine MRI already performed for the current symptoms."
    )
    deficit_level: DeficitLevel | None = Field(
        default=None,
        description="Where the new deficit arises (needs new_deficit true): cranial_nerves "
        "(cranial-nerve palsy only: double vision, facial numbness or weakness, hearing loss, "
        "hoarseness, difficulty swallowing, a deviated tongue), spinal (weakness or sensory "
        "loss of trunk or limbs, bladder or bowel dysfunction) or cranial_nerves_and_spinal. "
        "Left out, a new deficit counts as a possibly spinal one (suspected cord compression).",
    )
    cranial_mri_done: bool | None = Field(
        default=None,
        description="MRI of the brain and skull base with contrast already performed for the "
        "current cranial-nerve symptoms.",
    )

    @model_validator(mode="after")
    def _deficit_level(self) -> Self:
        if self.deficit_level is not None and self.new_deficit is not True:
            raise ValueError("deficit_level applies only to a new deficit (new_deficit true)")
        return self


_SPINE_ONLY = ("level", "alignment", "collapse", "posterolateral", "escc_grade")
#: The kind of pain: the SINS item at the spine, pain on loading at the pelvis (whose
#: weight-bearing ring fractures under load; Mirels' pain is the long bones').
_SPINE_OR_PELVIS = ("pain",)
_LONG_BONE_ONLY = ("bone", "segment", "mirels_pain", "cortical_involvement")
_SKULL_ONLY = ("skull_base",)
_OTHER_ONLY = ("other_bone",)


class Lesion(_Model):
    id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=40,
            pattern=r"^[A-Za-z0-9_.\-]+$",
            description="Name of the lesion within the case, e.g. L1 (unique).",
        ),
    ]
    region: Region | None = Field(
        default=None,
        description="Region of the skeleton; null or left out when the referral does not say "
        "where the lesion is (every region is then considered, and the board is asked).",
    )
    side: Side | None = Field(default=None, description="Body side (for the skeleton map).")
    level: str | None = Field(
        default=None,
        description="Spine: C1…C7, T1…T12, L1…L5, S1…S5; German notation (HWK/BWK/LWK/SWK, "
        "Th) is read and normalised, e.g. BWK 8 → T8.",
    )
    bone: LongBone | None = Field(default=None, description="Long bone: which bone.")
    other_bone: OtherBone | None = Field(
        default=None,
        description="Region other: which bone (clavicle, scapula, mandible, patella, a bone of "
        "the hand, calcaneus, talus, another bone of the foot); the protocol and the letter "
        "name it.",
    )
    segment: Segment | None = Field(
        default=None, description="Long bone: the part of the bone involved."
    )
    joint: Joint | None = Field(
        default=None,
        description="The joint the lesion involves (juxta-articular lesions).",
    )
    skull_base: bool | None = Field(
        default=None,
        description="Skull: the lesion involves the skull base (clivus, sphenoid, petrous bone, "
        "orbit, occipital condyle, jugular foramen), where cranial nerves leave the skull; "
        "false for the vault.",
    )
    type: LesionType | None = Field(
        default=None, description="Radiological appearance of the lesion."
    )
    pain: SpinalPain | None = Field(
        default=None,
        description="Spine: kind of pain (SINS). Pelvis: mechanical is pain on loading "
        "(weight bearing), which raises a suspected pathological fracture.",
    )
    pain_vas: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None, description="Pain at this lesion on the visual analogue scale, 0–10."
    )
    alignment: Alignment | None = Field(
        default=None, description="Spine: alignment of the spine at the lesion (SINS)."
    )
    collapse: Collapse | None = Field(
        default=None, description="Spine: vertebral body collapse (SINS)."
    )
    posterolateral: Posterolateral | None = Field(
        default=None,
        description="Spine: posterolateral involvement of facet, pedicle or costovertebral "
        "joint (SINS).",
    )
    escc_grade: EsccGrade | None = Field(
        default=None, description="Spine: epidural spinal cord compression, Bilsky grade 0–3."
    )
    mirels_pain: MirelsPain | None = Field(
        default=None, description="Long bone: pain at the lesion (Mirels)."
    )
    cortical_involvement: CorticalInvolvement | None = Field(
        default=None,
        description="Mirels size item: share of the bone's cortical circumference destroyed.",
    )
    size_cm: Annotated[float, Field(gt=0, le=50)] | None = Field(
        default=None, description="Largest diameter of the lesion."
    )
    pathologic_fracture: bool | None = Field(
        default=None, description="A pathological fracture at this lesion."
    )
    previously_irradiated: bool | None = Field(
        default=None, description="This lesion has been irradiated before."
    )
    local_progression: bool | None = Field(
        default=None,
        description="Imaging (MRI, CT or PET-CT) shows the tumour growing at this lesion since "
        "its last treatment: after radiotherapy a local failure, as against a fracture or a "
        "collapse from the radiotherapy alone; false when imaging shows no tumour growth. "
        "Decides a re-irradiation or ablation of a fractured or mechanically painful vertebra.",
    )
    symptomatic: bool | None = Field(
        default=None, description="The lesion causes symptoms (pain or other)."
    )
    vertebral_body_involved: bool | None = Field(
        default=None,
        description="Spine: the vertebral body is involved (derived from collapse when not given).",
    )
    histology_confirmed: bool | None = Field(
        default=None, description="This lesion has been biopsied and its histology confirmed."
    )
    operation: Operation | None = Field(
        default=None,
        description="An operation at this lesion that is already done: decompression, "
        "stabilization or decompression_stabilization (spine); intramedullary_nail (long "
        "bone); plate_osteosynthesis or osteosynthesis (outside the spine); endoprosthesis "
        "(long bone, acetabulum); resection with its reconstruction (any region). The other "
        "fields then describe the lesion as it was before the operation (the fracture that "
        "was fixed, the Bilsky grade before the decompression). Null or left out: no "
        "operation documented, the lesion counts as not operated.",
    )
    operation_date: ClinicalDate | None = Field(
        default=None,
        description="Date of that operation (not after the board date); needs operation.",
    )

    @field_validator("level")
    @classmethod
    def _level(cls, v: str | None) -> str | None:
        return None if v is None else normalise_spine_level(v)

    @field_validator("escc_grade", mode="before")
    @classmethod
    def _escc_as_text(cls, v: Any) -> Any:
        # YAML reads 0, 2 and 3 as integers; the grade is a label.
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    def possible_joints(self) -> frozenset[Joint] | None:
        """The joints this lesion may involve: the documented joint, else those its location
        borders (a long bone's ends unless the lesion is diaphyseal; the hip and sacroiliac
        joints for the pelvis; the sacroiliac joint for S1–S3); None when the location does
        not tell (an unknown long bone, another region)."""
        if self.joint is not None:
            return frozenset() if self.joint is Joint.none else frozenset({self.joint})
        if self.region is Region.long_bone:
            if self.segment is Segment.diaphyseal:
                return frozenset()
            if self.bone is None or self.bone not in LONG_BONE_JOINTS:
                return None
            if self.segment is Segment.peritrochanteric:
                return frozenset({Joint.hip})
            return frozenset(LONG_BONE_JOINTS[self.bone])
        if self.region is Region.pelvis:
            return frozenset(_PELVIC_JOINTS)
        if self.region is Region.spine:
            # A spinal lesion whose level is not reported is not asked about joints: its level
            # is asked for, and only S1–S3 border a joint.
            return frozenset({Joint.sacroiliac}) if self.level in SACROILIAC_LEVELS else frozenset()
        if self.region in (Region.rib, Region.skull, Region.sternum):
            return frozenset()
        return None

    @model_validator(mode="after")
    def _region_fields(self) -> Self:
        # A field of one region says where the lesion is: with the region left open it is
        # an error too, so that the region is stated rather than inferred.
        unstated = "" if self.region is not None else " (region is not given; state it)"
        if self.region is not Region.spine:
            for name in _SPINE_ONLY:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to region spine{unstated}")
        if self.region not in (Region.spine, Region.pelvis):
            for name in _SPINE_OR_PELVIS:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to region spine or pelvis{unstated}")
        if self.region is not Region.long_bone:
            for name in _LONG_BONE_ONLY:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to region long_bone{unstated}")
        if self.region is not Region.skull:
            for name in _SKULL_ONLY:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to region skull{unstated}")
        if self.region is not Region.other:
            for name in _OTHER_ONLY:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to region other{unstated}")
        if self.segment is Segment.peritrochanteric and self.bone not in (None, LongBone.femur):
            raise ValueError("segment peritrochanteric applies only to bone femur")
        if self.operation is not None:
            regions = OPERATION_REGIONS[self.operation]
            if self.region not in regions:
                allowed = " or ".join(r.value for r in regions)
                if len(regions) > 2:
                    allowed = ", ".join(r.value for r in regions[:-1]) + f" or {regions[-1].value}"
                raise ValueError(
                    f"operation {self.operation.value} applies only to region {allowed}{unstated}"
                )
        elif self.operation_date is not None:
            raise ValueError("operation_date needs operation (what was done)")
        return self


# --------------------------------------------------------------------------------------------
# Myeloma (SPEC §6)


class CrabFeature(StrEnum):
    """The CRAB features, named like the fields of :class:`Crab`."""

    hypercalcemia = "hypercalcemia"
    renal = "renal"
    anemia = "anemia"
    bone = "bone"


class Crab(_Model):
    hypercalcemia: bool | None = Field(
        default=None, description="C: hypercalcaemia caused by the myeloma."
    )
    renal: bool | None = Field(
        default=None, description="R: renal insufficiency caused by the myeloma."
    )
    anemia: bool | None = Field(default=None, description="A: anaemia caused by the myeloma.")
    bone: bool | None = Field(default=None, description="B: osteolytic bone lesions.")


_SERUM_M = "Serum M-protein (electrophoresis)."
_URINE_M = "Urine M-protein (24-hour urine)."
_INVOLVED_FLC = "Involved serum free light chain."
_UNINVOLVED_FLC = "Uninvolved serum free light chain."


class MyelomaBaseline(_Model):
    serum_m_g_dl: Annotated[float, Field(ge=0, lt=20)] | None = Field(
        default=None, description=_SERUM_M
    )
    urine_m_mg_24h: Annotated[float, Field(ge=0, lt=100000)] | None = Field(
        default=None, description=_URINE_M
    )
    involved_flc_mg_l: Annotated[float, Field(ge=0, lt=100000)] | None = Field(
        default=None, description=_INVOLVED_FLC
    )
    uninvolved_flc_mg_l: Annotated[float, Field(ge=0, lt=100000)] | None = Field(
        default=None, description=_UNINVOLVED_FLC
    )


class MyelomaAssessment(_Model):
    date: ClinicalDate = Field(description="Date of the assessment.")
    serum_m_g_dl: Annotated[float, Field(ge=0, lt=20)] | None = Field(
        default=None, description=_SERUM_M
    )
    urine_m_mg_24h: Annotated[float, Field(ge=0, lt=100000)] | None = Field(
        default=None, description=_URINE_M
    )
    immunofixation_negative: bool | None = Field(
        default=None, description="Serum and urine immunofixation negative."
    )
    involved_flc_mg_l: Annotated[float, Field(ge=0, lt=100000)] | None = Field(
        default=None, description=_INVOLVED_FLC
    )
    uninvolved_flc_mg_l: Annotated[float, Field(ge=0, lt=100000)] | None = Field(
        default=None, description=_UNINVOLVED_FLC
    )
    flc_ratio_normal: bool | None = Field(
        default=None, description="Serum free light-chain ratio normal."
    )
    bm_plasma_cells_pct: Percent | None = Field(
        default=None, description="Plasma cells in the bone marrow."
    )
    clonal_plasma_cells_absent: bool | None = Field(
        default=None, description="No clonal plasma cells in the marrow (IHC/flow), for sCR."
    )
    new_lesions: bool | None = Field(
        default=None, description="New bone or soft-tissue lesions, or growth of known ones."
    )
    soft_tissue_plasmacytoma_gone: bool | None = Field(
        default=None, description="Soft-tissue plasmacytomas have disappeared."
    )
    line_start: bool | None = Field(
        default=None,
        description="A new line of therapy starts at this assessment: its values are the new "
        "line's baseline, and response and progression are judged from them (a course pasted "
        "since diagnosis keeps an earlier relapse from standing for the current line).",
    )


class MyelomaStaging(_Model):
    beta2_microglobulin_mg_l: Annotated[float, Field(gt=0, lt=100)] | None = Field(
        default=None, description="Serum β2-microglobulin (ISS)."
    )
    albumin_g_l: Annotated[float, Field(gt=5, lt=70)] | None = Field(
        default=None, description="Serum albumin (ISS)."
    )
    ldh_high: bool | None = Field(
        default=None, description="LDH above the upper limit of normal (R-ISS, R2-ISS)."
    )
    del17p: bool | None = Field(default=None, description="Cytogenetics: del(17p).")
    t4_14: bool | None = Field(default=None, description="Cytogenetics: t(4;14).")
    t14_16: bool | None = Field(default=None, description="Cytogenetics: t(14;16).")
    gain_1q: bool | None = Field(
        default=None, description="Cytogenetics: gain or amplification of 1q."
    )


class Myeloma(_Model):
    stage: MyelomaStage | None = Field(
        default=None,
        description="Disease stage: MGUS, smouldering or active myeloma, or a solitary "
        "plasmacytoma of bone (one bone lesion, marrow clonal plasma cells under 10 %, no other "
        "lesion on whole-body imaging, no CRAB damage).",
    )
    crab: Crab | None = Field(
        default=None, description="CRAB features of the disease (at diagnosis or now)."
    )
    new_crab: Crab | None = Field(
        default=None,
        description="CRAB features that are new since the last assessment: clinical relapse.",
    )
    baseline: MyelomaBaseline | None = Field(
        default=None,
        description="M-protein and light chains before treatment (reference for the response).",
    )
    series: list[MyelomaAssessment] = Field(
        default_factory=list, max_length=240, description="Oldest first."
    )
    bm_plasma_cells_pct: Percent | None = Field(
        default=None, description="Plasma cells in the bone marrow (latest value)."
    )
    mrd_negative: bool | None = Field(
        default=None, description="Minimal residual disease negative."
    )
    smouldering_high_risk: bool | None = Field(
        default=None,
        description="Smouldering myeloma at high risk of progression (e.g. by the 20/2/20 "
        "criteria).",
    )
    staging: MyelomaStaging | None = Field(
        default=None, description="Values for ISS, R-ISS and R2-ISS."
    )
    prior_lines: Annotated[int, Field(ge=0, le=30)] | None = Field(
        default=None, description="Number of prior lines of myeloma therapy."
    )
    exposed_to: list[MyelomaDrug] = Field(
        default_factory=list,
        max_length=40,
        description="Drugs given in earlier lines, whether or not the myeloma became refractory "
        "to them (a drug in refractory_to counts as given).",
    )
    refractory_to: list[MyelomaDrug] = Field(
        default_factory=list, max_length=40, description="Drugs the myeloma is refractory to."
    )

    @field_validator("series")
    @classmethod
    def _chronological(cls, v: list[MyelomaAssessment]) -> list[MyelomaAssessment]:
        dates = [a.date for a in v]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("assessments must be in date order, oldest first, one per date")
        return v


# --------------------------------------------------------------------------------------------
# Sarcoma (SPEC §7)


class SarcomaMetastases(_Model):
    sites: list[SarcomaSite] = Field(
        default_factory=list, max_length=20, description="Organs with metastases."
    )
    count: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        default=None, description="Number of metastases."
    )
    resectable: bool | None = Field(
        default=None, description="All metastases can be completely resected."
    )


class Sarcoma(_Model):
    subtype: SarcomaSubtype | None = Field(default=None, description="Histological subtype.")
    metastases_synchronous: bool | None = Field(
        default=None, description="Metastases found together with the primary (not later)."
    )
    disease_free_interval_months: Annotated[float, Field(ge=0, le=600)] | None = Field(
        default=None, description="Months from treatment of the primary to the first metastasis."
    )
    uicc_stage: Annotated[str, Field(pattern=r"^(I|IA|IB|II|IIA|IIB|III|IIIA|IIIB|IV)$")] | None = (
        Field(default=None, description="UICC stage of the sarcoma.")
    )
    locally_treatable: bool | None = Field(
        default=None, description="The disease can be treated locally (surgery or radiotherapy)."
    )
    metastases: SarcomaMetastases | None = Field(
        default=None,
        description="Where the metastases are, how many, and whether they are resectable.",
    )
    primary_resectable: bool | None = Field(
        default=None, description="The primary tumour is resectable or resected."
    )
    prior_agents: list[SarcomaAgent] | None = Field(
        default=None,
        max_length=40,
        description="Systemic agents given so far ([] = none yet; null = unknown).",
    )
    rapid_progression: bool | None = Field(default=None, description="Rapid progression.")
    high_symptom_burden: bool | None = Field(default=None, description="High symptom burden.")


# --------------------------------------------------------------------------------------------
# The case


class Case(_Model):
    """One patient at one board date (SPEC §1)."""

    id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
            description="Pseudonym; never a name or a hospital number.",
        ),
    ]
    board_date: ClinicalDate | None = Field(default=None, description="Date of the tumour board.")
    patient: Patient = Field(default_factory=Patient, description="The patient.")
    primary: Primary = Field(default_factory=Primary, description="The primary tumour.")
    visceral_metastases: VisceralMetastases = Field(
        default_factory=VisceralMetastases, description="Metastases in organs."
    )
    bone_metastases: BoneMetastases = Field(
        default_factory=BoneMetastases,
        description="Counts of bone metastases, when not every lesion is listed.",
    )
    prior_therapy: PriorTherapy = Field(
        default_factory=PriorTherapy, description="Treatment so far and planned."
    )
    labs: Labs = Field(default_factory=Labs, description="Laboratory values.")
    neurology: Neurology = Field(default_factory=Neurology, description="Neurological findings.")
    lesions: list[Lesion] = Field(
        default_factory=list, max_length=200, description="The bone lesions, one entry each."
    )
    myeloma: Myeloma | None = Field(
        default=None, description="Multiple myeloma: stage, M-protein course, staging."
    )
    sarcoma: Sarcoma | None = Field(
        default=None, description="Advanced soft-tissue sarcoma: subtype, metastases, therapy."
    )

    @model_validator(mode="after")
    def _disease_blocks(self) -> Self:
        # A disease block belongs to its primary: a sarcoma block on a breast cancer would
        # bring the sarcoma module's items (doxorubicin, the sarcoma centre) to the wrong
        # patient. With the site left out, the block itself says which disease it is.
        site = self.primary.site
        for block, needs in _DISEASE_BLOCKS.items():
            if getattr(self, block) is not None and site not in (None, needs):
                raise ValueError(
                    f"the {block} block applies only to primary.site {needs.value} "
                    f"(given: {site.value})"
                )
        return self

    @model_validator(mode="after")
    def _tissue_diagnosis(self) -> Self:
        # A biopsied lesion is a tissue diagnosis: it cannot stand beside "none yet".
        if self.primary.histology_confirmed is not False:
            return self
        confirmed = [
            InitErrorDetails(
                type=PydanticCustomError("value_error", "Value error, {error}", {"error": msg}),
                loc=("lesions", i, "histology_confirmed"),
                input=True,
            )
            for i, lesion in enumerate(self.lesions)
            if lesion.histology_confirmed
            for msg in ["is true but primary.histology_confirmed is false"]
        ]
        if confirmed:
            raise ValidationError.from_exception_data(type(self).__name__, confirmed)
        return self

    @model_validator(mode="after")
    def _unique_lesions(self) -> Self:
        seen: set[str] = set()
        for lesion in self.lesions:
            if lesion.id in seen:
                raise ValueError(f"lesion id {lesion.id!r} is used twice; ids must be unique")
            seen.add(lesion.id)
        return self

    @model_validator(mode="after")
    def _operations_done(self) -> Self:
        # An operation, the start of a drug and a measured assessment are history: none can
        # lie after the board (a date typed a year off would make "months on denosumab" or a
        # myeloma response negative). The error names the field (lesions[i].operation_date),
        # not the case.
        board = self.board_date
        if board is None:
            return self
        dates: list[tuple[tuple[str | int, ...], dt.date | None]] = [
            (("lesions", i, "operation_date"), lesion.operation_date)
            for i, lesion in enumerate(self.lesions)
        ]
        dates += [
            (("prior_therapy", name), getattr(self.prior_therapy, name))
            for name in ("bone_modifying_agent_since", "androgen_deprivation_since")
        ]
        if self.myeloma is not None:
            dates += [
                (("myeloma", "series", i, "date"), assessment.date)
                for i, assessment in enumerate(self.myeloma.series)
            ]
        late = [
            InitErrorDetails(
                type=PydanticCustomError("value_error", "Value error, {error}", {"error": msg}),
                loc=loc,
                input=date,
            )
            for loc, date in dates
            if date is not None and date > board
            for msg in [
                f"must not be after board_date {board.isoformat()} (got {date.isoformat()})"
            ]
        ]
        if late:
            raise ValidationError.from_exception_data(type(self).__name__, late)
        return self

    # -- derived counts (SPEC §1: max of listed lesions and the counts block) --

    @property
    def spinal_lesions(self) -> list[Lesion]:
        return [lesion for lesion in self.lesions if lesion.region is Region.spine]

    @property
    def unplaced_lesions(self) -> list[Lesion]:
        """Listed lesions whose region is not given: each one is spinal or extraspinal."""
        return [lesion for lesion in self.lesions if lesion.region is None]

    def vertebral_count_bounds(self) -> tuple[int, int | None]:
        return self._count_bounds[0]

    def extraspinal_count_bounds(self) -> tuple[int, int | None]:
        return self._count_bounds[1]

    @cached_property
    def _count_bounds(
        self,
    ) -> tuple[tuple[int, int | None], tuple[int, int | None], tuple[int, int | None]]:
        # Computed once per case: every skeletal score asks (the case is immutable).
        spinal = len({lesion.level or lesion.id for lesion in self.spinal_lesions})
        extraspinal = sum(1 for lesion in self.lesions if lesion.region not in (None, Region.spine))
        unplaced = len(self.unplaced_lesions)
        vertebral = _bounds(spinal, unplaced, self.bone_metastases.vertebral_count)
        extra = _bounds(extraspinal, unplaced, self.bone_metastases.extraspinal_count)
        low = max(vertebral[0] + extra[0], spinal + extraspinal + unplaced)
        high = None if vertebral[1] is None or extra[1] is None else vertebral[1] + extra[1]
        return vertebral, extra, (low, high)

    # -- derived views shared by the scores and the facts (each concept derived once) --

    def bone_count_bounds(self) -> tuple[int, int | None]:
        """(lowest, highest) number of bone metastases in all; highest is None when open.

        Not simply the sum of the two bounds above: a lesion of unknown region counts towards
        the total although neither count can claim it.
        """
        return self._count_bounds[2]

    @cached_property
    def multiple_bone_metastases(self) -> bool | None:
        """Two or more bone metastases: true as soon as two are known, or with a diffuse
        marrow involvement (a superscan, a marrow carcinosis: no solitary lesion); false only
        when the counts are closed below two; None while open."""
        lo, hi = self.bone_count_bounds()
        if lo >= 2 or self.bone_metastases.extensive_marrow_involvement is True:
            return True
        return False if hi is not None and hi < 2 else None

    @cached_property
    def solitary_bone_metastasis(self) -> bool | None:
        """Exactly one bone metastasis: needs closed counts adding up to one; None while open.
        (A closed count of zero, no bone metastasis, is neither solitary nor multiple; a
        diffuse marrow involvement is multiple.)"""
        lo, hi = self.bone_count_bounds()
        if lo >= 2 or self.bone_metastases.extensive_marrow_involvement is True:
            return False
        return None if hi is None or hi > 1 else hi == 1

    @cached_property
    def visceral_present(self) -> bool | None:
        """Visceral metastases, brain metastases included (Bauer and Wedin: "visceral or
        brain"; Tokuhashi: "major internal organs"). ``present`` decides when given; otherwise
        any positive detail (brain, pattern, a removability or treatability verdict) implies
        that metastases are present; None when unknown."""
        v = self.visceral_metastases
        if v.present is not None:
            return v.present
        if v.brain or v.pattern is not None or v.removable is not None or v.treatable is not None:
            return True
        return None

    @cached_property
    def tissue_diagnosis(self) -> bool | None:
        """Whether a cancer has been diagnosed in tissue: ``primary.histology_confirmed`` when
        given; else true with a histology (of the primary, or a biopsied lesion) or a named
        primary site, false for a cancer of unknown primary without any histology (a bone
        lesion of unknown nature), None when the site is not given either."""
        pr = self.primary
        if pr.histology_confirmed is not None:
            return pr.histology_confirmed
        if pr.histology or any(lesion.histology_confirmed for lesion in self.lesions):
            return True
        if pr.site is None:
            return None
        return pr.site is not PrimarySite.unknown

    @cached_property
    def brain_metastases(self) -> bool | None:
        """Brain metastases: as documented, false when visceral metastases are documented
        absent, else None."""
        brain = self.visceral_metastases.brain
        if brain is not None:
            return brain
        return False if self.visceral_present is False else None


#: The disease blocks of the case and the primary site each belongs to.
_DISEASE_BLOCKS: dict[str, PrimarySite] = {
    "myeloma": PrimarySite.myeloma,
    "sarcoma": PrimarySite.sarcoma,
}


def _bounds(listed: int, unplaced: int, given: int | None) -> tuple[int, int | None]:
    """(lowest, highest) count of one kind of bone metastasis; highest is None when open.

    The counts block, where given, is the total; listed lesions are a lower bound, so a case
    that lists lesions without the counts block leaves the upper end open. Lesions of unknown
    region may belong to this kind or not, so they only raise the upper end.
    """
    if given is None:
        return listed, None
    return max(listed, given), max(listed + unplaced, given)
