"""The command line's FHIR command: ``osteoboard import-fhir``."""

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from osteoboard.messages import Lang, one_line

__all__ = ["add_fhir_commands", "case_yaml"]


#: The report's words for a field left open because of contradictory values
#: (osteoboard.fhir.importer, "different values … neither is used, the field stays open").
_LEFT_OPEN = "the field stays open"


def case_yaml(case: Any) -> str:
    """A case as YAML in the case format (fields with a value only)."""
    data = case.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"id": data.pop("id"), **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def add_fhir_commands(app: typer.Typer, lang: Callable[[], Lang]) -> None:
    @app.command("import-fhir")
    def import_fhir(
        source: Annotated[
            Path | None,
            typer.Argument(
                help="Bundle (.json), bulk-export NDJSON (.ndjson) or a folder of them."
            ),
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the case (YAML) here.")
        ] = None,
        report: Annotated[
            Path | None, typer.Option("--report", help="Write the mapping report (JSON) here.")
        ] = None,
        board_date: Annotated[
            str | None,
            typer.Option("--board-date", help="Date of the board, YYYY-MM-DD (default: today)."),
        ] = None,
        server: Annotated[
            str | None, typer.Option("--server", help="Base URL of a FHIR R4 server.")
        ] = None,
        patient: Annotated[
            str | None, typer.Option("--patient", help="Patient id (several patients; --server).")
        ] = None,
    ) -> None:
        """Make a case from FHIR R4 / mCODE resources, with a report of where each field came
        from, what was not used and every conflict."""
        from osteoboard.fhir import FhirImportError, import_resources, load_path

        de = lang() == "de"

        def fail(text: str) -> None:
            sys.stderr.write(f"{'Fehler' if de else 'error'}: {one_line(text, 800)}\n")
            raise typer.Exit(code=2)

        try:
            day = dt.date.fromisoformat(board_date) if board_date else dt.date.today()
        except ValueError:
            fail(
                f"--board-date: muss ein Datum im Format JJJJ-MM-TT sein (erhalten {board_date!r})"
                if de
                else f"--board-date: must be a date as YYYY-MM-DD (got {board_date!r})"
            )
            return
        if (source is None) == (server is None):
            fail(
                "entweder eine Datei oder einen Ordner angeben oder --server mit --patient"
                if de
                else "give either a file or folder, or --server with --patient"
            )
        if server is not None and patient is None:
            fail("--server braucht --patient" if de else "--server needs --patient")
        from osteoboard.cli import _check_output, _write, same_file
        from osteoboard.messages import Msg

        for option, path in (("-o", output), ("--report", report)):
            if path is not None:
                _check_output(path)
                if source is not None and same_file(source, path):
                    refused = Msg("output_is_input", {"option": option, "path": str(path)})
                    fail(refused.render(lang()))
        if output is not None and report is not None and same_file(output, report):
            fail(
                Msg(
                    "outputs_same_file", {"first": "-o", "second": "--report", "path": str(report)}
                ).render(lang())
            )
        try:
            if server is not None:
                from osteoboard.fhir.client import fetch_patient

                assert patient is not None
                resources = fetch_patient(server, patient)
            else:
                assert source is not None
                resources = load_path(source)
            result = import_resources(resources, board_date=day, patient_id=patient, server=server)
        except FhirImportError as exc:
            prefix = "Fehler" if de else "error"
            sys.stderr.write("".join(f"{prefix}: {line}\n" for line in exc.lines(lang())))
            if patient is None and any(p.where == "Patient" for p in exc.problems):
                # Which patient: the option that chooses one (the library says "the id").
                sys.stderr.write(
                    "Hinweis: einen Patienten mit --patient ID wählen (ID ohne 'Patient/')\n"
                    if de
                    else "hint: choose a patient with --patient ID (the id without 'Patient/')\n"
                )
            raise typer.Exit(code=2) from None
        if report is not None:
            _write((result.report.model_dump_json(indent=2) + "\n").encode(), report)
        _write(case_yaml(result.case).encode(), output)
        r = result.report
        nf, nc, nu = len(r.fields), len(r.conflicts), len(r.unused)
        # Fields left open because the input gives contradictory values (named under unused):
        # a coordinator scanning the summary must not read "0 conflicts" as none.
        no = len({u.reason.en.split(":", 1)[0] for u in r.unused if _LEFT_OPEN in u.reason.en})
        summary = (
            f"{nf} {'Feld' if nf == 1 else 'Felder'} übernommen, "
            f"{nc} {'Konflikt' if nc == 1 else 'Konflikte'}, {nu} nicht verwendet"
            + (f", {no} {'Feld' if no == 1 else 'Felder'} offen wegen Widersprüchen" if no else "")
            if de
            else f"{nf} {'field' if nf == 1 else 'fields'} mapped, "
            f"{nc} {'conflict' if nc == 1 else 'conflicts'}, {nu} not used"
            + (
                f", {no} {'field' if no == 1 else 'fields'} left open for contradictions"
                if no
                else ""
            )
        )
        sys.stderr.write(summary + "\n")
        for unused in r.unused:
            if unused.resource.startswith("Patient/") and (unused.element or "").startswith(
                "deceased"
            ):
                # Not one of many unused entries: the case may be of the wrong patient.
                warn = "Achtung" if de else "warning"
                sys.stderr.write(f"{warn}: {getattr(unused.reason, lang())}\n")
