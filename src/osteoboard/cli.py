"""The `osteoboard` command line.

Invalid input prints one line per problem on stderr, each naming the field and what is
allowed, and exits 2; nothing else is printed or written. Messages are German unless
``--lang en`` (or ``OSTEOBOARD_LANG=en``) asks for English.
"""

import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from osteoboard.caseio import CaseError, load_case
from osteoboard.cli_fhir import add_fhir_commands
from osteoboard.cli_store import add_store_commands
from osteoboard.cohort.cli import add_cohort_commands
from osteoboard.knowledge_files import KnowledgeError
from osteoboard.messages import Lang, Msg, one_line, usage_error

__all__ = ["app"]

LANG_ENV = "OSTEOBOARD_LANG"


class Language(StrEnum):
    de = "de"
    en = "en"


class _Settings:
    """The options of the whole command line (set before a command runs)."""

    lang: Lang = "de"


_settings = _Settings()


def _lang_of(args: Sequence[str]) -> Lang:
    """The language asked for before the command name, for errors click raises before the
    options are parsed (the callback below sets it from the parsed option)."""
    value = os.environ.get(LANG_ENV, "de")
    rest = list(args)
    while rest and rest[0].startswith("-"):
        arg = rest.pop(0)
        if arg == "--lang" and rest:
            value = rest.pop(0)
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
    return "en" if value == "en" else "de"


def _error_line(text: str) -> str:
    return f"{Msg('error').render(_settings.lang)}: {one_line(text, 800)}\n"


class _OneLineErrors(TyperGroup):
    """Usage errors (unknown option, bad value …) as one line on stderr with exit 2, like every
    other error, instead of a usage block and a framed box."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        _settings.lang = _lang_of(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:  # the errors of click, which Typer bundles
            message = exc.format_message()
            if message.startswith("Usage:"):  # no arguments at all: the help text
                sys.stdout.write(message.rstrip("\n") + "\n")
            elif message.strip():  # (an empty one: the help was printed already)
                sys.stderr.write(_error_line(usage_error(message).render(_settings.lang)))
            sys.exit(2)
        except typer.Abort:
            sys.stderr.write(_error_line(Msg("aborted").render(_settings.lang)))
            sys.exit(1)
        except KnowledgeError as exc:  # a changed knowledge base that does not load
            detail = Msg("knowledge_invalid", {"detail": str(exc)}).render(_settings.lang)
            sys.stderr.write(_error_line(detail))
            sys.exit(1)
        except BrokenPipeError:
            # The reader of the output went away (``| head``): stop quietly, as a Unix tool does.
            _drop_stdout()
            sys.exit(1)
        except OSError as exc:  # the output cannot be written (a full disk, /dev/full …)
            _drop_stdout()
            reason = exc.strerror or type(exc).__name__
            sys.stderr.write(
                _error_line(Msg("io_failed", {"reason": reason}).render(_settings.lang))
            )
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _drop_stdout() -> None:
    """Point standard output at /dev/null: what is still buffered for a reader that is gone,
    or a device that is full, is not written again when the interpreter exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


