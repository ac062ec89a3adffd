"""What the service fetches from a client's FHIR server, and what it refuses: only servers the
client's settings name (``fhir_servers``), never a redirect or a next page elsewhere, no answer
above the size limit, no more resources than the import reads, and never a part of a search's
result as if it were all of it. The servers here are stubs on loopback that answer what a real
server gives only on request (redirects, endless paging, huge bodies) and record every request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from osteoboard.api.settings import SettingsError
from osteoboard.cds.fhirdata import DataUnavailable, FetchLimits, FhirAccess, gather, incomplete
from osteoboard.cds.service import OPTIONAL_PREFETCH, PREFETCH
from osteoboard.cds.settings import CdsClient, CdsSettings
from tests.cds import bundles
from tests.cds.conftest import ClientKeys, cds_settings, run_coroutine
from tests.cds.stub_http import Answer, json_answer, running_stub

PATIENT_VIEW = "/cds-services/osteoboard-patient-view"
TOKEN = "token-for-the-ehr-fhir-server"
JWKS = {"keys": []}


def _observation(n: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{n}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-01",
        "valueQuantity": {"value": 1.0, "unit": "mg/dL"},
    }


def _searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def fhir_stub(
    observations: Callable[[str, str], Answer] | None = None,
) -> Callable[[str, str], Answer]:
    """A FHIR server of patient p1: the Patient, empty searches, and Observation searches
    answered by ``observations(path, base_url)`` when given."""

    def answer(path: str, base_url: str) -> Answer:
        resource_path = urlsplit(path).path.rstrip("/").split("/")
        if resource_path[-2:] == ["Patient", "p1"]:
            return json_answer({"resourceType": "Patient", "id": "p1", "gender": "female"})
        if resource_path[-1] == "Observation" and observations is not None:
            return observations(path, base_url)
        return json_answer(_searchset([]))

    return answer


def _call(client: TestClient, keys: ClientKeys, fhir_server: str, **more: Any) -> httpx.Response:
    body = {
        "hook": "patient-view",
        "hookInstance": "5b0c3e8e-7d2f-4bb0-9b1e-9d0d4c2f3a10",
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "fhirServer": fhir_server,
        "fhirAuthorization": {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "osteoboard",
        },
        **more,
    }
    return client.post(PATIENT_VIEW, json=body, headers=keys.auth(PATIENT_VIEW))


# -- which servers a client may name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fhir_server", "allowed"),
    [
        ("https://ehr.klinik.example/fhir", True),
        ("https://ehr.klinik.example/fhir/", True),
        ("HTTPS://EHR.Klinik.Example:443/fhir", True),
        ("https://ehr.klinik.example/fhir/tenant-1", True),
        ("https://ehr.klinik.example/fhir2", False),  # not on a path-segment boundary
        ("https://ehr.klinik.example/", False),
        ("https://ehr.klinik.example/other/fhir", False),
        ("http://ehr.klinik.example/fhir", False),  # another scheme
        ("https://ehr.klinik.example:8443/fhir", False),  # another port
        ("https://ehr.klinik.example.evil.example/fhir", False),
        ("https://evil.example/ehr.klinik.example/fhir", False),
        ("https://ehr.klinik.example@evil.example/fhir", False),
        ("https://user:pw@ehr.klinik.example/fhir", False),
        ("https://ehr.klinik.example/fhir/../admin", False),
        ("https://ehr.klinik.example/fhir/%2e%2E/admin", False),
        ("https://ehr.klinik.example/fhir/..%2fadmin", False),
        ("https://ehr.klinik.example/fhir\\..\\admin", False),
        ("https://ehr.klinik.example/fhir?_format=json", False),
        ("https://ehr.klinik.example/fhir#x", False),
        ("https://ehr.klinik.example:99999/fhir", False),
        ("ftp://ehr.klinik.example/fhir", False),
        ("//ehr.klinik.example/fhir", False),
        ("", False),
    ],
)
def test_a_client_may_name_only_its_fhir_servers(fhir_server: str, allowed: bool) -> None:
    client = CdsClient(jwks=JWKS, fhir_servers=["https://ehr.klinik.example/fhir/"])
    assert client.allows_fhir_server(fhir_server) is allowed
    assert CdsClient(jwks=JWKS).allows_fhir_server(fhir_server) is False  # none configured


def test_a_root_base_allows_every_path_of_that_origin_only() -> None:
    client = CdsClient(jwks=JWKS, fhir_servers=["http://127.0.0.1:8080"])
    assert client.allows_fhir_server("http://127.0.0.1:8080/")
    assert client.allows_fhir_server("http://127.0.0.1:8080/fhir/r4")
    assert not client.allows_fhir_server("http://127.0.0.1:8081/")
    assert not client.allows_fhir_server("http://localhost:8080/")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["https://ehr.example/fhir?x=1"]', "must not have a query or fragment"),
        ('["https://u@ehr.example/fhir"]', "must not contain user info"),
        ('["https://ehr.example/a/../fhir"]', "'.' or '..' path segments"),
        ('["file:///etc"]', "absolute http(s) URL"),
        ('"https://ehr.example/fhir"', "must be a list"),
    ],
)
def test_a_bad_fhir_server_setting_is_one_line_naming_the_variable(
    value: str, message: str
) -> None:
    clients = '{"https://ehr.example/": {"jwks_url": "https://ehr.example/jwks", '
    clients += f'"fhir_servers": {value}}}}}'
    with pytest.raises(SettingsError) as refused:
        CdsSettings.from_env({"OSTEOBOARD_CDS_CLIENTS": clients})
    text = str(refused.value)
    assert text.startswith("OSTEOBOARD_CDS_CLIENTS: ") and "\n" not in text
    assert message in text
    if "list" not in message:
        assert "fhir_servers: " in text


def test_fhir_servers_from_the_environment() -> None:
    settings = CdsSettings.from_env(
        {
            "OSTEOBOARD_CDS_CLIENTS": '{"https://ehr.example/": {"jwks_url": '
            '"https://ehr.example/jwks", "fhir_servers": ["https://ehr.example/fhir/"]}}',
            "OSTEOBOARD_CDS_FHIR_MAX_RESPONSE_BYTES": "1000000",
        }
    )
    assert settings.cds_clients["https://ehr.example/"].fhir_servers == ["https://ehr.example/fhir"]
    assert settings.cds_fhir_max_response_bytes == 1_000_000
    assert CdsSettings().cds_fhir_max_response_bytes == 20_000_000
    with pytest.raises(SettingsError, match="OSTEOBOARD_CDS_FHIR_MAX_RESPONSE_BYTES: "):
        CdsSettings.from_env({"OSTEOBOARD_CDS_FHIR_MAX_RESPONSE_BYTES": "60000000"})


def test_a_server_the_client_may_not_name_is_never_asked(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    with running_stub(fhir_stub()) as canary:
        allowed = (f"{canary.base_url}/fhir", "https://ehr.klinik.example/fhir")
        client = make_client(cds_settings(client_keys, fhir_servers=allowed))
        for named in (canary.base_url, f"{canary.base_url}/fhir2", f"{canary.base_url}/fhi"):
            answer = _call(client, client_keys, named)
            assert answer.status_code == 412, answer.text
            problem = answer.json()
            assert problem["type"] == "urn:osteoboard:problem:precondition-failed"
            assert f"fhirServer {named!r}" in problem["detail"]
            assert "fhir_servers in OSTEOBOARD_CDS_CLIENTS" in problem["detail"]
            # every key but the optional ones (never the reason for a 412)
            assert set(problem["prefetch"]) == set(PREFETCH) - OPTIONAL_PREFETCH
        # a client without fhir_servers: nothing is fetched for it
        answer = _call(make_client(cds_settings(client_keys)), client_keys, canary.base_url)
        assert answer.status_code == 412
        assert canary.requests == []
        # below an allowed base, the same server is asked, with the client's token
        answer = _call(client, client_keys, f"{canary.base_url}/fhir/")
        assert answer.status_code == 200, answer.text
        assert len(canary.requests) == len(PREFETCH)
        assert all(path.startswith("/fhir/") for path in canary.requests)
        assert set(canary.authorizations) == {f"Bearer {TOKEN}"}


def test_a_complete_prefetch_needs_no_server_and_names_none(
    client: TestClient, client_keys: ClientKeys
) -> None:
    prefetch = bundles.prefetch(bundles.mscc_bundle(), "p1")
    answer = _call(client, client_keys, "http://169.254.169.254/latest", prefetch=prefetch)
    assert answer.status_code == 200, answer.text


def test_a_redirect_is_not_followed(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    with running_stub(fhir_stub()) as elsewhere:

        def redirect(path: str, base_url: str) -> Answer:
            return Answer(307, {"Location": elsewhere.base_url + path})

        with running_stub(redirect) as ehr:
            client = make_client(cds_settings(client_keys, fhir_servers=(ehr.base_url,)))
            answer = _call(client, client_keys, ehr.base_url)
            assert answer.status_code == 412, answer.text
            assert "HTTP 307" in answer.json()["detail"]
            assert ehr.requests
    assert elsewhere.requests == []


def test_a_next_page_outside_fhir_server_is_refused_not_cut_off(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    with running_stub(fhir_stub()) as elsewhere:
        for outside in ("{elsewhere}/fhir/Observation?page=2", "{ehr}/other/Observation?page=2"):

            def paged(path: str, base_url: str, outside: str = outside) -> Answer:
                url = outside.format(elsewhere=elsewhere.base_url, ehr=base_url)
                return json_answer(_searchset([_observation(1)], next_url=url))

            with running_stub(fhir_stub(paged)) as ehr:
                base = f"{ehr.base_url}/fhir"
                client = make_client(cds_settings(client_keys, fhir_servers=(base,)))
                answer = _call(client, client_keys, base)
                assert answer.status_code == 412, answer.text
                problem = answer.json()
                assert problem["prefetch"] == ["observations"]
                assert "nächste Seite der Suche liegt nicht unter fhirServer" in problem["detail"]
                assert not any(p.startswith("/other") for p in ehr.requests)
        assert elsewhere.requests == []


def test_a_search_with_more_pages_than_the_limit_is_refused(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    def endless(path: str, base_url: str) -> Answer:
        page = int(path.rpartition("page=")[2]) if "page=" in path else 1
        return json_answer(
            _searchset([_observation(page)], f"{base_url}/Observation?page={page + 1}")
        )

    with running_stub(fhir_stub(endless)) as ehr:
        client = make_client(cds_settings(client_keys, fhir_servers=(ehr.base_url,)))
        answer = _call(client, client_keys, ehr.base_url)
        assert answer.status_code == 412, answer.text
        assert "mehr als 100 Seiten" in answer.json()["detail"]
        assert sum(p.startswith("/Observation") for p in ehr.requests) == 100


def test_an_answer_above_the_size_limit_is_refused_declared_or_streamed(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    document = json.dumps(_searchset([_observation(n) for n in range(80)])).encode()
    assert len(document) > 20_000

    def chunked(path: str, base_url: str) -> Answer:
        return Answer(200, {"Content-Type": "application/fhir+json"}, _chunks(document, 1024))

    def declared(path: str, base_url: str) -> Answer:
        return Answer(200, {"Content-Type": "application/fhir+json"}, document)

    for observations in (chunked, declared):
        with running_stub(fhir_stub(observations)) as ehr:
            settings = cds_settings(
                client_keys, fhir_servers=(ehr.base_url,), cds_fhir_max_response_bytes=10_000
            )
            answer = _call(make_client(settings), client_keys, ehr.base_url)
            assert answer.status_code == 412, answer.text
            detail = answer.json()["detail"]
            assert "größer als 10.000 Bytes" in detail
            assert "OSTEOBOARD_CDS_FHIR_MAX_RESPONSE_BYTES" in detail
            # the same answer fits a larger limit
            settings = cds_settings(client_keys, fhir_servers=(ehr.base_url,))
            assert _call(make_client(settings), client_keys, ehr.base_url).status_code == 200


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_the_body_is_read_as_a_stream_and_reading_stops_at_the_limit() -> None:
    pulled = 0

    async def endless_body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"resourceType": "Bundle", "type": "searchset", "entry": ['
        while pulled < 10_000:  # 100 MB, were it all read
            pulled += 1
            yield b" " * 10_000

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Patient/p1"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
        return httpx.Response(200, content=endless_body())

    with pytest.raises(DataUnavailable) as refused:
        run_coroutine(
            gather(
                {"patient": "Patient/{{context.patientId}}", "all": PREFETCH["observations"]},
                None,
                {"patientId": "p1"},
                FhirAccess("https://ehr.klinik.example/fhir/", TOKEN),
                timeout_s=5,
                limits=FetchLimits(response_bytes=50_000),
                transport=httpx.MockTransport(handler),
            )
        )
    assert refused.value.keys == ["all"]
    assert "larger than 50,000 bytes" in refused.value.why[1]
    assert pulled <= 6


def test_more_resources_than_the_import_reads_are_refused(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    many = json.dumps(_searchset([_observation(n) for n in range(20_001)])).encode()

    def observations(path: str, base_url: str) -> Answer:
        return Answer(200, {"Content-Type": "application/fhir+json"}, many)

    with running_stub(fhir_stub(observations)) as ehr:
        client = make_client(cds_settings(client_keys, fhir_servers=(ehr.base_url,)))
        answer = _call(client, client_keys, ehr.base_url)
    assert answer.status_code == 412, answer.text
    assert "mehr als 20.000 Ressourcen" in answer.json()["detail"]


def test_limits_on_all_answers_and_resources_of_one_call() -> None:
    pages = {}
    for n in (1, 2, 3):
        next_url = f"https://ehr.klinik.example/fhir/X?page={n + 1}" if n < 3 else None
        pages[n] = json.dumps(_searchset([_observation(n)] * 3, next_url)).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=pages[int(request.url.params.get("page", "1"))])

    def run(limits: FetchLimits, prefetch: dict[str, Any] | None = None) -> int:
        resources, _ = run_coroutine(
            gather(
                {"x": "X?patient={{context.patientId}}", "y": "Y/{{context.patientId}}"},
                prefetch or {"y": {"resourceType": "Patient", "id": "p1"}},
                {"patientId": "p1"},
                FhirAccess("https://ehr.klinik.example/fhir/", TOKEN),
                timeout_s=5,
                limits=limits,
                transport=httpx.MockTransport(handler),
            )
        )
        return len(resources)

    assert run(FetchLimits()) == 10
    assert run(FetchLimits(resources=10)) == 10
    with pytest.raises(DataUnavailable, match="x") as refused:
        run(FetchLimits(resources=9))
    assert refused.value.why[1] == "more than 9 resources: too many for one patient"
    size = sum(len(p) for p in pages.values())
    with pytest.raises(DataUnavailable) as refused:
        run(FetchLimits(total_bytes=size - 1))
    assert "answers together are larger than" in refused.value.why[1]
    assert run(FetchLimits(total_bytes=size + 1)) == 10
    # a prefetch alone can be too much as well
    prefetch = {"x": _searchset([_observation(1)] * 4), "y": {"resourceType": "Patient"}}
    with pytest.raises(DataUnavailable) as refused:
        run(FetchLimits(resources=4), prefetch)
    assert refused.value.keys == ["x", "y"]


# -- a prefetch that is only part of its search ---------------------------------------------


def test_a_prefetch_that_is_only_a_first_page_is_not_used(
    client: TestClient, client_keys: ClientKeys
) -> None:
    full = bundles.prefetch(bundles.mscc_bundle(), "p1")
    next_page = _searchset(full["observations"]["entry"][0:1])
    next_page["link"] = [{"relation": "next", "url": "https://ehr.klinik.example/fhir/x?p=2"}]
    short_total = {**full["observations"], "total": len(full["observations"]["entry"]) + 1}
    for observations in (next_page, short_total):
        assert incomplete(observations)
        body = {
            "hook": "patient-view",
            "hookInstance": "c3f2f4b0-8a4e-4c7e-9a51-4d3a3b2f6e01",
            "context": {"patientId": "p1"},
            "prefetch": {**full, "observations": observations},
        }
        answer = client.post(PATIENT_VIEW, json=body, headers=client_keys.auth(PATIENT_VIEW))
        assert answer.status_code == 412, answer.text
        assert answer.json()["prefetch"] == ["observations"]
        assert "observations nur teilweise vorab geliefert" in answer.json()["detail"]
    assert not incomplete(full["observations"])
    assert not incomplete({"resourceType": "Patient", "id": "p1"})


_ICD = {
    "resourceType": "Device",
    "id": "icd",
    "status": "active",
    "type": {"coding": [{"system": "http://snomed.info/sct", "code": "72506001"}]},
    "patient": {"reference": "Patient/p1"},
}


def test_an_optional_key_is_read_when_given_and_never_a_reason_to_refuse() -> None:
    """devices: read from the prefetch (also a partial searchset) or the client's server,
    left out without either, and a server that cannot answer it fails nothing."""
    templates = {"patient": "Patient/{{context.patientId}}", "devices": PREFETCH["devices"]}
    patient = {"resourceType": "Patient", "id": "p1"}

    def gathered(
        prefetch: dict[str, Any], access: FhirAccess | None, handler: Any = None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        result: tuple[list[dict[str, Any]], list[str]] = run_coroutine(
            gather(
                templates,
                prefetch,
                {"patientId": "p1"},
                access,
                timeout_s=5,
                transport=None if handler is None else httpx.MockTransport(handler),
                optional=OPTIONAL_PREFETCH,
            )
        )
        return result

    given = _searchset([_ICD], next_url="https://ehr.klinik.example/fhir/Device?page=2")
    resources, fetched = gathered({"patient": patient, "devices": given}, None)
    assert [r["resourceType"] for r in resources] == ["Patient", "Device"] and fetched == []
    resources, fetched = gathered({"patient": patient}, None)
    assert [r["resourceType"] for r in resources] == ["Patient"] and fetched == []

    def server(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/fhir/Device"
        return httpx.Response(200, json=_searchset([_ICD]))

    access = FhirAccess("https://ehr.klinik.example/fhir/", TOKEN)
    resources, fetched = gathered({"patient": patient}, access, server)
    assert [r["id"] for r in resources] == ["p1", "icd"] and fetched == ["devices"]

    def unsupported(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"resourceType": "OperationOutcome", "issue": []})

    resources, fetched = gathered({"patient": patient}, access, unsupported)
    assert [r["id"] for r in resources] == ["p1"] and fetched == []

    # a Device that is not valid R4B (R5's displayName) is left out, never a refusal
    invalid = dict(_ICD, id="r5", displayName="ICD")

    def r5(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=_searchset([invalid, _ICD]))

    resources, fetched = gathered({"patient": patient}, access, r5)
    assert [r["id"] for r in resources] == ["p1", "icd"]
    resources, _ = gathered({"patient": patient, "devices": _searchset([invalid])}, None)
    assert [r["id"] for r in resources] == ["p1"]

    # the optional key has its own budget: many devices do not refuse the required keys
    def many(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Device"):
            return httpx.Response(200, json=_searchset([dict(_ICD, id=f"d{n}") for n in range(30)]))
        return httpx.Response(200, json=_searchset([_observation(n) for n in range(10)]))

    both = {**templates, "observations": PREFETCH["observations"]}
    resources, fetched = run_coroutine(
        gather(
            both,
            {"patient": patient},
            {"patientId": "p1"},
            access,
            timeout_s=5,
            limits=FetchLimits(resources=25),
            transport=httpx.MockTransport(many),
            optional=OPTIONAL_PREFETCH,
        )
    )
    assert fetched == ["observations"] and len(resources) == 11
    # a required key is refused as before
    with pytest.raises(DataUnavailable):
        run_coroutine(
            gather(
                templates,
                {"patient": patient},
                {"patientId": "p1"},
                access,
                timeout_s=5,
                transport=httpx.MockTransport(unsupported),
            )
        )


def test_a_prefetched_device_reaches_the_case(client: TestClient, client_keys: ClientKeys) -> None:
    """An ICD in the devices prefetch: the cards of the MSCC patient, whose proposal holds
    radiotherapy, carry the device warning (interrogate the ICD before planning), which they
    do not without it."""
    prefetch = bundles.prefetch(bundles.mscc_bundle(), "p1")
    device = dict(_ICD, patient={"reference": "Patient/p1"})
    without = _call(client, client_keys, None, prefetch=prefetch)
    with_icd = _call(
        client, client_keys, None, prefetch={**prefetch, "devices": _searchset([device])}
    )
    assert without.status_code == with_icd.status_code == 200, with_icd.text
    said = json.dumps(with_icd.json(), ensure_ascii=False)
    assert "Bestrahlung bei ICD" in said
    assert "Bestrahlung bei ICD" not in json.dumps(without.json(), ensure_ascii=False)
