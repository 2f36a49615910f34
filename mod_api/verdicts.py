"""Verdicts: whether a regression test passed in a run, and how the run went.

The platform stores what CI did (a ``test_result`` per finished regression
test, a ``test_result_file`` per reported output) but no verdict: its test
page decides pass/fail in a template loop. This module is the one place where
the API decides, following the decision table of ``classification.md``; the
rules in plain words, with the line numbers used here, are in
``docs/verdicts.md``.

Every function here takes plain values (the named tuples and dataclasses
below, or plain rows), never models or a session, so the rules can be tested
without a database; the queries module loads those values in bulk. What a
page of results makes a few hundred of (records, their outputs and rows,
verdicts) is a named tuple: immutable like a frozen dataclass, and made
about three times as fast.

The decision table is written once, in ``decide``, on the few facts it looks
at (is there a result, did it crash, how many outputs count, are reported,
differ, have no baseline), and the facts about an output come from one
function, ``output_facts``, everywhere. Two paths feed them: ``classify`` on a
record (the detail and a page of results, with messages and output
verdicts), and ``statuses``/``tally`` straight from plain rows (a whole run's
counts, or which tests pass a status filter), which builds no object per
test and matches no regular expression. Only the wording of a message, and
the hashes an output verdict shows, depend on more than those facts.

Those plain rows give each test's facts either from its output rows
(``facts_by_test``) or summed by the database (``queries.load_status_rows``
and ``load_status_rows_of_runs``): the one place where a rule is written
twice, ``output_facts`` as SQL, so that a summary reads one row per test
instead of one per output and variant. ``tests/test_queries.py`` proves the
two equal over generated runs, on SQLite and on MariaDB.
"""

from __future__ import annotations

import datetime
import enum
import itertools
import operator
import re
import signal
import sys
from dataclasses import dataclass, field
from typing import (Any, Container, Dict, Iterable, Iterator, Mapping,
                    NamedTuple, Optional, Sequence, Tuple)

# Limits of the spec, honoured by cutting.
MAX_LISTED_OUTPUTS = 20
MAX_MESSAGE_LENGTH = 500

_SHA256 = re.compile(r'\A[0-9a-fA-F]{64}\Z')


class RunState(str, enum.Enum):
    """State of a run, from its highest-id ``test_progress`` row."""

    queued = 'queued'
    preparation = 'preparation'
    testing = 'testing'
    completed = 'completed'
    canceled = 'canceled'

    @property
    def finished(self) -> bool:
        """Whether the run will not change any more."""
        return self in (RunState.completed, RunState.canceled)


class Status(str, enum.Enum):
    """Status of one regression test in a run."""

    passed = 'pass'
    fail = 'fail'
    skipped = 'skipped'
    missing_output = 'missing_output'
    running = 'running'
    not_started = 'not_started'


class OutputStatus(str, enum.Enum):
    """Status of one expected output of a regression test in a run."""

    match = 'match'
    diff_mismatch = 'diff_mismatch'
    missing_output = 'missing_output'
    missing_expected = 'missing_expected'


class Output(NamedTuple):
    """An expected output of a regression test: its baseline and accepted variants."""

    output_id: int
    correct: Optional[str]
    extension: str = ''
    ignore: Optional[bool] = False
    variants: Tuple[str, ...] = ()
    filename: Optional[str] = None


class ResultFile(NamedTuple):
    """A ``test_result_file`` row: what the CI worker reported for one output."""

    output_id: int
    expected: str
    got: Optional[str] = None


class Result(NamedTuple):
    """A ``test_result`` row: the regression test finished in the run."""

    exit_code: Optional[int]
    expected_rc: Optional[int]
    runtime: Optional[int] = None


class RegressionTestRecord(NamedTuple):
    """Everything a run recorded for one regression test, with its outputs."""

    regression_id: int
    expected_rc: Optional[int] = 0
    result: Optional[Result] = None
    outputs: Tuple[Output, ...] = ()
    files: Tuple[ResultFile, ...] = ()


