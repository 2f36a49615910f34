"""Comparison: what a run changed, test by test, against a base run.

A verdict is absolute: it says whether a regression test matched its
baseline. That is not what a reviewer of a change asks. A test that has failed
for a month fails in every run, and listing it beside the test this change
broke hides the one that matters. So the verdicts stay as ``verdicts.py``
decides them, and this module only reads two of them side by side: the run
under review (*here*) and a base run (*base*, for instance the newest
completed run of the main branch), and names what happened to each test of
the run's scope (``Kind``). The rules in plain words are in
``docs/verdicts.md`` ("Relative verdicts").

Like the verdict service, everything here takes plain rows or values, never
models or a session, and never decides pass or fail itself: the statuses come
from ``verdicts.statuses``. A run's rows become one small ``Side`` per test
(``sides``), and ``kind`` compares two of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import (Any, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple)

from mod_api.verdicts import RunState, Status, facts_by_test, statuses


class Kind(str, enum.Enum):
    """What happened to one regression test between the base run and this run."""

    broken_here = 'broken_here'  # fails here, passed in the base
    fixed_here = 'fixed_here'  # passes here, failed in the base
    failing_differently = 'failing_differently'  # fails on both sides, not in the same way
    failing_identically = 'failing_identically'  # fails on both sides, same exit code and same output hashes
    unchanged_pass = 'unchanged_pass'  # passes on both sides
    no_reference = 'no_reference'  # the base did not hold the test (or there is no base)
    not_comparable = 'not_comparable'  # one side has no verdict: skipped, running or not started


#: The order a reviewer reads them in: what this change did (broke, then fixed); then failures whose output
#: moved, then old failures that did not; then what could not be judged at all, so that silence is never
#: mistaken for a pass; the passes that need no attention last.
KIND_ORDER: Tuple[Kind, ...] = (Kind.broken_here, Kind.fixed_here, Kind.failing_differently,
                                Kind.failing_identically, Kind.no_reference, Kind.not_comparable,
                                Kind.unchanged_pass)

_RANK: Dict[Kind, int] = {kind: rank for rank, kind in enumerate(KIND_ORDER)}

#: Statuses that are a verdict of failure: the platform's page calls both an error.
FAILING = frozenset((Status.fail, Status.missing_output))
#: Statuses that are no verdict at all: nothing to compare.
UNDECIDED = frozenset((Status.skipped, Status.running, Status.not_started))

#: For each counted output, in output-id order: its id and the hash it produced (None: not reported).
Produced = Tuple[Tuple[int, Optional[str]], ...]


@dataclass(frozen=True)
class Side:
    """One regression test in one run, as much as a comparison needs.

    ``exit_code`` is None without a result. ``produced`` holds, for each
    output that counts (``ignore`` not true), in output-id order, the output
    id and the hash the run produced: the row's ``got``, the row's
    ``expected`` when ``got`` is NULL (NULL means identical to it), None when
    the output has no row.
    """

    status: Status
    exit_code: Optional[int] = None
    produced: Produced = ()
    #: Whether the run recorded anything of the test: a result, or a row of one of its outputs that counts.
    ran: bool = True


def _produced(outputs: Iterable[Sequence[Any]]) -> Dict[int, Produced]:
    """Fold output rows (``verdicts.OutputRow``'s layout) into each regression test's ``Side.produced``."""
    by_test: Dict[int, List[Tuple[int, Optional[str]]]] = {}
    previous: Any = object()
    for row in outputs:
        output_id = row[0]
        if output_id == previous:  # another row of the same output: one per accepted variant
            continue
        previous = output_id
        if row[3]:  # ignored: not compared, so its hash does not matter
            continue
        if row[4] is None:
            produced = None
        else:
            produced = row[5] if row[6] is None else row[6]
        by_test.setdefault(row[1], []).append((output_id, produced))
    return {regression_id: tuple(pairs) for regression_id, pairs in by_test.items()}


def sides(state: RunState, tests: Iterable[Sequence[Any]], outputs: Iterable[Sequence[Any]]) -> Dict[int, Side]:
    """Return one ``Side`` per regression test of a run in ``state``, keyed by regression id, from plain rows.

    ``tests`` in ``verdicts.TestRow``'s layout (the first four columns are
    enough), ``outputs`` in ``verdicts.OutputRow``'s (the first eight):
    one row per accepted variant, the rows of one output next to each other,
    in output-id order. Either may be a one-pass iterable: each is read once
    into a list, which both ``verdicts.facts_by_test`` and this function then
    read. The statuses are those of ``verdicts.statuses``.
    """
    test_rows = tests if isinstance(tests, (list, tuple)) else list(tests)
    output_rows = outputs if isinstance(outputs, (list, tuple)) else list(outputs)
    produced = _produced(output_rows)
    made: Dict[int, Side] = {}
    for test, (regression_id, status, _) in zip(test_rows, statuses(state, test_rows, facts_by_test(output_rows))):
        exit_code = None if test[1] is None else test[2]
        hashes = produced.get(regression_id, ())
        ran = test[1] is not None or any(made_hash is not None for _, made_hash in hashes)
        made[regression_id] = Side(status=status, exit_code=exit_code, produced=hashes, ran=ran)
    return made


def kind(here: Side, base: Optional[Side]) -> Kind:
    """Name what happened to a test between ``base`` and ``here``; the first rule that applies decides.

    1. no base side (the base run did not hold the test, or there is no base run): ``no_reference``;
    2. either side skipped, running or not started: ``not_comparable``;
    2b. the base judged it but recorded nothing of it (no result, no output reported: a test added since it ran,
        say): ``no_reference``;
    3. fails here (``fail`` or ``missing_output``), passed in the base: ``broken_here``;
    4. passes here, failed in the base: ``fixed_here``;
    5. passes on both sides: ``unchanged_pass``;
    6. fails on both sides with the same exit code and the same produced hashes: ``failing_identically``;
    7. fails on both sides otherwise: ``failing_differently``.
    """
    if base is None:
        return Kind.no_reference
    if here.status in UNDECIDED or base.status in UNDECIDED:
        return Kind.not_comparable
    if not base.ran:
        return Kind.no_reference
    fails_here = here.status in FAILING
    failed_in_base = base.status in FAILING
    if fails_here != failed_in_base:
        return Kind.broken_here if fails_here else Kind.fixed_here
    if not fails_here:
        return Kind.unchanged_pass
    if here.exit_code == base.exit_code and here.produced == base.produced:
        return Kind.failing_identically
    return Kind.failing_differently


def compare(here: Mapping[int, Side], base: Optional[Mapping[int, Side]]) -> List[Tuple[int, Kind]]:
    """Return ``(regression id, kind)`` for every test of ``here`` (the run's scope), in ``KIND_ORDER``, then by id.

    ``base``: the base run's sides, or None when there is no base run (every
    test is then ``no_reference``). Tests only the base holds are not listed:
    they are not part of this run.
    """
    if base is None:
        compared = [(regression_id, Kind.no_reference) for regression_id in here]
    else:
        compared = [(regression_id, kind(side, base.get(regression_id))) for regression_id, side in here.items()]
    compared.sort(key=lambda pair: (_RANK[pair[1]], pair[0]))
    return compared


def counts(compared: Iterable[Tuple[int, Kind]]) -> Dict[Kind, int]:
    """Count the tests of each kind in ``compare``'s answer; every kind is present, in ``KIND_ORDER``."""
    by_kind: Dict[Kind, int] = {each: 0 for each in KIND_ORDER}
    for _, each in compared:
        by_kind[each] += 1
    return by_kind


def base_reason(rule: str, platform: str, branch: str, base_run_id: Optional[int]) -> str:
    """Say in one sentence which base run a comparison uses (``base_run_id``; None: there is none) and why.

    ``rule``: ``given`` (asked for), ``master_tip`` (a pull-request run: the
    platform's own choice for its pull-request comments) or
    ``previous_on_branch`` (a commit run: the one before it on its branch).
    """
    if rule == 'given':
        return f'Run {base_run_id}, given as the base parameter.'
    if rule == 'master_tip':
        what = f'commit run on branch master for {platform}'
        if base_run_id is None:
            return f'No completed {what}: every test is no_reference.'
        return (f'Run {base_run_id}, the {what} completed last: the base the platform compares pull requests '
                'with.')
    what = f'earlier commit run on branch {branch} for {platform}'
    if base_run_id is None:
        return f'No completed {what}: every test is no_reference.'
    return f'Run {base_run_id}, the {what} completed last.'
