"""The queries over many runs: the same rows as run by run, in a fixed number of statements.

``load_rows_of_runs`` must give each run exactly what ``load_rows`` gives for
it alone (and ``load_status_rows_of_runs`` what ``load_status_rows`` does),
over a mix of runs that exercises every rule of the scope
(customized, deactivated tests with results, reported outputs without a
result, stray rows) and of the states (canceled, unfinished, queued), with
ignored outputs and accepted variants; ``load_finished_runs`` and
``choose_base`` pick the runs a history and a comparison are made of.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Tuple

import pytest
import sqlalchemy as sa

from mod_api import queries
from mod_api.queries import ResultFilters, RunFacts, RunFilters
from mod_api.verdicts import (STATUS_COLUMNS, facts_by_test, run_state,
                              statuses, tally)
from mod_regression.models import RegressionTest
from mod_test.models import TestPlatform, TestStatus, TestType
from run import db
from tests.factories import T0, Factory, sha

PREPARED = (TestStatus.preparation,)
TESTING = (TestStatus.preparation, TestStatus.testing)
CANCELED = (TestStatus.preparation, TestStatus.canceled)
# After every progress row the factory writes by default.
LATER = T0 + datetime.timedelta(hours=1)


def mixed_runs(factory: Factory) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Store the runs of the mix; return their ids and the regression tests' ids, by name."""
    first, second, third = (factory.regression_test(outputs=2) for _ in range(3))
    deactivated = factory.regression_test(active=False)
    never_active = factory.regression_test()
    # NULL counts as inactive; set afterwards, the model's default would take the place of a None.
    factory.session.execute(sa.update(RegressionTest).where(RegressionTest.id == never_active.id).values(active=None))
    ignored = factory.output(third, ignore=True)
    factory.output(third, ignore=None)  # NULL: not ignored
    first_output = factory.outputs(first)[0]
    factory.variant(first_output, sha('accepted one'))
    factory.variant(first_output, sha('accepted two'))
    runs = {}

    run = runs['customized'] = factory.run(customized=[first, deactivated, deactivated])
    factory.finished(run, first)
    factory.finished(run, second)  # recorded, but not listed: out of its scope

    run = runs['deactivated result'] = factory.run()
    factory.finished(run, first)
    factory.result(run, deactivated, exit_code=3)

    run = runs['reported, no result'] = factory.run()
    factory.reported(run, never_active, factory.outputs(never_active)[0], got=sha('other'))
    factory.reported(run, second, factory.outputs(first)[1])  # a stray row: another test's output

    run = runs['canceled'] = factory.run(CANCELED)
    factory.finished(run, first)

    run = runs['unfinished'] = factory.run(TESTING)
    factory.reported(run, second, factory.outputs(second)[0])

    run = runs['ignored and variants'] = factory.run()
    factory.reported(run, first, first_output, got=sha('accepted two'))
    factory.result(run, first)
    factory.reported(run, third, ignored, got=sha('ignored'))
    factory.result(run, third, exit_code=1)

    runs['queued'] = factory.run(())
    runs['prepared'] = factory.run(PREPARED)
    factory.commit()
    tests = {'first': first.id, 'second': second.id, 'third': third.id, 'deactivated': deactivated.id,
             'never active': never_active.id}
    return {name: run.id for name, run in runs.items()}, tests


def facts_of(session: Any, run_ids: List[int]) -> List[RunFacts]:
    facts = [queries.load_run(session, run_id) for run_id in run_ids]
    assert None not in facts
    return [fact for fact in facts if fact is not None]


def plain(rows: queries.RunRows, status_only: bool = False) -> Tuple[List[Tuple[Any, ...]], List[Tuple[Any, ...]]]:
    """The rows as lists of tuples (``load_rows`` may hand a tuple of rows); ``status_only``, the status columns."""
    tests, outputs = STATUS_COLUMNS if status_only else (None, None)
    return [tuple(row)[:tests] for row in rows.tests], [tuple(row)[:outputs] for row in rows.outputs]