class OutputVerdict(NamedTuple):
    """The verdict on one expected output, as the detail endpoint lists it."""

    output_id: int
    status: OutputStatus
    expected_hash: Optional[str]
    actual_hash: Optional[str]
    filename: Optional[str] = None


class Verdict(NamedTuple):
    """The verdict on one regression test in a run."""

    regression_id: int
    status: Status
    message: str
    crashed: bool
    runtime_ms: Optional[int]
    exit_code: Optional[int]
    expected_exit_code: Optional[int]
    outputs: Tuple[OutputVerdict, ...] = ()


@dataclass(frozen=True)
class Counts:
    """How many regression tests of a run have each status."""

    total: int = 0
    by_status: Dict[Status, int] = field(default_factory=dict)
    crashed: int = 0

    def __getitem__(self, status: Status) -> int:
        """Return the number of tests with ``status``."""
        return self.by_status.get(status, 0)


def run_state(last_status: Optional[str]) -> RunState:
    """Return the run's state from the status of its highest-id progress row (None: no row)."""
    if last_status is None:
        return RunState.queued
    return RunState(last_status)


# --- The rules: what counts about one output, and the decision table on the facts it gives -------------------

# What the table needs to know of a test's outputs is counted in one integer, a field of 15 bits for each fact,
# so that a test's facts are the sum of its outputs' facts: exact up to 32,767 outputs per test (the platform's have
# a few), and below 2 ** 63, so that a database sums them in a signed 64-bit integer (``queries.load_status_rows``,
# ``queries.load_status_rows_of_runs``).
FIELD_BITS = 15
COUNTS, REPORTED, DIFFERS, BASELESS = 1, 1 << FIELD_BITS, 1 << 2 * FIELD_BITS, 1 << 3 * FIELD_BITS
_FIELD = (1 << FIELD_BITS) - 1
# output_facts's answers for an output that counts, by reported + 2 * differs + 4 * baseless.
_FACTS = tuple(COUNTS + (code & 1) * REPORTED + (code >> 1 & 1) * DIFFERS + (code >> 2) * BASELESS
               for code in range(8))


def output_facts(ignore: Optional[bool], correct: Optional[str], reported: bool, expected: Optional[str],
                 got: Optional[str], variants: Container[str]) -> int:
    """Say what the decision table needs to know of one expected output.

    ``reported``: it has a row (whose ``expected`` and ``got`` are given;
    ``got`` None means identical to ``expected``). The answer is 0 when the
    output does not count: its ``ignore`` is true (NULL counts as not
    ignored), and nothing else about it matters. Otherwise ``COUNTS``, plus
    ``REPORTED`` when it is, plus

    - ``DIFFERS`` when its row's ``got`` is set and is none of the acceptable
      hashes (the row's ``expected``, the ``variants``), compared here
      exactly as stored (a MariaDB collation would ignore case);
    - ``BASELESS`` when there is nothing to compare it with: ``correct``
      empty or NULL, and its row, if any, has an empty ``expected``.

    Summed over a test's outputs, the answers count its outputs that count,
    are reported, differ, have no baseline (``unpack``).
    """
    if ignore:
        return 0
    differs = reported and not (got is None or got == expected or got in variants)
    baseless = not correct and not (reported and expected != '')
    return _FACTS[reported + 2 * differs + 4 * baseless]


def unpack(facts: int) -> Tuple[int, int, int, int]:
    """Return the outputs that count, are reported, differ, have no baseline, from a sum of ``output_facts``."""
    return (facts & _FIELD, facts >> FIELD_BITS & _FIELD, facts >> 2 * FIELD_BITS & _FIELD,
            facts >> 3 * FIELD_BITS)


def crashed(has_result: bool, exit_code: Optional[int], expected_rc: Optional[int]) -> bool:
    """Whether the exit code differs from the one expected when the test ran (NULL equals only NULL)."""
    return has_result and exit_code != expected_rc


#: The status each line of the decision table gives.
LINE_STATUS: Dict[int, Status] = {
    1: Status.not_started, 2: Status.not_started, 3: Status.running, 4: Status.skipped, 5: Status.skipped,
    6: Status.missing_output, 7: Status.fail, 8: Status.fail, 9: Status.fail, 10: Status.fail, 11: Status.passed,
}


