"""evaluate(case) -> Proposal: scores, prognosis, facts, rules, and the data still missing.

Every rule of the knowledge base is evaluated on the case facts (``per: case``) or once per
lesion (``per: lesion``). Unknown facts are handled in three-valued logic: a condition is
first run with its unknown facts undefined (CEL's ``&&`` and ``||`` absorb an undefined side
when the other decides); when that is not enough, the values each unknown fact can still take
(its domain) are tried one fact at a time. A rule fires only when every completion makes it
true; it stays silent when every completion makes it false; otherwise it is *undetermined*,
does not fire, and the inputs behind the facts it needed are reported in ``missing_data`` with
the rule's id. Nothing is guessed.

The output is deterministic: the same case and knowledge base give byte-identical JSON.

What keeps it cheap, without changing what it decides: a rule whose required part (a guard,
see :class:`~osteoboard.guideline.Guard`) fails on a known value is false without running
CEL; the known facts of a scope are converted for CEL once, and values tried for unknown
facts are read through the context's variable resolver; rules with the same condition share
its analysis within a scope; lesions that agree on the lesion facts a rule reads share its
verdict (the case's facts are the same for every lesion). What is a function of values alone
and frozen is shared between cases in bounded stores: verdicts, a lesion's facts, reasons,
item texts, item conditions, assumptions, missing data and questions (and, in
:mod:`osteoboard.scores`, score results).
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast

from osteoboard import __version__, celpy
from osteoboard.case import Case, Lesion
from osteoboard.errors import OsteoboardError
from osteoboard.factbook import FactInfo, condition_text, test_points
from osteoboard.facts import FactSet, Value, case_facts, catalogue_by_name, lesion_facts
from osteoboard.guideline import (
    DISCIPLINES,
    CompiledRule,
    Condition,
    KnowledgeBase,
    flat_name,
    load_knowledge_base,
)
from osteoboard.labels import field_key
from osteoboard.prognosis import derive_prognosis
from osteoboard.proposal import (
    Assumption,
    Because,
    ItemCondition,
    ItemStatus,
    KnowledgeBaseInfo,
    MissingData,
    Priority,
    Proposal,
    Question,
    Recommendation,
    Warning,
)
from osteoboard.schedules import choose_schedules
from osteoboard.scores import compute_all
from osteoboard.scores.base import ScoreResult, negative_zero
from osteoboard.text import Text, join

if TYPE_CHECKING:
    from osteoboard._cel import Context

__all__ = [
    "EngineError",
    "FiredRule",
    "definition_holds",
    "evaluate",
    "format_fact",
    "missing_from_scores",
    "trace",
]

_MISSING_RANK = {"urgent": 0, "soon": 1, "routine": 2, "score": 3}

#: Most runs of one condition while trying the values of its unknown facts; beyond it the
#: rule stays open without a witness, and an open rule without a witness gives no item. The
#: bone-modifying-agent definitions read many facts a thin referral leaves open (site, sex,
#: stage …): at 256 runs a zoledronic acid course with a creatinine of 420 µmol/l lost its
#: renal warning when sex and site were not given. Realistic cases rarely need more than a
#: few dozen runs, so the bound costs nothing there (1,500 synthetic cases: 10.5 vs 10.8 ms).
MAX_RUNS = 8192
#: Most completions enumerated to find which unknown facts decide an open rule.
MAX_DECIDING = 32
#: Most questions in a proposal (SPEC §4.1).
MAX_QUESTIONS = 5
#: Of them at most this many screen for an emergency that no documented finding raises (cord
#: compression in a patient with spinal metastases, a fracture at a painful lesion) ahead of
#: the questions about items on the proposal, the second only for another emergency than the
#: first: the whole-spine MRI and the neurology, which screen for the same compression, took
#: the first places in most referrals without a spinal lesion or symptom, ahead of the
#: histology, operability or castration status that decided the proposal; with one, the
#: fracture of a painful acetabular lesion was not asked for beside the compression, behind
#: a question about SBRT.
MAX_SCREENING_QUESTIONS = 2
_SCREENING_TIER = 2
#: The third place of an ask's rank: 0 for an item on the proposal, this for one that is not.
_ABSENT = 1

_CATALOGUE = catalogue_by_name()
#: CEL variable name of every fact.
_FLAT = {name: flat_name(name) for name in _CATALOGUE}
#: Every fact as a variable that is not given: the compiled conditions' map starts from it.
_UNDEFINED = {flat: celpy.undefined(flat) for flat in _FLAT.values()}
_LESION_FACTS = frozenset(name for name, fact in _CATALOGUE.items() if fact.scope == "lesion")
_T = TypeVar("_T")
_SECOND = operator.itemgetter(1)

_PRIORITY_RANK = {Priority.urgent: 0, Priority.soon: 1, Priority.routine: 2}
_DISCIPLINE_RANK = {d: i for i, d in enumerate(DISCIPLINES)}


class EngineError(OsteoboardError, RuntimeError):
    """A rule could not be evaluated although all its facts are known (a knowledge-base bug)."""


@dataclass
class _Hit:
    rule: CompiledRule
    lesion: str | None
    lesion_order: int
    because: list[Because]
    values: Mapping[str, Value | tuple[float, float]]
    status: ItemStatus = ItemStatus.firm
    #: True when the rule did not fire on every completion (an open outcome made an item).
    open: bool = False
    conditions: list[ItemCondition] | None = None
    assumed: list[Assumption] | None = None
    #: The action's ``alternatives_text`` instead of the rule's text.
    alternatives: bool = False
    #: A priority more urgent than the rule's, taken over from an open hit of the same item.
    priority: Priority | None = None
    #: The hits of an item whose action joins texts (a request list), most urgent first:
    #: the item's text is theirs in turn.
    joined: tuple[_Hit, ...] = ()


class _Ask(NamedTuple):
    """An unknown fact that decides an open rule, ranked by the item it decides."""

    rank: tuple[int, ...]
    fact: str
    fields: tuple[str, ...]
    lesion_label: str | None
    item: str
    priority: str
    #: The lesion's vertebral level ("" off the spine), named with its id in the question.
    lesion_level: str = ""


def missing_from_scores(scores: Iterable[ScoreResult]) -> dict[str, list[str]]:
    """Case path → names of the scores (with lesion) that the unknown input could change."""
    needs: dict[str, list[str]] = {}
    for s in scores:
        label = f"{s.name}[{s.lesion}]" if s.lesion else s.name
        for path in s.missing:
            users = needs.setdefault(path, [])
            if label not in users:
                users.append(label)
    return needs


class _Scope:
    """The facts one evaluation sees: a lesion's (if any) and the case's.

    Later fact sets do not shadow earlier ones: names are unique across scopes. Facts whose
    knowledge-base policy reads "not documented" as absent are completed here, and the
    assumption is kept for the items that rely on it.
    """

    def __init__(
        self, facts: Sequence[FactSet], kb: KnowledgeBase, base: _Scope | None = None
    ) -> None:
        """``base``: a scope whose facts (the case's) this one sees too, copied rather than
        completed again."""
        self.kb = kb
        self.base = base
        self.values: dict[str, Value] = {} if base is None else dict(base.values)
        #: Domains and missing inputs of this scope's own facts (the base's are looked up
        #: there).
        self.domains: dict[str, list[Value]] = {}
        self.missing: dict[str, list[str]] = {}
        self.intervals: dict[str, tuple[float, float]] = (
            {} if base is None else dict(base.intervals)
        )
        self.estimates: dict[str, float] = {} if base is None else dict(base.estimates)
        self.closed: set[str] = set() if base is None else set(base.closed)
        self.assumed: dict[str, Assumption] = {} if base is None else dict(base.assumed)
        own: set[str] = set()
        for fs in reversed(facts):
            self.values.update(fs.values)
            self.domains.update(fs.domains)
            self.missing.update(fs.missing)
            self.intervals.update(fs.intervals)
            self.estimates.update(fs.estimates)
            self.closed |= fs.closed
            own.update(fs.values)
        for name, worst_from, worst_if in kb.read_at_worst:
            # A partly documented score already in the band it names, or beside the finding
            # that makes it possibly unstable: read at its worst.
            span = self.intervals.get(name) if name in own else None
            if span is not None and (
                (worst_from is not None and span[0] >= worst_from)
                or (worst_if is not None and self.values.get(worst_if) is True)
            ):
                self.estimates[name] = span[1]
        for name in kb.absent_unless_documented:
            if name in own and self.values[name] is None:
                info = kb.facts[name]
                assert info.assume is not None and info.reason is not None  # linted on load
                self.values[name] = info.assume
                # Frozen, and a function of what the key names: shared between cases.
                assume, reason, fields = info.assume, info.reason, self.missing.get(name, [])
                shown = tuple(assume) if isinstance(assume, list) else assume
                key = (Assumption, name, assume.__class__, shown, reason.de, reason.en, *fields)
                assumption: Assumption | None = _VALUES.get(key)
                if assumption is None:
                    assumption = _store(
                        key, Assumption(fact=name, fields=fields, value=assume, text=reason)
                    )
                self.assumed[name] = assumption
        self._runner: _Runner | None = None
        self._shared: dict[tuple[str, str], Any] = {}
        self._paths: dict[str, tuple[str, ...]] = {}
        self._keys: dict[str, int] = {}

    def once(self, part: str, condition: Condition, compute: Callable[[], _T]) -> _T:
        """``compute()`` for a condition, once per scope: several rules read the same
        condition (and differ only in what they propose)."""
        key = (part, condition.source)
        if key in self._shared:
            return cast(_T, self._shared[key])
        value = self._shared[key] = compute()
        return value

    def value(self, name: str) -> Value:
        return self.values[name]

    def key(self, name: str) -> int:
        """The number of a fact's :func:`_fact_key`, once per scope (a case fact's from the
        case's scope: a lesion's scope sees it with the same value, domain and assumption)."""
        found = self._keys.get(name)
        if found is None:
            if self.base is not None and name not in _LESION_FACTS:
                found = self.base.key(name)
            else:
                found = _key_number(_fact_key(name, self))
            self._keys[name] = found
        return found

    def interval(self, name: str) -> tuple[float, float] | None:
        """The interval an unknown number lies in (its plausible range when nothing narrows it)."""
        if name in self.closed:
            return None
        if name in self.intervals:
            return self.intervals[name]
        info = self.kb.facts.get(name)
        return None if info is None or info.range is None else info.range

    def paths(self, name: str) -> tuple[str, ...]:
        """The case paths behind an unknown fact, as one tuple per scope that owns the fact
        (a case fact's is the same object in every lesion's scope)."""
        if self.base is not None and name not in self.missing:
            return self.base.paths(name)
        paths = self._paths.get(name)
        if paths is None:
            paths = self._paths[name] = tuple(self.missing.get(name, ()))
        return paths

    def unknown(self, name: str) -> tuple[list[Value], list[str]]:
        """(values an unknown fact can still take, case paths behind it)."""
        scope = self if self.base is None or name in self.missing else self.base
        missing = scope.missing.get(name, [])
        fact = _CATALOGUE[name]
        if fact.type in ("int", "float"):
            bounds = self.interval(name)
            if bounds is None:
                return [], missing
            return _points(name, bounds, fact.type == "int", self.kb), missing
        return scope.domains.get(name, []), missing

    def runner(self, names: frozenset[str] | None = None) -> _Runner:
        """Runs conditions on the known facts among ``names`` (the facts the scope's rules
        read; None: every known fact), built once. The compiled conditions read only their
        own variables, so more names cost no more than building the map; fewer make a
        smaller context for CEL's programs (the reference)."""
        if self._runner is None:
            values = self.values
            known: dict[str, Value]
            if names is None:
                known = {_FLAT[k]: v for k, v in values.items() if v is not None}
            else:
                known = {
                    _FLAT[k]: values[k] for k in names & values.keys() if values[k] is not None
                }
            self._runner = _Runner(known)
        return self._runner


