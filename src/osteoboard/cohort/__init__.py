"""Cohorts: many cases through the engine at once.

- :mod:`osteoboard.cohort.batch` — :func:`~osteoboard.cohort.batch.evaluate_batch`, the one
  pure function from raw case documents to table rows;
- :mod:`osteoboard.cohort.inputs` — readers for a folder of cases, NDJSON and Parquet;
- :mod:`osteoboard.cohort.runner` — the local runner (processes, resumable Parquet parts);
- :mod:`osteoboard.cohort.report` — the HTML report with the quality indicators;
- :mod:`osteoboard.cohort.synth` — synthetic cohorts;
- :mod:`osteoboard.cohort.spark` — the same batch function on Spark (``osteoboard[spark]``).

Nothing is imported here, so that the command line starts without pyarrow.
"""