def decide(state: RunState, has_result: bool, crash: bool, facts: int) -> int:
    """Return the line of the decision table that decides a regression test's status; first matching line wins.

    ``facts``: the sum of its outputs' ``output_facts``; ``crash``: ``crashed``.
    The lines are those of ``classification.md``; ``LINE_STATUS`` gives their status.
    """
    outputs, reported, differing, baseless = unpack(facts)
    if not has_result and not reported:
        if not state.finished:  # lines 1, 2
            return 2 if state is RunState.testing else 1
        if state is RunState.canceled:
            return 4
        if not outputs:
            return 5
    if not has_result and not state.finished:  # line 3 (it has rows: see above)
        return 3
    if outputs and not reported:
        return 6
    if crash:
        return 7
    if differing:
        return 8
    if reported < outputs:
        return 9
    if baseless:
        return 10
    return 11


# --- One regression test, with its message and output verdicts (the detail, a page of results) ----------------


def _facts_of(output: Output, row: Optional[ResultFile], ignore: Optional[bool]) -> int:
    if row is None:
        return output_facts(ignore, output.correct, False, None, None, output.variants)
    return output_facts(ignore, output.correct, True, row.expected, row.got, output.variants)


def output_status(output: Output, row: Optional[ResultFile]) -> OutputStatus:
    """Return the status of one expected output, judged as one that counts, given its row (None: not reported)."""
    return _output_status(_facts_of(output, row, ignore=False))


def _output_status(facts: int) -> OutputStatus:
    """Return the status of one output that counts, from its ``output_facts`` (each field 0 or 1: a bit to test)."""
    if facts & BASELESS:
        return OutputStatus.missing_expected
    if not facts & REPORTED:
        return OutputStatus.missing_output
    if facts & DIFFERS:
        return OutputStatus.diff_mismatch
    return OutputStatus.match


def _sha256_or_none(value: Optional[str]) -> Optional[str]:
    """Pass a hash through only when it is one (64 hexadecimal characters)."""
    if value is not None and _SHA256.match(value):
        return value
    return None


def _output_verdict(output: Output, row: Optional[ResultFile], facts: int) -> OutputVerdict:
    """Judge an output that counts, given its row and its ``output_facts``."""
    if row is None:
        expected, actual = output.correct, None
    else:
        expected = row.expected
        actual = row.expected if row.got is None else row.got
    # OutputVerdict(output_id, status, expected_hash, actual_hash, filename), positionally: a page makes hundreds.
    return OutputVerdict(output.output_id, _output_status(facts), _sha256_or_none(expected), _sha256_or_none(actual),
                         output.filename)


def _plural(count: int, noun: str) -> str:
    return f'{count} {noun}' if count == 1 else f'{count} {noun}s'


def _describe_output(output: Output) -> str:
    return f'Output {output.output_id} ({output.extension})' if output.extension else f'Output {output.output_id}'


def _crashed(result: Optional[Result]) -> bool:
    return result is not None and crashed(True, result.exit_code, result.expected_rc)


# The names of the signals a negative exit code -N stands for: Python's subprocess convention, which the platform's
# CI reports for a process killed by signal N. Only negative codes are named: a code of 128 + N is what a shell
# would report, but nothing says the workers' exit codes went through one, so it stays a plain number.
# The names come from ``signal``, which names the signals of the OS the API runs on. On Linux, 1-31 are the
# standard signals with the same numbers everywhere (tests/test_verdicts.py checks their names on the machine it
# runs on). Elsewhere the numbers mean other signals (macOS's 10 is SIGBUS, Linux's SIGUSR1) or none (Windows):
# there no code is named, rather than one named wrongly. Above 31 (real-time signals, numbered by the C library)
# and wherever Python has no name, a code is the number alone.
def _signal_names() -> Dict[int, str]:
    if not sys.platform.startswith('linux'):
        return {}
    names = {}
    for number in range(1, 32):
        try:
            names[number] = signal.Signals(number).name
        except ValueError:
            pass
    return names


