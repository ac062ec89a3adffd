"""The local cohort runner: every case of an input through :func:`evaluate_batch`, on all
cores, into Parquet parts that a killed run never leaves half written.

Output folder::

    OUT/cases/part-000001.parquet    one row per case        (osteoboard.cohort.schema)
    OUT/items/part-000001.parquet    one row per proposal item
    OUT/errors/part-000001.parquet   one row per case that could not be read or evaluated
    OUT/errors.tsv                   the same errors as text: source, case id, message
    OUT/run.json                     input, knowledge base, counts of the last run

The input is cut into chunks, and each chunk into pieces; each worker process (the knowledge
base loaded once per worker) reads and evaluates one piece at a time and sends its rows back;
once a chunk's pieces are all back, this process writes the chunk's three parts under
temporary names and renames them into place, the cases part last.
A chunk is done when its cases part exists; a new run over the same folder removes what a
killed run left (temporary files, parts of a chunk without its cases part) and skips every
case whose source is already in a cases or errors part. A killed run so loses at most the
chunks in flight.

Chunks are written in the order of the input, whichever worker finishes first. A case id is
evaluated once per output folder: a later case with an id already evaluated (in this run or
one before into the same folder) becomes an error row naming the source that has it, so two
different patients under one pseudonym are never both counted.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from osteoboard.caseio import CaseError
from osteoboard.cohort.batch import Batch, evaluate_batch
from osteoboard.cohort.inputs import CohortInputError, Record, reader_for, resolve
from osteoboard.messages import Lang, Msg

__all__ = [
    "CHUNK_SIZE",
    "PIECE_SIZE",
    "RunSummary",
    "done_ids",
    "done_sources",
    "drop_duplicate_ids",
    "part_files",
    "run_cohort",
    "write_parts",
    "write_summary",
]

#: Cases per chunk (and per part file).
CHUNK_SIZE = 500
#: Cases a worker evaluates and sends back at once: the rows of 500 cases, pickled in one
#: piece, had raised a worker's peak memory by about 20 MB (measured before a worker stopped
#: loading the knowledge base twice: 125 MB instead of 105).
PIECE_SIZE = 100
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
TABLES = ("cases", "items", "errors")


@dataclass
class RunSummary:
    total: int = 0
    skipped: int = 0
    cases: int = 0
    items: int = 0
    errors: int = 0
    parts: int = 0
    seconds: float = 0.0
    error_lines: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        done = self.cases + self.errors
        return done / self.seconds if self.seconds > 0 else 0.0


# -- the output folder ----------------------------------------------------------------------------


def _part_name(number: int) -> str:
    return f"part-{number:06d}.parquet"


def _parts(out: Path, table: str) -> dict[int, Path]:
    folder = out / table
    if not folder.is_dir():
        return {}
    found = {}
    for p in folder.iterdir():
        m = _PART.match(p.name)
        if m:
            found[int(m.group(1))] = p
    return found


def part_files(out: Path, table: str) -> list[Path]:
    """Every Parquet part of a table, the local runner's and Spark's (``part-*.parquet``)."""
    folder = out / table
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def _tidy(out: Path) -> None:
    """Remove what a killed run left: temporary files, and parts whose chunk has no cases part."""
    committed = set(_parts(out, "cases"))
    for table in TABLES:
        folder = out / table
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if p.name.endswith(".tmp"):
                p.unlink()
        for number, p in _parts(out, table).items():
            if number not in committed:
                p.unlink()


def done_sources(out: Path) -> set[str]:
    """The sources of every case already in the output (evaluated or failed)."""
    import pyarrow.parquet as pq

    done: set[str] = set()
    for table in ("cases", "errors"):
        for p in part_files(out, table):
            done.update(pq.read_table(p, columns=["source"]).column("source").to_pylist())
    return done


def done_ids(out: Path) -> dict[str, str]:
    """The id of every case already evaluated into the output -> the source that had it."""
    import pyarrow.parquet as pq

    seen: dict[str, str] = {}
    for p in part_files(out, "cases"):
        table = pq.read_table(p, columns=["case_id", "source"])
        for case_id, source in zip(
            table.column("case_id").to_pylist(), table.column("source").to_pylist(), strict=True
        ):
            seen.setdefault(case_id, source)
    return seen


def duplicate_ids(pairs: Iterable[tuple[str, str]], seen: dict[str, str]) -> dict[str, str]:
    """For the (source, case id) of evaluated cases in input order: each source whose id an
    earlier source already has -> that earlier source. ``seen`` (id -> first source) grows."""
    later: dict[str, str] = {}
    for source, case_id in pairs:
        first = seen.setdefault(case_id, source)
        if first != source:
            later[source] = first
    return later


def duplicate_error(source: str, case_id: str, first: str, lang: Lang) -> dict[str, Any]:
    """The error row of a case whose id ``first`` already has."""
    text = Msg("duplicate_case_id", {"id": repr(case_id), "first": first}).render(lang)
    return {"source": source, "case_id": case_id, "error": text}


def drop_duplicate_ids(batch: Batch, seen: dict[str, str], lang: Lang) -> None:
    """Turn each case of ``batch`` whose id is already in ``seen`` into an error row (its
    items dropped); add the others' ids to ``seen``."""
    later = duplicate_ids(((r["source"], r["case_id"]) for r in batch.cases), seen)
    if not later:
        return
    batch.errors.extend(
        duplicate_error(r["source"], r["case_id"], later[r["source"]], lang)
        for r in batch.cases
        if r["source"] in later
    )
    batch.cases = [r for r in batch.cases if r["source"] not in later]
    batch.items = [r for r in batch.items if r["source"] not in later]


