"""Checks for the CSL-JSON bibliography in ``knowledge/sources.yaml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

SOURCES = Path(__file__).resolve().parents[1] / "src" / "osteoboard" / "knowledge" / "sources.yaml"

# Keys of SPEC section 10 (clinical specification, "Sources (keys)").
SPEC_KEYS = {
    "bauer1995",
    "bilsky2010",
    "capanna2001",
    "cockcroft1976",
    "dagostino2022",
    "eau2025",
    "endocrine2023",
    "esmo2020",
    "facchini2021",
    "fisher2010",
    "frankel1969",
    "gillespie2024",
    "gronchi2021",
    "handkiewicz2018",
    "himelstein2017",
    "hoskin2019",
    "inker2021",
    "katagiri2014",
    "koswig1999",
    "kumar2016-imwg",
    "laufer2013",
    "leithner2008",
    "mirels1989",
    "nccn2019",
    "nice2023",
    "oken1982",
    "palma2020",
    "palumbo2015",
    "patchell2005",
    "payne1973",
    "poeppel2018",
    "rades2016",
    "raje2018",
    "rich2018",
    "s3-sarcoma2022",
    "sahgal2021",
    "sartor2021-vision",
    "strosberg2017",
    "tokuhashi2005",
    "tomasian2021",
    "tomita2001",
    "vanpoznak2017",
    "wallace2015",
    "xgeva-smpc",
    "xofigo-smpc",
    "zometa-smpc",
}

EXTRA_KEYS = {
    "asco2017-palliative",
    "baudin2021",
    "astro2024",
    "buccheri1996",
    "chow2014",
    "gong2021",
    "greipp2005",
    "griessenauer2016",
    "katagiri2005",
    "kdigo2012",
    "kramer2023",
    "laubach2016",
    "lutathera-smpc",
    "nair2013",
    "prasad2018",
    # Denosumab at the osteoporosis dose with bone metastases: the switch to 120 mg.
    "fizazi2011",
    "prolia-smpc",
    "rajkumar2014",
    "strauss2021",
    # Fertility counselling before gonadotoxic treatment (SUP.FERTILITY_COUNSELING).
    "oktay2018",
    "lambertini2020",
    "dittrich2018-fertility",
    "vonwolff2012",
    "tokuhashi1990",
    # A third review of incomplete referrals: procedures at low platelets, myeloma bone
    # disease, mineral metabolism on dialysis.
    "estcourt2017-bsh",
    "kdigo2017-ckd-mbd",
    "patel2019-sir",
    "afinitor-smpc",
    "torisel-smpc",
    "halvorsen2022",
    # Medullary thyroid cancer takes up no iodine.
    "wells2015",
    "terpos2021-imwg",
    # Postoperative radiotherapy after fixation of a long bone (the rule that proposes it).
    "townsend1995",
    # Citable sources that replaced the undated seed entries.
    "arends2017",
    "bol2015",
    "campbell2022",
    "ema2021-raylumis",
    "gennari2021",
    "hendriks2023-non-oncogene",
    "hendriks2023-oncogene",
    "monteran2024",
    "s3-psychooncology2023",
    # Epidemiology behind the synthetic cohorts (src/osteoboard/cohort/data/synth.yaml).
    "coleman2006",
    "hernandez2018",
    "klimo2004",
    # Standards behind the FHIR code tables (knowledge/fhir_codes.yaml).
    "dexamethasone-smpc",
    "dicom-ps3-16",
    "hl7-mcode-stu4",
    # terminologies behind the FHIR findings and German codes
    "bfarm-icd10gm-2025",
    "dkr-2025",
    "icd10cm-2026",
    "mii-kds-2025",
    # Pregnancy, breast-feeding and an established osteonecrosis of the jaw.
    "acog2017-imaging",
    "amant2012",
    "fda2020-nsaid",
    "ibrance-smpc",
    "luster2008",
    "peccatori2013",
    "ruggiero2022",
    "stovall1995",
    "yarom2019",
    # How long a documented pregnancy may still be current (FHIR import, current_values).
    "acog2013-term",
    # The dose bands of bone-modifying agents read from FHIR (fhir_codes.yaml bma_doses).
    "aclasta-smpc",
    "bondronat-smpc",
    "bonviva-smpc",
    # Device types of cardiac implants read from FHIR (fhir_codes.yaml devices).
    "mii-kds-kardiologie-2025",
    # A new cranial-nerve deficit from a skull-base metastasis: its own urgent pathway.
    "droege2014",
    "greenberg1981",
    "hoppe2022",
    "laigle2005",
    "lerhun2021",
    "ryken2010",
    # Hypocalcaemia, vitamin D and the blood count before 177Lu-PSMA.
    "holick2011",
    "pluvicto-smpc",
    "turner2016",
    # The patient's informed refusal of a treatment (patient.declines).
    "bgb1827",
    "bgb630",
    "s3-palliative2020",
    # A fourth review of incomplete referrals: the flare of a GnRH agonist, marrow failure in
    # breast cancer, triple-class exposed myeloma.
    "camcevi-smpc",
    "cardoso2020-abc5",
    "ctcae5",
    "dimopoulos2025",
    "firmagon-smpc",
    "kopp2011",
    "kuhn1989",
    "moreau2022",
    "onkopedia2024-myeloma",
    # A fifth review: an atypical femoral fracture on long bone-modifying therapy.
    "shane2014",
    # A woman of child-bearing age whose pregnancy status is not documented.
    "loose2017",
    "strlschv2018",
    # A fifth review: the last phase of life, radium-223 beside an abutted cord, radioiodine
    # beside epidural disease.
    "dingemans2021",
    "gillessen2025-peace3",
    "haugen2016",
    "filetti2019",
    "kisqali-smpc",
    "verzenios-smpc",
    "oldenburg2022",
    "schnipper2012",
    # A fifth review: hypercalcaemia on denosumab, renal failure at the diagnosis of myeloma.
    "chukir2020",
    "dimopoulos2016-imwg-renal",
    "stewart2005",
    # The same review: the survival of symptomatic marrow infiltration beside the prognostic
    # scores, dental extractions at low platelets, PSMA-negative lesions before 177Lu-PSMA.
    "demir2014",
    "hung2014",
    "kratochwil2023-eanm",
    "lundstrom2024",
    "niu2023",
    # A sixth review: a bone lesion before any tissue diagnosis, the biopsy of a first breast
    # cancer metastasis.
    "rougraff1993",
    "cardoso2024-abc7",
    # A sixth review: a compression fracture after stereotactic radiotherapy, the cord dose of
    # a second course.
    "sahgal2012",
    "sahgal2013",
    # A cardiac implantable electronic device before MRI and radiotherapy.
    "gauter-fleckenstein2015",
    "glikson2021",
    "miften2019",
    # The same review: separation surgery and stereotactic radiotherapy after a decompression
    # for radioresistant histology, lenalidomide in renal impairment at a myeloma relapse.
    "laufer2013-separation",
    "revlimid-smpc",
    # A sixth review: a solitary plasmacytoma of bone and a lymphoma of bone are not
    # metastases (curative radiotherapy; immunochemotherapy first).
    "bruno-ventre2014",
    "caers2018-emn",
    "kyle2007-asco",
    "tilly2015-esmo",
    "tsang2018-ilrog",
    "vitolo2016-esmo",
    "yahalom2015-ilrog",
    # A sixth review: curable germ-cell tumours, extensive-stage small-cell lung cancer, a
    # solitary late metastasis of renal cell carcinoma.
    "beyer2021",
    "eau2024-rcc",
    "eau2024-testis",
    "fottner2010",
    "gillessen2021",
    "horn2018",
    "lin2007",
    "paz-ares2019",
    # The same review: drugs that change a procedure - BRAF/MEK inhibitors around
    # radiotherapy, antiangiogenic drugs before surgery.
    "anker2016",
    "avastin-smpc",
    "cabometyx-smpc",
    "cyramza-smpc",
    "inlyta-smpc",
    "lenvima-smpc",
    "nexavar-smpc",
    "stivarga-smpc",
    "sutent-smpc",
    "votrient-smpc",
    "zaltrap-smpc",
    # Drug safety, case reports and hospital bundles: myxoid liposarcoma's radiosensitivity,
    # the ionised-calcium limits, the WHO ATC index of the systemic drugs read from FHIR.
    "chung2009",
    "lewis2023-msd",
    "who-atc-2026",
}

# The German source documents that are dated and citable (the undated ones are gone).
SEED_KEYS = {"seed-002", "seed-004"}

EXPECTED_KEYS = SPEC_KEYS | EXTRA_KEYS | SEED_KEYS

# CSL 1.0 variable names used in this bibliography (plus the item keys id/type).
CSL_FIELDS = {
    "id",
    "type",
    "title",
    "author",
    "container-title",
    "container-title-short",
    "issued",
    "volume",
    "issue",
    "page",
    "number",
    "DOI",
    "URL",
    "language",
    "publisher",
    "publisher-place",
    "note",
}

CSL_TYPES = {
    "article",
    "article-journal",
    "book",
    "chapter",
    "document",
    "legislation",
    "manuscript",
    "report",
    "webpage",
}

NAME_FIELDS = {"family", "given", "literal", "dropping-particle", "non-dropping-particle", "suffix"}
DATE_FIELDS = {"date-parts", "literal", "raw", "season", "circa"}
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    data = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    assert all(isinstance(item, dict) for item in data)
    return data


def test_required_fields(items: list[dict[str, Any]]) -> None:
    for item in items:
        for field in ("id", "type", "title", "issued"):
            assert item.get(field), f"{item.get('id')}: missing {field}"
        assert item["type"] in CSL_TYPES, item["id"]
        assert isinstance(item["title"], str), item["id"]


def test_ids_unique_and_sorted(items: list[dict[str, Any]]) -> None:
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)


def test_expected_keys_present(items: list[dict[str, Any]]) -> None:
    ids = {item["id"] for item in items}
    assert EXPECTED_KEYS - ids == set()
    assert ids - EXPECTED_KEYS == set()


def test_dois_well_formed(items: list[dict[str, Any]]) -> None:
    for item in items:
        if "DOI" in item:
            assert DOI_RE.match(item["DOI"]), item["id"]


def test_only_csl_fields(items: list[dict[str, Any]]) -> None:
    for item in items:
        assert set(item) <= CSL_FIELDS, f"{item['id']}: {set(item) - CSL_FIELDS}"


def test_names_and_dates_are_csl(items: list[dict[str, Any]]) -> None:
    for item in items:
        for name in item.get("author", []):
            assert set(name) <= NAME_FIELDS, item["id"]
            assert "family" in name or "literal" in name, item["id"]
        issued = item["issued"]
        assert set(issued) <= DATE_FIELDS, item["id"]
        if "date-parts" in issued:
            (parts,) = issued["date-parts"]
            assert 1 <= len(parts) <= 3, item["id"]
            assert all(isinstance(p, int) for p in parts), item["id"]
            assert 1800 <= parts[0] <= 2100, item["id"]


def test_et_al_convention(items: list[dict[str, Any]]) -> None:
    for item in items:
        authors = item.get("author", [])
        assert len(authors) <= 6, item["id"]
        assert all(name.get("literal") != "et al." for name in authors), item["id"]
        if item.get("note") == "et al.":
            assert len(authors) == 3, item["id"]


def test_language(items: list[dict[str, Any]]) -> None:
    for item in items:
        assert item.get("language") in {"en", "de"}, item["id"]
    for key in SEED_KEYS:
        (seed,) = (item for item in items if item["id"] == key)
        assert seed["language"] == "de"


def test_smpcs_published_by_ema(items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["id"].endswith("-smpc"):
            assert item["type"] in {"report", "document"}
            assert item["publisher"] == "European Medicines Agency"


def test_no_entry_is_a_placeholder(items: list[dict[str, Any]]) -> None:
    """Every entry names its work and can be found: a title of its own (no bracketed stand-in)
    and a publication date, or, for a living document such as product information, its URL."""
    for item in items:
        title = str(item["title"])
        assert not title.startswith("["), item["id"]
        assert "ohne titelangabe" not in title.casefold(), item["id"]
        assert "date-parts" in item["issued"] or item.get("URL"), item["id"]


def test_journal_articles_name_their_volume(items: list[dict[str, Any]]) -> None:
    """Without a volume the citation style calls an article a preprint."""
    for item in items:
        if item["type"] == "article-journal":
            assert item.get("volume"), item["id"]