def _points(
    name: str, bounds: tuple[float, float], integer: bool, kb: KnowledgeBase
) -> list[Value]:
    """Test points of an unknown number in ``bounds`` for the thresholds rules compare it with."""
    return _cached_points(bounds[0], bounds[1], kb.thresholds.get(name, ()), integer)


@functools.lru_cache(maxsize=4096)
def _cached_points(
    low: float, high: float, thresholds: tuple[float, ...], integer: bool
) -> list[Value]:
    return [int(p) if integer else float(p) for p in test_points(low, high, thresholds, integer)]


class _Overlay(dict[str, Any]):
    """The values tried for unknown facts (or changed for a known one) on top of the known
    facts: every change is written through to ``merged``, the variables a compiled condition
    reads (every fact of the catalogue, an unknown one as its undefined-variable error), and
    undone there when the value is taken away again."""

    def __init__(self, known: dict[str, Any]) -> None:
        super().__init__()
        self.known = known
        self.merged = {**_UNDEFINED, **known}

    def _restore(self, key: str) -> None:
        self.merged[key] = self.known[key] if key in self.known else _UNDEFINED[key]

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.merged[key] = value

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._restore(key)

    def pop(self, key: str, default: Any = None) -> Any:
        if key not in self:
            return default
        value = super().pop(key)
        self._restore(key)
        return value

    def clear(self) -> None:
        for key in self:
            self._restore(key)
        super().clear()

    def update(self, values: Mapping[str, Any]) -> None:  # type: ignore[override]
        for key, value in values.items():
            self[key] = value


class _Runner:
    """Runs conditions on one scope: the known facts, and the values tried for unknown facts
    (or changed for a known one) in ``overlay``, which a condition reads first.

    A condition runs as its Python function (:mod:`osteoboard.celpy`); with
    :func:`reference_conditions`, or for a condition not compiled there, as CEL's program on a
    context of the known facts (built once: converting values for CEL costs more than most
    runs) whose variable resolver reads the overlay."""

    def __init__(self, known: Mapping[str, Value]) -> None:
        self.known = dict(known)
        self.overlay = _Overlay(self.known)
        #: The variables a compiled condition reads (the overlay's, kept up to date).
        self.merged = self.overlay.merged
        self._context: Context | None = None
        self.reference = _REFERENCE[0]

    @property
    def context(self) -> Context:
        if self._context is None:
            from osteoboard._cel import Context  # CEL is loaded only when a run needs it

            self._context = Context(dict(self.known))
            self._context.set_variable_resolver(self.overlay.get)
        return self._context

    def run(self, condition: Condition) -> Any:
        """The condition's value, or a :class:`celpy.Error` (CEL's, when it runs CEL)."""
        python = condition.python
        if python is not None and not self.reference:
            return python.fast(self.merged)
        try:
            return condition.program.execute(self.context)
        except RuntimeError as exc:
            message = str(exc)
            if "Undefined variable" in message:
                quoted = message.split("'")
                return celpy.Error(quoted[1] if len(quoted) > 2 else "?")
            raise

    def first(self, condition: Condition) -> bool | None:
        """The outcome on the known facts alone; None when it needs an unknown one."""
        if self.overlay:
            self.overlay.clear()
        result = self.run(condition)
        if result.__class__ is celpy.Error:
            if result.name is None:
                raise TypeError(f"condition {condition.source!r}: no such overload")
            return None
        return bool(result)

    def start(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The overlay, emptied (and set to ``values``)."""
        self.overlay.clear()
        if values:
            self.overlay.update(values)
        return self.overlay


#: Whether runners run CEL's programs instead of the Python functions (for comparison).
_REFERENCE = [False]


@contextlib.contextmanager
def reference_conditions() -> Iterator[None]:
    """Within the block, conditions run as CEL's own programs (the reference the compiled
    Python functions are tested against, byte for byte on whole proposals)."""
    saved = _REFERENCE[0]
    _REFERENCE[0] = True
    try:
        yield
    finally:
        _REFERENCE[0] = saved


def _execute(condition: Condition, runner: _Runner) -> bool | None:
    """Run a condition on the runner's facts and overlay; None when it needs a variable that
    is not given."""
    return _execute_needing(condition, runner)[0]


def _execute_needing(condition: Condition, runner: _Runner) -> tuple[bool | None, str | None]:
    """Like :func:`_execute`; with None, the variable found undefined. (A compiled condition
    runs here directly rather than through :meth:`_Runner.run`: exploring runs it most.)"""
    python = condition.python
    try:
        if python is not None and not runner.reference:
            result = python.fast(runner.merged)
        else:
            result = runner.run(condition)
    except (RuntimeError, TypeError, KeyError, ValueError) as exc:
        raise EngineError(f"condition {condition.source!r} failed: {exc}") from None
    if result.__class__ is celpy.Error:
        if result.name is None:
            raise EngineError(f"condition {condition.source!r} failed: no such overload")
        return None, result.name
    return bool(result), None


@dataclass
class _Decision:
    """The outcome of one condition on one scope."""

    outcome: bool | None
    #: Unknown facts that had to be tried (reading order); empty when the outcome is decided.
    tried: list[str]
    domains: dict[str, list[Value]]
    #: One completion of the tried facts that makes the condition true (flat names).
    witness: dict[str, Value] | None = None


def _decide_open(condition: Condition, scope: _Scope, runner: _Runner) -> _Decision:
    """Decide a condition whose run on the known facts needed an unknown one.

    Unknown facts are left out of the variables: CEL's logical operators absorb the error of
    an undefined variable when the other side decides (``false && x`` is false), so the run on
    the known facts settles most conditions. Only when it needs an unknown fact are its
    completions tried, because a fact's domain may still decide (a band that cannot be
    "short")."""
    runner.start()  # no value tried for another condition is left in the overlay
    values = scope.values
    unknown = [name for name in condition.facts if values[name] is None]
    if not unknown:
        result = _execute(condition, runner)
        if result is not None:
            return _Decision(result, [], {})
    # The run without the unknown facts has failed.
    domains = {f: scope.unknown(f)[0] for f in unknown}
    pending = [f for f in unknown if domains[f]]
    outcomes: set[bool | None] = set()
    used: dict[str, None] = {}
    witness: list[dict[str, Value]] = []
    # Implications between the unknown facts (facts.yaml implied_by), which are tried as if
    # free of each other: a completion that breaks one cannot occur.
    links = tuple(
        (_FLAT[a], _FLAT[b])
        for a, b in scope.kb.implications
        if a in domains and b in domains and domains[a] and domains[b]
    )
    _explore(
        condition,
        runner,
        pending,
        domains,
        outcomes,
        used,
        [MAX_RUNS],
        witness,
        tried=True,
        links=links,
    )
    if len(outcomes) == 1 and None not in outcomes:
        return _Decision(outcomes.pop(), [], domains)
    return _Decision(None, list(used) or unknown, domains, witness[0] if witness else None)


def _explore(
    condition: Condition,
    runner: _Runner,
    pending: Sequence[str],
    domains: Mapping[str, Sequence[Value]],
    outcomes: set[bool | None],
    used: dict[str, None],
    budget: list[int],
    witness: list[dict[str, Value]],
    *,
    tried: bool = False,
    links: tuple[tuple[str, str], ...] = (),
) -> bool:
    """Try the values of the unknown facts one fact at a time, in the order the condition
    reads them, leaving the rest undefined: a branch ends as soon as CEL can decide without
    the remaining facts. Records every outcome reached, the facts that had to be tried and the
    first completion that makes the condition true; returns False to stop once the outcome is
    known to be open with a witness (or the budget is spent)."""
    result = None if tried else _execute(condition, runner)
    # The facts tried are unknown ones: the compiled conditions read them from the merged
    # variables directly (taking one away makes it undefined there); CEL's program (the
    # reference, or a condition not compiled) reads the overlay.
    reference = runner.reference or condition.python is None
    variables = runner.overlay if reference else runner.merged
    if result is not None:
        if links and any(variables.get(a) is True and variables.get(b) is False for a, b in links):
            return True  # a completion that cannot occur: no outcome, no witness
        if result and not witness:
            tried_values = {}
            for f in used:
                value = variables.get(_FLAT[f], _UNTRIED)
                if value is not _UNTRIED and value.__class__ is not celpy.Error:
                    tried_values[_FLAT[f]] = value
            witness.append(tried_values)
        outcomes.add(result)
        return len(outcomes) < 2 or not witness
    if not pending or budget[0] <= 0:
        outcomes.add(None)  # needs a fact with nothing to try, or too many completions
        return bool(budget[0] > 0 and not witness)
    name, rest = pending[0], pending[1:]
    flat = _FLAT[name]
    used.setdefault(name, None)
    try:
        for value in domains[name]:
            budget[0] -= 1
            variables[flat] = value
            if not _explore(
                condition, runner, rest, domains, outcomes, used, budget, witness, links=links
            ):
                return False
        return True
    finally:
        if reference:
            variables.pop(flat, None)
        else:
            variables[flat] = _UNDEFINED[flat]


#: A fact not tried on the branch (CEL's overlay does not hold it).
_UNTRIED = object()


def _deciding(
    condition: Condition,
    runner: _Runner,
    tried: list[str],
    domains: Mapping[str, Sequence[Value]],
) -> list[str]:
    """Of the unknown facts that had to be tried, those that change the outcome on their own:
    among completions that agree on every other fact, this one alone gives another result.
    Only these are reported as missing data (every fact tried when the completions are too
    many to enumerate).

    The completions are not run one by one: the values of the fact CEL finds missing are
    tried first, and a branch ends as soon as CEL decides without the others (an undefined
    fact can only have been absorbed by ``&&`` or ``||``, so every completion of the branch
    has that outcome). The branches split the completions into blocks of one outcome each,
    and a fact decides exactly when two blocks of different outcomes clash on it alone."""
    if len(tried) <= 1:
        return tried
    size = 1
    for name in tried:
        size *= max(1, len(domains.get(name, ())))
    if size > MAX_DECIDING or any(not domains.get(name) for name in tried):
        return tried
    by_flat = {_FLAT[name]: name for name in tried}
    variables = runner.start()
    blocks: list[tuple[dict[str, Value], bool | None]] = []
    branch: dict[str, Value] = {}

    def split() -> None:
        result, needed = _execute_needing(condition, runner)
        if result is not None or len(branch) == len(tried):
            blocks.append((dict(branch), result))
            return
        name = by_flat.get(needed) if needed is not None else None
        if name is None or name in branch:
            name = next(n for n in tried if n not in branch)
        flat = _FLAT[name]
        for value in domains[name]:
            variables[flat] = branch[name] = value
            split()
        del variables[flat], branch[name]

    split()
    variables.clear()
    deciding: set[str] = set()
    for i, (first, outcome) in enumerate(blocks):
        for other, result in blocks[i + 1 :]:
            if result == outcome:
                continue
            clash = [n for n, v in first.items() if n in other and other[n] != v]
            if len(clash) == 1:
                deciding.add(clash[0])
    return [name for name in tried if name in deciding] or tried


def _satisfying(
    condition: Condition, decision: _Decision, runner: _Runner
) -> tuple[list[str], dict[str, list[Value]]]:
    """(facts that decide, per fact the values that make the rule true), each fact varied on
    its own around the witnessing completion: exact for a conjunction of conditions on
    separate facts (the way rules are written), and one run per value instead of the product
    of every domain."""
    assert decision.witness is not None
    witness = decision.witness
    variables = runner.start(witness)
    deciding: list[str] = []
    values: dict[str, list[Value]] = {}
    for name in decision.tried:
        flat = _FLAT[name]
        if flat not in witness:
            continue  # CEL decided without it on the witnessing branch
        good: list[Value] = []
        bad = False
        for value in decision.domains.get(name, ()):
            variables[flat] = value
            result = _execute(condition, runner)
            if result:
                good.append(value)
            else:
                bad = True
        variables[flat] = witness[flat]
        if bad:
            deciding.append(name)
        values[name] = good
    return deciding, values


def _alternatives(name: str, value: Value, scope: _Scope) -> list[Value]:
    """Other values a known fact could have had (to test whether it supports a rule)."""
    fact = _CATALOGUE[name]
    if fact.type == "bool":
        return [not value]
    if fact.type == "enum":
        return [v for v in fact.values if v != value]
    if fact.type in ("int", "float"):
        info = scope.kb.facts.get(name)
        if info is None or info.range is None:
            return []
        # A value on the same side of every threshold reads the same to every rule: not
        # another value here.
        thresholds = scope.kb.thresholds.get(name, ())
        here = _cell(value, thresholds)
        return [
            v
            for v in _points(name, info.range, fact.type == "int", scope.kb)
            if _cell(v, thresholds) != here
        ]
    return []


def _triggered(condition: Condition, decision: _Decision, scope: _Scope, runner: _Runner) -> bool:
    """Whether a documented finding supports an open rule.

    Findings are the known facts that the rule reads positively (not only under a negation,
    which marks an exclusion) and that are neither context nor eligibility (site, region,
    operability, prognosis …), nor assumed, nor a yes/no fact documented as no. The rule is
    supported when changing one finding, or all of them together (for findings derived from
    each other, such as a new deficit and any deficit), stops the witnessing completion from
    making it true. Without support an open rule stays silent: no item is conditional on
    everything.
    """
    if decision.witness is None:
        return False
    variables = runner.start(decision.witness)
    infos = scope.kb.facts
    flipped: dict[str, list[Value]] = {}
    for name, flat in zip(condition.facts, condition.flat, strict=True):
        value = scope.values.get(name)
        info = infos.get(name)
        if (
            value is None
            and name in scope.intervals
            and name in condition.positive
            and not (info is not None and info.context)
        ):
            # A measurement narrows it (total calcium without albumin, a SINS range): it
            # supports the rule when the rule holds at the value the measurement points to
            # (a normal total calcium does not raise a suspected hypercalcaemia).
            estimate = scope.estimates[name]
            saved = variables.get(flat)
            variables[flat] = int(estimate) if _CATALOGUE[name].type == "int" else estimate
            if _execute(condition, runner) is True:
                return True
            if saved is None:
                variables.pop(flat, None)
            else:
                variables[flat] = saved
            continue
        if (
            value is None
            or value is False
            or name not in condition.positive
            or (info is not None and info.context)
            or name in scope.assumed
        ):
            continue
        for other in _alternatives(name, value, scope):
            variables[flat] = other
            # Not true on the witnessing completion (false, or needing facts that were not
            # needed before): the completion relies on this documented finding.
            if _execute(condition, runner) is not True:
                return True
            flipped.setdefault(flat, []).append(other)
        variables.pop(flat, None)  # back to the documented value
    if len(flipped) > 1:
        # All changed together; then, the others held there, each one through its other values,
        # so that findings derived from one measurement (creatinine and the clearance
        # calculated from it) are both moved off what the rule reads.
        variables.update({flat: others[0] for flat, others in flipped.items()})
        if _execute(condition, runner) is not True:
            return True
        for flat, others in flipped.items():
            for other in others[1:]:
                variables[flat] = other
                if _execute(condition, runner) is not True:
                    return True
            variables[flat] = others[0]
    return False


def _relied_on(condition: Condition, outcome: bool | None, scope: _Scope) -> list[Assumption]:
    """The assumptions ("not documented means absent") an item relies on: those of the facts
    the rule reads whose other values would take the item away - a fired rule no longer
    true, an open one false. An assumption the item holds without (no suspicion of cord
    compression documented, beside a documented new deficit) is not named; one whose other
    values cannot be tried is. A quiet fact's assumption (facts.yaml) is never named."""
    assumed = scope.assumed
    if not assumed:
        return []
    candidates = scope.kb.assumable.get(condition.source)
    if candidates is None:
        infos, policy = scope.kb.facts, frozenset(scope.kb.absent_unless_documented)
        candidates = scope.kb.assumable[condition.source] = tuple(
            name for name in condition.facts if name in policy and not infos[name].quiet
        )
    names = [name for name in candidates if name in assumed]
    if not names:
        return []
    values = scope.values
    # A pure function of the outcome and the known values (unknown facts are left out of the
    # runs below), so shared between scopes and cases like the verdicts.
    memo: dict[Any, Any] = {} if _REFERENCE[0] else scope.kb.verdicts
    key = (
        "relied",
        condition.source,
        outcome,
        *[scope.key(name) if values[name] is not None else None for name in condition.facts],
    )
    found: tuple[str, ...] | None = memo.get(key)
    if found is None:
        flats = dict(zip(condition.facts, condition.flat, strict=True))
        runner = _Runner({flats[n]: values[n] for n in condition.facts if values[n] is not None})
        relied: list[str] = []
        for name in names:
            others = _alternatives(name, values[name], scope)
            for other in others:
                runner.start({flats[name]: other})
                result = _execute(condition, runner)
                if (result is False) if outcome is None else (result is not outcome):
                    break
            else:
                if others:
                    continue  # the item stands whatever the fact's value
            relied.append(name)
        store, shared = scope.kb.verdict_values, ("relied", *relied)
        found = store.get(shared)
        if found is None:
            found = _keep(store, shared, tuple(relied), MAX_VERDICT_VALUES)
        memo[key] = found
    return [assumed[name] for name in found]


