"""Verdicts: whether a regression test passed in a run, and how the run went.

The platform stores what CI did (a ``test_result`` per finished regression
test, a ``test_result_file`` per reported output) but no verdict: its test
page decides pass/fail in a template loop. This module is the one place where
the API decides, following the decision table of ``classification.md``.

Every function here takes plain values (the dataclasses below), never models
or a session, so the rules can be tested without a database; the queries
module loads those values in bulk.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional, Sequence, Tuple

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


@dataclass(frozen=True)
class Output:
    """An expected output of a regression test: its baseline and accepted variants."""

    output_id: int
    correct: Optional[str]
    extension: str = ''
    ignore: Optional[bool] = False
    variants: Tuple[str, ...] = ()
    filename: Optional[str] = None


@dataclass(frozen=True)
class ResultFile:
    """A ``test_result_file`` row: what the CI worker reported for one output."""

    output_id: int
    expected: str
    got: Optional[str] = None


@dataclass(frozen=True)
class Result:
    """A ``test_result`` row: the regression test finished in the run."""

    exit_code: Optional[int]
    expected_rc: Optional[int]
    runtime: Optional[int] = None


@dataclass(frozen=True)
class RegressionTestRecord:
    """Everything a run recorded for one regression test, with its outputs."""

    regression_id: int
    expected_rc: Optional[int] = 0
    result: Optional[Result] = None
    outputs: Tuple[Output, ...] = ()
    files: Tuple[ResultFile, ...] = ()


@dataclass(frozen=True)
class OutputVerdict:
    """The verdict on one expected output, as the detail endpoint lists it."""

    output_id: int
    status: OutputStatus
    expected_hash: Optional[str]
    actual_hash: Optional[str]
    filename: Optional[str] = None


@dataclass(frozen=True)
class Verdict:
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


def _has_baseline(output: Output, row: Optional[ResultFile]) -> bool:
    """Whether there is anything to compare the output with."""
    if output.correct:
        return True
    return row is not None and row.expected != ''


def _matches(output: Output, row: ResultFile) -> bool:
    """Whether a reported output is identical to an acceptable hash.

    Compared here, exactly as stored: a MariaDB collation would ignore case.
    """
    return row.got is None or row.got == row.expected or row.got in output.variants


def output_status(output: Output, row: Optional[ResultFile]) -> OutputStatus:
    """Return the status of one expected output, given its row (None: not reported)."""
    if not _has_baseline(output, row):
        return OutputStatus.missing_expected
    if row is None:
        return OutputStatus.missing_output
    if _matches(output, row):
        return OutputStatus.match
    return OutputStatus.diff_mismatch


def _sha256_or_none(value: Optional[str]) -> Optional[str]:
    """Pass a hash through only when it is one (64 hexadecimal characters)."""
    if value is not None and _SHA256.match(value):
        return value
    return None


def _output_verdict(output: Output, row: Optional[ResultFile]) -> OutputVerdict:
    if row is None:
        expected, actual = output.correct, None
    else:
        expected = row.expected
        actual = row.expected if row.got is None else row.got
    return OutputVerdict(
        output_id=output.output_id,
        status=output_status(output, row),
        expected_hash=_sha256_or_none(expected),
        actual_hash=_sha256_or_none(actual),
        filename=output.filename,
    )


def _plural(count: int, noun: str) -> str:
    return f'{count} {noun}' if count == 1 else f'{count} {noun}s'


def _describe_output(output: Output) -> str:
    return f'Output {output.output_id} ({output.extension})' if output.extension else f'Output {output.output_id}'


def _crashed(result: Optional[Result]) -> bool:
    """Whether the exit code differs from the one expected when the test ran (NULL equals only NULL)."""
    return result is not None and result.exit_code != result.expected_rc


def _exit_codes(result: Optional[Result]) -> Optional[str]:
    """Name the exit codes when they differ (a crash), else None."""
    if result is None or not _crashed(result):
        return None
    return f'exit code {result.exit_code}, expected {result.expected_rc}'


def _decide(record: RegressionTestRecord, state: RunState,
            outputs: Sequence[Output], rows: Dict[int, ResultFile]) -> Tuple[Status, str]:
    """Apply the decision table; first matching line wins."""
    result = record.result
    if result is None and not rows:
        if not state.finished:  # lines 1, 2
            waiting = {RunState.queued: 'the run is queued', RunState.preparation: 'the run is being prepared'}
            return Status.not_started, f"Not started yet: {waiting.get(state, 'the run is testing other samples')}."
        if state is RunState.canceled:  # line 4
            return Status.skipped, 'Not run: the run was canceled first.'
        if not outputs:  # line 5
            return Status.skipped, 'Not run: the run completed without running it, and it expects no output.'
    if result is None and rows and not state.finished:  # line 3
        return Status.running, f'Running: {len(rows)} of {_plural(len(outputs), "output")} reported so far.'
    exit_codes = _exit_codes(result)
    if outputs and not rows:  # line 6
        crash = f' ({exit_codes})' if exit_codes else ''
        return Status.missing_output, f'No output produced{crash}; {_plural(len(outputs), "output")} expected.'
    if exit_codes:  # line 7
        return Status.fail, f'{exit_codes[0].upper()}{exit_codes[1:]}.'
    differing = [o for o in outputs if o.output_id in rows and not _matches(o, rows[o.output_id])]
    if differing:  # line 8
        first = differing[0]
        variants = f' and its {_plural(len(first.variants), "accepted variant")}' if first.variants else ''
        others = f' ({len(differing)} outputs differ)' if len(differing) > 1 else ''
        return Status.fail, f'{_describe_output(first)} differs from its baseline{variants}{others}.'
    unreported = [o for o in outputs if o.output_id not in rows]
    if unreported:  # line 9
        return Status.fail, (f'{_describe_output(unreported[0])} was not produced; '
                             f'{len(rows)} of {_plural(len(outputs), "output")} reported.')
    baseless = [o for o in outputs if not _has_baseline(o, rows.get(o.output_id))]
    if baseless:  # line 10
        return Status.fail, f'{_describe_output(baseless[0])} has no baseline to compare with.'
    if not outputs:  # line 11
        return Status.passed, 'Exit code as expected; no output to compare.'
    by_variant = sum(1 for o in outputs if rows[o.output_id].got not in (None, rows[o.output_id].expected))
    through = f' ({by_variant} through an accepted variant)' if by_variant else ''
    if len(outputs) == 1:
        return Status.passed, f'Its output matches its baseline{through}.'
    return Status.passed, f'All {len(outputs)} outputs match their baselines{through}.'


def classify(record: RegressionTestRecord, state: RunState) -> Verdict:
    """Return the verdict on one regression test in a run in ``state``.

    Ignored outputs and rows of other outputs (a stored -1, an ignored
    output) are disregarded, as ``classification.md`` says.
    """
    outputs = sorted((o for o in record.outputs if not o.ignore), key=lambda o: o.output_id)
    listed_ids = {o.output_id for o in outputs}
    rows = {row.output_id: row for row in record.files if row.output_id in listed_ids}
    status, message = _decide(record, state, outputs, rows)
    output_verdicts: Tuple[OutputVerdict, ...] = ()
    if status not in (Status.not_started, Status.running, Status.skipped):
        output_verdicts = tuple(_output_verdict(o, rows.get(o.output_id)) for o in outputs[:MAX_LISTED_OUTPUTS])
    result = record.result
    return Verdict(
        regression_id=record.regression_id,
        status=status,
        message=message[:MAX_MESSAGE_LENGTH],
        crashed=_crashed(result),
        runtime_ms=result.runtime if result else None,
        exit_code=result.exit_code if result else None,
        expected_exit_code=result.expected_rc if result else record.expected_rc,
        outputs=output_verdicts,
    )


def count(verdicts: Iterable[Verdict]) -> Counts:
    """Count the verdicts of a run's scope by status, and the crashes among them."""
    by_status: Dict[Status, int] = {status: 0 for status in Status}
    total = crashed = 0
    for verdict in verdicts:
        total += 1
        by_status[verdict.status] += 1
        crashed += verdict.crashed
    return Counts(total=total, by_status=by_status, crashed=crashed)


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
