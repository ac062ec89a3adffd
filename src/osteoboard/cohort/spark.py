"""The cohort on Spark: the same pure batch function through ``mapInPandas``.

Needs the extra ``osteoboard[spark]`` (pyspark 4 with pandas < 3) and Java 17. The driver
reads the input with the local runner's readers; each Spark task runs
:func:`~osteoboard.cohort.batch.evaluate_batch` on a slice of the cases (the knowledge base is
loaded once per Python worker, which Spark reuses) and emits its rows, which are then written
as Parquet under ``OUT/cases``, ``OUT/items`` and ``OUT/errors`` with the schemas of
:mod:`osteoboard.cohort.schema` — the same rows the local runner writes. A Spark run writes its
output afresh (Spark retries a failed task itself); the local runner is the one that resumes.

Everything Spark starts listens on 127.0.0.1 only, and its web UI is off.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osteoboard.caseio import CaseError
from osteoboard.cohort.inputs import Record, read_case_file, reader_for, resolve
from osteoboard.cohort.runner import (
    RunSummary,
    check_output_folder,
    duplicate_error,
    duplicate_ids,
    write_summary,
)
from osteoboard.messages import Lang

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

__all__ = ["evaluate_frame", "run_spark", "spark_session"]

_TABLES = ("cases", "items", "errors")


def spark_session(master: str = "local[2]") -> SparkSession:
    """A Spark session on this machine's loopback, its Python workers this interpreter."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(master)
        .appName("osteoboard-cohort")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _text(record: Record) -> str:
    """A record's document as text for the executors (a file is read here, not parsed)."""
    payload = record.payload
    if isinstance(payload, Path):
        return read_case_file(payload, record.source)
    if isinstance(payload, str):
        return payload
    if isinstance(payload, bytes):  # a line that is not UTF-8: resolve names the byte
        return str(resolve(record))
    return json.dumps(resolve(record), ensure_ascii=False, default=str)


def evaluate_frame(frames: Iterator[pd.DataFrame], lang: Lang = "de") -> Iterator[pd.DataFrame]:
    """``mapInPandas`` body: (source, doc) rows in, (table, row) rows out — every case row,
    item row and error row of :func:`evaluate_batch` as JSON under its table's name."""
    import pandas as pd

    from osteoboard.cohort.batch import evaluate_batch

    for frame in frames:
        batch = evaluate_batch(list(frame["doc"]), list(frame["source"]), lang=lang)
        tables: list[str] = []
        rows: list[str] = []
        for name, found in (
            ("cases", batch.cases),
            ("items", batch.items),
            ("errors", batch.errors),
        ):
            tables.extend([name] * len(found))
            rows.extend(json.dumps(r, ensure_ascii=False) for r in found)
        yield pd.DataFrame({"table": tables, "row": rows})


def _rows_of(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    import pandas as pd

    for frame in frames:
        yield pd.DataFrame([json.loads(r) for r in frame["row"]])


def _duplicates(
    envelope: Any, order: list[str], lang: Lang
) -> tuple[list[str], list[dict[str, Any]]]:
    """The sources of evaluated cases whose id an earlier case of the input has, and their
    error rows (as the local runner: the first in the input's order is kept)."""
    from pyspark.sql import functions as F

    cases = envelope.filter(envelope["table"] == "cases").select(
        F.get_json_object("row", "$.source").alias("source"),
        F.get_json_object("row", "$.case_id").alias("case_id"),
    )
    position = {source: i for i, source in enumerate(order)}
    pairs = sorted(
        ((r["source"], r["case_id"]) for r in cases.collect()), key=lambda p: position[p[0]]
    )
    ids = dict(pairs)
    later = duplicate_ids(pairs, {})
    errors = [duplicate_error(s, ids[s], first, lang) for s, first in later.items()]
    return sorted(later), errors


def run_spark(
    input: Path,
    out: Path,
    *,
    master: str = "local[2]",
    chunk_size: int = 500,
    lang: Lang = "de",
    session: SparkSession | None = None,
) -> RunSummary:
    """Evaluate every case of ``input`` on Spark into ``out`` (written afresh)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from osteoboard.cohort.schema import CASE_SCHEMA, ERROR_SCHEMA, ITEM_SCHEMA

    reader = reader_for(input)
    check_output_folder(input, out)
    started = time.perf_counter()
    docs: list[tuple[str, str]] = []
    unread: list[dict[str, Any]] = []
    for record in reader.read(input):
        try:
            docs.append((record.source, _text(record)))
        except CaseError as exc:
            message = "; ".join(exc.lines(lang))
            unread.append({"source": record.source, "case_id": None, "error": message})
    spark = session or spark_session(master)
    try:
        frame = spark.createDataFrame(docs, "source string, doc string")
        frame = frame.repartition(max(1, -(-len(docs) // chunk_size)))
        envelope = frame.mapInPandas(
            lambda frames: evaluate_frame(frames, lang), "table string, row string"
        ).persist()
        later, duplicates = _duplicates(envelope, [source for source, _ in docs], lang)
        counts = {t: 0 for t in _TABLES}
        for table, schema in (
            ("cases", CASE_SCHEMA),
            ("items", ITEM_SCHEMA),
            ("errors", ERROR_SCHEMA),
        ):
            rows = envelope.filter(envelope["table"] == table).select("row")
            target = out / table
            if target.exists():
                shutil.rmtree(target)
            result = rows.mapInPandas(_rows_of, from_arrow_schema(schema))
            if table != "errors" and later:
                result = result.filter(~result["source"].isin(later))
            if table == "errors" and unread + duplicates:
                result = result.unionByName(
                    spark.createDataFrame(unread + duplicates, from_arrow_schema(schema))
                )
            result.write.mode("overwrite").parquet(str(target))
            counts[table] = spark.read.parquet(str(target)).count()
        envelope.unpersist()
    finally:
        if session is None:
            spark.stop()
    summary = RunSummary(
        total=len(docs) + len(unread),
        cases=counts["cases"],
        items=counts["items"],
        errors=counts["errors"],
        seconds=time.perf_counter() - started,
    )
    write_summary(out, input, summary, None)
    return summary