app = typer.Typer(
    cls=_OneLineErrors,
    name="osteoboard",
    help="Tumor-board assistant for bone metastases: scores, proposals, patient information.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXAMPLES_DIR = Path("examples")


@app.callback()
def _options(
    lang: Annotated[
        Language,
        typer.Option(
            "--lang",
            envvar=LANG_ENV,
            help="Sprache der Meldungen / language of messages (before the command: "
            "osteoboard --lang en evaluate …).",
        ),
    ] = Language.de,
) -> None:
    _settings.lang = "en" if lang is Language.en else "de"


class OutputFormat(StrEnum):
    json = "json"
    text = "text"
    html = "html"
    pdf = "pdf"
    fhir = "fhir"


class Audience(StrEnum):
    board = "board"
    patient = "patient"


def _fail(*parts: Msg) -> NoReturn:
    """One line on stderr (the parts joined by semicolons), exit 2."""
    sys.stderr.write(_error_line("; ".join(p.render(_settings.lang) for p in parts)))
    raise typer.Exit(code=2)


def _fail_case(exc: CaseError) -> NoReturn:
    """Every problem of a case, one line each."""
    sys.stderr.write("".join(_error_line(line) for line in exc.lines(_settings.lang)))
    raise typer.Exit(code=2)


def _m(key: str, **params: Any) -> Msg:
    return Msg(key, params)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@app.command()
def evaluate(
    case_file: Annotated[Path, typer.Argument(help="Case file (YAML or JSON); - reads stdin.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.json,
    audience: Annotated[
        Audience, typer.Option("--audience", "-a", help="board: protocol; patient: letter.")
    ] = Audience.board,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default stdout).")
    ] = None,
) -> None:
    """Evaluate one case: JSON contract, console summary, protocol or patient letter."""
    from osteoboard.engine import evaluate as run

    if output is not None:
        _check_output(output)
        if str(case_file) != "-" and same_file(case_file, output):
            _fail(_m("output_is_input", option="-o", path=str(output)))
    elif format is OutputFormat.pdf and sys.stdout.isatty():
        _fail(_m("pdf_to_terminal"))
    if format is OutputFormat.text and audience is Audience.patient:
        _fail(_m("text_is_for_board"))
    try:
        case = load_case(case_file)
    except CaseError as exc:
        _fail_case(exc)
    proposal = run(case)
    if audience is Audience.patient:
        _check_letter_settings()
    if format is OutputFormat.text:
        from osteoboard.render.text import render_text

        if output is None:
            render_text(proposal)
            return
        summary = io.StringIO()
        render_text(proposal, file=summary)
        _write(summary.getvalue().encode(), output)
        return
    data: bytes
    if format is OutputFormat.fhir:
        if audience is Audience.patient:
            _fail(_m("literal", text="-f fhir: nur für das Board (-a board) / board only"))
        from osteoboard.guideline import load_knowledge_base
        from osteoboard.render.fhir import render_fhir
        from osteoboard.render.protocol import render_protocol_pdf

        pdf = render_protocol_pdf(proposal, case)
        _write(
            _dump(render_fhir(proposal, load_knowledge_base(), protocol_pdf=pdf)).encode(), output
        )
        return
    if format is OutputFormat.json:
        if audience is Audience.patient:
            from osteoboard.render.letter import build_letter

            data = (build_letter(proposal, case).model_dump_json(indent=2) + "\n").encode()
        else:
            data = (proposal.model_dump_json(indent=2) + "\n").encode()
    elif format is OutputFormat.html:
        if audience is Audience.patient:
            from osteoboard.render.letter import render_letter_html

            data = render_letter_html(proposal, case).encode()
        else:
            from osteoboard.render.html import render_protocol_html

            data = render_protocol_html(proposal, case).encode()
    else:
        if audience is Audience.patient:
            from osteoboard.render.letter import render_letter_pdf

            data = render_letter_pdf(proposal, case)
        else:
            from osteoboard.render.protocol import render_protocol_pdf

            data = render_protocol_pdf(proposal, case)
    _write(data, output)


def _check_letter_settings() -> None:
    """The letter's settings (contact block) as a one-line error, not a traceback."""
    from osteoboard.render.letter import SettingsError, load_contact

    try:
        load_contact()
    except SettingsError as exc:
        _fail(Msg("letter_settings", {"detail": str(exc)}))


def _tmp_name(output: Path) -> Path:
    return output.with_name(f".{output.name}.tmp")


def _check_output(output: Path) -> None:
    """Refuse an output path that cannot be written, before anything is computed."""

    def refuse(reason: Msg) -> NoReturn:
        _fail(_m("cannot_write", path=str(output) or repr(""), reason=reason))

    if not output.name or output.is_dir():
        refuse(_m("write_is_directory"))
    parent = output.parent
    if not parent.exists():
        refuse(_m("write_no_folder", folder=str(parent)))
    if not parent.is_dir():
        refuse(_m("write_not_folder", folder=str(parent)))
    try:
        name_max = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    if len(os.fsencode(_tmp_name(output).name)) > name_max:
        refuse(_m("write_name_too_long", limit=name_max - 5))
    if not os.access(parent, os.W_OK):
        refuse(_m("write_no_permission", folder=str(parent)))


def same_file(a: Path, b: Path) -> bool:
    """Whether writing ``b`` would replace the regular file ``a`` (the same path, or one
    file by two names); a device such as /dev/null may be named twice."""
    try:
        if b.exists() and not b.is_file():
            return False
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, ValueError):
        return False


