"""The history service on plain values: a regression test's results in finished runs, newest first.

Entries are written newest first, as the service takes them; a run's id grows
with its age going down the list. ``pass``/``fail``/``skip`` below are one
entry each; ``skip`` is a canceled run that skipped the test, and is passed
over by every rule.
"""

import datetime
import hashlib
from typing import NamedTuple, Optional

import pytest

from mod_api.comparison import Side
from mod_api.history import (Entry, RunPoint, Streak, failing_since, flips,
                             last_pass, last_passed_in, outcome,
                             output_changed, streak)
from mod_api.verdicts import Status


def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


A, B = _sha('output a'), _sha('output b')
T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)
STATUS = {'pass': Status.passed, 'fail': Status.fail, 'miss': Status.missing_output, 'skip': Status.skipped,
          'running': Status.running, 'not_started': Status.not_started}


def at(run_id):
    """When run ``run_id`` finished: an hour per run."""
    return T0 + datetime.timedelta(hours=run_id)


def entry(run_id, status, produced=((1, A),)):
    """One entry: run ``run_id`` finished at ``at(run_id)``, the test's status in it."""
    return Entry(run_id=run_id, finished_at=at(run_id), status=STATUS[status], produced=tuple(produced))


def history(*statuses, newest=20):
    """Entries newest first, from run ``newest`` down, one per status name."""
    return [entry(newest - offset, status) for offset, status in enumerate(statuses)]


@pytest.mark.parametrize('status, expected', [
    (Status.passed, 'pass'), (Status.fail, 'fail'), (Status.missing_output, 'fail'),
    (Status.skipped, None), (Status.running, None), (Status.not_started, None)])
def test_outcome(status, expected):
    assert outcome(status) == expected


def test_entry_of_a_side():
    made = Entry.of(5, at(5), Side(status=Status.fail, exit_code=3, produced=((1, B),)))
    assert made == Entry(run_id=5, finished_at=at(5), status=Status.fail, produced=((1, B),))


# streak: from the newest entry with an outcome, back while the outcome stays; entries without one passed over.
STREAK_TABLE = [
    #            statuses, newest first                      outcome  since run  runs
    pytest.param(['pass'],                                   'pass',  20,        1, id='single-entry'),
    pytest.param(['fail', 'fail', 'pass', 'fail'],           'fail',  19,        2, id='fails-since-the-second'),
    pytest.param(['fail', 'miss', 'fail'],                   'fail',  18,        3, id='missing-output-is-failing'),
    pytest.param(['pass', 'pass', 'pass'],                   'pass',  18,        3, id='all-pass'),
    pytest.param(['fail', 'skip', 'fail', 'pass'],           'fail',  18,        2, id='through-a-canceled-run'),
    pytest.param(['skip', 'skip', 'pass', 'fail'],           'pass',  18,        1, id='newest-entries-skipped'),
    pytest.param(['fail', 'skip', 'skip'],                   'fail',  20,        1, id='oldest-entries-skipped'),
    pytest.param(['pass', 'skip', 'fail'],                   'pass',  20,        1, id='skip-before-a-change'),
    pytest.param(['running', 'fail', 'not_started', 'fail'], 'fail',  17,        2, id='no-verdict-passed-over'),
]


@pytest.mark.parametrize('statuses, outcome_, since_run_id, runs', STREAK_TABLE)
def test_streak(statuses, outcome_, since_run_id, runs):
    expected = Streak(outcome=outcome_, since_run_id=since_run_id, since=at(since_run_id), runs=runs)
    assert streak(history(*statuses)) == expected


@pytest.mark.parametrize('statuses', [[], ['skip'], ['skip', 'skip', 'running']])
def test_no_streak_without_an_outcome(statuses):
    assert streak(history(*statuses)) is None


def test_streak_since_is_none_when_the_run_has_no_finish_time():
    entries = [Entry(run_id=3, finished_at=None, status=Status.fail)]
    assert streak(entries) == Streak(outcome='fail', since_run_id=3, since=None, runs=1)


@pytest.mark.parametrize('statuses, expected', [
    pytest.param([], 0, id='none'),
    pytest.param(['fail'], 0, id='single'),
    pytest.param(['fail', 'fail', 'miss'], 0, id='fail-and-missing-output-are-one-outcome'),
    pytest.param(['pass', 'fail', 'pass', 'fail'], 3, id='every-run'),
    pytest.param(['pass', 'skip', 'fail'], 1, id='across-a-skip'),
    pytest.param(['pass', 'skip', 'pass'], 0, id='a-skip-is-no-flip'),
    pytest.param(['skip', 'fail', 'fail', 'pass', 'skip'], 1, id='skips-at-both-ends'),
])
def test_flips(statuses, expected):
    assert flips(history(*statuses)) == expected


