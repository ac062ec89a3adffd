"""The proposal as FHIR: a Bundle that validates with R4B, whose RequestGroup carries exactly
the proposal's action codes (as codings of the action CodeSystem), with warnings, scores and
the protocol PDF."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osteoboard.caseio import load_case
from osteoboard.cli import app
from osteoboard.engine import evaluate
from osteoboard.fhir.r4b import parse_resource
from osteoboard.guideline import load_knowledge_base
from osteoboard.render.fhir import ACTION_SYSTEM, action_codesystem, render_fhir

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_renders_a_valid_r4b_bundle(path: Path) -> None:
    proposal = evaluate(load_case(path))
    bundle = render_fhir(proposal, load_knowledge_base())
    parsed = parse_resource(bundle, path.name)
    assert type(parsed).__module__ == "fhir.resources.R4B.bundle"
    resources = [e["resource"] for e in bundle["entry"]]
    (group,) = [r for r in resources if r["resourceType"] == "RequestGroup"]
    codes = [a["code"][0]["coding"][0] for a in group.get("action", [])]
    assert all(c["system"] == ACTION_SYSTEM for c in codes)
    items = [*proposal.emergencies, *proposal.recommendations]
    assert [c["code"] for c in codes] == [i.code for i in items]
    priorities = [a["priority"] for a in group.get("action", [])]
    assert priorities == [
        {"urgent": "urgent", "soon": "asap", "routine": "routine"}[i.priority] for i in items
    ]
    issues = [r for r in resources if r["resourceType"] == "DetectedIssue"]
    assert [i["code"]["coding"][0]["code"] for i in issues] == [w.code for w in proposal.warnings]
    scores = [r for r in resources if r["resourceType"] == "Observation"]
    assert len(scores) == len(proposal.scores)


def test_codesystem_holds_every_action_code() -> None:
    kb = load_knowledge_base()
    cs = action_codesystem(kb)
    parse_resource(cs, "codesystem")
    assert [c["code"] for c in cs["concept"]] == list(kb.actions)
    assert cs["version"] == kb.version and cs["url"] == ACTION_SYSTEM
    result = CliRunner().invoke(app, ["kb", "codesystem"])
    assert json.loads(result.stdout) == cs


def test_cli_fhir_format_carries_the_protocol_pdf(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    result = CliRunner().invoke(app, ["evaluate", str(EXAMPLES[3]), "-f", "fhir", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    bundle = json.loads(out.read_text(encoding="utf-8"))
    parse_resource(bundle, "out")
    (doc,) = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    pdf = base64.b64decode(doc["content"][0]["attachment"]["data"])
    assert pdf.startswith(b"%PDF-") and len(pdf) == doc["content"][0]["attachment"]["size"]