#: Signal names by number, for the exit codes -1 to -31 (see ``_signal_names``).
SIGNAL_NAMES: Dict[int, str] = _signal_names()


def signal_names(platform: str) -> Dict[int, str]:
    """Return the signal names for the exit codes of a run on ``platform``: ``SIGNAL_NAMES`` on Linux, else none.

    ``platform`` as ``test.platform`` stores it (``TestPlatform``'s values,
    ``linux`` or ``windows``). A Windows worker reports no signals: its
    small negative codes (a program's ``exit(-1)``) are numbers, not Linux
    signals.
    """
    return SIGNAL_NAMES if platform == 'linux' else {}


def _exit_codes(result: Optional[Result], crash: bool, names: Dict[int, str]) -> Optional[str]:
    """Name the exit codes when they differ (``crash``: ``_crashed(result)``), else None."""
    if result is None or not crash:
        return None
    return f'exit code {_code(result.exit_code, names)}, expected {_code(result.expected_rc, names)}'


def _code(value: Optional[int], names: Dict[int, str]) -> str:
    """Name an exit code as stored: a NULL one is "none recorded", never Python's None; -N as ``names`` names N."""
    if value is None:
        return 'none recorded'
    name = names.get(-value)
    return f'{value} ({name})' if name else str(value)


def _mismatch(mismatched: Sequence[Output], lower: bool = False) -> str:
    """Say that the first of the outputs whose status is diff_mismatch differs, and how many do."""
    first = mismatched[0]
    variants = f' and its {_plural(len(first.variants), "accepted variant")}' if first.variants else ''
    others = f' ({len(mismatched)} outputs differ)' if len(mismatched) > 1 else ''
    described = _describe_output(first)
    if lower:
        described = described[:1].lower() + described[1:]
    return f'{described} differs from its baseline{variants}{others}'


_WAITING = {RunState.queued: 'the run is queued', RunState.preparation: 'the run is being prepared'}


def _decide(record: RegressionTestRecord, state: RunState, outputs: Sequence[Output], rows: Dict[int, ResultFile],
            facts: Sequence[int], crash: bool, names: Dict[int, str]) -> Tuple[Status, str]:
    """Apply the decision table (``decide``) to the outputs that count and their facts, and say in one sentence why.

    ``crash``: ``_crashed(record.result)``.
    """
    result = record.result
    line = decide(state, result is not None, crash, sum(facts))
    status = LINE_STATUS[line]
    if line in (1, 2):
        return status, f"Not started yet: {_WAITING.get(state, 'the run is testing other samples')}."
    if line == 4:
        return status, 'Not run: the run was canceled first.'
    if line == 5:
        return status, 'Not run: the run completed without running it, and it expects no output.'
    if line == 3:
        return status, f'Running: {len(rows)} of {_plural(len(outputs), "output")} reported so far.'
    exit_codes = _exit_codes(result, crash, names)
    if line == 6:
        codes = f' ({exit_codes})' if exit_codes else ''
        return status, f'No output produced{codes}; {_plural(len(outputs), "output")} expected.'
    if line == 7:
        codes = exit_codes or ''
        return status, f'{codes[:1].upper()}{codes[1:]}.'
    # The outputs that differ, and those without a baseline, in output-id order: what lines 8 to 10 name.
    differing = [o for o, fact in zip(outputs, facts) if fact & DIFFERS]
    baseless = {o.output_id: o for o, fact in zip(outputs, facts) if fact & BASELESS}
    if line == 8:
        # An output whose got is no acceptable hash, but which has no baseline, is missing_expected, not
        # diff_mismatch (nothing to differ from, '' is no hash): it is named as what it is, and only the outputs
        # that have a baseline are said to differ from it.
        first = differing[0]
        mismatched = [o for o in differing if o.output_id not in baseless]
        if first.output_id in baseless:
            lead = f'{_describe_output(first)} has no baseline to compare with'
            return status, f'{lead}; {_mismatch(mismatched, lower=True)}.' if mismatched else f'{lead}.'
        return status, f'{_mismatch(mismatched)}.'
    if line == 9:
        unreported = [o for o in outputs if o.output_id not in rows]
        none_either = ' and has no baseline' if unreported[0].output_id in baseless else ''
        return status, (f'{_describe_output(unreported[0])} was not produced{none_either}; '
                        f'{len(rows)} of {_plural(len(outputs), "output")} reported.')
    if line == 10:
        return status, f'{_describe_output(next(iter(baseless.values())))} has no baseline to compare with.'
    if not outputs:  # line 11
        return status, 'Exit code as expected; no output to compare.'
    by_variant = sum(1 for o in outputs if rows[o.output_id].got not in (None, rows[o.output_id].expected))
    through = f' ({by_variant} through an accepted variant)' if by_variant else ''
    if len(outputs) == 1:
        return status, f'Its output matches its baseline{through}.'
    return status, f'All {len(outputs)} outputs match their baselines{through}.'