class LastPassTests:
    """``last_pass``: the newest entry that passed."""

    def test_newest_pass(self):
        assert last_pass(history('fail', 'skip', 'pass', 'pass')) == entry(18, 'pass')

    def test_current_pass(self):
        assert last_pass(history('pass', 'fail')) == entry(20, 'pass')

    @pytest.mark.parametrize('statuses', [[], ['fail', 'miss', 'skip']])
    def test_none_without_a_pass(self, statuses):
        assert last_pass(history(*statuses)) is None


class OutputChangedTests:
    """``output_changed``: against the next older entry; None for the oldest, and when either side reported nothing."""

    def test_against_the_next_older_entry(self):
        entries = [entry(4, 'fail', [(1, B)]), entry(3, 'fail', [(1, A)]), entry(2, 'pass', [(1, A)]),
                   entry(1, 'fail', [(1, B)])]
        assert output_changed(entries) == [True, False, True, None]

    def test_empty_and_single(self):
        assert output_changed([]) == []
        assert output_changed([entry(1, 'pass')]) == [None]

    def test_none_when_either_side_reported_no_output_at_all(self):
        entries = [entry(4, 'pass', [(1, A)]), entry(3, 'skip', [(1, None)]), entry(2, 'miss', [(1, None)]),
                   entry(1, 'pass', [(1, A)])]
        assert output_changed(entries) == [None, None, None, None]

    def test_none_for_a_test_without_outputs(self):
        assert output_changed([entry(2, 'pass', []), entry(1, 'pass', [])]) == [None, None]

    def test_an_output_reported_on_one_side_only_is_a_change(self):
        entries = [entry(2, 'fail', [(1, A), (2, None)]), entry(1, 'pass', [(1, A), (2, B)])]
        assert output_changed(entries) == [True, None]

    def test_an_output_added_to_the_test_is_a_change(self):
        entries = [entry(2, 'pass', [(1, A), (2, B)]), entry(1, 'pass', [(1, A)])]
        assert output_changed(entries) == [True, None]


class Run(NamedTuple):
    """A run as some other module may name it: not an ``Entry``."""

    run_id: int
    finished_at: Optional[datetime.datetime]


CURRENT = entry(30, 'fail')  # the run being looked at; the histories below are the runs before it (20 down)


class FailingSinceTests:
    """``failing_since``: the oldest run of the unbroken failing streak that ends in the current run."""

    @pytest.mark.parametrize('status', [Status.passed, Status.skipped, Status.running, Status.not_started])
    def test_none_unless_the_current_status_fails(self, status):
        assert failing_since(status, CURRENT, history('fail', 'fail')) is None

    def test_fails_since_the_oldest_of_the_streak(self):
        assert failing_since(Status.fail, CURRENT, history('fail', 'miss', 'pass', 'fail')) == RunPoint(19, at(19))

    def test_streak_through_skipped_entries(self):
        earlier = history('skip', 'fail', 'skip', 'fail', 'pass')
        assert failing_since(Status.missing_output, CURRENT, earlier) == RunPoint(17, at(17))

    def test_every_earlier_run_failed(self):
        assert failing_since(Status.fail, CURRENT, history('fail', 'fail', 'skip')) == RunPoint(19, at(19))

    @pytest.mark.parametrize('statuses', [[], ['pass', 'fail'], ['skip', 'pass'], ['skip', 'skip']])
    def test_the_current_run_when_it_is_the_first_to_fail(self, statuses):
        assert failing_since(Status.fail, CURRENT, history(*statuses)) == RunPoint(30, at(30))

    def test_the_current_run_may_be_anything_naming_a_run(self):
        current = Run(run_id=31, finished_at=None)  # not finished yet, say
        assert failing_since(Status.fail, current, []) == RunPoint(31, None)


class LastPassedInTests:
    """``last_passed_in``: the newest earlier run in which the test passed."""

    def test_newest_pass(self):
        assert last_passed_in(history('fail', 'skip', 'pass', 'pass')) == RunPoint(18, at(18))

    @pytest.mark.parametrize('statuses', [[], ['fail', 'skip', 'miss']])
    def test_none_without_a_pass(self, statuses):
        assert last_passed_in(history(*statuses)) is None
