"""A cardiac implantable electronic device arrives from a FHIR Device resource in
patient.cardiac_device (SNOMED CT device types of the code table, matched on system and
code); an explanted (inactive) or unknown-status device is reported and not read, and with no
such device the field stays unknown, never "none"."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.case import CardiacDevice
from tests.fhir.test_import import run

SCT = "http://snomed.info/sct"


def _device(rid: str, code: str, status: str | None = "active", system: str = SCT) -> Any:
    res: dict[str, Any] = {
        "resourceType": "Device",
        "id": rid,
        "type": {"coding": [{"system": system, "code": code}]},
        "patient": {"reference": "Patient/pat-1"},
    }
    if status is not None:
        res["status"] = status
    return res


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("706004007", "active", CardiacDevice.pacemaker),
        ("14106009", None, CardiacDevice.pacemaker),
        ("72506001", "active", CardiacDevice.icd),
        ("72506001", "inactive", None),  # explanted
        ("72506001", "unknown", None),
        ("69805005", "active", None),  # an insulin pump: not a cardiac device
    ],
)
def test_cardiac_device_from_its_type_and_status(
    code: str, status: str | None, expected: CardiacDevice | None
) -> None:
    result = run(_device("dev", code, status))
    assert result.case.patient.cardiac_device is expected
    if expected is None:
        assert "Device/dev" in {u.resource for u in result.report.unused}
    else:
        (source,) = [f for f in result.report.fields if f.field == "patient.cardiac_device"]
        assert (source.resource, source.element) == ("Device/dev", "type")


def test_the_code_in_another_system_and_another_patients_device_are_not_read() -> None:
    other_system = _device("d1", "72506001", system="http://loinc.org")
    theirs = _device("d2", "72506001")
    theirs["patient"] = {"reference": "Patient/someone-else"}
    result = run(other_system, theirs)
    assert result.case.patient.cardiac_device is None
    assert {"Device/d1", "Device/d2"} <= {u.resource for u in result.report.unused}