@pytest.mark.parametrize('status_only', [False, True])
def test_each_run_has_the_rows_load_rows_gives_it_alone(app, factory, status_only):
    run_ids, tests = mixed_runs(factory)
    with app.app_context():
        session = db.session
        facts = facts_of(session, list(run_ids.values()))
        assert sum(fact.customized for fact in facts) == 1
        for regression_id in [None, *tests.values(), 10 ** 6]:
            loaded = queries.load_rows_of_runs(session, facts, regression_id, status_only)
            assert sorted(loaded) == sorted(run_ids.values())
            for fact in facts:
                alone = queries.load_rows(session, fact, ResultFilters(regression_id=regression_id))
                expected = plain(alone, status_only)
                rows = loaded[fact.run_id]
                assert isinstance(rows.tests, list) and isinstance(rows.outputs, list)
                assert plain(rows) == expected, (fact.run_id, regression_id)
                # The verdict service reads them unchanged.
                state = run_state(fact.last_status)
                of_rows, of_alone = facts_by_test(rows.outputs), facts_by_test(expected[1])
                assert tally(state, rows.tests, of_rows) == tally(state, expected[0], of_alone)
                assert list(statuses(state, rows.tests, of_rows)) == list(statuses(state, expected[0], of_alone))
                if not status_only:
                    assert queries.records(rows) == queries.records(queries.RunRows(*expected))


def test_the_mix_covers_the_rules_of_the_scope(app, factory):
    run_ids, tests = mixed_runs(factory)
    with app.app_context():
        session = db.session
        loaded = queries.load_rows_of_runs(session, facts_of(session, list(run_ids.values())))
    scope = {name: [row[0] for row in loaded[run_id].tests] for name, run_id in run_ids.items()}
    active = [tests['first'], tests['second'], tests['third']]
    assert scope['customized'] == [tests['first'], tests['deactivated']]
    assert scope['deactivated result'] == sorted(active + [tests['deactivated']])
    assert scope['reported, no result'] == sorted(active + [tests['never active']])
    assert scope['canceled'] == scope['unfinished'] == scope['queued'] == active
    # One row per accepted variant (in no order of their own); the ignored output is listed, with its row: the
    # verdicts disregard it.
    rows = [row for row in loaded[run_ids['ignored and variants']].outputs if row[1] == tests['first']]
    assert sorted(row[7] for row in rows[:2]) == sorted([sha('accepted one'), sha('accepted two')])
    assert rows[2][7] is None
    assert any(row[3] and row[6] == sha('ignored') for row in loaded[run_ids['ignored and variants']].outputs)


@pytest.mark.parametrize('count', [1, 5])
@pytest.mark.parametrize('status_only', [False, True])
def test_two_statements_whatever_the_number_of_runs(app, factory, statements, count, status_only):
    run_ids, tests = mixed_runs(factory)
    chosen = sorted(run_ids.values())[:count]
    with app.app_context():
        session = db.session
        facts = facts_of(session, chosen)
        with statements() as seen:
            loaded = queries.load_rows_of_runs(session, facts, status_only=status_only)
        assert len(seen) == 2
        assert all(loaded[run_id].tests for run_id in chosen)
        with statements() as seen:
            queries.load_rows_of_runs(session, facts, tests['first'], status_only)
        assert len(seen) == 2


def test_no_runs_no_statement_and_no_test_one_statement(app, factory, statements):
    run_ids, _ = mixed_runs(factory)
    with app.app_context():
        session = db.session
        facts = facts_of(session, list(run_ids.values()))
        with statements() as seen:
            assert queries.load_rows_of_runs(session, []) == {}
        assert seen == []
        with statements() as seen:
            loaded = queries.load_rows_of_runs(session, facts, regression_id=10 ** 6)
        assert len(seen) == 1
        assert all(rows.tests == [] and rows.outputs == [] for rows in loaded.values())


# --- load_status_rows_of_runs: what the run list counts ------------------------------------------------------------

def status_rows(rows: queries.StatusRows) -> Tuple[List[Tuple[Any, ...]], Dict[int, int]]:
    return [tuple(row) for row in rows.tests], dict(rows.facts)