def write_parts(out: Path, number: int, batch: Batch) -> None:
    """Write one chunk's three parts, each under a temporary name renamed into place, the
    cases part (which marks the chunk done) last."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from osteoboard.cohort.schema import CASE_SCHEMA, ERROR_SCHEMA, ITEM_SCHEMA

    name = _part_name(number)
    for table, rows, schema in (
        ("items", batch.items, ITEM_SCHEMA),
        ("errors", batch.errors, ERROR_SCHEMA),
        ("cases", batch.cases, CASE_SCHEMA),
    ):
        folder = out / table
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        os.replace(tmp, folder / name)


# -- workers --------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(kb_dir: str | None, lang: Lang) -> None:
    from osteoboard.guideline import load_knowledge_base
    from osteoboard.workers import settle_worker

    _worker["kb"] = load_knowledge_base(Path(kb_dir) if kb_dir else None)
    _worker["lang"] = lang
    # The knowledge base lives as long as the worker: the garbage collector need not walk it
    # again (osteoboard.workers).
    settle_worker()


def memory_kb() -> tuple[int, int | None]:
    """(peak RSS, current PSS) of this process in kB; PSS (shared pages divided among the
    processes that map them, such as pyarrow's libraries) where the system tells it."""
    import resource

    pss = None
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, pss


#: A piece evaluated: (chunk number, piece index, rows of the records that could not be
#: read, the rows of the rest, the worker's memory_kb()).
_Done = tuple[int, int, list[dict[str, Any]], Batch, tuple[int, int | None]]


def _piece(number: int, index: int, records: Sequence[Record]) -> _Done:
    """Read and evaluate one piece of a chunk in a worker. The worker never imports pyarrow
    (about 100 MB of a worker's memory): the parent writes."""
    lang: Lang = _worker["lang"]
    docs: list[Any] = []
    sources: list[str] = []
    unread = Batch()
    for record in records:
        try:
            docs.append(resolve(record))
            sources.append(record.source)
        except CaseError as exc:
            message = "; ".join(exc.lines(lang))
            unread.errors.append({"source": record.source, "case_id": None, "error": message})
    batch = evaluate_batch(docs, sources, kb=_worker["kb"], lang=lang)
    return number, index, unread.errors, batch, memory_kb()


def _joined(pieces: list[tuple[int, list[dict[str, Any]], Batch]]) -> Batch:
    """A chunk's batch from its pieces (in any order), rows in the order of the records: the
    records that could not be read first, as when a worker read a whole chunk at once."""
    pieces.sort(key=lambda piece: piece[0])
    out = Batch()
    for _, unread, _batch in pieces:
        out.errors += unread
    for _, _unread, batch in pieces:
        out.cases += batch.cases
        out.items += batch.items
        out.errors += batch.errors
    return out


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


class _InProcess:
    """The pool's interface for ``jobs=1``: each piece runs at once in this process."""

    def __init__(self, kb_dir: str | None, lang: Lang) -> None:
        _init_worker(kb_dir, lang)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def run_cohort(
    input: Path,
    out: Path,
    *,
    jobs: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    piece_size: int = PIECE_SIZE,
    lang: Lang = "de",
    kb_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    memory: list[tuple[int, int | None]] | None = None,
) -> RunSummary:
    """Evaluate every case of ``input`` not yet in ``out``; ``progress(done, total)`` is
    called after each chunk; ``memory`` collects, per piece, its worker's (peak RSS, PSS) in kB.
    Raises CohortInputError for an input that cannot be read."""
    reader = reader_for(input)
    check_output_folder(input, out)
    jobs = max(1, jobs or os.cpu_count() or 1)
    out.mkdir(parents=True, exist_ok=True)
    _tidy(out)
    done = done_sources(out)
    seen = done_ids(out)
    summary = RunSummary(total=reader.count(input))
    summary.skipped = min(len(done), summary.total)
    todo = summary.total - summary.skipped
    next_part = max(_parts(out, "cases"), default=0) + 1
    started = time.perf_counter()
    kb = str(kb_dir) if kb_dir else None
    pool: Any = (
        _InProcess(kb, lang)
        if jobs == 1
        else ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(kb, lang),
        )
    )
    pending: set[Future[_Done]] = set()
    ready: dict[int, Batch] = {}
    #: Per chunk in flight, its pieces back so far and how many it has.
    back: dict[int, list[tuple[int, list[dict[str, Any]], Batch]]] = {}
    pieces_of: dict[int, int] = {}
    finished = 0
    to_write = next_part

    def collect(futures: Iterable[Future[_Done]]) -> None:
        """Write the finished chunks that are next in the input's order."""
        nonlocal finished, to_write
        for f in futures:
            number, index, unread, batch, used = f.result()
            if memory is not None:
                memory.append(used)
            got = back.setdefault(number, [])
            got.append((index, unread, batch))
            if len(got) == pieces_of[number]:
                del back[number], pieces_of[number]
                ready[number] = _joined(got)
        while to_write in ready:
            batch = ready.pop(to_write)
            drop_duplicate_ids(batch, seen, lang)
            write_parts(out, to_write, batch)
            to_write += 1
            summary.cases += len(batch.cases)
            summary.items += len(batch.items)
            summary.errors += len(batch.errors)
            summary.parts += 1
            finished += len(batch.cases) + len(batch.errors)
            if progress is not None:
                progress(finished, todo)

    try:
        if progress is not None:
            progress(0, todo)
        records = (r for r in reader.read(input) if r.source not in done)
        for chunk in _chunks(records, chunk_size):
            pieces = list(_chunks(chunk, max(1, piece_size)))
            pieces_of[next_part] = len(pieces)
            for index, piece in enumerate(pieces):
                pending.add(pool.submit(_piece, next_part, index, piece))
                # At most 2 pieces per worker in flight, and as many finished chunks waiting
                # for an earlier one (a slow piece so never idles the other workers at once).
                while len(pending) >= 2 * jobs or len(ready) >= 2 * jobs:
                    finished_now, pending = wait(pending, return_when=FIRST_COMPLETED)
                    collect(finished_now)
                    if not pending:
                        break
            next_part += 1
        finished_now, pending = wait(pending)
        collect(finished_now)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    summary.seconds = time.perf_counter() - started
    write_summary(out, input, summary, kb_dir)
    return summary