def format_fact(
    value: Value | tuple[float, float], lang: str, names: Mapping[str, Text] | None = None
) -> str:
    """A fact's value in an item text; enumeration values (and list members) by their names
    in the knowledge base when ``names`` are given."""
    if names and isinstance(value, str) and value in names:
        return str(getattr(names[value], lang))
    if isinstance(value, tuple):
        return "–".join(format_fact(v, lang) for v in value)
    if value is None:
        return "unbekannt" if lang == "de" else "unknown"
    if isinstance(value, bool):
        return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang == "de" else text
    if isinstance(value, list):
        return ", ".join(format_fact(v, lang, names) for v in value)
    return str(value)


def _fill(
    kb: KnowledgeBase,
    template: str,
    values: Mapping[str, Value | tuple[float, float]],
    lang: str,
) -> str:
    if "{" not in template:
        return template
    out = template
    for name, value in values.items():
        if name == "lesion.label":  # the id with the word and the level: "Läsion L1 (LWK 2)"
            level = values.get("lesion.level")
            text = kb.labels.lesion(str(value), str(level) if level else None, lang)
        elif value is None:
            # An unknown value reads as words, never as "unbekannt ml/min": its unit goes too.
            fact = _CATALOGUE.get(name)
            unit = rf"(?:\s*{re.escape(fact.unit)})?" if fact is not None and fact.unit else ""
            words = "nicht bekannt" if lang == "de" else "not known"
            out = re.sub(re.escape("{" + name + "}") + unit, words, out, flags=re.IGNORECASE)
            continue
        else:
            info = kb.facts.get(name)
            text = format_fact(value, lang, info.values if info is not None else None)
            if (
                isinstance(value, tuple)
                and name in _CATALOGUE
                and _CATALOGUE[name].type == "float"
                and info is not None
                and info.range is not None
            ):
                # A measured value open to one end of its plausible range is a bound ("ab
                # 2,61"): an ionised calcium tells the category of the corrected one, not its
                # value. (A score's range, counted in points, stays a range.)
                lo, hi = value
                if hi >= info.range[1] > lo:
                    text = ("ab " if lang == "de" else "at least ") + format_fact(lo, lang)
                elif lo <= info.range[0] < hi:
                    text = ("bis " if lang == "de" else "at most ") + format_fact(hi, lang)
        out = out.replace("{" + name + "}", text)
    return out


def _item_text(kb: KnowledgeBase, hit: _Hit) -> Text:
    rule = hit.rule
    if hit.alternatives:
        text = kb.actions[rule.rule.action].alternatives_text
        assert text is not None  # set only then (_items)
        return text
    if not hit.joined:
        return _rule_text(kb, hit)
    # A request list: every rule's text once, in the order of the hits.
    parts = dict.fromkeys(_rule_text(kb, h) for h in hit.joined)
    if len(parts) == 1:
        return next(iter(parts))
    return Text(de=" ".join(t.de for t in parts), en=" ".join(t.en for t in parts))


