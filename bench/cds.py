"""Benchmark of the CDS Hooks service: ``patient-view`` with a 50-resource prefetch under load.

Starts ``osteoboard serve`` (2 workers, a SQLite store, one trusted client whose JWK Set is
configured inline) on a free loopback port and lets ``wrk`` (Debian's package) run 50
concurrent connections for 30 s. Every request carries its own ES384 JWT (signed beforehand,
one per request: a token sent twice would be refused as a replay) and the same body: the
patient-view call of a synthetic lung-cancer patient with cord compression whose prefetch
holds 50 resources. The service keeps the resources it has validated, by their content (an
EHR sends a patient's history at every opening of the chart), so with one body the load runs
on resources seen before; ``--patients N`` sends N patients in turn instead, each with its
own ids and references (so its own content): with N = 1000 every request's resources are new
to the service. Two runs, as in ``bench/api.py``: one paced at ``--rate`` requests/s in
all (default 300: the latency at that load), then a closed loop (the most the server does).
Prints p50, p90, p99, requests per second and errors of each; then, in this process, where
one request's time goes (JWT check, prefetch, FHIR import, engine, cards, JSON), as the mean
of 200 calls of each stage.

    .venv/bin/python bench/cds.py                # 30 s
    .venv/bin/python bench/cds.py -d 10 -c 20    # shorter, fewer connections
    .venv/bin/python bench/cds.py --patients 1000  # every request another patient
    .venv/bin/python bench/cds.py --stages-only  # only the breakdown of one request
    .venv/bin/python bench/cds.py --profile      # py-spy on a worker in the closed loop

Targets: >= 300 requests/s (closed loop); p50 <= 15 ms, p99 <= 60 ms at 300 requests/s
(paced); 0 errors in both.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import (  # noqa: E402
    TARGETS,
    _report,
    _server_cpu,
    _start_profiler,
    figures_of,
    settle,
    wrk_load,
    wrk_warm,
)
from tests.api.server import Server  # noqa: E402
from tests.cds import bundles  # noqa: E402
from tests.cds.conftest import ISSUER, ClientKeys  # noqa: E402

from osteoboard.store.db import Store  # noqa: E402

LUA = ROOT / "bench" / "cds_patient_view.lua"
PATH = "/cds-services/osteoboard-patient-view"
PATIENT = "bench-mscc"


def prefetch_of_50() -> dict[str, Any]:
    """The prefetch of the MSCC patient with a laboratory history: 50 resources in all."""
    bundle = bundles.mscc_bundle()
    me = bundle["entry"][0]["fullUrl"]
    history = []
    day = dt.date(2026, 5, 1)
    while len(bundle["entry"]) + len(history) < 50:
        loinc, value, unit = [
            ("2160-0", 1.0, "mg/dL"),
            ("2000-8", 2.4, "mmol/L"),
            ("1751-7", 38.0, "g/L"),
            ("718-7", 12.1, "g/dL"),
        ][len(history) % 4]
        lab = bundles._lab(me, loinc, value, unit)
        lab["effectiveDateTime"] = (day + dt.timedelta(days=7 * len(history))).isoformat()
        history.append((f"urn:uuid:00000000-0000-4000-8000-{len(history):012d}", lab))
    for full_url, resource in history:
        bundle["entry"].append(
            {"fullUrl": full_url, "resource": resource, "request": {"method": "POST"}}
        )
    prefetch = bundles.prefetch(bundle, PATIENT)
    count = sum(
        len(v.get("entry", [])) if v.get("resourceType") == "Bundle" else 1
        for v in prefetch.values()
        if isinstance(v, dict)
    )
    assert count == 50, count
    return prefetch


def bodies(count: int) -> str:
    """``count`` patient-view calls, one JSON document a line: the first is :func:`body`, the
    others the same patient under another pseudonym (``bench-p0001`` …), which changes every
    resource's id or reference and thus its content."""
    text = json.dumps(body())
    return "\n".join(
        text if i == 0 else text.replace(PATIENT, f"bench-p{i:04d}") for i in range(count)
    )


