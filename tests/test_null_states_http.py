"""NULL wherever the platform allows it, over HTTP (issue 8).

The platform's models leave most columns nullable: a result's exit code,
expected code and runtime, a regression test's expected code and ``active``,
an output's baseline and ``ignore``, an account's name. Now that the host's
slice has the platform's nullability (``test_host_slice``), the factory can
store each of these states, and here the API answers each one as
``classification.md`` says. Progress times are written as the platform
writes them: timezone-aware, in UTC.
"""

import datetime

import pytest
import sqlalchemy as sa

from mod_customized.models import TestFork
from mod_regression.models import (Category, RegressionTest,
                                   regressionTestLinkTable)
from mod_test.models import Fork, Test, TestProgress, TestStatus, TestType
from tests.conftest import get_json, mint
from tests.factories import sha

UTC = datetime.timezone.utc

TESTING = (TestStatus.preparation, TestStatus.testing)
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)

OTHER = sha('another output')
COMMAND = '-autoprogram -out=srt'


def store_null(factory, row, *attributes):
    """Store NULL in columns of ``row`` (given at creation, None would give way to a column's default)."""
    model = type(row)
    key = {column.key: getattr(row, column.key) for column in sa.inspect(model).primary_key}
    factory.session.execute(sa.update(model).filter_by(**key).values({name: None for name in attributes}))
    factory.session.expire(row)


def detail(api, run, test):
    """The detail of one regression test in a run, its message apart (returned second).

    Its links and file names are left out: tests/test_outputs_http.py and tests/test_lists_http.py test them; so
    are failing_since and last_passed_in, which tests/test_relative_fields_http.py tests.
    """
    body = get_json(api, f'/runs/{run.id}/samples/{test.id}')
    del body['links'], body['html_url'], body['failing_since'], body['last_passed_in']
    for output in body['outputs']:
        del output['filename'], output['links']
    return body, body.pop('result_message')


def matched(output):
    """An output listed as matching its baseline, as stored."""
    return {'output_id': output.id, 'status': 'match', 'expected_hash': output.correct, 'actual_hash': output.correct}


def counts(summary):
    """The summary's counts by status, and its error count."""
    keys = ('pass_count', 'fail_count', 'skipped_count', 'missing_output_count', 'running_count',
            'not_started_count', 'error_count')
    return {key: summary[key] for key in keys}


def only(key, errors=0):
    """The counts of a run whose one test has the status counted under ``key``."""
    return {**{name: 0 for name in ('pass_count', 'fail_count', 'skipped_count', 'missing_output_count',
                                    'running_count', 'not_started_count')}, key: 1, 'error_count': errors}


class ExitCodeTests:
    """Line 7 of the decision table: a result's exit code and expected code, NULL equal only to NULL."""

    @pytest.mark.parametrize('exit_code, expected_rc, status', [
        pytest.param(None, 0,    'fail', id='exit-code-null'),
        pytest.param(0,    None, 'fail', id='expected-rc-null'),
        pytest.param(3,    None, 'fail', id='crash-expected-rc-null'),
        pytest.param(None, None, 'pass', id='both-null'),
    ])
    def test_null_equals_only_null(self, api, factory, exit_code, expected_rc, status):
        test = factory.regression_test(outputs=1)
        output, = factory.outputs(test)
        run = factory.run()
        factory.reported(run, test, output)
        result = factory.result(run, test, exit_code=exit_code, expected_rc=0 if expected_rc is None else expected_rc)
        if expected_rc is None:
            store_null(factory, result, 'expected_rc')
        factory.commit()

        body, message = detail(api, run, test)
        assert body == {'run_id': run.id, 'sample_id': test.sample_id, 'regression_id': test.id, 'categories': [],
                        'command': COMMAND, 'status': status, 'runtime_ms': 1000, 'exit_code': exit_code,
                        'expected_exit_code': expected_rc, 'tags': [], 'outputs': [matched(output)]}
        crashed = status == 'fail'
        if crashed:
            named = {None: 'none recorded'}
            assert message == (f'Exit code {named.get(exit_code, exit_code)}, '
                               f'expected {named.get(expected_rc, expected_rc)}.')
        else:
            assert message == 'Its output matches its baseline.'
        summary = get_json(api, f'/runs/{run.id}/summary')
        assert counts(summary) == only('fail_count' if crashed else 'pass_count', errors=int(crashed))

    def test_a_null_exit_code_without_output_is_a_missing_output_and_an_error(self, api, factory):
        test = factory.regression_test(outputs=1)
        output, = factory.outputs(test)
        run = factory.run()
        factory.result(run, test, exit_code=None)
        factory.commit()

        body, message = detail(api, run, test)
        assert (body['status'], body['exit_code'], body['expected_exit_code']) == ('missing_output', None, 0)
        assert body['outputs'] == [{'output_id': output.id, 'status': 'missing_output',
                                    'expected_hash': output.correct, 'actual_hash': None}]
        assert message.startswith('No output produced') and message.endswith('1 output expected.')
        assert counts(get_json(api, f'/runs/{run.id}/summary')) == only('missing_output_count', errors=1)


