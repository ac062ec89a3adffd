"""``osteoboard import-fhir``: a case file and a report from a bundle, an NDJSON folder or a
FHIR server; bad input is one line per problem and exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from osteoboard.caseio import load_case
from osteoboard.cli import app
from osteoboard.fhir import FhirImportError, import_resources
from osteoboard.fhir import client as fhir_client
from osteoboard.fhir.client import fetch_patient
from tests.fhir.test_import import obs, patient

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "examples" / "fhir" / "09-myeloma-relapse.json"
runner = CliRunner()


def test_import_writes_the_case_and_the_report(tmp_path: Path) -> None:
    out, rep = tmp_path / "case.yaml", tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "import-fhir",
            str(BUNDLE),
            "-o",
            str(out),
            "--report",
            str(rep),
            "--board-date",
            "2026-11-20",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert load_case(out) == load_case(ROOT / "examples" / "09-myeloma-relapse.yaml")
    report = json.loads(rep.read_text(encoding="utf-8"))
    assert report["patient"] == "Patient/demo-009" and report["board_date"] == "2026-11-20"
    series = [f for f in report["fields"] if f["field"].startswith("myeloma.series[")]
    assert series and all(f["resource"].startswith("Observation/") for f in series)
    assert "Felder übernommen" in result.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "Patient", "id": "x"}), encoding="utf-8")
    out = tmp_path / "case.yaml"
    result = runner.invoke(app, ["import-fhir", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert (
        result.stderr == f"Fehler: {bad}: kein Bundle, sondern 'Patient'; erwartet: Bundle vom Typ "
        "collection, transaction, searchset\n"
    )
    assert not out.exists()
    result = runner.invoke(
        app, ["--lang", "en", "import-fhir", str(BUNDLE), "--board-date", "20.11.2026"]
    )
    assert result.exit_code == 2
    assert result.stderr == "error: --board-date: must be a date as YYYY-MM-DD (got '20.11.2026')\n"


def _server(everything: bool) -> tuple[httpx.Client, list[str]]:
    """A FHIR server in memory (httpx's mock transport) holding example 09; it records the
    paths asked for. Searches come in two pages."""
    entries = [e["resource"] for e in json.loads(BUNDLE.read_text(encoding="utf-8"))["entry"]]
    asked: list[str] = []

    def bundle(resources: list[dict[str, Any]], nxt: str | None = None) -> dict[str, Any]:
        b: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
        }
        if nxt:
            b["link"] = [{"relation": "next", "url": nxt}]
        return b

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        asked.append(path + (f"?{request.url.query.decode()}" if request.url.query else ""))
        if path == "/fhir/metadata":
            ops = [{"name": "everything", "definition": "x"}] if everything else []
            return httpx.Response(
                200,
                json={
                    "resourceType": "CapabilityStatement",
                    "rest": [{"resource": [{"type": "Patient", "operation": ops}]}],
                },
            )
        if path == "/fhir/Patient/demo-009/$everything":
            return httpx.Response(200, json=bundle(entries))
        if path == "/fhir/Patient/demo-009":
            return httpx.Response(200, json=entries[0])
        rtype = path.rsplit("/", 1)[-1]
        mine = [r for r in entries if r["resourceType"] == rtype]
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json=bundle(mine[len(mine) // 2 :]))
        nxt = f"http://fhir.test/fhir/{rtype}?patient=demo-009&page=2" if len(mine) > 1 else None
        return httpx.Response(200, json=bundle(mine[: len(mine) // 2] if nxt else mine, nxt))

    return httpx.Client(transport=httpx.MockTransport(handler)), asked


@pytest.mark.parametrize("everything", [True, False], ids=["everything", "searches"])
def test_server_gives_the_same_case(everything: bool) -> None:
    client, asked = _server(everything)
    resources = fetch_patient("http://fhir.test/fhir", "demo-009", client=client)
    result = import_resources(
        resources, board_date=load_case(ROOT / "examples/09-myeloma-relapse.yaml").board_date
    )
    assert result.case == load_case(ROOT / "examples" / "09-myeloma-relapse.yaml")
    if everything:
        assert "/fhir/Patient/demo-009/$everything" in asked
    else:
        assert "/fhir/Patient/demo-009" in asked
        assert any(a.startswith("/fhir/Observation?") and "page=2" in a for a in asked)


def test_a_server_that_pages_without_end_is_refused_not_cut_off() -> None:

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fhir/metadata":
            return httpx.Response(404)
        if request.url.path == "/fhir/Patient/p":
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p"})
        page = int(request.url.params.get("page", "1"))
        nxt = f"http://fhir.test{request.url.path}?patient=p&page={page + 1}"
        return httpx.Response(
            200,
            json={
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "next", "url": nxt}],
                "entry": [],
            },
        )

    mock = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(FhirImportError) as refused:
        fetch_patient("http://fhir.test/fhir", "p", client=mock)
    assert f"more than {fhir_client.MAX_PAGES} pages" in "; ".join(refused.value.lines("en"))


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b'{"resourceType": "Patient", "id": "p", "name": [{"text": "\xff"}]}', True),
        (b'\xef\xbb\xbf{"resourceType": "Patient", "id": "p"}', False),
    ],
    ids=["not-utf8", "byte-order-mark"],
)
def test_a_server_answer_is_decoded_as_a_file_is(body: bytes, refused: bool) -> None:
    """An answer that is not UTF-8 is refused (not read with replacement characters); a
    byte-order mark is dropped, as in a file."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/fhir+json"})

    mock = httpx.Client(transport=httpx.MockTransport(handler))
    if refused:
        with pytest.raises(FhirImportError) as error:
            fhir_client._get(mock, "http://fhir.test/fhir/Patient/p")
        assert "not UTF-8 text" in "; ".join(error.value.lines("en"))
    else:
        assert fhir_client._get(mock, "http://fhir.test/fhir/Patient/p")["id"] == "p"