def body() -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "7b0f2f60-3c5e-4b6e-9a7e-2a1f0e2d1c00",
        "context": {"userId": "Practitioner/1", "patientId": PATIENT},
        "prefetch": prefetch_of_50(),
    }


def _tokens(keys: ClientKeys, count: int, public_url: str) -> str:
    """``count`` fresh ES384 tokens for the patient-view endpoint, one per line."""
    return "\n".join(
        keys.token(PATH, claims={"aud": public_url + PATH, "exp": int(time.time()) + 600})
        for _ in range(count)
    )


def _env(keys: ClientKeys, url: str, public_url: str) -> dict[str, str]:
    clients = {ISSUER: {"jwks": keys.jwks()}}
    return {
        "OSTEOBOARD_DATABASE_URL": url,
        "OSTEOBOARD_COOKIE_SECURE": "false",
        "OSTEOBOARD_PUBLIC_URL": public_url,
        "OSTEOBOARD_CDS_CLIENTS": json.dumps(clients),
        "OSTEOBOARD_CDS_JWT_MAX_AGE_S": "900",
    }


def load(args: argparse.Namespace, work: Path, keys: ClientKeys) -> dict[str, dict[str, Any]]:
    url = f"sqlite:///{work / 'bench.sqlite3'}"
    store = Store(url)
    store.upgrade()
    store.dispose()
    server = Server({}, workers=args.workers, log=work / "server.log")
    server.env.update(_env(keys, url, server.url))
    (work / "bodies.ndjson").write_text(bodies(args.patients))
    # a token per request: the most a run could send, with a margin
    count = max(2000, int(args.duration * 2500)) * (2 if args.rate else 1)
    print(f"  signing {count} tokens …", flush=True)
    warm_tokens, run_tokens = work / "warm.txt", work / "tokens.txt"
    warm_tokens.write_text(_tokens(keys, 4000, server.url))
    run_tokens.write_text(_tokens(keys, count, server.url))
    server.start(timeout=120)
    try:
        base_env = {**os.environ, "BODIES": str(work / "bodies.ndjson")}
        wrk_warm(LUA, server.url, {**base_env, "TOKENS": str(warm_tokens)})
        runs: dict[str, dict[str, Any]] = {}
        # The paced run first, as in bench/api.py; then the closed loop.
        for turn, rate in enumerate((args.rate, 0.0) if args.rate else (0.0,)):
            if turn:
                settle()
            # each run takes its own half of the tokens: a token sent twice is refused
            env = {**base_env, "TOKENS": str(run_tokens), "TOKEN_HALF": str(turn)}
            cpu_before = _server_cpu(server)
            profiler = None
            if args.profile and not rate:
                profiler = _start_profiler(server, work, args.duration)
            result = wrk_load(LUA, server.url, args, env, rate)
            cpu = _server_cpu(server) - cpu_before
            if profiler is not None:
                profiler.wait(timeout=args.duration + 60)
                print(f"  profile: {work / 'profile.txt'}")
            runs["paced" if rate else "closed"] = figures_of(result, cpu, rate)
    finally:
        server.stop()
    return runs


def _mean_ms(run: Callable[[], Any], times: int) -> float:
    run()  # warm
    start = time.perf_counter()
    for _ in range(times):
        run()
    return (time.perf_counter() - start) * 1000 / times