def _rule_text(kb: KnowledgeBase, hit: _Hit) -> Text:
    """The text of the hit's own rule, its placeholders filled in."""
    rule = hit.rule
    base = rule.rule.text or kb.actions[rule.rule.action].text
    if not rule.placeholders:
        return base  # nothing to fill in (a Text is frozen, so it can be shared)
    vals = {name: hit.values.get(name) for name in rule.placeholders}
    if "lesion.label" in vals:
        vals["lesion.level"] = hit.values.get("lesion.level")
    # The same rule with the same values (each with its type) reads the same in every case.
    key = (
        rule.order,
        *[(v.__class__, tuple(v) if isinstance(v, list) else v) for v in vals.values()],
    )
    texts = kb.item_texts
    text = texts.get(key)
    if text is None:
        if len(texts) >= MAX_TEXTS:
            texts.clear()
        text = texts[key] = Text(
            de=_fill(kb, base.de, vals, "de"), en=_fill(kb, base.en, vals, "en")
        )
    return text


#: Item texts kept per knowledge base at most; the store starts afresh when full.
MAX_TEXTS = 4096


def _shown_values(rule: CompiledRule, scope: _Scope) -> dict[str, Value | tuple[float, float]]:
    """The values the rule's text names: an unknown number as its interval."""
    shown: dict[str, Value | tuple[float, float]] = {}
    for f in rule.placeholders:
        value = scope.value(f)
        bounds = scope.interval(f) if value is None and f in scope.intervals else None
        shown[f] = bounds if bounds is not None else value
    if "lesion.label" in shown and "lesion.level" not in shown:
        shown["lesion.level"] = scope.value("lesion.level")  # named with the lesion's id
    return shown


@dataclass(frozen=True)
class _Wanted:
    """One condition of an item before the case paths behind its fact are named."""

    fact: str
    values: list[str | int | float | bool]
    text: Text
    #: The alternative it belongs to (ItemCondition.group).
    group: int = 0
    #: The item conditions built from it, by the case paths named (frozen, so shared by the
    #: cases and lesions whose verdict it is); bounded.
    built: dict[tuple[str, ...], ItemCondition] = field(
        default_factory=dict, compare=False, repr=False
    )

    def condition(self, paths: tuple[str, ...]) -> ItemCondition:
        """The item condition with the case paths behind the fact."""
        found = self.built.get(paths)
        if found is None:
            if len(self.built) >= MAX_BUILT:
                self.built.clear()
            found = self.built[paths] = ItemCondition(
                fact=self.fact,
                fields=list(paths),
                values=self.values,
                text=self.text,
                group=self.group,
            )
        return found


#: Item conditions kept per condition of a verdict at most (one per lesion id seen, mostly).
MAX_BUILT = 64


def _conditions(
    decision: _Decision,
    deciding: list[str],
    satisfying: Mapping[str, list[Value]],
    scope: _Scope,
    group: int = 0,
) -> list[_Wanted]:
    """Each deciding fact with the values that make the item apply, in words; a fact that
    every value satisfies is left out (unless nothing else would be said)."""
    out: list[_Wanted] = []
    loose: list[_Wanted] = []
    for name in deciding:
        domain = decision.domains.get(name, [])
        values = satisfying.get(name, [])
        if not values:
            continue
        store = scope.kb.wanted
        key = (name, group, *map(_hashable, values), None, *map(_hashable, domain))
        item: _Wanted | None = store.get(key)
        if item is None:
            info = scope.kb.facts.get(name)
            fact = _CATALOGUE[name]
            thresholds = scope.kb.thresholds.get(name, ())
            text = (
                condition_text(fact, info, values, domain, thresholds)
                if info is not None
                else Text(de=name, en=name)
            )
            item = _keep(
                store,
                key,
                _Wanted(
                    fact=name,
                    values=[v for v in values if not isinstance(v, list) and v is not None],
                    text=text,
                    group=group,
                ),
                MAX_WANTED,
            )
        (loose if len(values) == len(domain) else out).append(item)
    return out or loose


#: Conditions in words kept per knowledge base at most: verdicts share them (and the item
#: conditions built from them), so a large memo of verdicts stays small.
MAX_WANTED = 2048


def _hashable(value: Value) -> Any:
    """A value as part of a key: a list as a tuple, with its type (``[1]`` is not ``(1,)``
    and ``True`` is not ``1``)."""
    if isinstance(value, list):
        return (list, *value)
    return (value.__class__, value)


def _wanted(
    condition: Condition, decision: _Decision, scope: _Scope, runner: _Runner
) -> tuple[list[str], list[_Wanted]]:
    """(facts that decide an open item, its conditions): every alternative when the
    completions are few enough to run each, else those around the witnessing completion."""
    cover = _cover(condition, decision, runner, scope.kb)
    if cover is not None:
        deciding, groups = cover
        wanted: list[_Wanted] = []
        for number, group in enumerate(groups):
            wanted.extend(_conditions(decision, list(group), group, scope, number))
        return deciding, wanted
    near, satisfying = _satisfying(condition, decision, runner)
    return near, _conditions(decision, near, satisfying, scope)