def more_customized_runs(factory: Factory, tests: Dict[str, int]) -> Dict[str, int]:
    """Store two more customized runs listing the same tests, with other results and rows than the mix's."""
    first, second = (factory.session.get(RegressionTest, tests[name]) for name in ('first', 'second'))
    assert first is not None and second is not None
    differs = factory.run(customized=[first, second])
    factory.reported(differs, first, factory.outputs(first)[0], got=sha('differs here'))
    factory.result(differs, first)
    factory.result(differs, second, exit_code=-11)
    crashed_early = factory.run(customized=[second])
    factory.result(crashed_early, second, exit_code=1)
    factory.commit()
    return {'customized, differs': differs.id, 'customized, crashed': crashed_early.id}


@pytest.mark.parametrize('which', ['all', 'customized only', 'not customized'])
def test_each_run_has_the_status_rows_load_status_rows_gives_it_alone(app, factory, statements, which):
    run_ids, tests = mixed_runs(factory)
    run_ids.update(more_customized_runs(factory, tests))
    with app.app_context():
        session = db.session
        facts = [fact for fact in facts_of(session, list(run_ids.values()))
                 if which == 'all' or fact.customized is (which == 'customized only')]
        assert facts
        with statements() as seen:
            loaded = queries.load_status_rows_of_runs(session, facts)
        assert len(seen) == 1
        assert sorted(loaded) == sorted(fact.run_id for fact in facts)
        for fact in facts:
            alone = queries.load_status_rows(session, fact)
            assert status_rows(loaded[fact.run_id]) == status_rows(alone), fact.run_id
            # And so the Python fold of the run's output rows, test by test.
            folded = facts_by_test(queries.load_rows(session, fact).outputs)
            assert loaded[fact.run_id].facts == {test[0]: folded.get(test[0], 0) for test in alone.tests}
    # The runs' counts differ (the mix's, and the three customized runs over tests they share): no run's were
    # taken for another's.
    distinct = {(c.total, tuple(sorted(c.by_status.items())), c.crashed) for c in (
        tally(run_state(fact.last_status), loaded[fact.run_id].tests, loaded[fact.run_id].facts) for fact in facts)}
    if which == 'all':
        assert len(distinct) >= 5
    if which == 'customized only':
        assert len(facts) == 3 and len(distinct) == 3


def test_no_runs_no_status_statement(app, factory, statements):
    mixed_runs(factory)
    with app.app_context():
        with statements() as seen:
            assert queries.load_status_rows_of_runs(db.session, []) == {}
        assert seen == []


# --- load_finished_runs -------------------------------------------------------------------------------------------

COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)


def test_finished_runs_newest_first_in_a_window(app, factory, statements):
    made = {
        'completed': factory.run(),
        'canceled': factory.run(CANCELED),
        'testing': factory.run(TESTING),
        'queued': factory.run(()),
        'windows': factory.run(platform=TestPlatform.windows),
        'pull request': factory.run(test_type=TestType.pull_request, pr_nr=7, branch='feature'),
        'branch': factory.run(branch='feature'),
        'Master': factory.run(branch='Master'),
        # Canceled, then run again: its last row counts, it is not finished.
        'restarted': factory.run((TestStatus.preparation, TestStatus.canceled, TestStatus.preparation)),
        'latest': factory.run(),
    }
    factory.commit()
    ids = {name: run.id for name, run in made.items()}
    finished = [ids[name] for name in ('latest', 'Master', 'branch', 'pull request', 'windows', 'canceled',
                                       'completed')]
    with app.app_context():
        session = db.session

        def load(filters: RunFilters = RunFilters(), before: Any = None, window: int = 100) -> List[int]:
            with statements() as seen:
                runs = queries.load_finished_runs(session, filters, before, window)
            assert len(seen) == 1
            return [run.run_id for run in runs]

        assert load() == finished
        assert load(window=3) == finished[:3]
        assert load(before=ids['branch']) == finished[3:]
        assert load(before=ids['branch'], window=2) == finished[3:5]
        assert load(before=ids['completed']) == []
        assert load(RunFilters(platform='windows')) == [ids['windows']]
        assert load(RunFilters(platform='linux'), window=2) == [ids['latest'], ids['Master']]
        assert load(RunFilters(branch='master')) == [ids['latest'], ids['windows'], ids['canceled'], ids['completed']]
        assert load(RunFilters(branch='feature')) == [ids['branch'], ids['pull request']]
        assert load(RunFilters(pr_nr=7)) == [ids['pull request']]
        assert load(RunFilters(commit_prefix=made['canceled'].commit[:10])) == [ids['canceled']]
        assert load(RunFilters(commit_prefix=made['testing'].commit[:10])) == []
        # The facts are load_run's.
        runs = queries.load_finished_runs(session, RunFilters(), None, 2)
        assert runs == [queries.load_run(session, ids['latest']), queries.load_run(session, ids['Master'])]


