"""The web app's pages: the form covers the case model, German and English, roles, the demo
data, answers to questions."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from osteoboard.labels import case_fields
from osteoboard.store.db import Store
from osteoboard.web.caseform import case_spec, flatten, parse_form
from osteoboard.web.demo import DEMO_MEETING_TITLE, ensure_demo

from .conftest import ROOT, csrf_of


def test_the_form_has_an_input_for_every_field_of_the_case(
    client_for: Callable[[str], TestClient],
) -> None:
    html = client_for("koordination").get("/cases/new").text
    names = set(re.findall(r'name="([^"]+)"', html))
    shown = {re.sub(r"\[0\]", "[]", n) for n in names}
    blocks = {"patient", "primary", "visceral_metastases", "bone_metastases", "prior_therapy"}
    blocks |= {"labs", "neurology", "myeloma", "sarcoma", "sarcoma.metastases"}
    blocks |= {"myeloma.crab", "myeloma.new_crab", "myeloma.baseline", "myeloma.staging"}
    for path in case_fields():
        if path in ("lesions[]", "myeloma.series[]"):
            continue  # a list of blocks: each entry is a fieldset of inputs
        leaf = path.removesuffix("[]")
        if leaf in blocks:  # a block: a fieldset
            assert f'id="f-{leaf.replace(".", "-").replace("_", "-")}"' in html, leaf
        else:
            assert leaf in shown or path in shown, path


def test_units_and_allowed_values_are_shown(client_for: Callable[[str], TestClient]) -> None:
    html = client_for("koordination").get("/cases/new").text
    assert '<span class="unit">mmol/l</span>' in html
    assert '<span class="unit">µmol/l</span>' in html
    assert "zulässig: ≥ 18, ≤ 120" in html
    assert ">Mammakarzinom</option>" in html  # enumerations by their German names
    assert ">osteolytisch</option>" in html or ">lytisch</option>" in html


def test_a_document_read_back_from_its_form_is_the_same_document() -> None:
    from starlette.datastructures import FormData

    from osteoboard.caseio import load_case

    for path in sorted((ROOT / "examples").glob("*.yaml")):
        case = load_case(path)
        document = case.model_dump(mode="json", exclude_none=True)
        values = flatten(document, "de")
        items: list[tuple[str, str]] = []
        for key, value in values.items():
            if key.endswith("[]"):
                continue
            if isinstance(value, list):
                items += [(key, v) for v in value]
            else:
                items.append((key, str(value)))
        parsed = parse_form(FormData(items))
        assert parsed.errors == {}, (path.name, parsed.errors)
        assert parsed.case == case, path.name
    assert case_spec().children[0].name == "id"


def test_german_by_default_english_on_request(client_for: Callable[[str], TestClient]) -> None:
    client = client_for("board")
    german = client.get("/cases/4").text
    assert '<html lang="de">' in german and "Vorschläge je Disziplin" in german
    english = client.get("/cases/4?lang=en").text
    assert '<html lang="en">' in english and "Proposals by discipline" in english
    assert "Metastatic spinal cord compression" in english or "MSCC" in english
    # The choice is kept in a cookie.
    client.get("/lang/en?next=/meetings")
    assert "Tumour board meetings" in client.get("/meetings").text


def test_roles_see_what_they_may_do(client_for: Callable[[str], TestClient]) -> None:
    viewer = client_for("lesen")
    assert viewer.get("/cases/new").status_code == 403
    page = viewer.get("/cases/4").text
    assert 'class="decide"' not in page and 'id="sign-off"' not in page
    assert "Lesezugriff" in page
    board = client_for("board").get("/cases/4?entry=4").text
    assert 'class="decide"' in board and 'id="sign-off"' in board
    assert "/cases/4/edit" not in board  # a board member does not edit the case
    coordinator = client_for("koordination").get("/cases/4").text
    assert "/cases/4/edit" in coordinator and 'class="answer"' in coordinator
    assert 'class="decide"' not in coordinator


def test_an_answer_sets_the_field_in_a_new_version(
    client_for: Callable[[str], TestClient],
) -> None:
    client = client_for("koordination")
    # The first demo case whose questions include a yes/no answer.
    for case in range(1, 13):
        page = client.get(f"/cases/{case}").text
        match = re.search(r'<select id="[^"]+" name="a:([^"]+)"', page)
        if match is not None:
            break
    assert match is not None, "no demo case asks a yes/no question"
    path = match.group(1)
    number = re.search(r'name="question" value="(\d+)"', page)
    assert number is not None
    answer = {
        "csrf_token": csrf_of(page),
        "question": number.group(1),
        "version": "1",
        f"a:{path}": "true",
    }
    reply = client.post(f"/cases/{case}/answer", data=answer, headers={"HX-Request": "true"})
    assert reply.status_code == 200
    assert "Antwort gespeichert: Version 2 ausgewertet" in reply.text
    history = client.get(f"/cases/{case}/history").text
    assert "Antwort auf eine Frage an das Board" in history
    # The same answer on the old version is refused: the case moved on.
    again = client.post(f"/cases/{case}/answer", data=answer, headers={"HX-Request": "true"})
    assert again.status_code == 409 and "jetzt Version 2" in again.text


def test_the_demo_is_created_once(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        first = ensure_demo(store, ROOT / "examples")
        second = ensure_demo(store, ROOT / "examples")
        assert sorted(first.passwords) == ["admin", "board", "koordination", "lesen"]
        assert len(first.cases) == len(list((ROOT / "examples").glob("*.yaml")))
        assert second.passwords == {} and second.cases == []
        assert second.meeting_id == first.meeting_id
        from osteoboard.store import service
        from osteoboard.store.permissions import SYSTEM

        with store.read() as session:
            meetings = service.list_meetings(session, SYSTEM)
            assert [m.title for m in meetings] == [DEMO_MEETING_TITLE]
            assert len(meetings[0].entries) == len(first.cases)
    finally:
        store.dispose()


def test_one_more_lesion_keeps_the_form_and_stores_nothing(
    client_for: Callable[[str], TestClient],
) -> None:
    client = client_for("koordination")
    page = client.get("/cases/new").text
    data = {
        "csrf_token": csrf_of(page),
        "id": "ROWS-1",
        "lesions[0].id": "L1",
        "lesions[0].region": "spine",
        "_add": "lesions[]",
    }
    reply = client.post("/cases/new", data=data)
    assert reply.status_code == 200
    assert 'name="lesions[1].id"' in reply.text and 'name="lesions[2].id"' not in reply.text
    assert 'value="ROWS-1"' in reply.text and 'value="L1"' in reply.text
    assert "ROWS-1" not in client.get("/cases").text
    del data["_add"]
    data["lesions[1].id"] = "L1"  # the same id twice: an error of the case as a whole
    reply = client.post("/cases/new", data=data)
    assert reply.status_code == 422 and "L1" in reply.text and 'id="form-errors"' in reply.text