def _fact_inputs(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """Per fact, the case fields it is derived from (a lesion's by their place in any lesion):
    those a case with nothing documented names as missing behind it. A function of the
    knowledge base, kept on it."""
    found = kb.fact_inputs
    if not found:
        from osteoboard.caseio import parse_case

        empty = parse_case({"id": "inputs", "lesions": [{"id": "L"}]})
        scores = compute_all(empty)
        prognosis = derive_prognosis(None, scores, kb.prognosis)
        for fs in (
            case_facts(empty, scores, prognosis, kb=kb),
            lesion_facts(empty.lesions[0], scores, kb=kb),
        ):
            found.update(
                (name, frozenset(field_key(path)[0] for path in paths))
                for name, paths in fs.missing.items()
                if paths
            )
    return found


#: Completions of an open rule's unknown facts run one by one at most to find every
#: alternative that makes it true; more, and the conditions are read around one witness.
MAX_COVER = 256
#: Alternatives named at most: a rule that needs more reads as its witnessing branch.
MAX_ALTERNATIVES = 4


def _cover(
    condition: Condition, decision: _Decision, runner: _Runner, kb: KnowledgeBase
) -> tuple[list[str], list[dict[str, list[Value]]]] | None:
    """The completions that make an open rule true, as alternatives: each a set of values per
    fact (facts free in it left out) all of whose combinations make the rule true, together
    covering every completion that does, the one around the witness first. A disjunction
    (corrected calcium at least 3.0, or above 2.6 with symptoms) reads as both branches, not
    only the one the witness took. None when the completions are too many, when a run needs a
    fact with nothing to try, or when the alternatives are too many to read."""
    if decision.witness is None:
        return None
    names = [name for name in condition.facts if name in decision.domains]
    domains = [decision.domains[name] for name in names]
    size = 1
    for domain in domains:
        size *= len(domain)
    if not names or size == 0 or size > MAX_COVER:
        return None
    flats = [_FLAT[name] for name in names]
    position = {flat: k for k, flat in enumerate(flats)}
    # The outcome of every completion, run in branches that end where CEL decides without the
    # facts still undefined (as in _deciding): most completions share a run.
    variables = runner.start()
    true: dict[tuple[int, ...], bool] = {}
    point: list[int | None] = [None] * len(names)

    def branch() -> bool:
        result, needed = _execute_needing(condition, runner)
        if result is not None:
            free = [
                range(len(d)) if at is None else (at,) for at, d in zip(point, domains, strict=True)
            ]
            true.update(dict.fromkeys(itertools.product(*free), result))
            return True
        k = position.get(needed) if needed is not None else None
        if k is None or point[k] is not None:
            return False  # needs a fact with nothing to try
        for at, value in enumerate(domains[k]):
            variables[flats[k]] = value
            point[k] = at
            if not branch():
                return False
        del variables[flats[k]]
        point[k] = None
        return True

    complete = branch()
    runner.start()
    if not complete:
        return None
    # Completions that break an implication between facts tried as if free of each other (a
    # lesion's high-grade compression without "a spinal lesion with high-grade compression")
    # cannot occur: no alternative starts from one, and one may join any alternative.
    index = {name: k for k, name in enumerate(names)}
    links = [(index[a], index[b]) for a, b in kb.implications if a in index and b in index]

    def impossible(p: tuple[int, ...]) -> bool:
        return any(domains[i][p[i]] is True and domains[j][p[j]] is False for i, j in links)

    witness = decision.witness
    # The witnessing completion first (facts it left open at their first value that fits).
    ordered = sorted(
        (p for p, holds in true.items() if holds and not (links and impossible(p))),
        key=lambda p: (
            sum(
                1
                for flat, domain, at in zip(flats, domains, p, strict=True)
                if flat in witness and domain[at] != witness[flat]
            ),
            p,
        ),
    )
    covered: set[tuple[int, ...]] = set()
    cubes: list[list[set[int]]] = []
    for start in ordered:
        if start in covered:
            continue
        sets = [{at} for at in start]
        for k, domain in enumerate(domains):
            for at in range(len(domain)):
                if at in sets[k]:
                    continue
                others = [sorted(s) if i != k else [at] for i, s in enumerate(sets)]
                if all(true[p] or (links and impossible(p)) for p in itertools.product(*others)):
                    sets[k].add(at)
        covered.update(itertools.product(*sets))
        cubes.append(sets)
    # An alternative that another contains adds nothing.
    cubes = [
        c
        for i, c in enumerate(cubes)
        if not any(
            j != i and all(a <= b for a, b in zip(c, other, strict=True)) and c != other
            for j, other in enumerate(cubes)
        )
    ]
    found = [
        {
            name: [domain[at] for at in sorted(s)]
            for name, domain, s in zip(names, domains, cube, strict=True)
            if len(s) < len(domain)
        }
        for cube in cubes
    ]
    # Facts derived from the same inputs (a new deficit, any deficit) are tried as if they
    # were free of each other, so some alternatives only swap one for the other. After the
    # first, an alternative is named when it needs less than one named before, or when it
    # reads an input that none named before reads.
    inputs = _fact_inputs(kb)
    groups: list[dict[str, list[Value]]] = []
    read: set[str] = set()
    for group in found:
        if groups and not (
            any(group.keys() < earlier.keys() for earlier in groups)
            or any(not inputs.get(name, {name}) <= read for name in group)
        ):
            continue
        groups.append(group)
        for name in group:
            read |= inputs.get(name, {name})
    if len(groups) > MAX_ALTERNATIVES:
        return None
    deciding = [name for name in names if any(name in g for g in groups)]
    return deciding, groups


def _open_status(rule: CompiledRule, kb: KnowledgeBase) -> ItemStatus:
    """What an open outcome with a documented trigger gives (SPEC §4.1)."""
    action = kb.actions[rule.rule.action]
    if action.discipline == "emergency":
        return ItemStatus.suspected
    if rule.rule.conditional == "always":
        return ItemStatus.conditional
    return ItemStatus.firm if action.harm == "preventing" else ItemStatus.conditional


def _fired_status(rule: CompiledRule, kb: KnowledgeBase) -> ItemStatus:
    if kb.actions[rule.rule.action].discipline == "emergency":
        return ItemStatus.suspected if rule.rule.status == "suspected" else ItemStatus.confirmed
    return ItemStatus.firm


@dataclass(frozen=True)
class _Verdict:
    """What a rule gives on the values of the facts it reads, before the scope's own names
    (lesion, case paths) are put in: lesions that agree on those values share one."""

    outcome: bool | None
    #: The item's status, or None when the rule gives no item.
    status: ItemStatus | None = None
    #: Unknown facts whose inputs are reported as missing data (when not fired).
    deciding: tuple[str, ...] = ()
    conditions: tuple[_Wanted, ...] | None = None


_SILENT = _Verdict(False)
#: A fired rule's verdict, by its item's status.
_FIRED = {status: _Verdict(True, status) for status in ItemStatus}


def _judge(
    kb: KnowledgeBase, rule: CompiledRule, decision: _Decision, scope: _Scope, runner: _Runner
) -> _Verdict:
    """What a decided condition gives: an item (and its status), missing data, or nothing."""
    if decision.outcome is False:
        return _SILENT
    if decision.outcome is True:
        return _FIRED[_fired_status(rule, kb)]
    # Open: some completion of the unknown facts makes the rule true, another does not. An
    # item needs a documented finding behind it. Without one, a rule that a single open fact
    # settles still gives a conditional item (never an emergency): one answer decides it, so
    # it is not "conditional on everything".
    action = kb.actions[rule.rule.action]
    status: ItemStatus | None = None
    conditions: list[_Wanted] | None = None
    deciding: list[str] = []
    condition = rule.condition
    if rule.rule.conditional != "never":
        if scope.once(
            "triggered",
            condition,
            functools.partial(_triggered, condition, decision, scope, runner),
        ):
            status = _open_status(rule, kb)
        elif (
            action.discipline != "emergency"
            and rule.rule.conditional != "supported"
            and len(
                scope.once(
                    "deciding",
                    condition,
                    functools.partial(
                        _deciding, condition, runner, decision.tried, decision.domains
                    ),
                )
            )
            == 1
        ):
            status = ItemStatus.conditional
    if decision.witness is None:
        # Open only through a fact with nothing to try (a vertebral level not yet reported):
        # no completion is known to make the rule true, so nothing to propose; the fact still
        # counts as missing data.
        status = None
    if status is not None:
        near, conditions = scope.once(
            "conditions", condition, functools.partial(_wanted, condition, decision, scope, runner)
        )
        deciding = near or decision.tried
    if not conditions:  # an item must say what it waits for
        status = None
        deciding = scope.once(
            "deciding",
            condition,
            functools.partial(_deciding, condition, runner, decision.tried, decision.domains),
        )
    return _distinct(
        kb,
        _Verdict(None, status, tuple(deciding), None if conditions is None else tuple(conditions)),
    )


def _distinct(kb: KnowledgeBase, verdict: _Verdict) -> _Verdict:
    """One object for equal verdicts: a few thousand distinct ones serve tens of thousands of
    memo entries. Conditions are told apart by identity (they are shared objects, see
    :func:`_conditions`; an interned verdict keeps its own alive, so their ids stay theirs)."""
    store = kb.verdict_values
    key = (
        verdict.outcome,
        verdict.status,
        verdict.deciding,
        None if verdict.conditions is None else tuple(map(id, verdict.conditions)),
    )
    found: _Verdict | None = store.get(key)
    if found is None:
        found = _keep(store, key, verdict, MAX_VERDICT_VALUES)
    return found


#: Distinct verdicts kept per knowledge base at most.
MAX_VERDICT_VALUES = 4096


class _Collector:
    """Items, missing inputs and question candidates gathered over every scope of a case."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.hits: list[_Hit] = []
        #: Per tuple of missing case paths recorded (by id): the tuple, the most urgent rank
        #: of the rules recorded for it, and those rules (with lesion) in order found.
        self._groups: dict[int, tuple[tuple[str, ...], list[int], list[tuple[int, str]]]] = {}
        self._recorded = 0
        self.asks: list[_Ask] = []
        #: The case paths behind a set of case facts.
        self._shared_paths: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._becauses: dict[tuple[str, type, Any], Because] = {}
        self._case: dict[str, Because] = {}

    def needs(self) -> tuple[dict[str, dict[str, None]], dict[str, int]]:
        """Per missing case path, the rules (with lesion) it could change in the order they
        were recorded, and the rank of the most urgent of them.

        Rules are recorded per tuple of paths, and each path's list is put together once at
        the end: a case fact that stands for a field of every lesion is recorded for every
        lesion's rules, and adding each rule to each path as it came cost the square of the
        lesions."""
        ranks: dict[str, int] = {}
        lists: dict[str, list[list[tuple[int, str]]]] = {}
        for paths, (rank_no,), recorded in self._groups.values():
            for path in paths:
                if rank_no < ranks.get(path, len(_MISSING_RANK)):
                    ranks[path] = rank_no
                lists.setdefault(path, []).append(recorded)
        needs: dict[str, dict[str, None]] = {}
        for path, runs in lists.items():
            # Each list is in recording order; sorting their concatenation merges them.
            merged = runs[0] if len(runs) == 1 else sorted(itertools.chain.from_iterable(runs))
            needs[path] = dict.fromkeys(map(_SECOND, merged))
        return needs, ranks

    def _because(self, rule: CompiledRule, scope: _Scope) -> list[Because]:
        """The known facts a rule gives as its reasons (each fact and value built once per
        case); assumed ones are left out."""
        values, assumed, built, case = scope.values, scope.assumed, self._becauses, self._case
        shown_if = self.kb.shown_if
        out = []
        for fact in rule.because:
            item = case.get(fact)  # a case fact has one value in every scope of the case
            if item is None:
                value = values[fact]
                # An empty text (the vertebral level of a lesion outside the spine) says nothing.
                if value is None or value == "" or fact in assumed:
                    continue
                gate = shown_if.get(fact)
                if gate is not None and values[gate] is not True:
                    continue
                key = (fact, value.__class__, tuple(value) if isinstance(value, list) else value)
                item = built.get(key)
                if item is None:
                    item = built[key] = _shared_because(key, fact, value)
                if fact not in _LESION_FACTS:
                    case[fact] = item
            out.append(item)
        return out

    def add(
        self,
        rule: CompiledRule,
        verdict: _Verdict,
        scope: _Scope,
        lesion: tuple[str, int, str] | None,
    ) -> None:
        """Record what one rule gave on one scope; ``lesion`` is (id, order, level)."""
        lesion_id, lesion_order, lesion_level = lesion if lesion else (None, -1, "")
        status = verdict.status
        if status is not None:
            assumed = _relied_on(rule.condition, verdict.outcome, scope)
            because = self._because(rule, scope)
            conditions = (
                None
                if verdict.conditions is None
                else [c.condition(scope.paths(c.fact)) for c in verdict.conditions]
            )
            self.hits.append(
                _Hit(
                    rule,
                    lesion_id,
                    lesion_order,
                    because,
                    _shown_values(rule, scope),
                    status,
                    verdict.outcome is None,
                    conditions,
                    assumed,
                )
            )
        if verdict.outcome is True or not verdict.deciding:
            return
        action = self.kb.actions[rule.rule.action]
        item_label = rule.rule.action + (f"[{lesion_id}]" if lesion_id else "")
        label = rule.rule.id + (f"[{lesion_id}]" if lesion_id else "")
        priority = "urgent" if action.discipline == "emergency" else rule.rule.priority.value
        emergency = action.discipline == "emergency"
        present = status is not None
        # Questions first about emergencies on the list, then about urgent items on it (the
        # fork of an emergency's treatment: operable?), then screening: about emergencies and
        # urgent steps that no documented finding raises yet; then the rest.
        if present and emergency:
            tier = 0
        elif present and priority == "urgent":
            tier = 1
        elif emergency or (not present and priority == "urgent"):
            tier = _SCREENING_TIER
        else:
            tier = 3
        rank = (tier, _MISSING_RANK[priority], 0 if present else _ABSENT, rule.order, lesion_order)
        rank_no = _MISSING_RANK[priority]
        shared: list[str] = []
        infos = self.kb.facts
        for fact in verdict.deciding:
            paths = scope.paths(fact)
            if fact.startswith("lesion."):
                self._record(paths, label, rank_no)
            else:
                shared.append(fact)
            info = infos.get(fact)
            if (
                info is not None
                and info.asked_if is not None
                and scope.values.get(info.asked_if) is not True
            ):
                continue  # a follow-up waits for the answer it follows
            if paths:
                self.asks.append(
                    _Ask(
                        rank,
                        fact,
                        paths,
                        lesion_id if fact.startswith("lesion.") else None,
                        item_label,
                        priority,
                        lesion_level if fact.startswith("lesion.") else "",
                    )
                )
        if shared:
            # The paths of the case facts a rule needs, as one tuple per set of facts: a
            # case fact can stand for a field of every lesion and come with every lesion.
            key = tuple(shared)
            joined = self._shared_paths.get(key)
            if joined is None:
                joined = self._shared_paths[key] = tuple(
                    dict.fromkeys(p for fact in shared for p in scope.paths(fact))
                )
            self._record(joined, label, rank_no)

    def _record(self, paths: tuple[str, ...], label: str, rank_no: int) -> None:
        """Add a rule (label) to the users of missing paths; the most urgent rank is kept per
        tuple of paths."""
        if not paths:
            return
        group = self._groups.get(id(paths))
        if group is None:
            group = self._groups[id(paths)] = (paths, [rank_no], [])
        elif rank_no < group[1][0]:
            group[1][0] = rank_no
        self._recorded += 1
        group[2].append((self._recorded, label))


#: Reasons already built, shared between cases: a Because is frozen, and the same fact and
#: value recur from case to case. Bounded; starts afresh when full. (Within a case the
#: collector keeps its own map, so one fact and value stay one object there.)
_BECAUSES: dict[tuple[str, type, Any], Because] = {}
MAX_BECAUSES = 4096


#: Missing data and questions already built, shared between cases: each is frozen and a
#: function of the strings in its key. Bounded; starts afresh when full.
_VALUES: dict[tuple[Any, ...], Any] = {}
MAX_VALUES = 4096


def _keep(store: dict[Any, Any], key: Any, value: _T, limit: int) -> _T:
    """Put ``value`` into one of the bounded stores shared between cases (started afresh when
    full) and return it."""
    if len(store) >= limit:
        store.clear()
    store[key] = value
    return value


def _store(key: tuple[Any, ...], value: _T) -> _T:
    return _keep(_VALUES, key, value, MAX_VALUES)


def _shared_missing(path: str, priority: str, users: Iterable[str]) -> MissingData:
    """The missing input ``path`` and the scores and rules it could change."""
    key = (MissingData, path, priority, *users)
    found: MissingData | None = _VALUES.get(key)
    if found is None:
        found = _store(key, MissingData(field=path, needed_for=list(key[3:]), priority=priority))
    return found


def _shared_because(key: tuple[str, type, Any], fact: str, value: Value) -> Because:
    found = _BECAUSES.get(key)
    if found is None:
        found = _keep(_BECAUSES, key, Because(fact=fact, value=value), MAX_BECAUSES)
    return found


#: Fact keys by their numbers: memo keys are tuples of small numbers, not of nested tuples
#: (hashed on every look-up, and a few hundred bytes each). Numbers are never reused, so a
#: table started afresh only costs verdicts found again.
_KEY_NUMBERS: dict[tuple[Any, ...], int] = {}
_NEXT_KEY_NUMBER = itertools.count()
MAX_KEY_NUMBERS = 50_000


def _key_number(key: tuple[Any, ...]) -> int:
    found = _KEY_NUMBERS.get(key)
    if found is None:
        found = _keep(_KEY_NUMBERS, key, next(_NEXT_KEY_NUMBER), MAX_KEY_NUMBERS)
    return found


def _cell(value: Any, thresholds: tuple[float, ...]) -> tuple[int, bool]:
    """Where a number lies among the literals the rules compare its fact with: how many lie
    below it, and whether it equals the next. Rules read a number only through such
    comparisons (linted on load), so every value of one cell gives every rule the same
    outcome."""
    at = bisect.bisect_left(thresholds, value)
    return at, at < len(thresholds) and thresholds[at] == value


def _fact_key(name: str, scope: _Scope) -> tuple[Any, ...]:
    """What a rule's outcome can depend on of one fact in a scope: its value (with its type,
    and whether it was assumed; for a number, its cell among the thresholds), or for an
    unknown fact the values it can still take."""
    value = scope.values[name]
    thresholds = scope.kb.thresholds.get(name)
    if value is None:
        # The point a measurement narrows it to counts too (it decides whether an open rule
        # is supported: a normal total calcium without albumin), by its cell as tried.
        estimate = scope.estimates.get(name)
        if estimate is not None and thresholds is not None:
            tried = int(estimate) if _CATALOGUE[name].type == "int" else estimate
            return (None, tuple(scope.unknown(name)[0]), _cell(tried, thresholds))
        return (None, tuple(scope.unknown(name)[0]), estimate)
    if thresholds is not None:  # a number compared with literals (the only way rules read one)
        shown: Any = _cell(value, thresholds)
    else:
        shown = tuple(value) if isinstance(value, list) else value
    return (name in scope.assumed, value.__class__, shown)


#: A merged item: the hit whose text and status it takes, its sources, facts and assumptions.
_Merged = tuple[_Hit, list[str], list[Because], list[Assumption]]


def _merge(group: Sequence[_Hit]) -> _Merged:
    """One item from hits with the same code and lesion: the most urgent hit's text, the
    sources, facts and assumptions of all."""
    kept = group[0]
    # A fact and value have one Because within a case (_Collector._because), so the same
    # fact and value is the same object.
    reasons = kept.because if len(group) == 1 else [b for hit in group for b in hit.because]
    because = list(dict(zip(map(id, reasons), reasons, strict=True)).values())
    if len(group) == 1:
        return kept, list(dict.fromkeys(kept.rule.rule.sources)), because, list(kept.assumed or ())
    sources = list(dict.fromkeys(s for hit in group for s in hit.rule.rule.sources))
    assumed: list[Assumption] = []
    for hit in group:
        assumed.extend(a for a in hit.assumed or () if a not in assumed)
        if _PRIORITY_RANK[hit.rule.rule.priority] < _PRIORITY_RANK[kept.rule.rule.priority]:
            kept = hit
    return kept, sources, because, assumed


def _items(
    kb: KnowledgeBase, hits: Sequence[_Hit]
) -> list[tuple[_Hit, list[str], list[Because], list[Assumption]]]:
    """Merge hits per code and lesion. An item that holds on every completion replaces the
    open ones for the same code and lesion; open harm-preventing steps and suspected
    emergencies merge like settled ones; conditional items stay apart per text, since each
    names its own conditions."""
    groups: dict[tuple[str, str | None], list[_Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.rule.rule.action, hit.lesion), []).append(hit)
    out = []
    for group in groups.values():
        settled = [h for h in group if not h.open]
        if settled:
            confirmed = [h for h in settled if h.status is not ItemStatus.suspected]
            chosen = confirmed or settled
            merged = _merge(chosen)
            # An open hit that is no mere condition (a suspected instability's urgent consult)
            # keeps its urgency when a settled hit gives the same step less urgently: the step
            # is certain, and a suspected emergency decides how soon.
            rank = _PRIORITY_RANK[merged[0].rule.rule.priority]
            sooner = [
                h
                for h in group
                if h.open
                and h.status is not ItemStatus.conditional
                and _PRIORITY_RANK[h.rule.rule.priority] < rank
            ]
            if sooner:
                _, sources, because, assumed = _merge([*chosen, *sooner])
                kept = copy.copy(merged[0])
                kept.priority = min(
                    (h.rule.rule.priority for h in sooner), key=_PRIORITY_RANK.__getitem__
                )
                merged = (kept, sources, because, assumed)
            out.append(_joined(kb, merged, [*chosen, *sooner]))
            continue
        sure = [h for h in group if h.status is not ItemStatus.conditional]
        if sure:
            # An open emergency is suspected: its text is that of a rule written for the
            # suspicion, never that of the confirmed one ("im MRT gesichert").
            merged = _merge(sorted(sure, key=lambda h: h.rule.rule.status != "suspected"))
            out.append(_joined(kb, merged, sure))
            continue
        # Conditional only: one item whose condition groups are the alternatives; its text is
        # that of the branch with the fewest open conditions.
        ranked = sorted(group, key=lambda h: (len(h.conditions or ()), h.rule.order))
        _, sources, because, assumed = _merge(ranked)
        conditions: list[ItemCondition] = []
        seen: list[frozenset[tuple[str, str]]] = []
        for hit in ranked:
            branches: dict[int, list[ItemCondition]] = {}
            for c in hit.conditions or ():
                branches.setdefault(c.group, []).append(c)
            for branch in branches.values():
                key = frozenset((c.fact, c.text.de) for c in branch)
                # A branch that needs everything an earlier one needs, and more, adds
                # nothing: A or (A and B) is A.
                if any(earlier <= key for earlier in seen):
                    continue
                group_no = len(seen)
                seen.append(key)
                conditions.extend(_in_group(c, group_no) for c in branch)
        first = copy.copy(ranked[0])
        first.conditions = conditions
        # Branches of rules whose texts name different reasons (a short prognosis, or unfit
        # for surgery): the action's text for alternatives, when it has one.
        first.alternatives = (
            len(seen) > 1
            and kb.actions[first.rule.rule.action].alternatives_text is not None
            and len({h.rule.rule.text for h in ranked}) > 1
        )
        out.append((first, sources, because, assumed))
    return out


def _joined(kb: KnowledgeBase, merged: _Merged, hits: Sequence[_Hit]) -> _Merged:
    """The merged item, its text joined from every hit when its action is a request list:
    most urgent first, then in knowledge-base order, without the hits whose request another
    hit's text already makes (``covers``)."""
    kept = merged[0]
    if len(hits) == 1 or not kb.actions[kept.rule.rule.action].joins_texts:
        return merged
    covered = {rule_id for h in hits for rule_id in h.rule.rule.covers}
    texts = sorted(
        {h.rule.order: h for h in hits if h.rule.rule.id not in covered}.values(),
        key=lambda h: (_PRIORITY_RANK[h.rule.rule.priority], h.rule.order),
    )
    if not texts:  # rules that cover each other: the merged item's own text
        return merged
    item = copy.copy(kept)
    item.joined = tuple(texts)
    return (item, *merged[1:])


