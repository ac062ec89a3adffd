"""What the command line and the case reader say to a user, in German and in English.

A message is a key of :data:`MESSAGES` and its parameters (:class:`Msg`); it becomes text only
when it is shown, in the language the user asked for (German by default). A parameter is plain
text, a number or another message (a hint, an excerpt such as "a list of 3 items").

The value errors our own validators raise (``ValueError("… applies only to region spine")``)
arrive as English text inside pydantic's error list; :func:`value_error` finds the message
they belong to by the patterns in :data:`VALUE_ERRORS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "LANGS",
    "MESSAGES",
    "USAGE_ERRORS",
    "VALUE_ERRORS",
    "Count",
    "Lang",
    "Msg",
    "Param",
    "Problem",
    "alternatives",
    "one_line",
    "render",
    "usage_error",
    "value_error",
]

Lang = Literal["de", "en"]
LANGS: tuple[Lang, ...] = ("de", "en")

#: key -> (German, English); placeholders in braces, the same in both.
MESSAGES: dict[str, tuple[str, str]] = {
    # -- general --
    "literal": ("{text}", "{text}"),
    # a text given in both languages (a FHIR import problem): each shows its own, the other
    # with a precision of .0 (no characters), so both take the same parameters
    "bilingual": ("{de}{en:.0}", "{en}{de:.0}"),
    "error": ("Fehler", "error"),
    "letter_settings": (
        "Einstellungen des Patientenbriefs ungültig: {detail}",
        "invalid patient-letter settings: {detail}",
    ),
    "or": ("{head} oder {last}", "{head} or {last}"),
    "more_errors": (
        "… und {count} weitere Fehler (zuerst die gezeigten beheben)",
        "… and {count} more errors (fix the ones shown first)",
    ),
    "excerpt_list": ("eine Liste mit {count} Einträgen", "a list of {count} items"),
    "excerpt_list_one": ("eine Liste mit 1 Eintrag", "a list of 1 item"),
    "excerpt_mapping": ("ein Block von Feldern", "a mapping"),
    "excerpt_huge_number": ("eine zu große Zahl", "a number too large to show"),
    "excerpt_object": ("ein Wert vom Typ {type}", "a {type}"),
    "excerpt_long_text": ("{text}… ({count} Zeichen)", "{text}… ({count} characters)"),
    # -- validation errors (pydantic's error types) --
    "missing": ("Pflichtfeld fehlt", "is required"),
    "unknown_field": ("unbekanntes Feld", "unknown field"),
    "unknown_key": ("Schlüssel {key} ist kein Feldname", "key {key} is not a field name"),
    "one_of": (
        "muss einer dieser Werte sein: {allowed} (erhalten {got})",
        "must be one of {allowed} (got {got})",
    ),
    "not_int": ("muss eine ganze Zahl sein (erhalten {got})", "must be a whole number (got {got})"),
    "not_number": ("muss eine Zahl sein (erhalten {got})", "must be a number (got {got})"),
    "not_finite": (
        "muss eine endliche Zahl sein (erhalten {got})",
        "must be a finite number (got {got})",
    ),
    "not_bool": ("muss true oder false sein (erhalten {got})", "must be true or false (got {got})"),
    "not_date": (
        "muss ein Datum im Format JJJJ-MM-TT sein (erhalten {got})",
        "must be a date as YYYY-MM-DD (got {got})",
    ),
    "not_text": ("muss Text sein (erhalten {got})", "must be text (got {got})"),
    "not_unicode": (
        "muss gültiger Unicode-Text sein (erhalten {got})",
        "must be valid Unicode text (got {got})",
    ),
    "not_mapping": (
        "muss ein Block von Feldern sein (erhalten {got})",
        "must be a mapping of fields (got {got})",
    ),
    "not_list": ("muss eine Liste sein (erhalten {got})", "must be a list (got {got})"),
    "gt": (
        "muss größer als {bound} sein (erhalten {got})",
        "must be greater than {bound} (got {got})",
    ),
    "ge": ("muss mindestens {bound} sein (erhalten {got})", "must be at least {bound} (got {got})"),
    "lt": (
        "muss kleiner als {bound} sein (erhalten {got})",
        "must be less than {bound} (got {got})",
    ),
    "le": ("darf höchstens {bound} sein (erhalten {got})", "must be at most {bound} (got {got})"),
    "multiple_of": (
        "muss ein Vielfaches von {bound} sein (erhalten {got})",
        "must be a multiple of {bound} (got {got})",
    ),
    "not_int_bool": (
        "muss eine ganze Zahl sein{allowed}, nicht true oder false (erhalten {got})",
        "must be a whole number{allowed}, not true or false (got {got})",
    ),
    "not_number_bool": (
        "muss eine Zahl sein{allowed}, nicht true oder false (erhalten {got})",
        "must be a number{allowed}, not true or false (got {got})",
    ),
    "out_of_range": ("muss {range} sein (erhalten {got})", "must be {range} (got {got})"),
    "range_gt": ("größer als {bound}", "greater than {bound}"),
    "range_ge": ("mindestens {bound}", "at least {bound}"),
    "range_lt": ("kleiner als {bound}", "less than {bound}"),
    "range_le": ("höchstens {bound}", "at most {bound}"),
    "range_multiple_of": ("ein Vielfaches von {bound}", "a multiple of {bound}"),
    "range_2": ("{a} und {b}", "{a} and {b}"),
    "range_3": ("{a}, {b} und {c}", "{a}, {b} and {c}"),
    "range_in_brackets": (" ({range})", " ({range})"),
    "text_too_long": (
        "darf höchstens {limit} Zeichen lang sein (erhalten {count})",
        "must be at most {limit} characters long (got {count})",
    ),
    "text_too_short": (
        "muss mindestens {limit} Zeichen lang sein",
        "must be at least {limit} characters long",
    ),
    "list_too_long": (
        "Liste darf höchstens {limit} Einträge haben (erhalten {count})",
        "list should have at most {limit} items (got {count})",
    ),
    "list_too_short": (
        "Liste muss mindestens {limit} Einträge haben",
        "list should have at least {limit} items",
    ),
    "pattern": (
        "passt nicht zum Muster {pattern} (erhalten {got})",
        "must match the pattern {pattern} (got {got})",
    ),
    # -- hints --
    "did_you_mean": ("meinten Sie {suggestion}?", "did you mean {suggestion}?"),
    "allowed_fields": ("erlaubt sind: {names}", "allowed: {names}"),
    "hint_decimal_comma": (
        "Dezimalzahlen mit Punkt schreiben: {fixed}",
        "write decimals with a point: {fixed}",
    ),
    "decimal_comma_flow": (
        "Dezimalkomma in {raw}: in {{…}} trennt das Komma Felder; Dezimalzahlen mit Punkt "
        "schreiben: {fixed}",
        "decimal comma in {raw}: inside {{…}} a comma separates fields; write decimals with a "
        "point: {fixed}",
    ),
    "text_comma_flow": (
        "Komma im Text „{raw}“: in {{…}} trennt das Komma Felder; den Text in "
        'Anführungszeichen setzen: {field}: "{raw}"',
        "comma in the text '{raw}': inside {{…}} a comma separates fields; put the text in "
        'quotes: {field}: "{raw}"',
    ),
    "hint_date_format": (
        "Datum als JJJJ-MM-TT schreiben",
        "write the date as YYYY-MM-DD",
    ),
    "hint_no_such_day": (
        "diesen Tag gibt es im Kalender nicht (Tag und Monat prüfen)",
        "no such day in the calendar (check day and month)",
    ),
    "hint_date_converted": (
        "Datum als JJJJ-MM-TT schreiben: {date}",
        "write the date as YYYY-MM-DD: {date}",
    ),
    "hint_minor": (
        "osteoboard gilt für Erwachsene (Scores, Dosen und Regeln sind für sie belegt); Kinder "
        "und Jugendliche mit Knochentumoren oder -metastasen plant ein pädiatrisch-onkologisches "
        "Zentrum (Sarkom: GPOH-Studienzentrale); das Alter nicht weglassen",
        "osteoboard is for adults (its scores, doses and rules are validated for them); "
        "children and adolescents with bone tumours or metastases are planned by a paediatric "
        "oncology centre (sarcoma: the national paediatric sarcoma group); do not leave the age "
        "out",
    ),
    "hint_bool_words": (
        "ja → true, nein → false; unbekannt: Feld weglassen",
        "yes → true, no → false; unknown: leave the field out",
    ),
    "hint_conventional_unit": (
        "Wert in {unit}? Dann {field}: {value} angeben (entspricht {converted} {si_unit})",
        "a value in {unit}? Then give {field}: {value} (that is {converted} {si_unit})",
    ),
    "hint_unknown_leave_out": ("unbekannt: Feld weglassen", "unknown: leave the field out"),
    "hint_datetime": ("nur das Datum angeben: {date}", "give the date only: {date}"),
    "hint_spine_level": (
        "auch HWK/BWK/LWK/SWK und Th, z. B. BWK 8 oder Th8",
        "German notation works too, e.g. BWK 8 or Th8",
    ),
    # -- our validators (see VALUE_ERRORS) --
    "date_window": (
        "muss ein Datum von {low} bis {high} sein",
        "must be a date from {low} to {high}",
    ),
    "not_printable": (
        "darf nur druckbaren Text enthalten (enthält {char} an Stelle {pos})",
        "must be printable text (contains {char} at {pos})",
    ),
    "only_for_site": (
        "{name} gilt nur für primary.site {sites}",
        "{name} applies only to primary.site {sites}",
    ),
    "only_for_sites": (
        "{name} gilt nur für primary.site {site} oder {other}",
        "{name} applies only to primary.site {site} or {other}",
    ),
    "empty_unless_present": (
        "{name} muss leer bleiben, wenn present false ist",
        "{name} must be empty when present is false",
    ),
    "count_unless_present": (
        "count muss 0 oder leer sein, wenn present false ist",
        "count must be 0 or empty when present is false",
    ),
    "brain_not_present": (
        "brain ist true, aber present ist false",
        "brain is true but present is false",
    ),
    "true_for_male": (
        "{name} ist true, aber sex ist male",
        "{name} is true but sex is male",
    ),
    "fetal_dose_unless_pregnant": (
        "fetal_dose_acceptable gilt nur, wenn pregnant true ist",
        "fetal_dose_acceptable applies only when pregnant is true",
    ),
    "stage_without_jaw_osteonecrosis": (
        "jaw_osteonecrosis_stage ist angegeben, aber jaw_osteonecrosis ist false",
        "jaw_osteonecrosis_stage is given but jaw_osteonecrosis is false",
    ),
    "mr_conditional_without_device": (
        "cardiac_device_mr_conditional gilt nur, wenn cardiac_device ein Gerät nennt "
        "(pacemaker, icd, crt_p oder crt_d)",
        "cardiac_device_mr_conditional applies only when cardiac_device names a device "
        "(pacemaker, icd, crt_p or crt_d)",
    ),
    "mri_reason_without_contraindication": (
        "mri_contraindication_reason gilt nur, wenn mri_contraindicated true ist",
        "mri_contraindication_reason applies only when mri_contraindicated is true",
    ),
    "dose_without_agent": (
        "bone_modifying_agent_dose braucht ein laufendes Mittel in bone_modifying_agent "
        "(zoledronic_acid, ibandronate, pamidronate oder denosumab); das Mittel nennen oder "
        "die Dosis weglassen",
        "bone_modifying_agent_dose needs a current bone_modifying_agent (zoledronic_acid, "
        "ibandronate, pamidronate or denosumab)",
    ),
    "declined_twice": (
        "{treatment} steht zweimal in der Liste; jede Behandlung nur einmal nennen",
        "{treatment} is listed twice; name each treatment once",
    ),
    "only_for_region": (
        "{name} gilt nur für region {region}",
        "{name} applies only to region {region}",
    ),
    "only_for_region_unstated": (
        "{name} gilt nur für region {region} (die Region fehlt; bitte angeben)",
        "{name} applies only to region {region} (region is not given; state it)",
    ),
    "operation_region": (
        "operation {operation} gilt nur für region {regions}",
        "operation {operation} applies only to region {regions}",
    ),
    "operation_region_unstated": (
        "operation {operation} gilt nur für region {regions} (die Region fehlt; bitte angeben)",
        "operation {operation} applies only to region {regions} (region is not given; state it)",
    ),
    "deficit_level_alone": (
        "deficit_level gilt nur für ein neues Defizit (new_deficit true)",
        "deficit_level applies only to a new deficit (new_deficit true)",
    ),
    "operation_date_alone": (
        "operation_date gilt nur zusammen mit operation (was operiert wurde)",
        "operation_date needs operation (what was done)",
    ),
    "after_board_date": (
        "darf nicht nach dem Konferenzdatum board_date {board} liegen (erhalten {got})",
        "must not be after board_date {board} (got {got})",
    ),
    "peritrochanteric_femur": (
        "segment peritrochanteric gilt nur für bone femur",
        "segment peritrochanteric applies only to bone femur",
    ),
    "spine_level": (
        "muss ein Wirbelsegment sein: C1–C7, T1–T12, L1–L5 oder S1–S5",
        "must be a vertebral level C1…C7, T1…T12, L1…L5 or S1…S5",
    ),
    "series_order": (
        "Verlaufswerte nach Datum ordnen, älteste zuerst, höchstens einer je Datum",
        "assessments must be in date order, oldest first, one per date",
    ),
    "block_for_site": (
        "der Block {block} gilt nur für primary.site {site} (angegeben: {given})",
        "the {block} block applies only to primary.site {site} (given: {given})",
    ),
    "histology_without_confirmation": (
        "histology ist angegeben, aber histology_confirmed ist false (keine Gewebediagnose); "
        "eines von beiden korrigieren",
        "histology is given but histology_confirmed is false",
    ),
    "lesion_confirmed_without_tissue_diagnosis": (
        "ist true, aber primary.histology_confirmed ist false (keine Gewebediagnose); eine "
        "bioptisch gesicherte Läsion ist eine Gewebediagnose – eines von beiden korrigieren",
        "is true but primary.histology_confirmed is false",
    ),
    "lesion_id_twice": (
        "Läsions-ID {id} kommt zweimal vor; IDs müssen eindeutig sein",
        "lesion id {id} is used twice; ids must be unique",
    ),
    "lab_not_number": (
        "{name} muss eine Zahl sein (erhalten {got})",
        "{name} must be a number, got {got}",
    ),
    "units_disagree": (
        "{conv}={raw} und {si}={given} widersprechen sich (umgerechnet {si}={converted}); nur "
        "eines angeben",
        "{conv}={raw} and {si}={given} disagree (that is {si}={converted}); give one of them",
    ),
    # -- reading a document --
    "invalid_yaml": (
        "ungültiges YAML in Zeile {line}: {problem}",
        "invalid YAML at line {line}: {problem}",
    ),
    "invalid_yaml_nowhere": ("ungültiges YAML: {problem}", "invalid YAML: {problem}"),
    "invalid_json": (
        "ungültiges JSON in Zeile {line}: {problem}",
        "invalid JSON at line {line}: {problem}",
    ),
    "invalid_json_nowhere": ("ungültiges JSON: {problem}", "invalid JSON: {problem}"),
    "no_aliases": (
        "Aliase (*name) sind in einem Fall nicht erlaubt",
        "aliases (*name) are not allowed in a case",
    ),
    "too_deep": ("tiefer als {limit} Ebenen verschachtelt", "nested deeper than {limit} levels"),
    "too_many_values": ("mehr als {limit} Werte", "more than {limit} values"),
    "key_twice": ("Schlüssel {key} kommt zweimal vor", "key {key} appears twice"),
    "key_null": (
        "ein Schlüssel ist leer (null oder ~); vor den Doppelpunkt gehört ein Feldname",
        "a key is empty (null or ~); a field name belongs before the colon",
    ),
    "key_not_plain": (
        "ein Schlüssel muss ein einfacher Name sein, keine Liste und kein Block",
        "a key must be a plain name, not a list or mapping",
    ),
    "invalid_date_value": ("ungültiges Datum {value}", "invalid date {value}"),
    "invalid_date_value_detail": (
        "ungültiges Datum {value} ({detail})",
        "invalid date {value} ({detail})",
    ),
    "invalid_value": ("ungültiger Wert {value}", "invalid value {value}"),
    "invalid_value_detail": (
        "ungültiger Wert {value} ({detail})",
        "invalid value {value} ({detail})",
    ),
    "bad_character": (
        "das Zeichen {char} ist in YAML nicht erlaubt",
        "character {char} is not allowed in YAML",
    ),
    "too_many_digits": ("Zahl mit zu vielen Ziffern", "number with too many digits"),
    "number_underflow": (
        "Zahl so nahe bei 0, dass sie als 0 gelesen würde; bitte als Dezimalzahl schreiben",
        "number so close to 0 that it would be read as 0; write it as a decimal",
    ),
    # PyYAML's and the json module's syntax errors (see caseio.YAML_PROBLEMS, JSON_PROBLEMS)
    "yaml_tab": (
        "Tabulator zum Einrücken; YAML rückt nur mit Leerzeichen ein: die Tabs durch "
        "Leerzeichen ersetzen",
        "a tab used for indentation; YAML indents with spaces only: replace the tabs with spaces",
    ),
    "yaml_bad_start": (
        "ein Wert darf nicht mit {char} beginnen; den Text in Anführungszeichen setzen",
        "a value cannot start with {char}; put the text in quotes",
    ),
    "yaml_more_documents": (
        "mehr als ein Dokument (Trennlinie ---); eine Falldatei enthält genau einen Fall",
        "more than one document (separator ---); a case file holds exactly one case",
    ),
    "yaml_colon": (
        "Doppelpunkt an unerwarteter Stelle: Text mit ': ' in Anführungszeichen setzen oder "
        "die Einrückung prüfen",
        "a colon where none is expected: put text containing ': ' in quotes, or check the "
        "indentation",
    ),
    "yaml_indentation": (
        "die Einrückung passt nicht zum Block darüber (oder ein Listeneintrag '- ' steht an "
        "falscher Stelle)",
        "the indentation does not match the block above (or a list entry '- ' is out of place)",
    ),
    "yaml_unclosed": (
        "Klammer {open} nicht geschlossen oder Komma fehlt: ',' oder {close} erwartet",
        "bracket {open} not closed or a comma missing: expected ',' or {close}",
    ),
    "yaml_unclosed_quote": (
        "Anführungszeichen nicht geschlossen",
        "a quotation mark is not closed",
    ),
    "yaml_missing_colon": (
        "Doppelpunkt fehlt: jede Zeile eines Blocks lautet 'Feld: Wert'",
        "a colon is missing: each line of a block reads 'field: value'",
    ),
    "yaml_missing_value": (
        "ein Wert fehlt (etwa zwei Kommas hintereinander oder ein Zeichen, mit dem kein Wert "
        "beginnen darf)",
        "a value is missing (e.g. two commas in a row, or a character no value may start with)",
    ),
    "yaml_escape": (
        "unbekannte Escape-Sequenz mit \\ in doppelten Anführungszeichen; den Text in "
        "einfache Anführungszeichen setzen",
        "unknown escape with \\ in double quotes; put the text in single quotes",
    ),
    "yaml_tag": (
        "YAML-Tags ({tag}) sind in einem Fall nicht erlaubt",
        "YAML tags ({tag}) are not allowed in a case",
    ),
    "yaml_directive": (
        "eine Zeile beginnt mit % (eine YAML-Direktive); den Text in Anführungszeichen setzen",
        "a line starts with % (a YAML directive); put the text in quotes",
    ),
    "yaml_anchor_twice": (
        "ein Anker (&name) kommt zweimal vor",
        "an anchor (&name) appears twice",
    ),
    "yaml_other": ("YAML-Syntaxfehler ({detail})", "YAML syntax error ({detail})"),
    "json_expecting_value": (
        'Wert erwartet: fehlt ein Wert, steht ein Komma zu viel oder Text ohne "…"?',
        'expected a value: is a value missing, a comma too many, or text without "…"?',
    ),
    "json_expecting_comma": (
        "Komma oder schließende Klammer erwartet (ist das Dokument vollständig?)",
        "expected a comma or a closing bracket (is the document complete?)",
    ),
    "json_expecting_colon": (
        "Doppelpunkt nach dem Feldnamen erwartet",
        "expected a colon after the field name",
    ),
    "json_expecting_name": (
        'Feldname in doppelten Anführungszeichen ("…") erwartet, oder ein Komma zu viel vor '
        "der schließenden Klammer",
        'expected a field name in double quotes ("…"), or a comma too many before the closing '
        "bracket",
    ),
    "json_trailing_comma": (
        "ein Komma zu viel vor der schließenden Klammer",
        "a comma too many before the closing bracket",
    ),
    "json_unterminated": (
        "Text ohne schließendes Anführungszeichen (ist das Dokument vollständig?)",
        "text without its closing quotation mark (is the document complete?)",
    ),
    "json_control": (
        "Steuerzeichen (Tabulator oder Zeilenumbruch) in einem Text; als \\t bzw. \\n schreiben",
        "a control character (tab or line break) in a text; write it as \\t or \\n",
    ),
    "json_escape": (
        "ungültige Escape-Sequenz mit \\ in einem Text",
        "invalid escape with \\ in a text",
    ),
    "json_extra": (
        "weiterer Text nach dem Ende des Dokuments; ein Fall je Datei (je Zeile bei NDJSON)",
        "more text after the end of the document; one case per file (per line in NDJSON)",
    ),
    "json_other": ("JSON-Syntaxfehler ({detail})", "JSON syntax error ({detail})"),
    "too_large": (
        "größer als {limit} Bytes; ist das eine Falldatei?",
        "larger than {limit} bytes; is this a case file?",
    ),
    "binary": (
        "Binärdaten (NUL-Zeichen); ein Fall ist YAML- oder JSON-Text",
        "binary data (NUL character); a case is YAML or JSON text",
    ),
    "utf16": (
        "UTF-16-Text; als UTF-8 speichern (z. B. im Editor: Speichern unter, Codierung UTF-8)",
        "UTF-16 text; save it as UTF-8 (in an editor: save as, encoding UTF-8)",
    ),
    "not_utf8_at": (
        "kein UTF-8-Text: Byte {byte} in Zeile {line}, Spalte {column} (Latin-1 oder "
        "Windows-1252? als UTF-8 speichern)",
        "not UTF-8 text: byte {byte} at line {line}, column {column} (Latin-1 or Windows-1252? "
        "save it as UTF-8)",
    ),
    "no_such_file": ("Datei nicht gefunden", "no such file"),
    "cannot_read": ("nicht lesbar ({reason})", "cannot read ({reason})"),
    "is_directory": ("ist ein Ordner, keine Falldatei", "is a directory, not a case file"),
    "empty_file": (
        "leere Datei; ein Fall ist YAML- oder JSON-Text",
        "empty file; a case is YAML or JSON text",
    ),
    "fhir_not_case": (
        "eine FHIR-Ressource ({type}), kein Fall; osteoboard import-fhir macht daraus einen Fall",
        "a FHIR resource ({type}), not a case; osteoboard import-fhir makes a case of it",
    ),
    "wrapped_case": (
        "der Fall steht hier unter 'case:' (eine Datei mit Erwartungen wie required, "
        "source); den Block unter 'case:' als eigene Datei auswerten",
        "the case is nested under 'case:' here (a file with expectations such as required, "
        "source); evaluate the block under 'case:' as a file of its own",
    ),
    "not_a_case": (
        "ein Fall ist ein Block von Feldern (id, patient, lesions …)",
        "a case is a mapping of fields (id, patient, lesions …)",
    ),
    # -- the command line --
    "text_is_for_board": (
        "--format text ist die Zusammenfassung für das Board; für den Patientenbrief html oder "
        "pdf wählen",
        "--format text is the clinician summary; use html or pdf for the letter",
    ),
    "pdf_to_terminal": (
        "ein PDF ist binär und gehört nicht ins Terminal; mit -o DATEI speichern oder die "
        "Ausgabe umleiten (> datei.pdf)",
        "a PDF is binary and does not belong on a terminal; save it with -o FILE or redirect "
        "the output (> file.pdf)",
    ),
    "cannot_write": ("{path}: nicht schreibbar ({reason})", "{path}: cannot write ({reason})"),
    "io_failed": (
        "Ein- oder Ausgabe fehlgeschlagen ({reason})",
        "input or output failed ({reason})",
    ),
    "output_is_input": (
        "{option} {path}: ist die Eingabedatei und würde überschrieben; eine andere Datei angeben",
        "{option} {path}: is the input file and would be overwritten; give another file",
    ),
    "outputs_same_file": (
        "{first} und {second} nennen dieselbe Datei {path}; zwei verschiedene Dateien angeben",
        "{first} and {second} name the same file {path}; give two different files",
    ),
    "write_is_directory": ("ein Ordner; einen Dateinamen angeben", "a directory; give a file name"),
    "write_no_folder": ("Ordner {folder} fehlt", "no folder {folder}"),
    "write_not_folder": ("{folder} ist kein Ordner", "{folder} is not a folder"),
    "write_name_too_long": (
        "Dateiname länger als {limit} Bytes",
        "file name longer than {limit} bytes",
    ),
    "write_no_permission": (
        "keine Schreibrechte in {folder}",
        "no permission to write in {folder}",
    ),
    "duplicate_case_id": (
        "Fall-ID {id} kommt schon in {first} vor; IDs müssen eindeutig sein (nicht ausgewertet)",
        "case id {id} already appears in {first}; ids must be unique (not evaluated)",
    ),
    "no_case_files": (
        "{folder}: keine Falldateien (*.yaml, *.json)",
        "{folder}: no case files (*.yaml, *.json)",
    ),
    "unknown_score": (
        "unbekannter Score {name}; bekannt: {known}",
        "unknown score {name}; known: {known}",
    ),
    "score_expected_item": (
        "--ITEM WERT erwartet, erhalten {got}",
        "expected --ITEM VALUE, got {got}",
    ),
    "score_needs_value": ("--{item} braucht einen Wert", "--{item} needs a value"),
    "score_no_item": ("{score} hat kein Item {item}", "{score} has no item {item}"),
    "score_item_twice": (
        "--{item} zweimal angegeben ({first}, dann {then}); bitte nur einmal",
        "--{item} given twice ({first}, then {then}); give it once",
    ),
    "score_items": ("Items: {items}", "items: {items}"),
    "aborted": ("abgebrochen", "aborted"),
    "knowledge_invalid": (
        "Die Wissensbasis ist ungültig: {detail}",
        "The knowledge base is invalid: {detail}",
    ),
    # -- usage errors (click's English text, see USAGE_ERRORS) --
    "no_such_option": ("unbekannte Option {option}", "No such option: {option}"),
    "no_such_option_but": (
        "unbekannte Option {option} (möglich: {options})",
        "No such option: {option} (Possible options: {options})",
    ),
    "no_such_option_mean": (
        "unbekannte Option {option}; meinten Sie {suggestion}?",
        "No such option: {option} Did you mean {suggestion}?",
    ),
    "bad_choice": (
        "ungültiger Wert für {param}: {got} ist keiner von {allowed}",
        "Invalid value for {param}: {got} is not one of {allowed}.",
    ),
    "bad_value": ("ungültiger Wert für {param}: {detail}", "Invalid value for {param}: {detail}"),
    "missing_argument": ("Argument {name} fehlt", "Missing argument {name}."),
    "missing_option": ("Option {name} fehlt", "Missing option {name}."),
    "option_needs_value": (
        "Option {name} braucht einen Wert",
        "Option {name} requires an argument.",
    ),
    "no_such_command": ("unbekannter Befehl {name}", "No such command {name}."),
    "no_such_command_mean": (
        "unbekannter Befehl {name}; meinten Sie {suggestion}?",
        "No such command {name}. Did you mean {suggestion}?",
    ),
    "extra_arguments": (
        "unerwartete zusätzliche Argumente ({args})",
        "Got unexpected extra arguments ({args})",
    ),
    # -- the store's commands (cli_store.py) --
    "upgraded": ("Datenbank auf Stand {revision}", "database at revision {revision}"),
    "current": ("{revision}", "{revision}"),
    "empty": (
        "(leer: noch nicht migriert; osteoboard db upgrade)",
        "(empty: not migrated yet; osteoboard db upgrade)",
    ),
    "not_migrated": (
        "Datenbank nicht auf dem aktuellen Stand ({current}, nötig {head}); zuerst "
        "osteoboard db upgrade",
        "database not at the current revision ({current}, needed {head}); run osteoboard db "
        "upgrade first",
    ),
    "bad_url": ("Datenbank nicht erreichbar: {detail}", "cannot open the database: {detail}"),
    "user_added": (
        "Benutzer {name} angelegt (Rolle {role})",
        "user {name} created (role {role})",
    ),
    "password_once": (
        "Passwort (wird nur jetzt angezeigt): {password}",
        "password (shown only now): {password}",
    ),
    "password_prompt": ("Passwort", "Password"),
    "password_repeat": ("Passwort wiederholen", "Repeat the password"),
    "password_stdin_empty": (
        "--password-stdin: kein Passwort auf der Standardeingabe",
        "--password-stdin: no password on standard input",
    ),
    "password_options": (
        "--password-stdin und --generate-password schließen sich aus",
        "--password-stdin and --generate-password exclude each other",
    ),
    "token_created": (
        "Token {name} angelegt (Rolle {role}); das Geheimnis wird nur jetzt angezeigt:",
        "token {name} created (role {role}); the secret is shown only now:",
    ),
    "token_revoked": ("Token {name} widerrufen", "token {name} revoked"),
    "token_line": ("{name}\t{role}\t{state}\t{created}", "{name}\t{role}\t{state}\t{created}"),
    "active": ("aktiv", "active"),
    "revoked": ("widerrufen {at}", "revoked {at}"),
    "chain_ok": (
        "Audit-Kette intakt: {rows} Einträge",
        "audit chain intact: {rows} rows",
    ),
    "chain_bad": (
        "Audit-Kette verletzt bei Eintrag {seq}: {problem}",
        "audit chain broken at row {seq}: {problem}",
    ),
    "kb_error": ("Wissensbasis: {detail}", "knowledge base: {detail}"),
}

Param: TypeAlias = "str | int | float | Msg | Count"


@dataclass(frozen=True)
class Count:
    """A whole number with the digit grouping of the language: 1.000.000 or 1,000,000."""

    value: int

    def render(self, lang: Lang) -> str:
        text = f"{self.value:,}"
        return text.replace(",", ".") if lang == "de" else text


@dataclass(frozen=True)
class Msg:
    """One message of :data:`MESSAGES` with its parameters."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def render(self, lang: Lang) -> str:
        de, en = MESSAGES[self.key]
        template = de if lang == "de" else en
        return template.format(**{k: render(v, lang) for k, v in self.params.items()})