def _put_all(base_url: str, bundle: Path) -> str:
    """Load a collection bundle into the server as a transaction of PUTs (ids kept); the
    Patient's id."""
    from tests.support.fhir_server import post_transaction

    entries = [e["resource"] for e in json.loads(bundle.read_text(encoding="utf-8"))["entry"]]
    post_transaction(
        base_url,
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in entries
            ],
        },
    )
    (patient,) = [r["id"] for r in entries if r["resourceType"] == "Patient"]
    return str(patient)


@pytest.mark.parametrize(
    "name",
    ["04-lung-mscc-emergency", "09-myeloma-relapse", "13-breast-renal-zoledronic"],
)
def test_a_real_fhir_server_gives_the_twin(fhir_server: str, name: str, tmp_path: Path) -> None:
    """The in-memory FHIR server of the tests (searches by patient, pages followed): the case
    read from it is the bundle's YAML twin, by the library and by the command."""
    bundle = ROOT / "examples" / "fhir" / f"{name}.json"
    twin_path = ROOT / "examples" / f"{name}.yaml"
    twin = load_case(twin_path if twin_path.exists() else bundle.with_suffix(".yaml"))
    patient = _put_all(fhir_server, bundle)
    resources = fetch_patient(fhir_server, patient)
    assert import_resources(resources, board_date=twin.board_date).case == twin
    out = tmp_path / "case.yaml"
    result = runner.invoke(
        app,
        [
            "import-fhir",
            "--server",
            fhir_server,
            "--patient",
            patient,
            "--board-date",
            twin.board_date.isoformat(),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_case(out) == twin


def test_several_patients_name_the_option_that_chooses_one(tmp_path: Path) -> None:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    other = {"resourceType": "Patient", "id": "demo-other", "gender": "female"}
    bundle["entry"].append({"fullUrl": "urn:uuid:demo-other", "resource": other})
    both = tmp_path / "two-patients.json"
    both.write_text(json.dumps(bundle), encoding="utf-8")
    out = tmp_path / "case.yaml"
    args = ["import-fhir", str(both), "-o", str(out), "--board-date", "2026-11-20"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Patient/demo-other" in result.stderr and "--patient ID" in result.stderr
    assert not out.exists()
    # With the option, the patient named is imported.
    chosen = runner.invoke(app, [*args, "--patient", "demo-009"])
    assert chosen.exit_code == 0, chosen.stderr
    assert load_case(out).id == "demo-009"
    assert "--patient" not in chosen.stderr


def test_a_deceased_patient_is_a_warning_of_its_own(tmp_path: Path) -> None:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["deceasedDateTime"] = "2026-10-02"
    source = tmp_path / "deceased.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    args = ["import-fhir", str(source), "-o", str(tmp_path / "case.yaml")]
    result = runner.invoke(app, [*args, "--board-date", "2026-11-20"])
    assert result.exit_code == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("Achtung: ")]
    assert "verstorben" in warning and "2026-10-02" in warning
    alive = runner.invoke(app, ["import-fhir", str(BUNDLE), "-o", str(tmp_path / "b.yaml")])
    assert alive.exit_code == 0 and "Achtung" not in alive.stderr


def test_the_summary_counts_fields_left_open_for_contradictory_values(tmp_path: Path) -> None:
    # ECOG 1 and 3 recorded on the same day without a time: neither is used, and the summary
    # line says that a field stays open (the report names both values under unused).
    resources = [
        patient(),
        obs("e1", "89247-1", "2026-11-19", {"valueInteger": 1}),
        obs("e3", "89247-1", "2026-11-19", {"valueInteger": 3}),
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = runner.invoke(
        app, ["import-fhir", str(path), "--board-date", "2026-11-20", "-o", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.stderr
    assert "0 Konflikte" in result.stderr
    assert "1 Feld offen wegen Widersprüchen" in result.stderr