def _write(data: bytes, output: Path | None) -> None:
    """Write all or nothing: a temporary file is renamed into place.

    A device or pipe (``/dev/null``, ``/dev/stdout``) is written as it is, never replaced.
    """
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    if output.exists() and not output.is_file() and not output.is_dir():
        try:
            with output.open("wb") as stream:
                stream.write(data)
        except OSError as exc:
            _fail(_m("cannot_write", path=str(output), reason=exc.strerror or ""))
        return
    tmp = _tmp_name(output)
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError, ValueError):
            tmp.unlink(missing_ok=True)
        reason = str(getattr(exc, "strerror", None) or exc)
        _fail(_m("cannot_write", path=str(output), reason=reason))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def score(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Score name, e.g. sins, mirels, katagiri_new.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Compute one score from its items: `osteoboard score sins --level L2 --pain mechanical …`.

    Items not given are unknown and give a range. `osteoboard score NAME --help-items` lists
    the items and their allowed values.
    """
    from pydantic import ValidationError

    from osteoboard import scores
    from osteoboard.caseio import validation_error
    from osteoboard.explain import suggest

    try:
        spec = scores.get(name)
    except KeyError:
        known = sorted(scores.REGISTRY)
        close = suggest(name, known)
        hints = [_m("did_you_mean", suggestion=repr(close))] if close else []
        _fail(_m("unknown_score", name=repr(name), known=", ".join(known)), *hints)
    args = list(ctx.args)
    if "--help-items" in args:
        sys.stdout.write(_items_help(spec.input_model))
        return
    values: dict[str, str] = {}
    while args:
        key = args.pop(0)
        if not key.startswith("--") or len(key) < 3:
            _fail(_m("score_expected_item", got=repr(key)))
        field = key[2:].replace("-", "_")
        if "=" in field:
            field, value = field.split("=", 1)
        elif args and not args[0].startswith("--"):
            value = args.pop(0)
        else:
            _fail(_m("score_needs_value", item=field))
        if field not in spec.input_model.model_fields:
            items = list(spec.input_model.model_fields)
            close = suggest(field, items)
            hint = (
                _m("did_you_mean", suggestion=f"--{close}")
                if close
                else _m("score_items", items=", ".join("--" + f for f in items))
            )
            _fail(_m("score_no_item", score=name, item=repr(field)), hint)
        if field in values and values[field] != value:
            first, then = (one_line(repr(v), 60) for v in (values[field], value))
            _fail(_m("score_item_twice", item=field, first=first, then=then))
        values[field] = value
    try:
        inp = spec.input_model.model_validate(values)
    except ValidationError as exc:
        _fail_case(validation_error(exc, spec.input_model, values, prefix=f"{name}."))
    result = spec.compute(inp) if spec.per == "case" else spec.compute(inp, None)
    if as_json:
        from pydantic import TypeAdapter

        from osteoboard.scores.base import ScoreResult

        out = TypeAdapter(ScoreResult).dump_json(result, indent=2).decode()
        sys.stdout.write(out + "\n")
        return
    from osteoboard.render.text import render_score

    render_score(result, spec.title.en)


def _items_help(model: Any) -> str:
    root = model.model_json_schema()
    lines = [f"--{name}: {_allowed(prop, root)}" for name, prop in root["properties"].items()]
    return "\n".join(lines) + "\n"


def _allowed(prop: dict[str, Any], root: dict[str, Any]) -> str:
    options = prop.get("anyOf", [prop])
    parts = []
    for opt in options:
        if "$ref" in opt:
            ref = root["$defs"][opt["$ref"].rsplit("/", 1)[-1]]
            parts.append(" | ".join(str(v) for v in ref.get("enum", [])))
        elif opt.get("type") == "null":
            continue
        else:
            bounds = [
                f"{k} {opt[k]}"
                for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                if k in opt
            ]
            parts.append(opt.get("type", "value") + (f" ({', '.join(bounds)})" if bounds else ""))
    return " | ".join(parts)


kb_app = typer.Typer(help="Inspect and lint the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

# The store's commands: db, user, token, audit, reevaluate (osteoboard/cli_store.py).
add_store_commands(app, lambda: _settings.lang)
# The cohort commands: cohort run, report, synth (osteoboard/cohort/cli.py).
add_cohort_commands(app, lambda: _settings.lang)
# FHIR: import-fhir (osteoboard/cli_fhir.py).
add_fhir_commands(app, lambda: _settings.lang)


class KbPart(StrEnum):
    rules = "rules"
    actions = "actions"
    sources = "sources"
    facts = "facts"
    definitions = "definitions"


@kb_app.command("lint")
def kb_lint(
    directory: Annotated[
        Path | None, typer.Option(help="Knowledge-base folder (default: the bundled one).")
    ] = None,
) -> None:
    """Load and check the knowledge base; exit 1 with the first problem, naming file and rule."""
    from osteoboard.guideline import KnowledgeError, lint_knowledge_base

    try:
        kb = lint_knowledge_base(directory.resolve() if directory else None)
    except KnowledgeError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(code=1) from None
    sys.stdout.write(
        f"ok: knowledge base {kb.version} ({kb.sha256[:12]}): {len(kb.rules)} rules, "
        f"{len(kb.definitions)} definitions, {len(kb.actions)} actions, "
        f"{len(kb.sources)} sources\n"
    )


@kb_app.command("show")
def kb_show(
    part: Annotated[KbPart, typer.Argument(help="What to list.")] = KbPart.rules,
) -> None:
    """List rules, actions, sources, facts or definitions as a table."""
    from rich.console import Console
    from rich.table import Table

    from osteoboard.facts import CATALOGUE
    from osteoboard.guideline import load_knowledge_base

    kb = load_knowledge_base()
    table = Table(show_lines=False)
    if part is KbPart.rules:
        for col in ("id", "per", "action", "priority", "when"):
            table.add_column(col, overflow="fold")
        for r in kb.rules:
            table.add_row(
                r.rule.id,
                r.rule.per,
                r.rule.action,
                r.rule.priority.value,
                " ".join(r.rule.when.split()),
            )
    elif part is KbPart.actions:
        for col in ("code", "discipline", "status", "label"):
            table.add_column(col, overflow="fold")
        for a in kb.actions.values():
            table.add_row(a.code, a.discipline, a.status.value, a.label.de)
    elif part is KbPart.sources:
        for col in ("key", "title", "year"):
            table.add_column(col, overflow="fold")
        for key, item in kb.sources.items():
            parts = (item.get("issued") or {}).get("date-parts") or [[""]]
            table.add_row(key, str(item.get("title", "")), str(parts[0][0]))
    elif part is KbPart.definitions:
        for col in ("name", "meaning", "when"):
            table.add_column(col, overflow="fold")
        for d in kb.definitions:
            table.add_row(d.name, d.definition.meaning, " ".join(d.definition.when.split()))
        for t in kb.treatment_conditions:  # added to every rule proposing one of the actions
            tc = t.treatment
            when = f"{' '.join(tc.when.split())}  (for {', '.join(tc.actions)})"
            table.add_row(f"treatment.{tc.id}", tc.meaning, when)
    else:
        for col in ("fact", "type", "unit", "meaning"):
            table.add_column(col, overflow="fold")
        for f in CATALOGUE:
            kind = f.type + (f" ({', '.join(f.values)})" if f.values else "")
            table.add_row(f.name, kind, f.unit or "", f.meaning)
    Console(width=160).print(table)


@kb_app.command("codesystem")
def kb_codesystem() -> None:
    """Print the FHIR CodeSystem of every action code (from actions.yaml)."""
    from osteoboard.guideline import load_knowledge_base
    from osteoboard.render.fhir import action_codesystem

    sys.stdout.write(_dump(action_codesystem(load_knowledge_base())))


class SchemaFormat(StrEnum):
    json = "json"
    markdown = "markdown"


@app.command()
def schema(
    format: Annotated[SchemaFormat, typer.Option("--format", "-f")] = SchemaFormat.json,
) -> None:
    """Print the JSON Schema of the case format, or its field reference as Markdown."""
    if format is SchemaFormat.markdown:
        from osteoboard.casedoc import field_reference

        sys.stdout.write(field_reference())
        return
    from osteoboard.case import Case

    sys.stdout.write(_dump(Case.model_json_schema()))


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option(help="Folder of case files (default: ./examples).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Also write each case's protocol and letter (HTML, PDF) here."),
    ] = None,
) -> None:
    """Evaluate every demo case and print a summary of each."""
    from osteoboard.engine import evaluate as run
    from osteoboard.render.text import render_text

    folder = directory or EXAMPLES_DIR
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.json")])
    if not files:
        _fail(_m("no_case_files", folder=str(folder)))
    if out is not None:
        _check_letter_settings()
        out.mkdir(parents=True, exist_ok=True)
    for path in files:
        try:
            case = load_case(path)
        except CaseError as exc:
            _fail_case(exc)
        proposal = run(case)
        render_text(proposal, heading=path.name)
        if out is not None:
            from osteoboard.render.html import render_protocol_html
            from osteoboard.render.letter import render_letter_html, render_letter_pdf
            from osteoboard.render.protocol import render_protocol_pdf

            _write(render_protocol_html(proposal, case).encode(), out / f"{case.id}.board.html")
            _write(render_protocol_pdf(proposal, case), out / f"{case.id}.board.pdf")
            _write(render_letter_html(proposal, case).encode(), out / f"{case.id}.patient.html")
            _write(render_letter_pdf(proposal, case), out / f"{case.id}.patient.pdf")
    if out is not None:
        sys.stdout.write(f"Protokolle und Patientenbriefe: {out}/\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the REST API (docs at /api/docs) until stopped; settings from OSTEOBOARD_*."""
    from osteoboard.api.serve import run
    from osteoboard.api.settings import SettingsError

    try:
        run(host=host, port=port, workers=workers)
    except SettingsError as exc:
        _fail(_m("literal", text=str(exc)))


@app.command("demo-data")
def demo_data(
    directory: Annotated[
        Path | None, typer.Option(help="Folder of case files (default: ./examples).")
    ] = None,
) -> None:
    """Put the demo cases on a demo meeting in the store and create the first accounts
    (once; a second run adds only what is missing). New passwords are printed once."""
    from osteoboard.store.db import Store
    from osteoboard.web.demo import ensure_demo

    store = Store()
    try:
        report = ensure_demo(store, directory or EXAMPLES_DIR)
    except CaseError as exc:
        _fail_case(exc)
    finally:
        store.dispose()
    de = _settings.lang == "de"
    for name, (role, password) in report.passwords.items():
        label = "Benutzer" if de else "user"
        shown = "Passwort (nur jetzt angezeigt)" if de else "password (shown only now)"
        sys.stdout.write(f"{label} {name} ({role.value}): {shown}: {password}\n")
    if report.cases:
        added = "Demo-Fälle angelegt" if de else "demo cases created"
        sys.stdout.write(f"{added}: {', '.join(report.cases)}\n")


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
