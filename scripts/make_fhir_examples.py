"""Write the demo FHIR bundles in examples/fhir/ from their YAML twins.

Each bundle (a Bundle of type collection, FHIR R4, validated with the R4B classes of
fhir.resources) carries one case: the Patient (gender, birth date), an mCODE primary cancer
condition, one mCODE secondary cancer condition per bone lesion with its bodySite, the
laboratory values, ECOG, Karnofsky and weight as LOINC observations, a bone-modifying agent
as a MedicationRequest (ATC), irradiated lesions as mCODE radiotherapy courses and the
myeloma course as M-protein and free-light-chain observations, pregnancy and breast-feeding as
LOINC status observations, an osteonecrosis of the jaw as a Condition with its stage and a
finished operation as SNOMED CT procedures at the lesion; what no standard code names
(ESCC grade, fitness for surgery, …) is an observation coded in osteoboard's case-item code
system (the field's path). Every code comes from knowledge/fhir_codes.yaml.

The twins are examples/*.yaml (the demo cases) and examples/fhir/*.yaml (cases made for
FHIR). Running the script again writes the same bytes:

    .venv/bin/python scripts/make_fhir_examples.py          # write
    .venv/bin/python scripts/make_fhir_examples.py --check  # exit 1 if a bundle differs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from osteoboard.case import Case, Region
from osteoboard.caseio import load_case
from osteoboard.fhir.codes import CASE_ITEM_SYSTEM, FhirCodes, load_fhir_codes
from osteoboard.fhir.r4b import parse_resource

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
OUT = EXAMPLES / "fhir"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"


def twins() -> list[Path]:
    """Every twin: the demo cases and the YAML cases in examples/fhir/."""
    return sorted(EXAMPLES.glob("*.yaml")) + sorted(OUT.glob("*.yaml"))


class Writer:
    def __init__(self, case: Case, raw: dict[str, Any], codes: FhirCodes) -> None:
        self.case = case
        self.raw = raw
        self.codes = codes
        self.entries: list[dict[str, Any]] = []
        self.n = 0
        self.pid = case.id
        self.date = case.board_date.isoformat() if case.board_date else None

    # -- helpers --

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        self.entries.append(resource)
        return resource

    def next_id(self, prefix: str) -> str:
        self.n += 1
        return f"{self.pid}-{prefix}-{self.n}"

    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def coding(self, entry: Any) -> dict[str, str]:
        return {
            # an entry read only under some URIs of its system (ICD-10-CM) is written in the first
            "system": entry.uris[0] if entry.uris else self.codes.uri(entry.system),
            "code": entry.code or entry.prefix,
            "display": entry.display,
        }

    def observation(self, code: dict[str, Any], value: dict[str, Any], **extra: Any) -> None:
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": self.next_id("obs"),
            "status": "final",
            "code": {"coding": [code]},
            "subject": self.subject(),
        }
        date = extra.pop("date", self.date)
        if date:
            res["effectiveDateTime"] = date
        res.update(extra)
        res.update(value)
        self.add(res)

    def item(self, path: str, value: Any, **extra: Any) -> None:
        code = {"system": CASE_ITEM_SYSTEM, "code": path}
        for v in value if isinstance(value, list) else [value]:
            self.observation(code, item_value(v), **extra)

    # -- the case --

    def write(self) -> dict[str, Any]:
        case = self.case
        patient: dict[str, Any] = {"resourceType": "Patient", "id": self.pid}
        if case.patient.sex is not None:
            patient["gender"] = case.patient.sex.value
        if case.patient.age is not None and case.board_date is not None:
            patient["birthDate"] = f"{case.board_date.year - case.patient.age:04d}-01-01"
        self.add(patient)
        done: set[str] = {"id", "board_date", "patient.sex"}
        if "birthDate" in patient:
            done.add("patient.age")
        self.primary(done)
        self.labs(done)
        self.medication(done)
        self.patient_states(done)
        self.lesions(done)
        self.myeloma(done)
        for path, value in leaves(self.raw_case()):
            if path not in done and not path.startswith(("lesions", "myeloma.series")):
                self.item(path, value)
        for res in self.entries:
            parse_resource(res, "example")  # every resource validates with R4B
        return {
            "resourceType": "Bundle",
            "id": f"{self.pid}-bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"urn:osteoboard:{r['resourceType']}/{r['id']}", "resource": r}
                for r in self.entries
            ],
        }

    def raw_case(self) -> dict[str, Any]:
        """The case as the twin writes it: conventional-unit fields kept as given."""
        data = self.case.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        labs = self.raw.get("labs") or {}
        from osteoboard.units import CONVENTIONAL_LAB_FIELDS

        for conv, (si, _) in CONVENTIONAL_LAB_FIELDS.items():
            if conv in labs and si not in labs:
                data["labs"].pop(si, None)
                data["labs"][conv] = labs[conv]
        return data

    def primary(self, done: set[str]) -> str | None:
        site = self.case.primary.site
        if site is None:
            return None
        entry = next((e for e in self.codes.data.primary_sites if e.site == site), None)
        if entry is None:
            return None
        rid = self.next_id("primary")
        self.add(
            {
                "resourceType": "Condition",
                "id": rid,
                "meta": {"profile": [MCODE + "mcode-primary-cancer-condition"]},
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "problem-list-item",
                            }
                        ]
                    }
                ],
                "code": {"coding": [self.coding(entry)]},
                "subject": self.subject(),
            }
        )
        done.add("primary.site")
        return rid

    def labs(self, done: set[str]) -> None:
        data = self.raw_case()
        conventional = {
            "calcium_mg_dl": ("labs.calcium_mmol_l", "mg/dL"),
            "creatinine_mg_dl": ("labs.creatinine_umol_l", "mg/dL"),
            "albumin_g_dl": ("labs.albumin_g_l", "g/dL"),
            "bilirubin_mg_dl": ("labs.bilirubin_umol_l", "mg/dL"),
            "crp_mg_dl": ("labs.crp_mg_l", "mg/dL"),
        }
        for path, value in leaves(data):
            unit = None
            target = path
            if path.startswith("labs.") and path[5:] in conventional:
                target, unit = conventional[path[5:]]
            entry = next((e for e in self.codes.data.observations if e.field == target), None)
            if entry is None or entry.kind == "coded":  # coded answers: patient_states
                continue
            if entry.kind == "integer":
                self.observation(self.coding(entry), {"valueInteger": value})
            else:
                u = unit or entry.unit
                self.observation(
                    self.coding(entry),
                    {
                        "valueQuantity": {
                            "value": value,
                            "unit": u,
                            "system": "http://unitsofmeasure.org",
                            "code": u,
                        }
                    },
                )
            done.add(path)

    def medication(self, done: set[str]) -> None:
        prior = self.case.prior_therapy
        agent = prior.bone_modifying_agent
        if agent is None or agent.value == "none":
            return
        entry = next(e for e in self.codes.data.medications if e.agent == agent)
        res: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": self.next_id("bma"),
            "meta": {"profile": [MCODE + "mcode-cancer-related-medication-request"]},
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [self.coding(entry)]},
            "subject": self.subject(),
        }
        if prior.bone_modifying_agent_since is not None:
            res["authoredOn"] = prior.bone_modifying_agent_since.isoformat()
            done.add("prior_therapy.bone_modifying_agent_since")
        elif self.date:
            self.item("prior_therapy.bone_modifying_agent", agent.value)
        self.add(res)
        done.add("prior_therapy.bone_modifying_agent")

    def patient_states(self, done: set[str]) -> None:
        """Pregnancy and breast-feeding as status observations with their coded answer, an
        osteonecrosis of the jaw as a Condition with its stage (the codes of the tables)."""
        patient = self.case.patient
        for path, value in (
            ("patient.pregnant", patient.pregnant),
            ("patient.breastfeeding", patient.breastfeeding),
        ):
            if value is None:
                continue
            entry = next(e for e in self.codes.data.observations if e.field == path)
            assert entry.answers is not None
            answer = next(
                a
                for a in self.codes.data.answers[entry.answers]
                if a.value is value and a.system == entry.system
            )
            self.observation(
                self.coding(entry), {"valueCodeableConcept": {"coding": [self.coding(answer)]}}
            )
            done.add(path)
        if patient.jaw_osteonecrosis:
            jaw = self.codes.data.jaw_osteonecrosis
            cond: dict[str, Any] = {
                "resourceType": "Condition",
                "id": self.next_id("onj"),
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "code": {"coding": [self.coding(next(e for e in jaw.codes if not e.needs_jaw))]},
                "subject": self.subject(),
            }
            done.add("patient.jaw_osteonecrosis")
            stage = patient.jaw_osteonecrosis_stage
            if stage is not None:
                entry = next(e for e in jaw.stages if e.value == stage)
                cond["stage"] = [{"summary": {"coding": [self.coding(entry)]}}]
                done.add("patient.jaw_osteonecrosis_stage")
            self.add(cond)

    def operation_codes(self, operation: Any) -> list[Any]:
        """The procedure codes of an operation: its own, or those of the operations that
        together are it (a decompression and a stabilisation); none when a part has none."""
        ops = self.codes.data.operations
        own = [e for e in ops.codes if e.operation == operation][:1]
        if own:
            return own
        for rule in ops.combined:
            if rule.operation == operation:
                parts = [
                    next((e for e in ops.codes if e.operation == p), None) for p in rule.operations
                ]
                if all(parts):
                    return parts
        return []

    def lesions(self, done: set[str]) -> None:
        for lesion in self.case.lesions:
            data = lesion.model_dump(mode="json", exclude_none=True)
            cond: dict[str, Any] = {
                "resourceType": "Condition",
                "id": lesion.id,
                "meta": {"profile": [MCODE + "mcode-secondary-cancer-condition"]},
                "code": {"coding": [self.coding(self.codes.data.bone_metastasis_codes[0])]},
                "subject": self.subject(),
            }
            given = {"id"}
            site = self.location(lesion)
            if site is not None:
                entry, got = site
                body: dict[str, Any] = {"coding": [self.coding(entry)]}
                if lesion.side is not None:
                    side = next(
                        (e for e in self.codes.data.laterality if e.side == lesion.side), None
                    )
                    if side is not None:
                        body["extension"] = [
                            {
                                "url": self.codes.data.laterality_extension,
                                "valueCodeableConcept": {"coding": [self.coding(side)]},
                            }
                        ]
                        got.add("side")
                cond["bodySite"] = [body]
                given |= got
            self.add(cond)
            irradiated = bool(lesion.previously_irradiated) and site is not None
            if irradiated:
                rt = self.codes.data.radiotherapy
                proc: dict[str, Any] = {
                    "resourceType": "Procedure",
                    "id": self.next_id("rt"),
                    "meta": {"profile": list(rt.profiles)},
                    "status": "completed",
                    "code": {"coding": [self.coding(rt.codes[0])]},
                    "subject": self.subject(),
                    "bodySite": cond["bodySite"],
                }
                if self.date:
                    proc["performedDateTime"] = self.date
                self.add(proc)
                given.add("previously_irradiated")
            codes = self.operation_codes(lesion.operation) if site is not None else []
            for entry in codes:
                op: dict[str, Any] = {
                    "resourceType": "Procedure",
                    "id": self.next_id("op"),
                    "meta": {"profile": list(self.codes.data.surgery.profiles)},
                    "status": "completed",
                    "code": {"coding": [self.coding(entry)]},
                    "subject": self.subject(),
                    "bodySite": cond["bodySite"],
                    "reasonReference": [{"reference": f"Condition/{lesion.id}"}],
                }
                if lesion.operation_date is not None:
                    op["performedDateTime"] = lesion.operation_date.isoformat()
                self.add(op)
                given |= {"operation", "operation_date"}
            for name, value in data.items():
                if name not in given:
                    self.item(
                        f"lesion.{name}",
                        value,
                        focus=[{"reference": f"Condition/{lesion.id}"}],
                    )

    def location(self, lesion: Any) -> tuple[Any, set[str]] | None:
        """The bodySite code of a lesion and the fields it gives (as the import reads it)."""
        best = None
        for entry in self.codes.data.locations:
            if lesion.region is None or entry.region != lesion.region:
                continue
            if lesion.region is Region.spine and lesion.level and entry.level != lesion.level:
                continue
            if lesion.region is Region.long_bone and entry.bone != lesion.bone:
                continue
            if entry.level is not None and entry.level != lesion.level:
                continue
            got = (
                {"region"}
                | ({"level"} if entry.level else set())
                | ({"bone"} if entry.bone else set())
            )
            if best is None or len(got) > len(best[1]):
                best = (entry, got)
        if best is None or (lesion.region is Region.other):
            return None
        return best

    def myeloma(self, done: set[str]) -> None:
        mm = self.case.myeloma
        if mm is None:
            return
        codes = {e.item: e for e in self.codes.data.myeloma_series}
        for row in mm.series:
            day = row.date.isoformat()
            values = row.model_dump(mode="json", exclude_none=True)
            for name, value in values.items():
                if name == "date":
                    continue
                loinc = {
                    "serum_m_g_dl": "serum_m_g_dl",
                    "involved_flc_mg_l": "kappa_flc",
                    "uninvolved_flc_mg_l": "lambda_flc",
                }.get(name)
                if loinc is not None:
                    entry = codes[loinc]
                    self.observation(
                        self.coding(entry),
                        {
                            "valueQuantity": {
                                "value": value,
                                "unit": entry.unit,
                                "system": "http://unitsofmeasure.org",
                                "code": entry.unit,
                            }
                        },
                        date=day,
                    )
                else:
                    self.item(f"myeloma.series.{name}", value, date=day)


def item_value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"valueBoolean": v}
    if isinstance(v, int):
        return {"valueInteger": v}
    if isinstance(v, float):
        return {"valueQuantity": {"value": v}}
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            dt.date.fromisoformat(v)
            return {"valueDateTime": v}
        except ValueError:
            pass
    return {"valueString": str(v)}


def leaves(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, dict):
                out.extend(leaves(v, f"{prefix}{k}."))
            else:
                out.append((f"{prefix}{k}", v))
    return out


def bundle_for(path: Path, codes: FhirCodes) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Writer(load_case(path), raw, codes).write()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    codes = load_fhir_codes()
    OUT.mkdir(exist_ok=True)
    differ = []
    for twin in twins():
        target = OUT / f"{twin.stem}.json"
        text = json.dumps(bundle_for(twin, codes), indent=2, ensure_ascii=False) + "\n"
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                differ.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
    if differ:
        sys.stdout.write("differs: " + ", ".join(differ) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