def one_line(text: str, limit: int = 500) -> str:
    """``text`` as one printable line: control and other non-printable characters escaped,
    at most ``limit`` characters (cut with an ellipsis)."""
    out = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text[: limit + 1])
    return out if len(out) <= limit else out[: limit - 1] + "…"


def render(value: Param, lang: Lang) -> str:
    return value.render(lang) if isinstance(value, Msg | Count) else str(value)


def alternatives(items: Sequence[str]) -> Param:
    """``'a', 'b' or 'c'`` (German: ``oder``)."""
    if len(items) < 2:
        return "".join(items)
    return Msg("or", {"head": ", ".join(items[:-1]), "last": items[-1]})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (a field path or a document name), what, and
    hints that help to fix it. Rendered as one line: ``where: what; hint; hint``."""

    where: str
    what: Msg
    hints: tuple[Msg, ...] = ()

    def render(self, lang: Lang) -> str:
        text = "; ".join([self.what.render(lang), *(h.render(lang) for h in self.hints)])
        return f"{self.where}: {text}" if self.where else text


# --------------------------------------------------------------------------------------------
# Value errors of our own validators (src/osteoboard/case.py, units.py): their English text
# (as pydantic reports it) -> the message it is. The English template of the message is the
# validator's own text, so English output stays exactly what the validator said.

VALUE_ERRORS: tuple[tuple[str, str], ...] = (
    (r"must be a date from (?P<low>\S+) to (?P<high>\S+)", "date_window"),
    (
        r"must be printable text \(contains (?P<char>U\+[0-9A-F]+) at (?P<pos>\d+)\)",
        "not_printable",
    ),
    (
        r"(?P<name>\w+) applies only to primary\.site (?P<site>\w+) or (?P<other>\w+)",
        "only_for_sites",
    ),
    (r"(?P<name>\w+) applies only to primary\.site (?P<sites>\w+)", "only_for_site"),
    (r"(?P<name>\w+) must be empty when present is false", "empty_unless_present"),
    (r"count must be 0 or empty when present is false", "count_unless_present"),
    (r"brain is true but present is false", "brain_not_present"),
    (r"segment peritrochanteric applies only to bone femur", "peritrochanteric_femur"),
    (r"(?P<name>\w+) is true but sex is male", "true_for_male"),
    (r"fetal_dose_acceptable applies only when pregnant is true", "fetal_dose_unless_pregnant"),
    (
        r"jaw_osteonecrosis_stage is given but jaw_osteonecrosis is false",
        "stage_without_jaw_osteonecrosis",
    ),
    (
        r"cardiac_device_mr_conditional applies only when cardiac_device names a device "
        r"\(pacemaker, icd, crt_p or crt_d\)",
        "mr_conditional_without_device",
    ),
    (
        r"mri_contraindication_reason applies only when mri_contraindicated is true",
        "mri_reason_without_contraindication",
    ),
    (r"(?P<treatment>'\w+') is listed twice; name each treatment once", "declined_twice"),
    (
        r"bone_modifying_agent_dose needs a current bone_modifying_agent \(zoledronic_acid, "
        r"ibandronate, pamidronate or denosumab\)",
        "dose_without_agent",
    ),
    (
        r"operation (?P<operation>\w+) applies only to region (?P<regions>[\w, ]+?) "
        r"\(region is not given; state it\)",
        "operation_region_unstated",
    ),
    (
        r"operation (?P<operation>\w+) applies only to region (?P<regions>[\w, ]+)",
        "operation_region",
    ),
    (r"operation_date needs operation \(what was done\)", "operation_date_alone"),
    (
        r"deficit_level applies only to a new deficit \(new_deficit true\)",
        "deficit_level_alone",
    ),
    (r"must not be after board_date (?P<board>\S+) \(got (?P<got>\S+)\)", "after_board_date"),
    (
        r"(?P<name>\w+) applies only to region (?P<region>\w+) "
        r"\(region is not given; state it\)",
        "only_for_region_unstated",
    ),
    (r"(?P<name>\w+) applies only to region (?P<region>\w+)", "only_for_region"),
    (r"must be a vertebral level C1…C7, T1…T12, L1…L5 or S1…S5", "spine_level"),
    (r"assessments must be in date order, oldest first, one per date", "series_order"),
    (
        r"the (?P<block>\w+) block applies only to primary\.site (?P<site>\w+) "
        r"\(given: (?P<given>\w+)\)",
        "block_for_site",
    ),
    (r"histology is given but histology_confirmed is false", "histology_without_confirmation"),
    (
        r"is true but primary\.histology_confirmed is false",
        "lesion_confirmed_without_tissue_diagnosis",
    ),
    (r"lesion id (?P<id>'.*') is used twice; ids must be unique", "lesion_id_twice"),
    (r"(?P<name>\w+) must be a number, got (?P<got>.+)", "lab_not_number"),
    (
        r"(?P<conv>\w+)=(?P<raw>\S+) and (?P<si>\w+)=(?P<given>\S+) disagree "
        r"\(that is (?P=si)=(?P<converted>\S+)\); give one of them",
        "units_disagree",
    ),
)


#: The usage errors of the command line (click's English text) -> the message it is.
USAGE_ERRORS: tuple[tuple[str, str], ...] = (
    (
        r"No such option: (?P<option>\S+) \(Possible options: (?P<options>.*)\)",
        "no_such_option_but",
    ),
    (
        r"No such option: (?P<option>\S+) Did you mean (?P<suggestion>\S+)\?",
        "no_such_option_mean",
    ),
    (r"No such option: (?P<option>\S+)", "no_such_option"),
    (
        r"Invalid value for (?P<param>.+?): (?:Value error, )?(?P<got>'[^']*') is not one of "
        r"(?P<allowed>.*)\.",
        "bad_choice",
    ),
    (r"Invalid value for (?P<param>.+?): (?P<detail>.*)", "bad_value"),
    (r"Missing argument (?P<name>'[^']*')\.", "missing_argument"),
    (r"Missing option (?P<name>'[^']*')\.", "missing_option"),
    (r"Option (?P<name>'[^']*') requires an argument\.", "option_needs_value"),
    (
        r"No such command (?P<name>'[^']*')\. Did you mean "
        r"(?P<suggestion>'[^']*'(?:, '[^']*')*)\?",
        "no_such_command_mean",
    ),
    (r"No such command (?P<name>'[^']*')\.", "no_such_command"),
    (r"Got unexpected extra argument(?:\(s\)|s?) \((?P<args>.*)\)", "extra_arguments"),
)


def _matching(table: Sequence[tuple[str, str]], text: str) -> Msg:
    # The patterns are compiled when first matched (re keeps them): only a run that reports
    # an error needs them.
    for pattern, key in table:
        match = re.fullmatch(pattern, text)
        if match:
            return Msg(key, {k: v or "" for k, v in match.groupdict().items()})
    return Msg("literal", {"text": text})


def value_error(text: str) -> Msg:
    """The message a validator's English text belongs to (the text itself when none does).
    A list of regions ("long_bone, pelvis or other") reads "oder" in German."""
    message = _matching(VALUE_ERRORS, text)
    regions = message.params.get("regions")
    if isinstance(regions, str):
        names = re.split(r", | or ", regions)
        message = Msg(message.key, {**message.params, "regions": alternatives(names)})
    return message


def usage_error(text: str) -> Msg:
    """The message a usage error of the command line belongs to (the text when none does).
    Several suggestions (click lists them with commas) read "'a' or 'b'"."""
    message = _matching(USAGE_ERRORS, text.strip())
    suggestion = message.params.get("suggestion")
    if isinstance(suggestion, str) and ", " in suggestion:
        names = suggestion.split(", ")
        message = Msg(message.key, {**message.params, "suggestion": alternatives(names)})
    return message
