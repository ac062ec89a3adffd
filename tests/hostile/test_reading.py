"""Hostile and odd case documents: every one is a one-line CaseError naming the line or the
field, in bounded time and memory; never a parser exception, a hang or a huge echo."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from osteoboard.caseio import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    CaseError,
    excerpt,
    load_case,
    one_line,
    parse_case,
    read_document,
)


def _rejected(text: str) -> str:
    with pytest.raises(CaseError) as exc:
        parse_case(read_document(text, name="c.yaml"))
    message = str(exc.value)
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    # One bounded line: the echoed input is cut to an excerpt; what grows with the case format
    # is only the list of a block's allowed fields (the patient block names 22).
    assert len(message) < 600, message
    return message


ALIAS_BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "id: x\n"
)


@pytest.mark.parametrize("field", ["patient: {sex: *f}", "primary: {site: *f}"])
def test_alias_bomb_in_an_enum_field_is_refused_at_once(field: str) -> None:
    start = time.perf_counter()
    message = _rejected(ALIAS_BOMB + field + "\n")
    assert time.perf_counter() - start < 1
    assert message == "c.yaml: invalid YAML at line 2: aliases (*name) are not allowed in a case"


def test_aliases_are_refused_even_when_harmless() -> None:
    message = _rejected("id: &x demo\nprimary: {histology: *x}\n")
    assert "line 2: aliases" in message


def test_chained_anchors_give_no_recursion_error() -> None:
    lines = ["a0: &a0 x"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 1500)]
    assert "aliases" in _rejected("\n".join(lines) + "\nid: x\n")


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("2024-02-30", "no such day in the calendar"),
        ("2024-13-01", "no such day in the calendar"),
        ("0000-01-01", "no such day in the calendar"),
        ("2024-01-01 25:00:00", "write the date as YYYY-MM-DD"),
    ],
)
def test_impossible_dates_are_errors_of_their_field(value: str, detail: str) -> None:
    """A date that is no day of the calendar is read as text and refused by its field, with
    the other problems of the case, not as a file that cannot be read."""
    with pytest.raises(CaseError) as exc:
        parse_case(read_document(f"id: x\nboard_date: {value}\npatient: {{ecog: 9}}\n"))
    lines = exc.value.lines("en")
    assert lines[0].startswith("board_date: must be a date as YYYY-MM-DD (got '")
    assert detail in lines[0]
    assert lines[1].startswith("patient.ecog:")


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!int abc", "int"),
        ("!!float 64", "float"),
        ("!!str 64", "str"),
        ("!!bool maybe", "bool"),
        ("!!binary aGVsbG8=", "binary"),
        ("!!set {a: null}", "set"),
        ("!!omap [a: 1]", "omap"),
        ("!!timestamp 2024-01-01", "timestamp"),
        ("!!map {a: 1}", "map"),
        ("!<tag:yaml.org,2002:str> 64", "str"),
        ("!!python/object/apply:os.system [ls]", "python/object/apply:os.system"),
    ],
)
def test_explicit_tags_are_refused(value: str, tag: str) -> None:
    """A tag would turn what the file shows into something else without a word (``!!binary``
    into text, ``!!str 64`` into text where a number stands): a case has no use for one."""
    message = _rejected(f"id: x\npatient:\n  age: {value}\n")
    assert message == (
        f"c.yaml: invalid YAML at line 3: YAML tags ('tag:yaml.org,2002:{tag}') are not allowed"
        " in a case"
    )


def test_the_non_specific_tag_is_refused_too() -> None:
    message = _rejected("id: x\npatient:\n  age: ! 64\n")
    assert message == "c.yaml: invalid YAML at line 3: YAML tags ('!') are not allowed in a case"


@pytest.mark.parametrize("number", ["1e-9999999", "1e-400", "-2.5e-330", "+1e-400"])
def test_a_number_that_would_read_as_zero_is_a_line_error(number: str) -> None:
    """A platelet count written ``1e-9999999`` must not be evaluated as a count of 0."""
    expected = "number so close to 0 that it would be read as 0; write it as a decimal"
    assert _rejected(f"id: x\nlabs:\n  platelets_10e9_l: {number}\n") == (
        f"c.yaml: invalid YAML at line 3: {expected}"
    )
    if not number.startswith("+"):  # JSON has no leading plus
        assert _rejected(f'{{"id": "x",\n "labs": {{"platelets_10e9_l": {number}}}}}') == (
            f"c.yaml: invalid JSON at line 2: {expected}"
        )


@pytest.mark.parametrize(
    "text",
    ["id: x\nlabs: {platelets_10e9_l: 0.0e5}\n", '{"id": "x", "labs": {"platelets_10e9_l": -0.0}}'],
)
def test_zero_written_as_zero_is_zero_and_never_negative(text: str) -> None:
    case = parse_case(read_document(text))
    assert case.labs is not None
    value = case.labs.platelets_10e9_l
    assert value == 0.0 and str(value) == "0.0"


def test_small_numbers_with_an_exponent_are_read() -> None:
    case = parse_case(read_document("id: x\nlabs: {calcium_mmol_l: 2.5e0, crp_mg_l: 1.5e-3}\n"))
    assert case.labs is not None
    assert case.labs.calcium_mmol_l == 2.5 and case.labs.crp_mg_l == 0.0015


def test_integers_over_the_digit_limit() -> None:
    assert "line 2" in _rejected("id: x\npatient: {age: " + "9" * 5000 + "}\n")
    message = _rejected('{"id": "x",\n "patient": {"age": ' + "9" * 5000 + "}}")
    assert message == "c.yaml: invalid JSON at line 2: number with too many digits"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_100, 100_000])
def test_deep_nesting_is_refused_without_a_traceback(depth: int) -> None:
    yaml_message = _rejected("id: x\nprimary:\n  histology: " + "[" * depth + "]" * depth + "\n")
    assert "invalid YAML at line 3" in yaml_message
    json_message = _rejected('{"id": "x",\n"p": ' + "[" * depth + "]" * depth + "}")
    assert json_message.startswith("c.yaml: invalid JSON at line 2")


def test_nesting_up_to_the_limit_is_read() -> None:
    doc = read_document("id: x\nz: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert doc["id"] == "x"


def test_a_list_as_a_key_is_a_line_error() -> None:
    message = _rejected("id: x\n? [a, b]\n: 1\n")
    assert (
        message
        == "c.yaml: invalid YAML at line 2: a key must be a plain name, not a list or mapping"
    )


def test_duplicate_json_keys_are_refused_like_yaml_ones() -> None:
    text = '{"id": "x",\n "patient": {"age": 60,\n   "age": 61}}'
    assert _rejected(text) == "c.yaml: invalid JSON at line 3: key 'age' appears twice"
    assert _rejected("id: x\npatient:\n  age: 60\n  age: 61\n").endswith(
        "line 4: key 'age' appears twice"
    )


def test_json_reads_like_the_strict_decoder() -> None:
    """Documents without duplicate keys take the C decoder; the values (numbers of each type,
    key order, unicode, nesting) are those of the strict decoder that names duplicates."""
    from osteoboard.caseio import _StrictJSONDecoder

    examples = Path(__file__).resolve().parents[2] / "examples"
    texts = [json.dumps(load_case(p).model_dump(mode="json")) for p in examples.glob("*.yaml")]
    texts.append('{"a": [1, 1.0, -0, 1e3, "\u00e9", null, true, {"z": 1, "y": [{}]}], "b": ""}')
    for text in texts:
        read = read_document(text)
        assert read == _StrictJSONDecoder().decode(text)
        assert json.dumps(read) == json.dumps(_StrictJSONDecoder().decode(text))


def test_json_without_duplicates_is_read_as_before() -> None:
    doc = {"id": "x", "lesions": [{"id": "a", "region": "spine"}, {"id": "b", "region": "rib"}]}
    assert read_document(json.dumps(doc, indent=2)) == doc


def test_huge_conventional_lab_value_is_refused() -> None:
    # YAML refuses a 400-digit number while reading, as JSON does ...
    message = _rejected("id: x\nlabs: {calcium_mg_dl: " + "9" * 400 + "}\n")
    assert message == "c.yaml: invalid YAML at line 2: number with too many digits"
    # ... and a document built otherwise gets a field error.
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "labs": {"calcium_mg_dl": 10**400}})
    assert str(exc.value).startswith("labs: calcium_mg_dl must be a number")


def test_unknown_key_with_control_characters_is_escaped() -> None:
    message = _rejected('id: x\npatient: {"\\e[31mred\\r\\nnext": 1}\n')
    assert message.startswith("patient['\\x1b[31mred\\r\\nnext']: unknown field")


def test_a_long_value_is_echoed_as_a_short_excerpt() -> None:
    message = _rejected("id: x\npatient: {sex: " + "a" * 100_000 + "}\n")
    assert message.startswith("patient.sex: must be one of")
    assert "(100000 characters)" in message


def test_excerpt_and_one_line_are_bounded() -> None:
    assert excerpt(list(range(10**6))) == "a list of 1000000 items"
    assert excerpt({"a": 1}) == "a mapping"
    assert excerpt(10**5000) == "a number too large to show"
    assert excerpt("\x1b\r\n") == "'\\x1b\\r\\n'"
    assert len(excerpt("\U00018cd6" * 40)) <= 60
    assert one_line("a\nb\x00" + "c" * 1000, 20) == "a\\nb\\x00ccccccccccc…"


def test_a_document_over_the_size_limit_is_refused() -> None:
    message = _rejected("id: x\n" + "#" * MAX_DOCUMENT_BYTES)
    assert "larger than" in message


def test_many_values_are_refused_before_they_are_built() -> None:
    start = time.perf_counter()
    message = _rejected("id: x\nz: [" + ",".join(["1"] * 60_000) + "]\n")
    assert "more than" in message
    assert time.perf_counter() - start < 5


def test_binary_data_is_refused() -> None:
    assert "NUL" in _rejected("id: x\x00\n")


def test_endless_file_is_read_only_up_to_the_limit() -> None:
    with pytest.raises(CaseError, match="larger than"):
        load_case("/dev/zero")


def test_fifo_without_writer_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "case.fifo"
    os.mkfifo(fifo)
    outcome: list[str] = []

    def read() -> None:
        try:
            load_case(fifo)
        except CaseError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "reading a FIFO without a writer blocked"
    assert outcome and outcome[0].endswith("empty file; a case is YAML or JSON text")


def test_a_directory_is_not_a_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="is a directory"):
        load_case(tmp_path)


def test_characters_yaml_does_not_allow_are_line_errors() -> None:
    message = _rejected("id: x\npatient:\n  sex: fe\x08male\n")
    assert message == "c.yaml: invalid YAML at line 3: character U+0008 is not allowed in YAML"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    """Windows PowerShell 5 writes UTF-16 with ``>``: said so, with the remedy, not read as
    Latin-1 or as binary data."""
    path = tmp_path / "case.yaml"
    path.write_bytes("id: x1\npatient: {age: 70}\n".encode(encoding))
    with pytest.raises(CaseError) as exc:
        load_case(path)
    assert exc.value.lines("en") == [
        f"{path}: UTF-16 text; save it as UTF-8 (in an editor: save as, encoding UTF-8)"
    ]