def check_output_folder(input: Path, out: Path) -> None:
    """Refuse an output folder that is the input folder, or holds it (its files would be
    read as cases). An output folder inside the input folder is fine: the folder reader
    skips it."""
    if not input.is_dir():
        return
    given, there = input.resolve(), out.resolve()
    if given == there or given.is_relative_to(there):
        raise CohortInputError(
            f"{out}: der Ausgabeordner ist der Eingabeordner oder enthält ihn; einen anderen "
            "Ausgabeordner angeben",
            f"{out}: the output folder is the input folder or holds it; give another output folder",
        )


#: Characters a cell of errors.tsv shows escaped: control characters (a line break would start
#: a row of its own, an escape sequence would act in a terminal that shows the file) and the
#: marks that reverse the direction of text (they would hide what follows them).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
_FORMULA = ("=", "+", "-", "@")


def tsv_cell(value: object) -> str:
    """A value as one cell of a tab-separated file that a terminal or a spreadsheet shows as
    written: what file names and case ids may hold is escaped (``\\n``, ``\\u202e``), and a cell
    a spreadsheet would run as a formula gets a leading apostrophe."""
    text = _UNSAFE.sub(_escaped, "" if value is None else str(value))
    return "'" + text if text.startswith(_FORMULA) else text


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def write_summary(out: Path, input: Path, summary: RunSummary, kb_dir: Path | None) -> None:
    """errors.tsv (every error so far, by source) and run.json, each renamed into place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from osteoboard.cohort.schema import ERROR_SCHEMA

    parts = [pq.read_table(p, schema=ERROR_SCHEMA) for p in part_files(out, "errors")]
    rows = pa.concat_tables(parts).to_pylist() if parts else []
    rows.sort(key=lambda r: r["source"])
    lines = ["source\tcase_id\terror"]
    lines += ["\t".join(tsv_cell(r[k]) for k in ("source", "case_id", "error")) for r in rows]
    summary.error_lines = lines[1:]
    _atomic_text(out / "errors.tsv", "\n".join(lines) + "\n")
    from osteoboard.guideline import load_knowledge_base

    info = {
        "input": input.name,
        "cases_total": summary.total,
        "skipped_already_done": summary.skipped,
        "evaluated": summary.cases,
        "errors": summary.errors,
        "items": summary.items,
        "parts_written": summary.parts,
        "cases_in_folder": sum(
            pq.ParquetFile(p).metadata.num_rows for p in part_files(out, "cases")
        ),
        "errors_in_folder": len(rows),
    }
    try:
        kb = load_knowledge_base(kb_dir)
        info["knowledge_base"] = {"version": kb.version, "sha256": kb.sha256}
    except Exception:  # pragma: no cover - the workers loaded it already
        info["knowledge_base"] = None
    _atomic_text(out / "run.json", json.dumps(info, indent=2, ensure_ascii=False) + "\n")


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
