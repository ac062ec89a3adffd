"""IMWG response of a multiple myeloma (Kumar et al., Lancet Oncol 2016;17:e328–e346).

The analysis lives in :mod:`osteoboard.myeloma`; this module turns a
:class:`~osteoboard.myeloma.MyelomaCourse` into a :class:`ScoreResult`: ``category`` is the
status at the latest assessment (pd once progression criteria are met), ``total`` is null,
items list baseline, nadir and latest values and how far the paraprotein rose above its nadir
in two consecutive measurements; notes give best response and its confirmation, progression,
MRD, nadir and progression threshold. Whether the course calls for monitoring or therapy (the
relapse tiers of seed 004) is decided by the knowledge base's myeloma rules, not by the score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from osteoboard.case import Case, Lesion, Myeloma
from osteoboard.myeloma import (
    PD_SERUM_HIGH_NADIR_G_DL,
    MyelomaCourse,
    Nadir,
    Response,
    analyse,
)
from osteoboard.scores.base import ScoreInput, ScoreItem, ScoreResult
from osteoboard.scores.registry import ScoreSpec
from osteoboard.text import Text

__all__ = ["CATEGORIES", "SOURCE", "SPEC", "ImwgInput", "imwg_response"]

SOURCE = "kumar2016-imwg"


class ImwgInput(ScoreInput):
    myeloma: Myeloma | None = None


_NAMES: dict[Response, Text] = {
    Response.scr: Text(de="stringente komplette Remission (sCR)", en="stringent complete response"),
    Response.cr: Text(de="komplette Remission (CR)", en="complete response (CR)"),
    Response.vgpr: Text(
        de="sehr gute partielle Remission (VGPR)", en="very good partial response (VGPR)"
    ),
    Response.pr: Text(de="partielle Remission (PR)", en="partial response (PR)"),
    Response.mr: Text(de="minimales Ansprechen (MR)", en="minimal response (MR)"),
    Response.sd: Text(de="stabile Erkrankung (SD)", en="stable disease (SD)"),
    Response.pd: Text(de="Progression (PD)", en="progressive disease (PD)"),
    Response.not_assessable: Text(de="nicht beurteilbar", en="not assessable"),
}

CATEGORIES: dict[str, Text] = {
    "scr": Text(
        de="sCR: CR, dazu normaler FLC-Quotient und keine klonalen Plasmazellen im Mark.",
        en="sCR: CR plus a normal FLC ratio and no clonal plasma cells in the marrow.",
    ),
    "cr": Text(
        de="CR: Immunfixation in Serum und Urin negativ, < 5 % Plasmazellen im Knochenmark.",
        en="CR: negative serum and urine immunofixation, < 5 % marrow plasma cells.",
    ),
    "vgpr": Text(
        de="VGPR: M-Protein nur noch in der Immunfixation nachweisbar oder um ≥ 90 % gesunken "
        "(Urin < 100 mg/24 h).",
        en="VGPR: M-protein detectable by immunofixation only, or reduced by ≥ 90 % "
        "(urine < 100 mg/24 h).",
    ),
    "pr": Text(
        de="PR: Serum-M-Protein um ≥ 50 % gesunken, Urin-M-Protein um ≥ 90 % oder auf "
        "< 200 mg/24 h (bei Leichtketten-Erkrankung dFLC um ≥ 50 %).",
        en="PR: serum M reduced by ≥ 50 %, urine M by ≥ 90 % or to < 200 mg/24 h "
        "(light-chain disease: dFLC by ≥ 50 %).",
    ),
    "mr": Text(
        de="MR: Serum-M-Protein um 25–49 % und Urin-M-Protein um 50–89 % gesunken.",
        en="MR: serum M reduced by 25–49 % and urine M by 50–89 %.",
    ),
    "sd": Text(
        de="SD: weder Ansprechen noch Progression nach IMWG.",
        en="SD: neither response nor progression by IMWG criteria.",
    ),
    "pd": Text(
        de="PD: Progressionskriterien erfüllt (Anstieg ≥ 25 % über den Nadir mit absolutem "
        "Mindestanstieg, neue Läsionen oder Markanstieg).",
        en="PD: progression criteria met (rise ≥ 25 % above the nadir with the absolute minimum, "
        "new lesions or marrow increase).",
    ),
    "not_assessable": Text(
        de="Nicht beurteilbar: keine auswertbaren Verlaufswerte oder keine messbare Erkrankung.",
        en="Not assessable: no usable assessments or no measurable disease.",
    ),
}

_REASONS: dict[str, Text] = {
    "serum": Text(de="Serum-M-Protein", en="serum M-protein"),
    "urine": Text(de="Urin-M-Protein", en="urine M-protein"),
    "flc": Text(de="freie Leichtketten (dFLC)", en="free light chains (dFLC)"),
    "marrow": Text(de="Plasmazellen im Knochenmark", en="marrow plasma cells"),
    "new_lesions": Text(de="neue Läsionen", en="new lesions"),
}


def _num(x: float, lang: str, digits: int = 2) -> str:
    s = f"{round(x, digits):.{digits}f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if lang == "de" else s


def _date(d: dt.date | None, lang: str) -> str:
    if d is None:
        return "Ausgangswert" if lang == "de" else "baseline"
    return d.strftime("%d.%m.%Y") if lang == "de" else d.isoformat()


def _t(text: Text, lang: str) -> str:
    return text.de if lang == "de" else text.en


def _join(keys: tuple[str, ...], lang: str) -> str:
    return ", ".join(_t(_REASONS[k], lang) for k in keys)


def _info(name: str, de: str, en: str, value: str | float | bool | None) -> ScoreItem:
    return ScoreItem(name=name, label=Text(de=de, en=en), value=value, points=None, possible=[])


def _items(c: MyelomaCourse) -> list[ScoreItem]:
    b = c.baseline
    latest = c.series[-1] if c.series else None
    items = [
        _info(
            "baseline_serum_m_g_dl",
            "Ausgangswert Serum-M-Protein (g/dl)",
            "Baseline serum M (g/dL)",
            b.serum_m_g_dl if b else None,
        ),
        _info(
            "baseline_urine_m_mg_24h",
            "Ausgangswert Urin-M-Protein (mg/24 h)",
            "Baseline urine M (mg/24 h)",
            b.urine_m_mg_24h if b else None,
        ),
        _info(
            "baseline_involved_flc_mg_l",
            "Ausgangswert betroffene Leichtkette (mg/l)",
            "Baseline involved FLC (mg/L)",
            b.involved_flc_mg_l if b else None,
        ),
        _info(
            "baseline_uninvolved_flc_mg_l",
            "Ausgangswert nicht betroffene Leichtkette (mg/l)",
            "Baseline uninvolved FLC (mg/L)",
            b.uninvolved_flc_mg_l if b else None,
        ),
        _info(
            "nadir_serum_m_g_dl",
            "Nadir Serum-M-Protein (g/dl)",
            "Nadir serum M (g/dL)",
            c.nadir_serum.value if c.nadir_serum else None,
        ),
        _info(
            "nadir_serum_date",
            "Datum des Serum-Nadirs",
            "Date of the serum nadir",
            _nadir_date(c.nadir_serum),
        ),
        _info(
            "nadir_urine_m_mg_24h",
            "Nadir Urin-M-Protein (mg/24 h)",
            "Nadir urine M (mg/24 h)",
            c.nadir_urine.value if c.nadir_urine else None,
        ),
        _info(
            "nadir_urine_date",
            "Datum des Urin-Nadirs",
            "Date of the urine nadir",
            _nadir_date(c.nadir_urine),
        ),
        _info(
            "nadir_involved_flc_mg_l",
            "Nadir betroffene Leichtkette (mg/l)",
            "Nadir involved FLC (mg/L)",
            c.nadir_involved_flc.value if c.nadir_involved_flc else None,
        ),
        _info(
            "nadir_involved_flc_date",
            "Datum des FLC-Nadirs",
            "Date of the FLC nadir",
            _nadir_date(c.nadir_involved_flc),
        ),
        _info(
            "latest_date",
            "Letzte Kontrolle",
            "Latest assessment",
            latest.date.isoformat() if latest else None,
        ),
        _info(
            "latest_serum_m_g_dl",
            "Letzter Wert Serum-M-Protein (g/dl)",
            "Latest serum M (g/dL)",
            latest.serum_m_g_dl if latest else None,
        ),
        _info(
            "latest_urine_m_mg_24h",
            "Letzter Wert Urin-M-Protein (mg/24 h)",
            "Latest urine M (mg/24 h)",
            latest.urine_m_mg_24h if latest else None,
        ),
        _info(
            "latest_involved_flc_mg_l",
            "Letzter Wert betroffene Leichtkette (mg/l)",
            "Latest involved FLC (mg/L)",
            latest.involved_flc_mg_l if latest else None,
        ),
        _info(
            "progression_threshold_serum_g_dl",
            "Progressionsschwelle Serum-M-Protein (g/dl)",
            "Progression threshold serum M (g/dL)",
            c.progression_threshold_serum_g_dl,
        ),
        _info(
            "best_response",
            "Bestes Ansprechen",
            "Best response",
            c.best_response.value,
        ),
    ]
    rise = c.paraprotein
    if rise is not None:
        items += [
            _info(
                "serum_m_sustained_rise_g_dl",
                "Anstieg Serum-M-Protein über den Nadir, zweimal in Folge (g/dl)",
                "Rise of serum M above the nadir, twice in a row (g/dL)",
                rise.serum_sustained_rise_g_dl,
            ),
            _info(
                "urine_m_sustained_rise_mg_24h",
                "Anstieg Urin-M-Protein über den Nadir, zweimal in Folge (mg/24 h)",
                "Rise of urine M above the nadir, twice in a row (mg/24 h)",
                rise.urine_sustained_rise_mg_24h,
            ),
            _info(
                "involved_flc_sustained_rise_mg_l",
                "Anstieg betroffene Leichtkette über den Nadir, zweimal in Folge (mg/l)",
                "Rise of the involved FLC above the nadir, twice in a row (mg/L)",
                rise.involved_flc_sustained_rise_mg_l,
            ),
            _info(
                "serum_m_doubling_reference_g_dl",
                "Serum-M-Protein vor einer Verdopplung (g/dl; 0 = keine)",
                "Serum M before a doubling (g/dL; 0 = none)",
                rise.serum_doubling_reference_g_dl,
            ),
            _info(
                "serum_m_doubling_months",
                "Monate bis zur Verdopplung",
                "Months until it doubled",
                rise.serum_doubling_months,
            ),
        ]
    return items


def _nadir_date(n: Nadir | None) -> str | None:
    if n is None:
        return None
    return n.date.isoformat() if n.date else "baseline"


def _confirmation(ok: bool, lang: str) -> str:
    if lang == "de":
        return "bestätigt" if ok else "unbestätigt"
    return "confirmed" if ok else "unconfirmed"


def _notes(c: MyelomaCourse) -> list[Text]:
    notes: list[Text] = []

    def both(f: Callable[[str], str]) -> Text:
        return Text(de=f("de"), en=f("en"))

    # Best response and confirmation.
    def best(lang: str) -> str:
        name = _t(_NAMES[c.best_response], lang)
        if c.best_response is Response.not_assessable:
            return ("Bestes Ansprechen: " if lang == "de" else "Best response: ") + name + "."
        when = _date(c.best_response_date, lang)
        conf = _confirmation(c.best_response_confirmed, lang)
        head = "Bestes Ansprechen" if lang == "de" else "Best response"
        text = f"{head}: {name} ({when}), {conf}."
        if not c.best_response_confirmed:
            if c.best_confirmed_response is not None:
                bc = _t(_NAMES[c.best_confirmed_response], lang)
                text += (
                    f" Bestätigt (zwei Kontrollen in Folge): {bc}."
                    if lang == "de"
                    else f" Confirmed (two consecutive assessments): {bc}."
                )
            else:
                text += (
                    " Noch keine Kategorie in zwei Kontrollen in Folge erreicht."
                    if lang == "de"
                    else " No category yet reached on two consecutive assessments."
                )
        return text

    notes.append(both(best))

    # Progression.
    def progression(lang: str) -> str:
        if not c.progression_met:
            return (
                "Progressionskriterien nicht erfüllt."
                if lang == "de"
                else "Progression criteria not met."
            )
        conf = _confirmation(c.progression_confirmed, lang)
        when = _date(c.progression_date, lang)
        why = _join(c.progression_reasons, lang)
        if lang == "de":
            text = f"Progressionskriterien erfüllt seit {when} ({why}), {conf}."
            if not c.progression_confirmed:
                text += " Eine zweite Kontrolle ist zur Bestätigung nötig."
            return text
        text = f"Progression criteria met since {when} ({why}), {conf}."
        if not c.progression_confirmed:
            text += " A second assessment is needed to confirm."
        return text

    if c.series:
        notes.append(both(progression))
    latest = c.latest
    if c.progression_confirmed and latest is not None and not latest.progression:
        # A course pasted since diagnosis: a relapse of an earlier line stands for this one.
        notes.append(
            Text(
                de="Die bestätigte Progression liegt vor der letzten Kontrolle, die die "
                "Progressionskriterien nicht mehr erfüllt. Begann danach eine neue "
                "Therapielinie, die Kontrolle vor ihrem Beginn mit line_start markieren: "
                "Ansprechen und Progression werden dann ab ihr beurteilt.",
                en="The confirmed progression lies before the latest assessment, which no "
                "longer meets the progression criteria. If a new line of therapy began since, "
                "mark the assessment before it with line_start: response and progression are "
                "then judged from it.",
            )
        )
    if c.line_start is not None:
        when_de, when_en = _date(c.line_start, "de"), _date(c.line_start, "en")
        notes.append(
            Text(
                de=f"Beurteilt ab Beginn der aktuellen Therapielinie ({when_de}; ihre Werte "
                "sind die Ausgangswerte).",
                en=f"Judged from the start of the current line of therapy ({when_en}; its "
                "values are the baseline).",
            )
        )

    # MRD, reported separately.
    mrd = {
        True: Text(de="MRD-negativ", en="MRD-negative"),
        False: Text(de="MRD-positiv", en="MRD-positive"),
        None: Text(de="MRD nicht bekannt", en="MRD not known"),
    }[c.mrd_negative]
    notes.append(
        Text(
            de=f"{mrd.de} (getrennt vom IMWG-Ansprechen berichtet).",
            en=f"{mrd.en} (reported separately from the IMWG response).",
        )
    )
    if c.mrd_negative is True and c.status not in (Response.cr, Response.scr):
        # IMWG 2016: the MRD categories presuppose a complete response.
        notes.append(
            Text(
                de="Die MRD-Kategorien der IMWG setzen eine komplette Remission voraus; "
                "ohne CR ist das MRD-negative Ergebnis nicht als MRD-Ansprechen zu werten.",
                en="The IMWG MRD categories require a complete response; without a CR the "
                "MRD-negative result is not an MRD response.",
            )
        )

    # Nadir and threshold.
    if c.nadir_serum is not None and c.progression_threshold_serum_g_dl is not None:
        n, t = c.nadir_serum, c.progression_threshold_serum_g_dl

        def nadir(lang: str) -> str:
            high = n.value >= PD_SERUM_HIGH_NADIR_G_DL
            rule = {
                ("de", True): "(Nadir ≥ 5 g/dl: Anstieg um ≥ 1 g/dl)",
                ("de", False): "(≥ 25 % und ≥ 0,5 g/dl über dem Nadir)",
                ("en", True): "(nadir ≥ 5 g/dL: rise of ≥ 1 g/dL)",
                ("en", False): "(≥ 25 % and ≥ 0.5 g/dL above the nadir)",
            }[(lang, high)]
            if lang == "de":
                return (
                    f"Nadir Serum-M-Protein {_num(n.value, lang)} g/dl ({_date(n.date, lang)}); "
                    f"Progressionsschwelle {_num(t, lang)} g/dl {rule}."
                )
            return (
                f"Nadir serum M {_num(n.value, lang)} g/dL ({_date(n.date, lang)}); "
                f"progression threshold {_num(t, lang)} g/dL {rule}."
            )

        notes.append(both(nadir))
    if c.parameter == "urine" and c.nadir_urine and c.progression_threshold_urine_mg_24h:
        nu, tu = c.nadir_urine, c.progression_threshold_urine_mg_24h
        notes.append(
            Text(
                de=f"Nadir Urin-M-Protein {_num(nu.value, 'de', 0)} mg/24 h "
                f"({_date(nu.date, 'de')}); Progressionsschwelle {_num(tu, 'de', 0)} mg/24 h.",
                en=f"Nadir urine M {_num(nu.value, 'en', 0)} mg/24 h "
                f"({_date(nu.date, 'en')}); progression threshold {_num(tu, 'en', 0)} mg/24 h.",
            )
        )
    if c.parameter == "flc" and c.nadir_dflc and c.progression_threshold_dflc_mg_l:
        nd, td = c.nadir_dflc, c.progression_threshold_dflc_mg_l
        notes.append(
            Text(
                de=f"Nadir dFLC {_num(nd.value, 'de', 1)} mg/l ({_date(nd.date, 'de')}); "
                f"Progression oberhalb von {_num(td, 'de', 1)} mg/l.",
                en=f"Nadir dFLC {_num(nd.value, 'en', 1)} mg/L ({_date(nd.date, 'en')}); "
                f"progression above {_num(td, 'en', 1)} mg/L.",
            )
        )

    missing_params = sorted({p for a in c.assessments for p in a.not_measured})
    if missing_params:
        de = {"serum": "Serum-M-Protein", "urine": "Urin-M-Protein", "flc": "FLC"}
        en = {"serum": "serum M", "urine": "urine M", "flc": "FLC"}
        notes.append(
            Text(
                de="Nicht bei jeder Kontrolle gemessen (Ansprechen dort ohne diesen Wert): "
                + ", ".join(de[p] for p in missing_params)
                + ".",
                en="Not measured at every assessment (response there judged without it): "
                + ", ".join(en[p] for p in missing_params)
                + ".",
            )
        )
    return notes


def imwg_response(inp: ImwgInput, lesion: str | None = None) -> ScoreResult:
    """IMWG status, best response, confirmation, MRD, nadir/threshold and relapse tier."""
    if inp.myeloma is None:
        return ScoreResult(
            name="imwg_response",
            lesion=lesion,
            assessable=False,
            total=None,
            range=None,
            category=Response.not_assessable.value,
            possible_categories=[Response.not_assessable.value],
            interpretation=CATEGORIES["not_assessable"],
            items=[],
            missing=["myeloma"],
            source=SOURCE,
        )
    course = analyse(inp.myeloma)
    missing: list[str] = []
    if course.baseline is None:  # the current line's, when the series marks its start
        missing.append("myeloma.baseline")
    if not course.series:
        missing.append("myeloma.series")
    status = course.status.value
    return ScoreResult(
        name="imwg_response",
        lesion=lesion,
        assessable=course.status is not Response.not_assessable,
        total=None,
        range=None,
        category=status,
        possible_categories=[status],
        interpretation=CATEGORIES[status],
        items=_items(course),
        missing=missing,
        notes=_notes(course),
        source=SOURCE,
    )


def _from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    return {"myeloma": case.myeloma}, {"myeloma": "myeloma"}


def _applies(case: Case) -> bool:
    return case.myeloma is not None


SPEC = ScoreSpec(
    name="imwg_response",
    title=Text(de="IMWG-Ansprechen (Multiples Myelom)", en="IMWG response (multiple myeloma)"),
    per="case",
    input_model=ImwgInput,
    compute=imwg_response,
    from_case=_from_case,
    source=SOURCE,
    applies=_applies,
    categories=tuple(CATEGORIES),
)