def _in_group(condition: ItemCondition, group: int) -> ItemCondition:
    """The condition as one of the alternative group ``group`` (frozen, so shared: the store
    holds the condition it was made from, so that its id stays valid)."""
    if condition.group == group:
        return condition
    key = (ItemCondition, id(condition), group)
    found: tuple[ItemCondition, ItemCondition] | None = _VALUES.get(key)
    if found is None:
        grouped = ItemCondition(
            fact=condition.fact,
            fields=condition.fields,
            values=condition.values,
            text=condition.text,
            group=group,
        )
        found = _store(key, (condition, grouped))
    return found[1]


def _assemble(
    kb: KnowledgeBase, hits: Sequence[_Hit]
) -> tuple[list[Recommendation], list[Recommendation], list[Warning]]:
    emergencies: list[tuple[tuple[Any, ...], Recommendation]] = []
    recs: list[tuple[tuple[Any, ...], Recommendation]] = []
    warns: list[tuple[tuple[Any, ...], Warning]] = []
    for hit, sources, because, assumed in _items(kb, hits):
        rule = hit.rule.rule
        action = kb.actions[rule.action]
        text = _item_text(kb, hit)
        conditions = hit.conditions or []
        open_rank = 1 if hit.status is ItemStatus.conditional else 0
        if action.discipline == "warning":
            warns.append(
                (
                    (open_rank, hit.rule.order, hit.lesion_order),
                    Warning(
                        code=rule.action,
                        lesion=hit.lesion,
                        text=text,
                        because=because,
                        sources=sources,
                        rule=rule.id,
                        status=hit.status,
                        conditions=conditions,
                        assumed=assumed,
                    ),
                )
            )
            continue
        priority = (
            Priority.urgent if action.discipline == "emergency" else hit.priority or rule.priority
        )
        rec = Recommendation(
            code=rule.action,
            discipline=action.discipline,
            lesion=hit.lesion,
            priority=priority,
            strength=rule.strength,
            text=text,
            because=because,
            sources=sources,
            rule=rule.id,
            status=hit.status,
            conditions=conditions,
            assumed=assumed,
        )
        sort_key = (
            _DISCIPLINE_RANK[action.discipline],
            _PRIORITY_RANK[priority],
            open_rank,
            hit.rule.order,
            hit.lesion_order,
        )
        (emergencies if action.discipline == "emergency" else recs).append((sort_key, rec))
    return (
        [r for _, r in sorted(emergencies, key=lambda x: x[0])],
        [r for _, r in sorted(recs, key=lambda x: x[0])],
        [w for _, w in sorted(warns, key=lambda x: x[0])],
    )


class _QuestionDraft:
    """A question being gathered: its first ask, and (in order, each once) the items it
    decides and the fields that answer it."""

    def __init__(self, ask: _Ask) -> None:
        self.ask = ask
        #: The most urgent priority of the items it decides.
        self.priority = ask.priority
        self.items: dict[str, None] = {ask.item: None}
        self.fields: dict[str, None] = dict.fromkeys(ask.fields)
        #: Tuples of fields already added: a case fact's tuple names a field of every lesion
        #: and comes with the asks of every lesion.
        self._merged = {id(ask.fields)}

    def add(self, ask: _Ask) -> None:
        self.items[ask.item] = None
        if _MISSING_RANK[ask.priority] < _MISSING_RANK[self.priority]:
            self.priority = ask.priority
        if id(ask.fields) not in self._merged:
            self._merged.add(id(ask.fields))
            for name in ask.fields:
                self.fields[name] = None