# --- choose_base --------------------------------------------------------------------------------------------------

def choose(app: Any, run_id: int, statements: Any) -> Tuple[Any, str]:
    with app.app_context():
        session = db.session
        run = queries.load_run(session, run_id)
        assert run is not None
        with statements() as seen:
            base, rule = queries.choose_base(session, run)
        assert len(seen) == 1
        return (None if base is None else base.run_id), rule


def test_a_pull_request_without_a_completed_master_run_has_no_base(app, factory, statements):
    factory.run(TESTING)  # master, unfinished
    factory.run(CANCELED)
    factory.run(branch='Master')  # not exactly master
    factory.run(branch='feature')
    factory.run(platform=TestPlatform.windows)
    factory.run(test_type=TestType.pull_request, pr_nr=3)  # a pull request on master: not a commit run
    pull_request = factory.run(test_type=TestType.pull_request, pr_nr=4)
    factory.commit()
    assert choose(app, pull_request.id, statements) == (None, 'master_tip')


def test_a_pull_request_is_compared_with_the_tip_of_master(app, factory, statements):
    tip = factory.run()
    pull_request = factory.run(test_type=TestType.pull_request, pr_nr=4)
    factory.run(TESTING)  # newer master run, unfinished: ignored
    factory.run(test_type=TestType.pull_request, pr_nr=5)  # a completed pull request run: never a base
    factory.run(platform=TestPlatform.windows)  # another platform
    factory.run(branch='feature')
    factory.commit()
    assert choose(app, pull_request.id, statements) == (tip.id, 'master_tip')


def test_the_newest_completed_progress_row_wins_over_the_highest_run_id(app, factory, statements):
    slow = factory.run(TESTING)
    quick = factory.run()
    factory.progress(slow, TestStatus.completed, LATER)
    pull_request = factory.run(test_type=TestType.pull_request, pr_nr=4)
    factory.commit()
    assert choose(app, pull_request.id, statements) == (slow.id, 'master_tip')
    # A later row that is not "completed" takes nothing away: the platform looks at completed rows only.
    factory.progress(slow, TestStatus.canceled, LATER)
    factory.commit()
    assert choose(app, pull_request.id, statements) == (slow.id, 'master_tip')
    assert quick.id > slow.id


def test_a_commit_is_compared_with_the_run_before_it_on_its_branch(app, factory, statements):
    first = factory.run(branch='feature')
    factory.commit()
    assert choose(app, first.id, statements) == (None, 'previous_on_branch')
    earlier = factory.run(branch='feature')
    factory.run(branch='feature', platform=TestPlatform.windows)
    factory.run(branch='Feature')
    tip = factory.run()  # master
    factory.run(branch='feature', test_type=TestType.pull_request, pr_nr=9)
    factory.run(CANCELED, branch='feature')
    factory.run(TESTING, branch='feature')
    run = factory.run(branch='feature')  # completed: never its own base
    factory.run(branch='feature')  # later: not before it
    factory.commit()
    assert choose(app, run.id, statements) == (earlier.id, 'previous_on_branch')
    master = factory.run()
    factory.commit()
    assert choose(app, master.id, statements) == (tip.id, 'previous_on_branch')