def stages(times: int = 200) -> None:
    """Where one request's time goes, stage by stage, in this process."""
    from osteoboard.cds.cards import patient_view_cards
    from osteoboard.cds.clientauth import ClientVerifier
    from osteoboard.cds.fhirdata import gather
    from osteoboard.cds.service import OPTIONAL_PREFETCH, PREFETCH
    from osteoboard.cds.settings import CdsClient, CdsSettings
    from osteoboard.engine import evaluate
    from osteoboard.fhir import import_resources, r4b
    from osteoboard.guideline import load_knowledge_base

    keys = ClientKeys()
    public = "http://127.0.0.1:8000"
    settings = CdsSettings(public_url=public, cds_clients={ISSUER: CdsClient(jwks=keys.jwks())})
    verifier = ClientVerifier(settings)
    tokens = iter([keys.token(PATH, claims={"aud": public + PATH}) for _ in range(times + 1)])
    call = body()
    raw = json.dumps(call)
    kb = load_knowledge_base()
    loop = asyncio.new_event_loop()

    def prefetched() -> list[dict[str, Any]]:
        resources, _ = loop.run_until_complete(
            gather(
                PREFETCH,
                call["prefetch"],
                call["context"],
                None,
                timeout_s=5,
                optional=OPTIONAL_PREFETCH,
            )
        )
        return resources

    resources = prefetched()
    case = import_resources(resources, board_date=dt.date.today(), patient_id=PATIENT).case

    def imported_afresh() -> Any:
        r4b.forget_parsed()  # every resource validated again, as for a patient not seen before
        return import_resources(resources, board_date=dt.date.today(), patient_id=PATIENT)

    proposal = evaluate(case, kb)
    cards = patient_view_cards(proposal, kb, "de", public + "/")
    parts = {
        "JWT check (ES384 signature, claims, replay)": lambda: loop.run_until_complete(
            verifier.verify("Bearer " + next(tokens), public + PATH)
        ),
        "request body: JSON parse": lambda: json.loads(raw),
        "prefetch → resources": prefetched,
        "FHIR import, resources new (R4B validation)": imported_afresh,
        "FHIR import, resources seen before": lambda: import_resources(
            resources, board_date=dt.date.today(), patient_id=PATIENT
        ),
        "engine: evaluate()": lambda: evaluate(case, kb),
        "cards from the proposal": lambda: patient_view_cards(proposal, kb, "de", public + "/"),
        "response: JSON": lambda: json.dumps({"cards": cards}),
    }
    print(f"  one request, stage by stage (mean of {times} runs in one process):")
    means = {name: _mean_ms(run, times) for name, run in parts.items()}
    for name, ms in means.items():
        print(f"    {name:<46} {ms:7.2f} ms")
    new, seen = (n for n in means if n.startswith("FHIR import"))
    total = sum(means.values()) - means[new]
    print(f"    {'sum, resources seen before':<46} {total:7.2f} ms")
    print(f"    {'sum, resources new':<46} {total - means[seen] + means[new]:7.2f} ms")
    loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("-c", "--connections", type=int, default=50)
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("-w", "--workers", type=int, default=2, help="server workers")
    parser.add_argument(
        "--rate", type=float, default=TARGETS["rps"], help="requests/s of the paced run (0: none)"
    )
    parser.add_argument(
        "--patients", type=int, default=1, help="patients sent in turn (1: the same body)"
    )
    parser.add_argument("--stages-only", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy on the closed loop")
    args = parser.parse_args()
    if not args.stages_only:
        print(
            f"POST {PATH} with a 50-resource prefetch: {args.workers} workers, wrk "
            f"{args.threads} threads, {args.connections} connections, {args.duration} s; "
            f"{os.cpu_count()} cores"
        )
        work = Path(tempfile.mkdtemp(prefix="osteoboard-bench-cds-"))
        keep = args.profile
        try:
            runs = load(args, work, ClientKeys())
            for figures in runs.values():
                _report("patient-view", figures, args.duration)
            keep = args.profile or any(
                figures[k]
                for figures in runs.values()
                for k in figures
                if k.startswith("errors_") and k != "errors_timeout"
            )
        finally:
            if keep:
                print(f"  kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    stages()


if __name__ == "__main__":
    main()