class RuntimeAndExpectedCodeTests:
    """A NULL runtime; a regression test's NULL expected code, with and without a result."""

    def test_null_runtime(self, api, factory):
        test = factory.regression_test(outputs=1)
        output, = factory.outputs(test)
        run = factory.run()
        factory.reported(run, test, output)
        factory.result(run, test, runtime=None)
        factory.commit()

        body, message = detail(api, run, test)
        assert body == {'run_id': run.id, 'sample_id': test.sample_id, 'regression_id': test.id, 'categories': [],
                        'command': COMMAND, 'status': 'pass', 'runtime_ms': None, 'exit_code': 0,
                        'expected_exit_code': 0, 'tags': [], 'outputs': [matched(output)]}
        assert message == 'Its output matches its baseline.'

    @pytest.mark.parametrize('states, status', [(TESTING, 'not_started'), (COMPLETED, 'missing_output')])
    def test_null_expected_rc_without_a_result(self, api, factory, states, status):
        test = factory.regression_test(outputs=1, expected_rc=None)
        output, = factory.outputs(test)
        run = factory.run(states=states)
        factory.commit()

        body, _ = detail(api, run, test)
        listed = [] if status == 'not_started' else [
            {'output_id': output.id, 'status': 'missing_output', 'expected_hash': output.correct, 'actual_hash': None}]
        assert body == {'run_id': run.id, 'sample_id': test.sample_id, 'regression_id': test.id, 'categories': [],
                        'command': COMMAND, 'status': status, 'runtime_ms': None, 'exit_code': None,
                        'expected_exit_code': None, 'tags': [], 'outputs': listed}
        assert counts(get_json(api, f'/runs/{run.id}/summary')) == only(f'{status}_count')

    def test_null_expected_rc_copied_into_the_result(self, api, factory):
        test = factory.regression_test(outputs=1, expected_rc=None)
        output, = factory.outputs(test)
        run = factory.run()
        factory.reported(run, test, output)
        factory.result(run, test, exit_code=None)  # the expected code is copied from the test: NULL
        factory.commit()

        body, _ = detail(api, run, test)
        assert (body['status'], body['exit_code'], body['expected_exit_code']) == ('pass', None, None)


class FlagTests:
    """``active`` NULL counts as inactive, ``ignore`` NULL as not ignored."""

    def test_null_active_is_inactive(self, api, factory):
        idle = factory.regression_test()
        recorded = factory.regression_test()
        for test in (idle, recorded):
            store_null(factory, test, 'active')
        run = factory.run()
        factory.finished(run, recorded)  # whatever a run recorded stays in its scope
        factory.commit()

        assert get_json(api, f'/runs/{run.id}/samples/{idle.id}', status=404)['details'] == {
            'resource': 'sample', 'id': idle.id, 'run_id': run.id}
        summary = get_json(api, f'/runs/{run.id}/summary')
        assert (summary['total_samples'], summary['pass_count']) == (1, 1)
        assert [item['regression_id'] for item in get_json(api, f'/runs/{run.id}/samples')['data']] == [recorded.id]

    def test_null_active_stays_in_a_customized_run(self, api, factory):
        listed = factory.regression_test()
        store_null(factory, listed, 'active')
        run = factory.run(states=TESTING, customized=[listed])
        factory.commit()

        assert detail(api, run, listed)[0]['status'] == 'not_started'
        assert get_json(api, f'/runs/{run.id}/summary')['total_samples'] == 1

    def test_null_ignore_is_judged(self, api, factory):
        test = factory.regression_test(outputs=2)
        reported, unreported = factory.outputs(test)
        store_null(factory, unreported, 'ignore')
        run = factory.run()
        factory.reported(run, test, reported)
        factory.result(run, test)
        factory.commit()

        body, message = detail(api, run, test)
        assert (body['status'], body['outputs']) == ('fail', [
            matched(reported),
            {'output_id': unreported.id, 'status': 'missing_output', 'expected_hash': unreported.correct,
             'actual_hash': None}])
        assert message == f'Output {unreported.id} (.1.srt) was not produced; 1 of 2 outputs reported.'