def _fold_repeated_fields(
    kb: KnowledgeBase, grouped: dict[str, list[_Ask]]
) -> dict[str, list[_Ask]]:
    """A question that asks only for fields an earlier one asks for too is one question with
    it, at the earlier place (one lesion's pain beside the question about every lesion's
    pain). A later question that asks for more takes an earlier one in only when its wording
    names exactly the fields still missing (a fact with ``inputs``: the clearance question
    then asks for the serum creatinine too); a broader question in other words (the
    prognosis, the Mirels criteria) would hide what the earlier one asks."""
    out: dict[str, list[_Ask]] = {}
    asked: dict[str, frozenset[str]] = {}

    def says(host: str, fields: frozenset[str], fact: str) -> bool:
        """Whether the earlier question's words ask for these fields: it asks for the same
        fact, or its wording names its inputs and these are among them. (The prognosis
        question asks for the team's estimate "or missing values such as LDH": folded into
        it, the castration status that decides the drug therapy went unasked.)"""
        if any(a.fact == fact for a in out[host]):
            return True
        info = kb.facts.get(out[host][0].fact)
        return (
            info is not None
            and bool(info.inputs)
            and {field_key(f)[0] for f in fields} <= set(info.inputs)
        )

    for key, group in grouped.items():
        mine = frozenset(f for ask in group for f in ask.fields)
        host = next(
            (k for k, theirs in asked.items() if mine <= theirs and says(k, mine, group[0].fact)),
            None,
        )
        if host is not None:
            out[host] = out[host] + group
            continue
        info = kb.facts.get(group[0].fact)
        # only a wording that can name every field it asks for (its inputs cover them)
        names_fields = (
            info is not None
            and bool(info.inputs)
            and {field_key(f)[0] for f in mine} <= set(info.inputs)
        )
        host = next((k for k, theirs in asked.items() if theirs < mine), None)
        if host is None or not names_fields:
            out[key], asked[key] = group, mine
            continue
        out[host], asked[host] = group + out[host], mine
        # Questions after it that the wider one now covers join it too.
        for other in [k for k in out if k != host and asked[k] <= mine]:
            out[host] += out.pop(other)
            del asked[other]
    return out


def _questions(kb: KnowledgeBase, asks: Sequence[_Ask]) -> list[Question]:
    """At most five questions: per unknown fact the most urgent item it decides, ranked by
    that item (emergencies first); facts that share a question are asked once."""
    # Every ask under its question, the most urgent first: facts behind the same case fields
    # are one question (the first one's wording), and so are facts the knowledge base asks
    # together (``asked_with``: its wording).
    grouped: dict[str, list[_Ask]] = {}
    keys: dict[tuple[tuple[str, ...], str | None], str] = {}
    for ask in sorted(asks, key=lambda a: a.rank):
        together = kb.facts[ask.fact].asked_with if ask.fact in kb.facts else None
        if together is None and ask.fact in kb.asked_together:
            together = ask.fact
        key = keys.get((ask.fields, ask.lesion_label))
        if together is not None:
            key = f"{together}@{ask.lesion_label or ''}"
        elif key is None:
            key = keys[(ask.fields, ask.lesion_label)] = (
                "|".join(sorted(ask.fields)) + "@" + (ask.lesion_label or "")
            )
        grouped.setdefault(key, []).append(ask)
    grouped = _fold_repeated_fields(kb, grouped)
    # The questions in that order, but only the first screening questions (those that decide
    # nothing on the proposal, only an emergency or urgent step no finding raises yet, and
    # maybe routine steps behind it) before the others: the first one, and then one for an
    # emergency that no question before it decides (a fracture beside the cord compression).
    # Further screening questions (the whole-spine MRI beside the neurology, which screen for
    # the same compression) take the places that stay free.
    chosen: list[str] = []
    deferred: list[str] = []
    last: list[str] = []
    screened = 0
    screened_for: set[str] = set()
    for key, group in grouped.items():
        info = kb.facts.get(group[0].fact)
        if info is not None and info.asked_last and group[0].rank[0] > 1:
            # Changes a supplement or a dose, no treatment: after the others, unless it
            # decides an emergency or an urgent item on the list.
            last.append(key)
            continue
        # The emergencies it decides, by code (a fracture at any lesion is one).
        codes = {
            code
            for a in group
            if kb.actions[code := a.item.split("[", 1)[0]].discipline == "emergency"
        }
        if group[0].rank[0] == _SCREENING_TIER and all(a.rank[2] == _ABSENT for a in group):
            if screened >= MAX_SCREENING_QUESTIONS or (screened and codes <= screened_for):
                deferred.append(key)
                continue
            screened += 1
        screened_for |= codes
        chosen.append(key)
    chosen = chosen[:MAX_QUESTIONS]
    chosen += deferred[: MAX_QUESTIONS - len(chosen)]
    chosen += last[: MAX_QUESTIONS - len(chosen)]
    by_text: dict[str, _QuestionDraft] = {}
    for key in chosen:
        first, *rest = grouped[key]
        draft = by_text[key] = _QuestionDraft(first)
        for ask in rest:
            draft.add(ask)
    out = []
    for key, draft in by_text.items():
        ask, items, fields = draft.ask, list(draft.items), list(draft.fields)
        info = kb.facts.get(ask.fact)
        # The shared wording only while the fact it belongs to is itself open: a documented
        # new deficit is not asked again beside its open Frankel grade.
        if (
            info is not None
            and info.asked_with is not None
            and (info.question is None or any(a.fact == info.asked_with for a in grouped[key]))
        ):
            info = kb.facts[info.asked_with]
        partial = _partial_question(kb, info, fields) if info is not None else None
        if partial is not None:
            de, en = partial.de, partial.en
        elif info is not None and info.question is not None:
            de, en = info.question.de, info.question.en
            if info.asked_with is not None:
                # Facts asked together whose shared wording does not apply (its own fact is
                # documented): each further fact behind other fields adds its own question
                # (the Frankel grade and radicular pain beside a documented new deficit).
                asked = set(ask.fields)
                for other in grouped[key]:
                    more = kb.facts.get(other.fact)
                    if more is None or more.question is None or set(other.fields) <= asked:
                        continue
                    asked.update(other.fields)
                    de, en = f"{de} {more.question.de}", f"{en} {more.question.en}"
        else:
            names = {
                lang: list(dict.fromkeys(kb.labels.field(f, lang) for f in ask.fields))
                for lang in ("de", "en")
            }
            de = "Bitte ergänzen: " + ", ".join(names["de"])
            en = "Please complete: " + ", ".join(names["en"])
        if ask.lesion_label:
            name_de = kb.labels.lesion(ask.lesion_label, ask.lesion_level, "de")
            name_en = kb.labels.lesion(ask.lesion_label, ask.lesion_level, "en")
            de, en = (
                f"{name_de[:1].upper()}{name_de[1:]}: {de}",
                f"{name_en[:1].upper()}{name_en[1:]}: {en}",
            )
        # Frozen, and a function of these strings: shared between cases.
        known = (Question, ask.fact, de, en, draft.priority, len(fields), *fields, *items)
        question: Question | None = _VALUES.get(known)
        if question is None:
            question = _store(
                known,
                Question(
                    fact=ask.fact,
                    fields=fields,
                    text=Text(de=de, en=en),
                    decides=items,
                    priority=draft.priority,
                ),
            )
        out.append(question)
    return out


def _partial_question(kb: KnowledgeBase, info: FactInfo, fields: Sequence[str]) -> Text | None:
    """The question for a value derived from several fields when only some of them are
    missing: the one field's own question, or the fact's partial wording naming them; None
    when all are missing (the fact's own question) or the fact names no inputs."""
    # A lesion's fields are named by their place in any lesion (lesions[L1].collapse is
    # lesions[].collapse): the question already names the lesion.
    asked = {field_key(f)[0] for f in fields}
    if not info.inputs or not asked < set(info.inputs):
        return None
    if len(fields) == 1:
        own = kb.facts.get(fields[0])
        if own is not None and own.question is not None and not own.inputs:
            return own.question
    if info.question_partial is None or (info.partial_for and not asked <= set(info.partial_for)):
        return None
    ordered = [f for f in info.inputs if f in asked]

    def name(path: str, lang: str) -> str:
        label = kb.labels.fields.get(path)  # a lesion's field without its index
        return label.say(lang) if label is not None else kb.labels.field(path, lang)

    names = {lang: join([name(f, lang) for f in ordered], lang) for lang in ("de", "en")}
    return Text(
        de=info.question_partial.de.replace("{fields}", names["de"]),
        en=info.question_partial.en.replace("{fields}", names["en"]),
    )


@dataclass(frozen=True)
class FiredRule:
    """One rule that fired, before items with the same code and lesion are merged."""

    rule: str
    action: str
    lesion: str | None
    status: str = "firm"


@dataclass
class _Run:
    scores: list[ScoreResult]
    prognosis: Any
    hits: list[_Hit]
    needs: dict[str, dict[str, None]]
    ranks: dict[str, int]
    asks: list[_Ask]


def _run(case: Case, kb: KnowledgeBase) -> _Run:
    scores = compute_all(case)
    prognosis = derive_prognosis(case.patient.life_expectancy_months, scores, kb.prognosis)
    out = _Collector(kb)
    case_scope = _Scope([case_facts(case, scores, prognosis, kb=kb)], kb)
    # The guards on case facts, tested once for the case rules and every lesion's rules.
    failing = kb.guard_index.failing(kb.guard_index.case_guards, case_scope.values)
    _case_rules(kb, case_scope, out, failing)
    _lesion_rules(kb, case, scores, case_scope, out, failing)
    needs, ranks = out.needs()
    return _Run(scores, prognosis, out.hits, needs, ranks, out.asks)


#: Verdicts kept per knowledge base at most (a few KB each); the memo starts afresh when full.
MAX_VERDICTS = 20_000


def _memo(kb: KnowledgeBase) -> dict[Any, _Verdict]:
    """The verdicts already reached, shared between cases: a rule's verdict is a function of
    the values (or, for an unknown fact, the values it can still take) of the facts it reads,
    so a case that repeats a pattern seen before is not explored again. Under
    :func:`reference_conditions` nothing is shared between cases."""
    if _REFERENCE[0]:
        return {}
    memo: dict[Any, _Verdict] = kb.verdicts
    if len(memo) >= MAX_VERDICTS:
        memo.clear()
    return memo


#: Case-rule verdict lists kept per knowledge base at most (about 2 KB each), and lesion-rule
#: ones (about 1 KB each); each store starts afresh when full.
MAX_CASE_VERDICT_LISTS = 512
MAX_LESION_VERDICT_LISTS = 1024


