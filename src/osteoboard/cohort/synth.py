"""Synthetic cohorts drawn from the distributions of ``cohort/data/synth.yaml``.

The generator is small and generic (as Synthea's engine is): every number — primary sites,
lesion sites, spinal levels, laboratory values, how often a field is missing — is in the data
file with its sources, and the code only draws from it. Case ``i`` of seed ``s`` is drawn from
its own random generator seeded with ``"s:i"``, so the same seed gives the same cases (the
same bytes in every format), and a smaller cohort is the start of a larger one.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from osteoboard.errors import OsteoboardError
from osteoboard.knowledge_files import KnowledgeError, check_sources, default_kb_dir, read_yaml

__all__ = ["FORMATS", "SYNTH_FILE", "SynthError", "synth_cases", "write_cohort"]

SYNTH_FILE = Path(__file__).resolve().parent / "data" / "synth.yaml"
FORMATS = ("yaml", "ndjson", "parquet")
Format = Literal["yaml", "ndjson", "parquet"]

_SPEC_KEYS = {"choice", "groups", "p", "normal", "uniform", "lognormal", "mixture", "const", "by"}
_SKIP = object()


class SynthError(OsteoboardError, ValueError):
    """The distributions file is invalid (the message names the field)."""


@cache
def _spec(path: Path = SYNTH_FILE) -> dict[str, Any]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("case"), dict):
        raise SynthError(f"{path.name}: needs a mapping with a 'case' block")
    sources = {str(item["id"]): item for item in read_yaml(default_kb_dir() / "sources.yaml")}
    try:
        check_sources(data.get("sources", []), sources, path.name)
    except KnowledgeError as exc:
        raise SynthError(str(exc)) from None
    return data


def _lookup(path: str, case: Mapping[str, Any], lesion: Mapping[str, Any] | None) -> Any:
    head, _, rest = path.partition(".")
    node: Any = lesion if head == "lesion" else case.get(head)
    for part in rest.split(".") if rest else []:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _weighted(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys])[0]


def _number(rng: random.Random, spec: Mapping[str, Any], where: str) -> float | int:
    if "normal" in spec:
        mean, sd = spec["normal"]
        value = rng.gauss(mean, sd)
    elif "lognormal" in spec:
        mu, sigma = spec["lognormal"]
        value = math.exp(rng.gauss(mu, sigma))
    else:
        low, high = spec["uniform"]
        value = rng.uniform(low, high)
    value = min(max(value, float(spec.get("min", -math.inf))), float(spec.get("max", math.inf)))
    digits = spec.get("digits")
    if digits is None:
        raise SynthError(f"{where}: a number needs `digits`")
    return round(value) if digits == 0 else round(value, int(digits))


def _draw(
    rng: random.Random,
    spec: Any,
    where: str,
    case: Mapping[str, Any],
    lesion: Mapping[str, Any] | None = None,
) -> Any:
    """One value of a field spec, or _SKIP when the field is left out."""
    if not isinstance(spec, Mapping) or not (_SPEC_KEYS & set(spec)):
        raise SynthError(f"{where}: not a field ({', '.join(sorted(_SPEC_KEYS))})")
    for path, allowed in (spec.get("when") or {}).items():
        if _lookup(path, case, lesion) not in allowed:
            return _SKIP
    # Every draw below happens whether or not the field is then left out, so that one
    # field's missing rate does not shift the values of the fields after it.
    missing = rng.random() < float(spec.get("missing", 0.0))
    value = _value(rng, spec, where, case, lesion)
    return _SKIP if missing else value


def _value(
    rng: random.Random,
    spec: Mapping[str, Any],
    where: str,
    case: Mapping[str, Any],
    lesion: Mapping[str, Any] | None,
) -> Any:
    if "const" in spec:
        return spec["const"]
    if "choice" in spec:
        return _weighted(rng, spec["choice"])
    if "groups" in spec:
        group = spec["groups"][_weighted(rng, {k: g["weight"] for k, g in spec["groups"].items()})]
        return rng.choice(group["values"])
    if "p" in spec:
        return rng.random() < float(spec["p"])
    if "mixture" in spec:
        parts = spec["mixture"]
        index = _weighted(rng, {i: part["weight"] for i, part in enumerate(parts)})
        return _number(rng, parts[index], f"{where}.mixture[{index}]")
    if "by" in spec:
        key = _lookup(spec["by"], case, lesion)
        chosen = (spec.get("cases") or {}).get(key, spec.get("default"))
        if chosen is None:
            return _SKIP
        return _value(rng, chosen, f"{where}.{key}", case, lesion)
    return _number(rng, spec, where)


def _block(
    rng: random.Random,
    spec: Mapping[str, Any],
    where: str,
    case: dict[str, Any],
    into: dict[str, Any],
    lesion: Mapping[str, Any] | None = None,
) -> None:
    for name, field in spec.items():
        if name.startswith("_"):
            continue
        if isinstance(field, Mapping) and not (_SPEC_KEYS & set(field)):
            sub: dict[str, Any] = {}
            into[name] = sub
            missing = rng.random() < float(field.get("_missing", 0.0))
            when = field.get("_when") or {}
            if any(_lookup(p, case, lesion) not in ok for p, ok in when.items()):
                missing = True
            _block(rng, field, f"{where}.{name}", case, sub, lesion)
            if missing or not sub:
                del into[name]
            continue
        value = _draw(rng, field, f"{where}.{name}", case, lesion)
        if value is not _SKIP:
            into[name] = value


def synth_case(seed: int, index: int, spec: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Case ``index`` (from 0) of the cohort with ``seed``."""
    spec = spec or _spec()
    rng = random.Random(f"{seed}:{index}")
    case: dict[str, Any] = {
        "id": f"{spec.get('id_prefix', 'synth')}-{seed}-{index + 1:07d}",
        "board_date": str(spec["board_date"]),
    }
    _block(rng, spec["case"], "case", case, case)
    lesions: list[dict[str, Any]] = []
    section = spec["lesions"]
    count = int(_value(rng, section["count"], "lesions.count", case, None))
    for number in range(1, count + 1):
        lesion: dict[str, Any] = {"id": f"M{number}"}
        _block(rng, section["fields"], f"lesions[{number - 1}]", case, lesion, lesion)
        lesions.append(lesion)
    counts = spec.get("bone_metastases")
    if counts is not None:
        missing = rng.random() < float(counts.get("_missing", 0.0))
        extra_v = int(_value(rng, counts["extra_vertebral"], "bone_metastases", case, None))
        extra_x = int(_value(rng, counts["extra_extraspinal"], "bone_metastases", case, None))
        if not missing and all("region" in lesion for lesion in lesions):
            spinal = sum(1 for lesion in lesions if lesion.get("region") == "spine")
            case["bone_metastases"] = {
                "vertebral_count": spinal + extra_v,
                "extraspinal_count": len(lesions) - spinal + extra_x,
            }
    case["lesions"] = lesions
    return case


def synth_cases(n: int, seed: int = 0, spec_file: Path | None = None) -> Iterator[dict[str, Any]]:
    """The first ``n`` cases of the cohort with ``seed``."""
    spec = _spec(spec_file or SYNTH_FILE)
    for index in range(n):
        yield synth_case(seed, index, spec)


def write_cohort(n: int, out: Path, *, seed: int = 0, format: Format = "yaml") -> Path:
    """Write a cohort: one YAML file per case in ``out``, or ``out/cohort.ndjson``, or
    ``out/cohort.parquet`` (the case's fields as nested columns). Returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    cases = synth_cases(n, seed)
    if format == "yaml":
        for case in cases:
            text = yaml.safe_dump(case, sort_keys=False, allow_unicode=True, width=100)
            _atomic(out / f"{case['id']}.yaml", text.encode())
        return out
    if format == "ndjson":
        target = out / "cohort.ndjson"
        tmp = target.with_name(f".{target.name}.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for case in cases:
                f.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n")
        tmp.replace(target)
        return target
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = out / "cohort.parquet"
    tmp = target.with_name(f".{target.name}.tmp")
    pq.write_table(pa.Table.from_pylist(list(cases)), tmp)
    tmp.replace(target)
    return target


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
