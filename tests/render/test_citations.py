"""Harvard (Cite Them Right, de-DE) references rendered from the knowledge-base sources."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest

from osteoboard.guideline import load_knowledge_base
from osteoboard.render.citations import Reference, bibliography, compact, in_text

NBSP = "\u00a0"  # de-DE writes "u. a." with a no-break space
SOURCES: dict[str, dict[str, Any]] = load_knowledge_base().sources


def _one(key: str, sources: dict[str, dict[str, Any]] = SOURCES) -> Reference:
    (ref,) = bibliography([key], sources)
    return ref


def _strip_tags(markup: str) -> str:
    return html.unescape(re.sub(r"</?i>", "", markup))


def _article(family: str, given: str, year: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "article-journal",
        "title": f"A study by {family}",
        "author": [{"family": family, "given": given}],
        "issued": {"date-parts": [[year]]},
        "container-title": "Journal",
        "volume": "1",
        "page": "1–9",
        **extra,
    }


# -- every real source --------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(SOURCES))
def test_every_source_renders_with_its_title(key: str) -> None:
    ref = _one(key)
    source = SOURCES[key]
    title = " ".join(str(source["title"]).split())
    assert ref.key == key
    assert title in ref.text
    assert ref.text.count(title) == 1  # a title standing in for the author is not repeated
    assert ref.text.endswith(".")
    assert html.escape(title, quote=False) in ref.html
    assert _strip_tags(ref.html) == ref.text
    assert re.fullmatch(r"\(.+, .+\)", ref.in_text)
    assert "\ue000" not in ref.text + ref.html + ref.in_text  # no internal stand-in leaks
    issued = source.get("issued", {})
    if "date-parts" in issued:
        year = str(issued["date-parts"][0][0])
        assert f"({year})" in ref.text
        assert ref.in_text.endswith(f", {year})")
    else:  # "n.d." and "o. J." both become the style's de-DE term
        assert "(ohne Datum)" in ref.text
        assert ref.in_text.endswith(", ohne Datum)")


def test_whole_bibliography_renders_each_key_once() -> None:
    refs = bibliography(SOURCES, SOURCES)
    assert sorted(r.key for r in refs) == sorted(SOURCES)


# -- hand-checked entries (Cite Them Right: Author, I. (Year) 'Title', Journal, vol(issue),
#    pp. Available at: DOI. — in de-DE: „…“, "S.", "Verfügbar unter:", "u. a.") ---------


def test_fisher2010_expected_string() -> None:
    ref = _one("fisher2010")
    assert ref.text == (
        f"Fisher, C.G. u.{NBSP}a. (2010) „A novel classification system for spinal instability"
        " in neoplastic disease: an evidence-based approach and expert consensus from the Spine"
        " Oncology Study Group“, Spine, 35(22), S. E1221–E1229."
        " Verfügbar unter: https://doi.org/10.1097/BRS.0b013e3181e16ae2."
    )
    assert ref.html.startswith(f"Fisher, C.G. <i>u.{NBSP}a.</i> (2010) „A novel")
    assert "“, <i>Spine</i>, 35(22), S. E1221–E1229." in ref.html
    assert ref.in_text == f"(Fisher u.{NBSP}a., 2010)"


def test_bauer1995_expected_string() -> None:
    ref = _one("bauer1995")
    assert ref.text == (
        "Bauer, H.C.F. und Wedin, R. (1995) „Survival after surgery for spinal and extremity"
        " metastases: prognostication in 241 patients“, Acta Orthopaedica Scandinavica, 66(2),"
        " S. 143–146. Verfügbar unter: https://doi.org/10.3109/17453679508995508."
    )
    assert ref.in_text == "(Bauer und Wedin, 1995)"


def test_xgeva_smpc_expected_string() -> None:
    # Report by an organisation, undated: title in italics, place: publisher, URL.
    ref = _one("xgeva-smpc")
    assert ref.text == (
        "European Medicines Agency (ohne Datum) XGEVA (denosumab 120 mg): summary of product"
        " characteristics. Amsterdam: European Medicines Agency."
        " Verfügbar unter: https://www.ema.europa.eu/en/medicines/human/EPAR/xgeva."
    )
    assert ref.html == (
        "European Medicines Agency (ohne Datum) <i>XGEVA (denosumab 120 mg): summary of product"
        " characteristics</i>. Amsterdam: European Medicines Agency."
        " Verfügbar unter: https://www.ema.europa.eu/en/medicines/human/EPAR/xgeva."
    )
    assert ref.in_text == "(European Medicines Agency, ohne Datum)"


def test_seed002_six_authors_are_cut_to_the_first() -> None:
    # Six authors listed, no "et al." note: the style's et-al-min (4) applies.
    ref = _one("seed-002")
    assert ref.text.startswith(
        f"Guckenberger, M. u.{NBSP}a. (2023) „Aktuelle interdisziplinäre Behandlung von"
        " Knochenmetastasen“, Die Onkologie"
    )
    assert ref.text.endswith("Verfügbar unter: https://doi.org/10.1007/s00761-023-01304-1.")
    assert "Guninski" not in ref.text
    assert ref.in_text == f"(Guckenberger u.{NBSP}a., 2023)"


# Two entries of shapes the bibliography no longer holds, kept to test the style on them.
_AUTHORLESS_PAGE = {
    "type": "webpage",
    "title": "Knochenmetastasen verstehen",
    "container-title": "Visite-Medizin.de",
    "issued": {"literal": "o. J."},
}
_BRACKETED_TITLE = {
    "type": "manuscript",
    "title": "[Patienteninformation zu Medikamenten bei Knochenmetastasen]",
    "issued": {"literal": "o. J."},
}


def test_authorless_webpage_puts_the_title_first_once() -> None:
    ref = _one("page", {"page": _AUTHORLESS_PAGE})
    assert ref.text == "Knochenmetastasen verstehen (ohne Datum) Visite-Medizin.de."
    assert ref.html.startswith("<i>Knochenmetastasen verstehen")
    assert ref.in_text == "(Knochenmetastasen verstehen, ohne Datum)"


# -- order, duplicates, errors -------------------------------------------------------


def test_alphabetical_order_of_a_mixed_set() -> None:
    sources = {**SOURCES, "page": _AUTHORLESS_PAGE, "bracketed": _BRACKETED_TITLE}
    keys = [
        "xgeva-smpc",
        "tomita2001",
        "page",
        "bauer1995",
        "tokuhashi2005",
        "mirels1989",
        "kdigo2012",
        "fisher2010",
        "esmo2020",
        "tokuhashi1990",
        "bracketed",
        "patchell2005",
        "payne1973",
    ]
    assert [r.key for r in bibliography(keys, sources)] == [
        "bauer1995",  # Bauer
        "esmo2020",  # Coleman
        "xgeva-smpc",  # European Medicines Agency
        "fisher2010",  # Fisher
        "kdigo2012",  # Kidney Disease …
        "page",  # Knochenmetastasen … (title in the author position)
        "mirels1989",  # Mirels
        "patchell2005",  # Patchell
        "bracketed",  # „[Patienteninformation …]“ (quotes and bracket ignored)
        "payne1973",  # Payne
        "tokuhashi1990",  # Tokuhashi, then by year
        "tokuhashi2005",
        "tomita2001",  # Tomita
    ]


def test_umlauts_sort_with_their_base_letter() -> None:
    sources = {
        "o": _article("Oken", "M.", 1982),
        "oe": _article("Özdemir", "A.", 2019),
        "p": _article("Palma", "D.", 2020),
        "z": _article("Zeller", "Z.", 2001),
    }
    assert [r.key for r in bibliography(["z", "p", "oe", "o"], sources)] == ["o", "oe", "p", "z"]


def test_single_author_before_co_authored_then_year() -> None:
    sources = {
        "solo2020": _article("Katagiri", "H.", 2020),
        "team2001": _article("Katagiri", "H.", 2001)
        | {"author": [{"family": "Katagiri", "given": "H."}, {"family": "Okada", "given": "R."}]},
        "solo2005": _article("Katagiri", "H.", 2005),
    }
    order = [r.key for r in bibliography(sources, sources)]
    assert order == ["solo2005", "solo2020", "team2001"]


def test_duplicate_keys_appear_once() -> None:
    refs = bibliography(["mirels1989", "bauer1995", "mirels1989", "bauer1995"], SOURCES)
    assert [r.key for r in refs] == ["bauer1995", "mirels1989"]


def test_no_keys_no_references() -> None:
    assert bibliography([], SOURCES) == []
    assert in_text([], SOURCES) == ""


def test_unknown_key_raises_keyerror_naming_it() -> None:
    with pytest.raises(KeyError, match="nosuch2099"):
        bibliography(["fisher2010", "nosuch2099"], SOURCES)
    with pytest.raises(KeyError, match="nosuch2099"):
        in_text(["nosuch2099"], SOURCES)
    with pytest.raises(KeyError, match="nosuch2099"):
        in_text(["fisher2010"], SOURCES, within=["nosuch2099"])


def test_reference_is_frozen() -> None:
    ref = _one("mirels1989")
    with pytest.raises(AttributeError):
        ref.text = "x"  # type: ignore[misc]


# -- HTML ------------------------------------------------------------------------------


def test_html_is_escaped_and_only_italics_are_markup() -> None:
    sources = {
        "x": {
            "type": "report",
            "title": "Knochen <Metastasen> & Frakturen",
            "author": [{"literal": "Johnson & Johnson <Medical>"}],
            "publisher": "A&B",
            "issued": {"date-parts": [[2021]]},
            "URL": "https://example.org/?a=1&b=2",
        }
    }
    ref = _one("x", sources)
    assert ref.text == (
        "Johnson & Johnson <Medical> (2021) Knochen <Metastasen> & Frakturen. A&B."
        " Verfügbar unter: https://example.org/?a=1&b=2."
    )
    assert ref.html == (
        "Johnson &amp; Johnson &lt;Medical&gt; (2021) <i>Knochen &lt;Metastasen&gt; &amp;"
        " Frakturen</i>. A&amp;B. Verfügbar unter: https://example.org/?a=1&amp;b=2."
    )
    assert set(re.findall(r"</?[a-z]+", ref.html)) == {"<i", "</i"}


def test_html_of_a_journal_title_with_ampersand() -> None:
    ref = _one("endocrine2023")
    assert "<i>Journal of Clinical Endocrinology &amp; Metabolism</i>" in ref.html
    assert "Journal of Clinical Endocrinology & Metabolism" in ref.text


# -- in-text citations ---------------------------------------------------------------


def test_in_text_one_author() -> None:
    assert in_text(["mirels1989"], SOURCES) == "(Mirels, 1989)"


def test_in_text_two_authors() -> None:
    assert in_text(["bauer1995"], SOURCES) == "(Bauer und Wedin, 1995)"


def test_in_text_three_authors() -> None:
    assert in_text(["buccheri1996"], SOURCES) == "(Buccheri, Ferrigno und Tamburini, 1996)"


def test_in_text_four_authors_and_truncated_lists() -> None:
    four = _article("Alpha", "A.", 2011) | {
        "author": [{"family": n, "given": "X."} for n in ("Alpha", "Beta", "Gamma", "Delta")]
    }
    assert in_text(["four"], {"four": four}) == f"(Alpha u.{NBSP}a., 2011)"
    # three authors listed plus note "et al.": the list was cut, so "u. a." as well
    assert in_text(["bilsky2010"], SOURCES) == f"(Bilsky u.{NBSP}a., 2010)"
    assert _one("bilsky2010").text.startswith(f"Bilsky, M.H. u.{NBSP}a. (2010)")
    assert "Laufer" not in _one("bilsky2010").text


def test_in_text_organisation() -> None:
    assert (
        in_text(["nice2023"], SOURCES)
        == "(National Institute for Health and Care Excellence, 2023)"
    )


def test_group_citation_sorted_by_year_and_collapsed() -> None:
    assert in_text(["tokuhashi2005", "bauer1995", "tokuhashi1990", "bauer1995"], SOURCES) == (
        f"(Tokuhashi u.{NBSP}a., 1990, 2005; Bauer und Wedin, 1995)"
    )
    assert in_text(["fisher2010", "mirels1989"], SOURCES) == (
        f"(Mirels, 1989; Fisher u.{NBSP}a., 2010)"
    )


def test_reference_in_text_matches_in_text() -> None:
    for ref in bibliography(["fisher2010", "mirels1989", "s3-sarcoma2022"], SOURCES):
        assert in_text([ref.key], SOURCES) == ref.in_text


def test_ambiguous_citations_get_year_suffixes() -> None:
    keys = ["zometa-smpc", "xgeva-smpc", "xofigo-smpc"]
    refs = bibliography(keys, SOURCES)
    assert [(r.key, r.in_text) for r in refs] == [
        ("xgeva-smpc", "(European Medicines Agency, ohne Datum a)"),
        ("xofigo-smpc", "(European Medicines Agency, ohne Datum b)"),
        ("zometa-smpc", "(European Medicines Agency, ohne Datum c)"),
    ]
    assert refs[2].text.startswith("European Medicines Agency (ohne Datum c) Zometa")
    assert in_text(["zometa-smpc"], SOURCES, within=keys) == (
        "(European Medicines Agency, ohne Datum c)"
    )
    assert in_text(["zometa-smpc", "xgeva-smpc"], SOURCES, within=keys) == (
        "(European Medicines Agency, ohne Datum a, ohne Datum c)"
    )
    sources = {"a": _article("Wu", "L.", 2010), "b": _article("Wu", "L.", 2010)}
    sources["b"]["title"] = "Another study"
    assert [r.in_text for r in bibliography(["a", "b"], sources)] == [
        "(Wu, 2010a)",
        "(Wu, 2010b)",
    ]


# -- robustness ----------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["n.d.", "o. J.", "o.J.", "n. d."])
def test_undated_literals_become_the_style_term(literal: str) -> None:
    source = _article("Undated", "U.", 2000) | {"issued": {"literal": literal}}
    ref = _one("u", {"u": source})
    assert ref.text.startswith("Undated, U. (ohne Datum) „A study by Undated“")
    assert ref.in_text == "(Undated, ohne Datum)"


@pytest.mark.parametrize(
    ("issued", "year"),
    [
        ({"date-parts": [["2019", "4"]]}, "2019"),
        ({"literal": "2018"}, "2018"),
        ({"raw": "2017-05-02"}, "2017"),
        ("2016", "2016"),
        (2015, "2015"),
    ],
)
def test_date_shapes_are_adapted(issued: Any, year: str) -> None:
    source = _article("Dated", "D.", 2000) | {"issued": issued}
    assert _one("d", {"d": source}).in_text == f"(Dated, {year})"


@pytest.mark.parametrize(
    "csl_type",
    [
        "article-journal",
        "report",
        "webpage",
        "book",
        "manuscript",
        "legislation",
        "dataset",
        "software",
        "standard",
        "no-such-type",
    ],
)
def test_types_render(csl_type: str) -> None:
    source = {
        "type": csl_type,
        "title": "Gesetz über den Verkehr mit Arzneimitteln",
        "author": [{"literal": "Bundesministerium der Justiz"}],
        "issued": {"date-parts": [[1976]]},
        "publisher": "BGBl",
        "container-title": "Bundesgesetzblatt",
    }
    ref = _one("t", {"t": source})
    assert ref.text.startswith("Bundesministerium der Justiz (1976) ")
    assert "Gesetz über den Verkehr mit Arzneimitteln" in ref.text
    assert ref.in_text == "(Bundesministerium der Justiz, 1976)"


def test_unsupported_type_is_rendered_as_report() -> None:
    source = {
        "type": "dataset",
        "title": "Register",
        "author": [{"literal": "Registerstelle"}],
        "issued": {"date-parts": [[2020]]},
        "publisher": "Verlag",
        "publisher-place": "Berlin",
    }
    as_report = dict(source, type="report")
    assert _one("d", {"d": source}).text == _one("r", {"r": as_report}).text
    assert _one("d", {"d": source}).text == "Registerstelle (2020) Register. Berlin: Verlag."


def test_odd_shapes_do_not_crash() -> None:
    sources: dict[str, dict[str, Any]] = {
        "a": {"type": "report", "title": "Nur Titel"},
        "b": {"title": "Ohne Typ", "author": "Eine Organisation", "issued": None},
        "c": {"type": "book", "title": "Halb", "author": [{"given": "Nurvorname"}, {}]},
        "d": {"type": "webpage", "title": "Feld", "unknown-field": [1, 2], "language": 5},
    }
    refs = {r.key: r for r in bibliography(sources, sources)}
    assert refs["a"].text == "Nur Titel (ohne Datum)."
    assert refs["b"].text == "Eine Organisation (ohne Datum) Ohne Typ."
    assert refs["c"].text == "Nurvorname (ohne Datum) Halb."
    assert refs["d"].text == "Feld (ohne Datum)."


def test_authorless_article_uses_the_journal_once() -> None:
    source = {
        "type": "article-journal",
        "title": "Editorial",
        "container-title": "Der Onkologe",
        "issued": {"date-parts": [[2001]]},
        "volume": "7",
        "page": "1–2",
        "language": "de",
    }
    ref = _one("e", {"e": source})
    assert ref.text == "Der Onkologe (2001) „Editorial“, 7, S. 1–2."
    assert ref.in_text == "(Der Onkologe, 2001)"


# -- speed -----------------------------------------------------------------------------

PROTOCOL_KEYS = [
    "fisher2010",
    "bilsky2010",
    "laufer2013",
    "tokuhashi2005",
    "tomita2001",
    "bauer1995",
    "katagiri2014",
    "mirels1989",
    "xgeva-smpc",
    "zometa-smpc",
    "esmo2020",
    "patchell2005",
    "rades2016",
    "hoskin2019",
    "seed-002",
]


def test_rendering_a_protocol_is_fast_once_warm() -> None:
    first = bibliography(PROTOCOL_KEYS, SOURCES)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        again = bibliography(PROTOCOL_KEYS, SOURCES)
        runs.append(time.perf_counter() - start)
    assert again == first
    assert min(runs) < 0.05  # measured ≈ 1 ms; generous bound for slow CI machines


def test_compact_entries_name_who_when_where_and_the_link() -> None:
    """The letter's short list: citation, journal (or the title of anything else), DOI or
    web address; same order and keys as the full list."""
    sources = load_knowledge_base().sources
    keys = ["esmo2020", "s3-sarcoma2022", "xgeva-smpc", "capanna2001"]
    short = compact(keys, sources)
    assert [r.key for r in short] == [r.key for r in bibliography(keys, sources)]
    texts = {r.key: r.text for r in short}
    assert texts["esmo2020"] == (
        "Coleman u.\u00a0a., 2020: Annals of Oncology. https://doi.org/10.1016/j.annonc.2020.07.019"
    )
    assert texts["capanna2001"] == (
        "Capanna und Campanacci, 2001: Journal of Bone and Joint Surgery. British Volume."
    )
    assert texts["s3-sarcoma2022"].endswith(
        "2022: S3-Leitlinie Adulte Weichgewebesarkome, Langversion 1.1."
    )
    assert texts["xgeva-smpc"].endswith("https://www.ema.europa.eu/en/medicines/human/EPAR/xgeva")
    every = list(sources)
    full = sum(len(r.text.split()) for r in bibliography(every, sources))
    assert sum(len(r.text.split()) for r in compact(every, sources)) < full / 2
