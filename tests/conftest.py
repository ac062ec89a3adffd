"""Shared test settings.

Property tests run a fixed sequence of examples by default, so that a run of the suite is
repeatable and a red run means a change broke something. ``OSTEOBOARD_HYPOTHESIS=explore``
(used by ``make fuzz``) draws new examples each run to find what the fixed ones miss.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

# The compiled knowledge base is cached on disk (osteoboard.kbcache): the tests, and the
# commands they start, use a directory of their own, removed at the end.
_KB_CACHE = tempfile.mkdtemp(prefix="osteoboard-kb-cache-")
os.environ["OSTEOBOARD_CACHE_DIR"] = _KB_CACHE
os.environ.pop("OSTEOBOARD_KB_CACHE", None)
atexit.register(shutil.rmtree, _KB_CACHE, ignore_errors=True)

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("OSTEOBOARD_HYPOTHESIS", "repeatable"))

# A real PostgreSQL server and an in-memory FHIR server for the tests that ask for them
# (each started once per session).
pytest_plugins = ["tests.support.postgres", "tests.support.fhir_server"]