def _case_rules(kb: KnowledgeBase, scope: _Scope, out: _Collector, failing: int) -> None:
    """The case rules on the case; ``failing``: the guards on case facts that the case fails.

    Which rules a case's facts rule out, settle or leave open, and each verdict, are a
    function of the keys of the facts the case rules read (a guard or a comparison reads a
    number only through the thresholds in its key): a case that agrees with one seen before
    on all of them (the same patient evaluated again, at every opening of the chart) takes
    the verdicts from :attr:`KnowledgeBase.case_verdict_lists` and records them in the same
    order, each with this case's reasons."""
    lists: dict[Any, tuple[tuple[CompiledRule, _Verdict], ...]] | None = None
    case_key: tuple[int, ...] = ()
    if not _REFERENCE[0]:
        lists = kb.case_verdict_lists
        case_key = tuple([scope.key(name) for name in kb.case_facts_in_order])
        known = lists.get(case_key)
        if known is not None:
            for rule, verdict in known:
                out.add(rule, verdict, scope, None)
            return
    # Most rules fail a part they require on a known fact; the others are run on the facts
    # they read.
    masks = kb.guard_index.case_masks
    # Every known fact: the conditions read their own, and the facts the rules left read
    # would take longer to gather than the map takes to build.
    runner = scope.runner(
        _facts_read(r for r, m in zip(kb.case_rules, masks, strict=True) if not m & failing)
        if _REFERENCE[0]
        else None
    )
    memo = _memo(kb)
    given: list[tuple[CompiledRule, _Verdict]] = []
    for rule, mask in zip(kb.case_rules, masks, strict=True):
        if mask & failing:
            continue
        first = runner.first(rule.condition)  # most rules are settled by the known facts
        if first is False:
            continue
        if first is True:
            verdict = _FIRED[_fired_status(rule, kb)]
        else:
            key = (rule.order, *[scope.key(name) for name in rule.condition.facts])
            found = memo.get(key)
            if found is None:
                condition = rule.condition
                decision = scope.once(
                    "decide", condition, functools.partial(_decide_open, condition, scope, runner)
                )
                found = memo[key] = _judge(kb, rule, decision, scope, runner)
            verdict = found
        given.append((rule, verdict))
        out.add(rule, verdict, scope, None)
    if lists is not None:
        _keep(lists, case_key, tuple(given), MAX_CASE_VERDICT_LISTS)


def _lesion_rules(
    kb: KnowledgeBase,
    case: Case,
    scores: Sequence[ScoreResult],
    case_scope: _Scope,
    out: _Collector,
    case_failing: int,
) -> None:
    """The lesion rules on every lesion. A lesion rule's verdict depends on the values of the
    facts it reads; within one case only the lesion's can differ, so lesions that agree on the
    lesion facts a rule reads share its verdict (200 lesions of one kind are decided once,
    not 200 times), and so do cases that agree on all of them. A lesion that agrees with one
    seen before on every fact the lesion rules read (its own and the case's) takes all their
    verdicts at once from :attr:`KnowledgeBase.lesion_verdict_lists`."""
    verdicts = _memo(kb)
    lists: dict[Any, tuple[tuple[CompiledRule, _Verdict], ...]] | None = (
        None if _REFERENCE[0] else kb.lesion_verdict_lists
    )
    case_part: tuple[int, ...] | None = None
    case_keys: dict[int, tuple[int, ...]] = {}
    guards = kb.guard_index
    for index, lesion in enumerate(case.lesions):
        derived = _lesion_facts(lesion, scores, kb, case.board_date)
        lf = derived.facts
        scope = _Scope([lf], kb, base=case_scope)
        level = lf.values.get("lesion.level")
        where = (lesion.id, index, str(level or ""))
        lesion_key: tuple[Any, ...] = ()
        if lists is not None:
            if case_part is None:
                case_part = tuple([case_scope.key(name) for name in kb.lesion_rule_case_facts])
            # The lesion's facts (and so their keys) are one object for equal lesions while
            # the store of lesion facts keeps it: the object stands for them in the key.
            lesion_key = (case_part, derived)
            replay = lists.get(lesion_key)
            if replay is not None:
                for rule, verdict in replay:
                    out.add(rule, verdict, scope, where)
                continue
        #: Per rule in order, its verdict when the known facts settle it, or its memo key.
        chosen: list[tuple[CompiledRule, _Verdict | tuple[Any, ...]]] = []
        if derived.failing is None:
            # The lesion guards read lesion facts only (completed from the lesion's own).
            derived.failing = guards.failing(guards.lesion_guards, scope.values)
        failing = case_failing | derived.failing
        runner = scope.runner(kb.lesion_facts_read)
        for number, (rule, read, mask) in enumerate(
            zip(kb.lesion_rules, kb.lesion_facts_by_rule, guards.lesion_masks, strict=True)
        ):
            if mask & failing:
                continue
            # Most rules are settled by the known facts: one run, cheaper than the memo's key,
            # and only open verdicts are kept.
            first = runner.first(rule.condition)
            if first is False:
                continue
            if first is True:
                chosen.append((rule, _FIRED[_fired_status(rule, kb)]))
                continue
            shared = case_keys.get(number)
            if shared is None:
                shared = case_keys[number] = tuple(
                    case_scope.key(name) for name in kb.case_facts_by_rule[number]
                )
            chosen.append((rule, (rule.order, shared, *[scope.key(name) for name in read])))
        given: list[tuple[CompiledRule, _Verdict]] = []
        for rule, settled in chosen:
            if isinstance(settled, _Verdict):
                verdict = settled
            else:
                # Read each verdict once: another thread's evaluation may start the memo afresh.
                known: _Verdict | None = verdicts.get(settled)
                if known is None:
                    decision = scope.once(
                        "decide",
                        rule.condition,
                        functools.partial(_decide_open, rule.condition, scope, runner),
                    )
                    known = verdicts[settled] = _judge(kb, rule, decision, scope, runner)
                verdict = known
            if verdict is not _SILENT:
                given.append((rule, verdict))
                out.add(rule, verdict, scope, where)
        if lists is not None:
            _keep(lists, lesion_key, tuple(given), MAX_LESION_VERDICT_LISTS)


#: Lesion fact sets kept per knowledge base at most (a few KB each); the store starts afresh
#: when full.
MAX_LESION_FACTS = 128


class _LesionFacts:
    """A lesion's facts and the lesion guards they fail (found on first use)."""

    __slots__ = ("facts", "failing")

    def __init__(self, facts: FactSet) -> None:
        self.facts = facts
        self.failing: int | None = None


def _lesion_facts(
    lesion: Lesion, scores: Sequence[ScoreResult], kb: KnowledgeBase, board_date: date | None
) -> _LesionFacts:
    """The lesion's facts, shared between equal lesions of any case: they are a function of
    the lesion (its per-lesion scores are computed from its own fields), the knowledge base
    and, for a dated operation, the board date; the engine only reads them. A negative zero
    equals zero but reads "-0", so a lesion with one is derived on its own."""
    if _REFERENCE[0] or negative_zero(lesion.__dict__.values()):
        return _LesionFacts(lesion_facts(lesion, scores, kb=kb, board_date=board_date))
    store = kb.lesion_fact_sets
    key: Any = lesion if lesion.operation_date is None else (lesion, board_date)
    found: _LesionFacts | None = store.get(key)
    if found is None:
        if len(store) >= MAX_LESION_FACTS:
            store.clear()
        found = store[key] = _LesionFacts(
            lesion_facts(lesion, scores, kb=kb, board_date=board_date)
        )
    return found


def _facts_read(rules: Iterable[CompiledRule]) -> frozenset[str]:
    return frozenset(name for rule in rules for name in rule.condition.facts)


def definition_holds(case: Case, name: str, kb: KnowledgeBase | None = None) -> bool | None:
    """Whether a knowledge-base definition (``def.<name>``) holds for the case on its
    documented facts (None: undecided), for documents that speak of the same thing as the
    rules (the letter's words after a long paralysis)."""
    kb = kb or load_knowledge_base()
    found = [d for d in kb.definitions if d.definition.id == name]
    if not found:
        raise KeyError(f"no definition def.{name} in the knowledge base")
    condition = found[0].condition
    scores = compute_all(case)
    prognosis = derive_prognosis(case.patient.life_expectancy_months, scores, kb.prognosis)
    scope = _Scope([case_facts(case, scores, prognosis, kb=kb)], kb)
    return scope.runner(frozenset(condition.facts)).first(condition)


def trace(
    case: Case, kb: KnowledgeBase | None = None, *, open_items: bool = False
) -> list[FiredRule]:
    """Every rule that fired on every completion, in knowledge-base order (for review and
    tests); with ``open_items`` also the open rules that made a conditional, suspected or
    precautionary item (before items are merged)."""
    run = _run(case, kb or load_knowledge_base())
    return [
        FiredRule(h.rule.rule.id, h.rule.rule.action, h.lesion, h.status.value)
        for h in run.hits
        if open_items or not h.open
    ]


_RANK_NAMES: tuple[Literal["urgent", "soon", "routine", "score"], ...] = (
    "urgent",
    "soon",
    "routine",
    "score",
)


def _missing_data(
    needs: Mapping[str, Mapping[str, None]], ranks: Mapping[str, int]
) -> list[MissingData]:
    """Missing inputs, the most urgent first: an input that could change an urgent item
    (an emergency included) comes before one that could only change a score."""
    out = [_shared_missing(path, _RANK_NAMES[ranks[path]], users) for path, users in needs.items()]
    out.sort(key=lambda m: (_MISSING_RANK[m.priority], m.field))
    return out


def evaluate(case: Case, kb: KnowledgeBase | None = None) -> Proposal:
    """The full proposal for one case."""
    kb = kb or load_knowledge_base()
    run = _run(case, kb)
    emergencies, recommendations, warnings = _assemble(kb, run.hits)
    items = choose_schedules(kb, [*emergencies, *recommendations])
    emergencies = [i for i in items if i.discipline == "emergency"]
    recommendations = [i for i in items if i.discipline != "emergency"]
    needs, ranks = run.needs, run.ranks
    for path, users in missing_from_scores(run.scores).items():
        needs.setdefault(path, {}).update(dict.fromkeys(users))
        # A score ranks as "score" (unless a rule has the same id, as the label is looked up).
        best = min(
            _MISSING_RANK[kb.missing_priority.get(u.split("[", 1)[0], "score")] for u in users
        )
        ranks[path] = min(ranks.get(path, best), best)
    return Proposal(
        case_id=case.id,
        engine_version=__version__,
        knowledge_base=KnowledgeBaseInfo(version=kb.version, sha256=kb.sha256),
        prognosis=run.prognosis,
        scores=run.scores,
        emergencies=emergencies,
        recommendations=recommendations,
        warnings=warnings,
        missing_data=_missing_data(needs, ranks),
        questions=_questions(kb, run.asks),
    )