_OUTPUT_ID = operator.attrgetter('output_id')


def classify(record: RegressionTestRecord, state: RunState, *, platform: str) -> Verdict:
    """Return the verdict on one regression test in a run in ``state``, on ``platform`` (the run's).

    Ignored outputs and rows of other outputs (a stored -1, an ignored
    output) are disregarded, as ``classification.md`` says. The platform
    only changes how a message names exit codes (``signal_names``).
    """
    row_of = {row.output_id: row for row in record.files}
    counted = []  # (output, its row, its facts) for the outputs that count, in output-id order
    for output in sorted(record.outputs, key=_OUTPUT_ID):
        row = row_of.get(output.output_id)
        facts = _facts_of(output, row, output.ignore)
        if facts:
            counted.append((output, row, facts))
    outputs = [output for output, _, _ in counted]
    rows = {output.output_id: row for output, row, _ in counted if row is not None}
    result = record.result
    crash = _crashed(result)
    status, message = _decide(record, state, outputs, rows, [facts for _, _, facts in counted], crash,
                              signal_names(platform))
    output_verdicts: Tuple[OutputVerdict, ...] = ()
    if status not in (Status.not_started, Status.running, Status.skipped):
        output_verdicts = tuple(_output_verdict(*judged) for judged in counted[:MAX_LISTED_OUTPUTS])
    return Verdict(
        regression_id=record.regression_id,
        status=status,
        message=message[:MAX_MESSAGE_LENGTH],
        crashed=crash,
        runtime_ms=result.runtime if result else None,
        exit_code=result.exit_code if result else None,
        expected_exit_code=result.expected_rc if result else record.expected_rc,
        outputs=output_verdicts,
    )


def count(verdicts: Iterable[Verdict]) -> Counts:
    """Count the verdicts of a run's scope by status, and the crashes among them."""
    by_status: Dict[Status, int] = {status: 0 for status in Status}
    total = crashes = 0
    for verdict in verdicts:
        total += 1
        by_status[verdict.status] += 1
        crashes += verdict.crashed
    return Counts(total=total, by_status=by_status, crashed=crashes)


# --- A whole run's statuses, straight from plain rows (the summary, the results list's status filter) ----------


class TestRow(NamedTuple):
    """The layout of one regression test's row: any tuple with these columns in this order will do.

    The status (``statuses``, ``tally``) needs the first four columns only
    (``STATUS_COLUMNS``); ``queries.records`` needs every column.
    """

    regression_id: int
    result_of: Optional[int]  # not None when the test has a result in the run
    exit_code: Optional[int]
    result_expected_rc: Optional[int]
    expected_rc: Optional[int]  # the regression test's current expected code
    runtime: Optional[int]


class OutputRow(NamedTuple):
    """The layout of one expected output's row, with its ``test_result_file`` row in the run, if any.

    One row per accepted variant (``variant`` None when it has none), the
    rows of one output next to each other. A test's facts (``facts_by_test``)
    need the first eight columns only (``STATUS_COLUMNS``);
    ``queries.records`` needs every column.
    """

    output_id: int
    regression_id: int
    correct: Optional[str]
    ignore: Optional[bool]  # or the integer it is stored as
    row_of: Optional[int]  # not None when the output has a row in the run
    expected: Optional[str]
    got: Optional[str]
    variant: Optional[str]
    extension: Optional[str]
    filename: Optional[str]


