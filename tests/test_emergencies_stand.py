"""An emergency raised by documented findings is never taken away by documenting more.

For every referral case whose proposal holds the cord-compression emergency on a documented
neurological finding, the case is evaluated again with a documented onset of the deficit at
several ages and with a documented whole-body staging count: the emergency, dexamethasone
(firm or conditional) and the urgent spine imaging must all still be there. A rule whose new
term read an onset as a number once dropped all three for onsets over a week.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal
from tests.test_referral_cases import CASE_FILES, load_referral, proposal

URGENT_IMAGING = {
    "DX.MRI_WHOLE_SPINE_URGENT",
    "DX.CT_WHOLE_SPINE_URGENT",
    "DX.SPINE_IMAGING_URGENT",
}


def _codes(p: Proposal) -> set[str]:
    return {i.code for i in [*p.emergencies, *p.recommendations, *p.warnings]}


def _cases() -> list[Path]:
    out = []
    for path in CASE_FILES:
        case = load_referral(path).case
        n = case.neurology
        documented = n.new_deficit is True or n.radicular_pain is True or n.mscc_suspected
        if documented and "EMERG.MSCC" in _codes(proposal(path)):
            out.append(path)
    return out


CASES = _cases()


def test_there_are_cases_to_vary() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem[:3] for p in CASES])
@pytest.mark.parametrize(
    "change",
    [
        {"neurology": {"deficit_onset_hours": 6}},
        {"neurology": {"deficit_onset_hours": 169}},
        {"neurology": {"deficit_onset_hours": 1000}},
        {"visceral_metastases": {"present": True}},
    ],
    ids=["onset-6h", "onset-169h", "onset-1000h", "visceral"],
)
def test_more_documentation_keeps_the_cord_compression_steps(
    path: Path, change: dict[str, Any]
) -> None:
    before = _codes(proposal(path))
    doc = load_referral(path).case.model_dump(mode="json", exclude_none=True)
    for block, values in change.items():
        doc.setdefault(block, {}).update(values)
    after = _codes(evaluate(parse_case(doc)))
    assert "EMERG.MSCC" in after
    assert ("SUP.DEXAMETHASONE" in before) <= ("SUP.DEXAMETHASONE" in after)
    assert bool(before & URGENT_IMAGING) <= bool(after & URGENT_IMAGING)