class BaselineTests:
    """``correct`` NULL: no baseline, unless the row's ``expected`` holds one."""

    def test_null_correct_and_empty_expected_is_a_missing_baseline(self, api, factory):
        test = factory.regression_test(outputs=1)
        output, = factory.outputs(test)
        store_null(factory, output, 'correct')
        run = factory.run()
        factory.reported(run, test, output, expected='', got=OTHER)
        factory.result(run, test)
        factory.commit()

        body, _ = detail(api, run, test)
        assert (body['status'], body['outputs']) == ('fail', [
            {'output_id': output.id, 'status': 'missing_expected', 'expected_hash': None, 'actual_hash': OTHER}])

    def test_null_correct_without_a_row(self, api, factory):
        test = factory.regression_test(outputs=1)
        output, = factory.outputs(test)
        store_null(factory, output, 'correct')
        run = factory.run()
        factory.result(run, test)
        factory.commit()

        body, _ = detail(api, run, test)
        assert (body['status'], body['outputs']) == ('missing_output', [
            {'output_id': output.id, 'status': 'missing_expected', 'expected_hash': None, 'actual_hash': None}])

    def test_null_correct_with_a_baseline_in_the_row(self, api, factory):
        test = factory.regression_test(outputs=1)
        output, = factory.outputs(test)
        baseline = output.correct
        store_null(factory, output, 'correct')
        run = factory.run()
        factory.reported(run, test, output, expected=baseline)
        factory.result(run, test)
        factory.commit()

        body, _ = detail(api, run, test)
        assert (body['status'], body['outputs']) == ('pass', [
            {'output_id': output.id, 'status': 'match', 'expected_hash': baseline, 'actual_hash': baseline}])


class ProgressTimeTests:
    """Progress times written as the platform writes them: timezone-aware, in UTC."""

    def test_aware_times(self, api, factory):
        start = datetime.datetime(2026, 11, 1, 23, 59, 30, tzinfo=UTC)
        run = factory.run(states=())
        for offset, state in ((0, TestStatus.preparation), (45, TestStatus.testing), (95, TestStatus.completed)):
            factory.progress(run, state, start + datetime.timedelta(seconds=offset))
        factory.commit()

        body = get_json(api, f'/runs/{run.id}')
        assert (body['started_at'], body['finished_at']) == ('2026-11-01T23:59:30Z', '2026-11-02T00:01:05Z')
        assert [(step['status'], step['at']) for step in body['progress']] == [
            ('preparation', '2026-11-01T23:59:30Z'), ('testing', '2026-11-02T00:00:15Z'),
            ('completed', '2026-11-02T00:01:05Z')]
        assert get_json(api, f'/runs/{run.id}/summary')['duration_ms'] == 95_000

    def test_times_the_platform_takes_by_default(self, api, factory):
        """The platform's CI writes progress rows without a time: now, in UTC."""
        run = factory.run(states=())
        before = datetime.datetime.now(UTC).replace(microsecond=0)
        for state in COMPLETED:
            factory.session.add(TestProgress(test_id=run.id, status=state, message=state.value))
        factory.commit()
        after = datetime.datetime.now(UTC)

        body = get_json(api, f'/runs/{run.id}')
        started = datetime.datetime.fromisoformat(body['started_at'].replace('Z', '+00:00'))
        finished = datetime.datetime.fromisoformat(body['finished_at'].replace('Z', '+00:00'))
        # Within a second: a DATETIME keeps no fraction (MariaDB drops it, MySQL rounds it).
        second = datetime.timedelta(seconds=1)
        assert before - second <= started <= finished <= after + second
        duration = get_json(api, f'/runs/{run.id}/summary')['duration_ms']
        assert 0 <= duration <= (after - before + second) // datetime.timedelta(milliseconds=1)