#: How many leading columns of a ``TestRow`` and of an ``OutputRow`` the status needs.
STATUS_COLUMNS = (4, 8)

# Before the first row and after the last: rows whose output id equals no other's.
_START, _END = (object(),) * 8, (object(),) * 8


def facts_by_test(rows: Iterable[Sequence[Any]]) -> Dict[int, int]:
    """Fold output rows (``OutputRow``'s layout) into each regression test's facts: the sum of ``output_facts``."""
    by_test: Dict[int, int] = {}
    current: Any = _START  # the first row of the output being read
    variants: Sequence[str] = ()  # its accepted variants
    for row in itertools.chain(rows, (_END,)):
        if row[0] == current[0]:  # another row of the same output: one per accepted variant
            if row[7] is not None:
                variants = (*variants, row[7])
            continue
        if current is not _START:
            by_test[current[1]] = by_test.get(current[1], 0) + output_facts(
                current[3], current[2], current[4] is not None, current[5], current[6], variants)
        current, variants = row, (() if row[7] is None else (row[7],))
    return by_test


def statuses(state: RunState, tests: Iterable[Sequence[Any]],
             facts: Mapping[int, int]) -> Iterator[Tuple[int, Status, bool]]:
    """Yield each test's id, status and whether it crashed, in the order of ``tests``, from plain rows.

    ``tests`` in ``TestRow``'s layout; ``facts``: each test's sum of
    ``output_facts`` by regression id (``facts_by_test`` of its output rows,
    or the database's sum), absent or 0 for a test without outputs that
    count. The same status as ``classify`` gives on the record these rows
    describe, without building it.
    """
    for test in tests:
        has_result = test[1] is not None
        crash = crashed(has_result, test[2], test[3])
        yield test[0], LINE_STATUS[decide(state, has_result, crash, facts.get(test[0], 0))], crash


def tally(state: RunState, tests: Iterable[Sequence[Any]], facts: Mapping[int, int]) -> Counts:
    """Count a run's statuses and crashes from plain rows (see ``statuses``): what ``count`` gives on the verdicts."""
    lines = [0] * (len(LINE_STATUS) + 1)
    crashes = 0
    for test in tests:
        has_result = test[1] is not None
        crash = crashed(has_result, test[2], test[3])
        lines[decide(state, has_result, crash, facts.get(test[0], 0))] += 1
        crashes += crash
    by_status: Dict[Status, int] = {status: 0 for status in Status}
    for line, status in LINE_STATUS.items():
        by_status[status] += lines[line]
    return Counts(total=sum(lines), by_status=by_status, crashed=crashes)


#: How a run went as a whole (``conclusion``).
CONCLUSIONS = ('pass', 'fail', 'in_progress', 'canceled')


def conclusion(state: RunState, counts: Counts) -> str:
    """Say how a run went: ``canceled``, ``in_progress`` until it finished, then ``fail`` when any test fails.

    A test fails with the status ``fail`` or ``missing_output`` (the
    platform's page shows both as errors); a completed run without one is a
    ``pass``.
    """
    if state is RunState.canceled:
        return 'canceled'
    if not state.finished:
        return 'in_progress'
    return 'fail' if counts[Status.fail] or counts[Status.missing_output] else 'pass'


def duration_ms(first: Optional[datetime.datetime], last: Optional[datetime.datetime],
                state: RunState) -> Optional[int]:
    """Milliseconds (rounded down) from the first to the last progress row, once the run finished."""
    if not state.finished or first is None or last is None:
        return None
    return max(0, (last - first) // datetime.timedelta(milliseconds=1))


def triggered_by(account_name: Optional[str], is_pull_request: bool, pr_nr: Optional[int],
                 branch: Optional[str]) -> Optional[str]:
    """Say who or what started a run: the requesting account, else the pull request or branch."""
    if account_name is not None:
        return account_name
    if is_pull_request and pr_nr is not None and pr_nr > 0:
        return f'pull request #{pr_nr}'
    if not is_pull_request and branch:
        return f'commit on {branch}'
    return None
