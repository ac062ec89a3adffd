"""The ``cohort`` commands: ``run``, ``report`` and ``synth``.

Added to the main command line by :func:`add_cohort_commands`; pyarrow, rich's progress bar
and Spark are imported only when a cohort command runs. Errors are one line on stderr with
exit code 2, as everywhere else.
"""

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from osteoboard.messages import Lang

if TYPE_CHECKING:
    from osteoboard.cohort.runner import RunSummary

__all__ = ["add_cohort_commands"]


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class SynthFormat(StrEnum):
    yaml = "yaml"
    ndjson = "ndjson"
    parquet = "parquet"


def add_cohort_commands(app: typer.Typer, lang: Callable[[], Lang]) -> None:
    """Add ``osteoboard cohort …`` to ``app``; ``lang`` gives the language asked for."""
    cohort_app = typer.Typer(
        help="Kohorten: viele Fälle auswerten, Bericht, synthetische Fälle / cohorts: run many "
        "cases, report, synthetic cases.",
        no_args_is_help=True,
    )
    app.add_typer(cohort_app, name="cohort")

    def de() -> bool:
        return lang() == "de"

    def fail(text: str) -> NoReturn:
        sys.stderr.write(f"{'Fehler' if de() else 'error'}: {text}\n")
        raise typer.Exit(code=2)

    @cohort_app.command("run")
    def run(
        input: Annotated[
            Path,
            typer.Argument(
                help="Ordner mit YAML/JSON-Fällen, NDJSON-Datei oder Parquet-Tabelle / folder of "
                "YAML/JSON cases, NDJSON file or Parquet table."
            ),
        ],
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Ausgabeordner / output folder.")
        ],
        jobs: Annotated[
            int | None,
            typer.Option(
                "--jobs", "-j", min=1, max=256, help="Prozesse / processes (default: all cores)."
            ),
        ] = None,
        chunk_size: Annotated[
            int,
            typer.Option(
                "--chunk-size", min=1, max=100_000, help="Fälle je Teil / cases per part."
            ),
        ] = 500,
        engine: Annotated[Engine, typer.Option("--engine", help="local or spark.")] = Engine.local,
        master: Annotated[
            str, typer.Option("--master", help="Spark master (with --engine spark).")
        ] = "local[2]",
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="Kein Fortschrittsbalken.")
        ] = False,
    ) -> None:
        """Alle Fälle auswerten (fortsetzbar) / evaluate every case (resumable) into Parquet."""
        from osteoboard.cohort.inputs import CohortInputError

        if output.exists() and not output.is_dir():
            fail(f"{output}: " + ("kein Ordner" if de() else "not a folder"))
        try:
            if engine is Engine.spark:
                from osteoboard.cohort.spark import run_spark

                summary = run_spark(
                    input, output, master=master, chunk_size=chunk_size, lang=lang()
                )
            else:
                summary = _run_local(input, output, jobs, chunk_size, lang(), quiet)
        except CohortInputError as exc:
            fail(exc.message(lang()))
        if de():
            line = (
                f"{summary.cases} Fälle ausgewertet, {summary.errors} Fehler, "
                f"{summary.skipped} schon vorhanden; {summary.rate:.0f} Fälle/s; {output}/"
            )
        else:
            line = (
                f"{summary.cases} cases evaluated, {summary.errors} errors, "
                f"{summary.skipped} already done; {summary.rate:.0f} cases/s; {output}/"
            )
        sys.stdout.write(line + "\n")
        if summary.errors:
            name = output / "errors.tsv"
            sys.stdout.write(("Fehler: " if de() else "errors: ") + f"{name}\n")

    @cohort_app.command("report")
    def report(
        folder: Annotated[Path, typer.Argument(help="Ausgabeordner von cohort run / run folder.")],
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="HTML-Datei (default: OUT/report.html)."),
        ] = None,
        database: Annotated[
            str | None,
            typer.Option(
                "--database",
                help="Datenbank mit Konferenzentscheidungen / store URL with board decisions.",
            ),
        ] = None,
    ) -> None:
        """Bericht als eine HTML-Datei / the cohort report as one self-contained HTML file."""
        from osteoboard.cohort.report import ReportError, write_report

        target = output or folder / "report.html"
        try:
            write_report(folder, target, database=database)
        except ReportError as exc:
            fail(str(exc))
        sys.stdout.write(("Bericht: " if de() else "report: ") + f"{target}\n")

    @cohort_app.command("synth")
    def synth(
        n: Annotated[int, typer.Argument(min=1, max=10_000_000, help="Anzahl Fälle / cases.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="Ordner / folder.")],
        seed: Annotated[int, typer.Option("--seed", min=0, help="Startwert / seed.")] = 0,
        format: Annotated[SynthFormat, typer.Option("--format", "-f")] = SynthFormat.yaml,
    ) -> None:
        """Synthetische Kohorte / a synthetic cohort (same seed, same bytes)."""
        from osteoboard.cohort.synth import write_cohort

        if output.exists() and not output.is_dir():
            fail(f"{output}: " + ("kein Ordner" if de() else "not a folder"))
        written = write_cohort(n, output, seed=seed, format=format.value)
        sys.stdout.write(f"{n} {'Fälle' if de() else 'cases'}: {written}\n")


def _run_local(
    input: Path, output: Path, jobs: int | None, chunk_size: int, lang: Lang, quiet: bool
) -> "RunSummary":
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from osteoboard.cohort.runner import run_cohort

    if quiet or (not sys.stderr.isatty() and not os.environ.get("OSTEOBOARD_PROGRESS")):
        return run_cohort(input, output, jobs=jobs, chunk_size=chunk_size, lang=lang)
    unit = "Fälle/s" if lang == "de" else "cases/s"
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("Kohorte" if lang == "de" else "cohort", total=None, rate="")

        def progress(done: int, total: int) -> None:
            speed = bar.tasks[0].speed
            bar.update(
                task,
                completed=done,
                total=total,
                rate=f"{speed:,.0f} {unit}" if speed else "",
            )

        return run_cohort(
            input, output, jobs=jobs, chunk_size=chunk_size, lang=lang, progress=progress
        )
