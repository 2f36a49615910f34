"""History: since when a regression test fails (or passes), from its results in earlier runs.

A verdict says how a test did in one run; a reviewer who sees it fail asks
next whether it failed before, and since when: a test that started failing
in this run is news, one that has failed for thirty runs is not. The
platform keeps only the last run a test passed in
(``regression_test.last_passed_on_*``); this module reads a test's results
across finished runs, newest first, and answers: its current streak, how
often its outcome flipped, when it last passed, whether its output changed
from one run to the next, and since which run it has been failing. The rules
in plain words are in ``docs/verdicts.md`` ("Relative verdicts").

As everywhere in the services, the values are plain (``Entry``, built from
a run's ``comparison.Side``), never models, and the statuses are those of
``verdicts.py``: nothing here decides pass or fail. A run that has no verdict
for the test (a canceled run skipped it) says nothing about it: it is passed
over, neither extending nor breaking a streak.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import (Any, Dict, Iterable, List, Literal, Optional, Protocol,
                    Sequence, Tuple)

from mod_api.comparison import Produced, Side, sides
from mod_api.verdicts import RunState, Status

#: A status reduced to what a streak follows: 'pass' or 'fail' (None: no verdict).
Outcome = Literal['pass', 'fail']

_OUTCOME: Dict[Status, Outcome] = {Status.passed: 'pass', Status.fail: 'fail', Status.missing_output: 'fail'}


@dataclass(frozen=True)
class Entry:
    """One regression test's result in one finished run.

    ``produced`` means what ``comparison.Side.produced`` means: per counted
    output, in output-id order, its id and the hash produced (None: not
    reported).
    """

    run_id: int
    finished_at: Optional[datetime.datetime]
    status: Status
    produced: Produced = ()

    @classmethod
    def of(cls, run_id: int, finished_at: Optional[datetime.datetime], side: Side) -> Entry:
        """Return the entry of a run (its id and the time it finished) for a test's ``Side`` in it."""
        return cls(run_id=run_id, finished_at=finished_at, status=side.status, produced=side.produced)


@dataclass(frozen=True)
class RunPoint:
    """A run, named by its id and the time it finished (None when unknown or not finished)."""

    run_id: int
    at: Optional[datetime.datetime]


@dataclass(frozen=True)
class Streak:
    """The newest unbroken run of one outcome.

    ``since_run_id`` and ``since``: the oldest entry with that outcome in the
    streak (its run id and finish time). ``runs``: how many entries of the
    streak have that outcome (entries without an outcome are not counted).
    """

    outcome: Outcome
    since_run_id: int
    since: Optional[datetime.datetime]
    runs: int


class RunLike(Protocol):
    """Anything naming a run by ``run_id`` and ``finished_at``: an ``Entry`` will do."""

    @property
    def run_id(self) -> int:
        """The run's id."""

    @property
    def finished_at(self) -> Optional[datetime.datetime]:
        """When the run finished (None: unknown, or not finished)."""


def outcome(status: Status) -> Optional[Outcome]:
    """Return 'pass' for a pass, 'fail' for ``fail`` and ``missing_output``, None for a status without a verdict."""
    return _OUTCOME.get(status)


def _reported_nothing(produced: Produced) -> bool:
    return all(hash_ is None for _, hash_ in produced)


def output_changed(entries: Sequence[Entry]) -> List[Optional[bool]]:
    """Say, per entry (newest first), whether its produced hashes differ from those of the next older entry.

    None for the oldest entry (nothing older to compare with), and None when
    either of the two reported no output at all (every hash None, or no
    counted output): a run that produced nothing, such as a canceled run's
    skipped test, says nothing about whether the output changed. Otherwise
    the whole ``produced`` is compared: a hash that differs, an output
    reported on one side only, an output that was added or removed.
    """
    changed: List[Optional[bool]] = []
    for newer, older in zip(entries, entries[1:]):
        if _reported_nothing(newer.produced) or _reported_nothing(older.produced):
            changed.append(None)
        else:
            changed.append(newer.produced != older.produced)
    if entries:
        changed.append(None)
    return changed


def streak(entries: Sequence[Entry]) -> Optional[Streak]:
    """Return the newest streak: from the newest entry with an outcome, back while the outcome stays the same.

    Entries without an outcome are passed over (not counted, not breaking
    it). None when no entry has an outcome.
    """
    current: Optional[Outcome] = None
    oldest: Optional[Entry] = None
    runs = 0
    for entry in entries:
        this = _OUTCOME.get(entry.status)
        if this is None:
            continue
        if current is None:
            current = this
        elif this != current:
            break
        oldest, runs = entry, runs + 1
    if current is None or oldest is None:
        return None
    return Streak(outcome=current, since_run_id=oldest.run_id, since=oldest.finished_at, runs=runs)


def last_pass(entries: Sequence[Entry]) -> Optional[Entry]:
    """Return the newest entry that passed, or None."""
    return next((entry for entry in entries if entry.status is Status.passed), None)


def flips(entries: Sequence[Entry]) -> int:
    """Count the changes of outcome between consecutive entries that have one (entries without are passed over)."""
    changes = 0
    previous: Optional[Outcome] = None
    for entry in entries:
        this = _OUTCOME.get(entry.status)
        if this is None:
            continue
        if previous is not None and this != previous:
            changes += 1
        previous = this
    return changes


def failing_since(current_status: Status, current: RunLike, earlier: Sequence[Entry]) -> Optional[RunPoint]:
    """Return the run since which a test fails, or None when it does not fail now.

    ``current``: the run being looked at, where the test's status is
    ``current_status``; ``earlier``: the test's entries in runs before it,
    newest first. Walking back over ``earlier``, past entries without an
    outcome, while they fail, the answer is the oldest failing run of that
    unbroken streak; the current run itself when the newest earlier outcome
    is a pass, or when there is none.
    """
    if current_status not in (Status.fail, Status.missing_output):
        return None
    since = RunPoint(run_id=current.run_id, at=current.finished_at)
    for entry in earlier:
        this = _OUTCOME.get(entry.status)
        if this is None:
            continue
        if this != 'fail':
            break
        since = RunPoint(run_id=entry.run_id, at=entry.finished_at)
    return since


def last_passed_in(earlier: Sequence[Entry]) -> Optional[RunPoint]:
    """Return the newest run of ``earlier`` (newest first) in which the test passed, or None."""
    entry = last_pass(earlier)
    return None if entry is None else RunPoint(run_id=entry.run_id, at=entry.finished_at)


def entries(runs: Iterable[Tuple[int, Optional[datetime.datetime], RunState, Sequence[Any], Iterable[Any]]],
            regression_id: int) -> List[Entry]:
    """Make a regression test's entries from its rows in each run, in the order given (newest first).

    Each run as (run id, finished at, state, its ``tests`` rows, its
    ``outputs`` rows), the rows as ``comparison.sides`` reads them; a run
    whose rows do not hold the test (not in its scope) has no entry.
    """
    made = []
    for run_id, finished_at, state, tests, outputs in runs:
        side = sides(state, tests, outputs).get(regression_id) if tests else None
        if side is not None:
            made.append(Entry.of(run_id, finished_at, side))
    return made
