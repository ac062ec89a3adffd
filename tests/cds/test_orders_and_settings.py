"""The order checks' knowledge file agrees with the rules it names, the settings read from
the environment refuse bad values with one line, and stored feedback cannot be changed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from osteoboard.api.settings import SettingsError
from osteoboard.case import BoneModifyingAgent
from osteoboard.caseio import parse_case
from osteoboard.cds.fhirdata import template_url
from osteoboard.cds.orders import FILE, check_order, load_order_rules
from osteoboard.cds.settings import CdsSettings
from osteoboard.guideline import load_knowledge_base
from osteoboard.knowledge_files import KnowledgeError, default_kb_dir
from osteoboard.store.db import Store


def _doses_in(text_de: str) -> set[float]:
    return {float(n.replace(",", ".")) for n in re.findall(r"(\d+(?:,\d+)?) mg", text_de)}


def test_every_structured_dose_is_the_dose_its_rule_states() -> None:
    kb = load_knowledge_base()
    rules = load_order_rules(kb)
    by_id = {compiled.rule.id: compiled.rule for compiled in kb.rules}
    assert rules.doses
    for dose in rules.doses:
        rule = by_id[dose.rule]
        text_de = (rule.text or kb.actions[rule.action].text).de
        assert dose.dose_mg in _doses_in(text_de), (dose.rule, dose.dose_mg, text_de)
        # the agent's name is in the text too
        name = kb.labels.say("bone_modifying_agent", dose.agent.value, "de")
        assert name.lower() in text_de.lower(), (dose.rule, name)


@pytest.mark.parametrize(
    "agent", [BoneModifyingAgent.zoledronic_acid, BoneModifyingAgent.denosumab]
)
def test_an_order_while_calcium_is_low_gets_the_emergency_and_no_dose(
    agent: BoneModifyingAgent,
) -> None:
    kb = load_knowledge_base()
    case = parse_case(
        {
            "id": "order-hypo",
            "patient": {"age": 70, "sex": "male", "weight_kg": 80},
            "primary": {"site": "prostate", "castration_status": "resistant"},
            "bone_metastases": {"vertebral_count": 6, "extraspinal_count": 8},
            "labs": {"calcium_mmol_l": 1.7, "albumin_g_l": 40, "creatinine_umol_l": 80},
        }
    )
    checked = check_order(
        case, {"resourceType": "MedicationRequest"}, agent, kb, load_order_rules(kb)
    )
    assert "EMERG.HYPOCALCEMIA" in [i.code for i in checked.items]
    assert checked.dose is None
    agents = {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"}
    assert not [i for i in checked.items if i.code in agents and i.status.value == "firm"]


def test_a_dose_for_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(default_kb_dir(), copy)
    path = copy / FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["doses"][0]["rule"] = "bone_modifying_agents.no_such_rule"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"unknown rule bone_modifying_agents\.no_such_rule"):
        load_order_rules(load_knowledge_base(copy))


def test_settings_from_the_environment() -> None:
    settings = CdsSettings.from_env(
        {
            "OSTEOBOARD_PUBLIC_URL": "https://osteoboard.klinik.example/",
            "OSTEOBOARD_CDS_CLIENTS": '{"https://ehr.example/": {"jwks_url": "https://ehr.example/jwks"}}',
            "OSTEOBOARD_CDS_LANG": "en",
        }
    )
    assert settings.public_url == "https://osteoboard.klinik.example"
    assert settings.audience("/cds-services") == "https://osteoboard.klinik.example/cds-services"
    assert settings.proposal_url == "https://osteoboard.klinik.example/"
    assert settings.cds_clients["https://ehr.example/"].jwks_url == "https://ehr.example/jwks"
    assert settings.cds_lang == "en"
    assert CdsSettings.from_env({}).cds_clients == {}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OSTEOBOARD_CDS_CLIENTS", "{not json", "OSTEOBOARD_CDS_CLIENTS: "),
        ("OSTEOBOARD_CDS_CLIENTS", '{"https://ehr.example/": {}}', "jwks_url, jwks or jku"),
        ("OSTEOBOARD_CDS_CLIENTS", '{"x": {"jwks_url": "ftp://x"}}', "absolute http(s) URL"),
        ("OSTEOBOARD_PUBLIC_URL", "osteoboard.klinik", "OSTEOBOARD_PUBLIC_URL: "),
        ("OSTEOBOARD_CDS_LANG", "fr", "OSTEOBOARD_CDS_LANG: "),
        ("OSTEOBOARD_CDS_JWT_MAX_AGE_S", "5", "OSTEOBOARD_CDS_JWT_MAX_AGE_S: "),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        CdsSettings.from_env({name: value})
    assert str(refused.value).startswith(name + ": ")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_prefetch_tokens_take_only_fhir_ids() -> None:
    assert template_url("Condition?patient={{context.patientId}}", {"patientId": "a-1.b"}) == (
        "Condition?patient=a-1.b"
    )
    for bad in ("1&_include=*", "../Patient", "", None, "x" * 65):
        with pytest.raises(ValueError, match=r"context\.patientId"):
            template_url("Patient/{{context.patientId}}", {"patientId": bad})


def test_stored_feedback_cannot_be_changed_or_deleted(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cds_feedback (received_at, client, service_id, card_uuid, outcome, "
                "accepted_suggestions, outcome_at) VALUES ('2026-11-26 10:00:00', 'c', 's', "
                "'card', 'overridden', '[]', '2026-11-26 10:00:00')"
            )
        )
    for statement in (
        "UPDATE cds_feedback SET outcome = 'accepted'",
        "DELETE FROM cds_feedback",
    ):
        with pytest.raises(DatabaseError, match="never changed"), store.engine.begin() as c:
            c.execute(text(statement))