class RequesterTests:
    """An account whose name is NULL: its run falls back to what the run is; its token still works."""

    @pytest.mark.parametrize('test_type, pr_nr, expected', [
        (TestType.commit, 0, 'commit on master'),
        (TestType.pull_request, 7, 'pull request #7'),
    ])
    def test_nameless_requester(self, api, factory, test_type, pr_nr, expected):
        run = factory.run(test_type=test_type, pr_nr=pr_nr, requested_by=factory.account(nameless=True))
        factory.commit()

        assert get_json(api, f'/runs/{run.id}/summary')['triggered_by'] == expected

    def test_the_first_requester_counts_even_nameless(self, api, factory):
        run = factory.run(requested_by=factory.account(nameless=True))
        factory.session.add(TestFork(user_id=factory.account('bob').id, test_id=run.id))
        factory.commit()

        assert get_json(api, f'/runs/{run.id}/summary')['triggered_by'] == 'commit on master'

    def test_a_nameless_accounts_token_reads(self, app, api, factory, run_id):
        api.headers['Authorization'] = f'Bearer {mint(app, factory, factory.account(nameless=True))}'

        assert get_json(api, f'/runs/{run_id}/summary')['pass_count'] == 1


class OtherNullTests:
    """The rest of what may be NULL among the columns the API reads."""

    def test_a_category_without_a_name_and_a_link_without_a_category(self, api, factory):
        test = factory.regression_test()
        category = Category(name=None, description='')
        factory.session.add(category)
        factory.session.flush()
        factory.session.execute(sa.insert(regressionTestLinkTable), [
            {'regression_id': test.id, 'category_id': category.id}, {'regression_id': test.id, 'category_id': None}])
        run = factory.run()
        factory.finished(run, test)
        factory.commit()

        body, _ = detail(api, run, test)
        assert 'category' not in body and body['categories'] == [] and body['status'] == 'pass'

    def test_the_same_category_linked_twice(self, api, factory):
        """The link table has no primary key: a link may be stored twice."""
        test = factory.regression_test(categories=('DVB',))
        link = factory.session.execute(sa.select(regressionTestLinkTable)).one()
        factory.session.execute(sa.insert(regressionTestLinkTable).values(**link._mapping))
        run = factory.run()
        factory.finished(run, test)
        factory.commit()

        body, _ = detail(api, run, test)
        assert (body['category'], body['categories']) == ('DVB', ['DVB'])
        page = get_json(api, f'/runs/{run.id}/samples?category=DVB')
        assert [item['regression_id'] for item in page['data']] == [test.id]
        assert page['pagination']['total'] == 1

    def test_no_fork_and_a_fork_without_repository(self, api, factory):
        without_fork = factory.run()
        factory.session.execute(sa.update(Test).where(Test.id == without_fork.id).values(fork_id=None, token=None))
        unknown_repository = factory.run()
        factory.session.execute(sa.update(Fork).where(Fork.id == unknown_repository.fork_id).values(github=None))
        factory.commit()

        for run in (without_fork, unknown_repository):
            assert get_json(api, f'/runs/{run.id}')['repository'] is None

    @pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        'mod_api answers "sample_id": null, which its document does not allow '
        '(mod_api/schemas.py: RegressionResultSchema.sample_id is a required integer, at least 1)'))
    def test_a_regression_test_without_a_sample(self, api, factory):
        test = factory.regression_test()
        factory.session.execute(sa.update(RegressionTest).where(RegressionTest.id == test.id).values(sample_id=None))
        run = factory.run()
        factory.finished(run, test)
        factory.commit()

        detail(api, run, test)
