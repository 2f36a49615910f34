"""Triage over HTTP (issue 5): the run list, a run's detail, a run's results, conditional GET, CORS.

``GET /runs``, ``GET /runs/{run_id}``, ``GET /runs/{run_id}/samples`` on rows
built with the factory; validators and caching rules of every run-derived
answer; what a browser on another origin is allowed to do. Every answer that
goes through ``api`` is also checked against the OpenAPI document.
"""

import datetime
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa
from flask import Flask

from mod_customized.models import CustomizedTest
from mod_regression.models import (Category, RegressionTestOutputFiles,
                                   regressionTestLinkTable)
from mod_sample.models import Tag, sample_tag_association
from mod_test.models import (Fork, TestPlatform, TestProgress, TestResult,
                             TestResultFile, TestStatus, TestType)
from run import create_app, db
from tests.conftest import (API_ROOT, Api, app_config, counted, get_json,
                            path_of)
from tests.factories import T0, sha

QUEUED = ()
PREPARING = (TestStatus.preparation,)
TESTING = (TestStatus.preparation, TestStatus.testing)
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
CANCELED = (TestStatus.preparation, TestStatus.canceled)
STATES = {'queued': QUEUED, 'preparation': PREPARING, 'testing': TESTING, 'completed': COMPLETED,
          'canceled': CANCELED}
FINISHED = {'completed', 'canceled'}
STEP = datetime.timedelta(minutes=5)

OTHER = sha('not the baseline')
RUN_KEYS = ['run_id', 'platform', 'type', 'branch', 'commit', 'pr_number', 'repository', 'state', 'started_at',
            'finished_at', 'links', 'html_url', 'counts', 'conclusion']
ORIGIN = 'http://localhost:8001'
EXPOSED = {'etag', 'link', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset',
           'x-request-id', 'content-range', 'accept-ranges', 'content-disposition'}


def iso(moment: datetime.datetime) -> str:
    """A stored (naive, UTC) time as the API writes it."""
    return moment.isoformat() + 'Z'


def repository(factory, run) -> str:
    """The GitHub address of the fork a run tested."""
    return factory.session.get(Fork, run.fork_id).github


def ids(page: Dict[str, Any], key: str) -> List[int]:
    """The ids of a page's items."""
    return [item[key] for item in page['data']]


def names(header: str) -> set:
    """The lower-cased names of a comma-separated header."""
    return {part.strip().lower() for part in header.split(',') if part.strip()}


def invalid_parameter(api: Api, path: str, parameter: str) -> Dict[str, Any]:
    """Check that ``path`` answers 400 ``invalid_parameter`` naming ``parameter``, and return the body."""
    body = get_json(api, path, status=400)
    assert body['code'] == 'invalid_parameter'
    assert body['details']['parameter'] == parameter
    assert body['details']['in'] == 'query'
    assert parameter in body['message']
    return body


def bulk_tests(factory, run, count: int, label: str) -> List[int]:
    """Add ``count`` finished regression tests with a category and tags; every fifth one crashes."""
    sample = factory.sample(tags=(f'{label}-tag', 'shared-tag'))
    return factory.many_finished(run, count, label, sample=sample, category=f'{label}-category', crash_every=5)


# --- GET /runs -----------------------------------------------------------------------------------------------------

class RunListTests:
    """``GET /runs``: newest first, filters, pagination, the items."""

    def test_items_newest_first(self, api, factory):
        account = factory.account()
        done = factory.run(COMPLETED, branch='master', platform=TestPlatform.linux, requested_by=account)
        pull = factory.run(CANCELED, test_type=TestType.pull_request, branch='fix-708', pr_nr=42,
                           platform=TestPlatform.windows)
        testing = factory.run(TESTING)
        queued = factory.run(QUEUED)
        factory.commit()

        page = get_json(api, '/runs')
        assert ids(page, 'run_id') == [queued.id, testing.id, pull.id, done.id]
        assert counted(page['pagination']) == {'limit': 20, 'offset': 0, 'total': 4}
        items = {item['run_id']: item for item in page['data']}
        assert all(list(item) == RUN_KEYS for item in page['data'])

        def links(run) -> Dict[str, str]:
            url = f'{API_ROOT}/runs/{run.id}'
            return {'self': url, 'summary': f'{url}/summary', 'samples': f'{url}/samples',
                    'comparison': f'{url}/comparison', 'log': f'{url}/log'}

        # No regression test at all: nothing counted, nothing failing (tests/test_relative_fields_http.py counts).
        nothing = {'total_samples': 0, 'pass_count': 0, 'fail_count': 0, 'skipped_count': 0,
                   'missing_output_count': 0, 'error_count': 0, 'running_count': 0, 'not_started_count': 0}

        assert items[done.id] == {
            'run_id': done.id, 'platform': 'linux', 'type': 'commit', 'branch': 'master', 'commit': done.commit,
            'pr_number': None, 'repository': repository(factory, done), 'state': 'completed',
            'started_at': iso(T0), 'finished_at': iso(T0 + 2 * STEP), 'links': links(done),
            'html_url': f'http://localhost/test/{done.id}', 'counts': nothing, 'conclusion': 'pass'}
        assert items[pull.id] == {
            'run_id': pull.id, 'platform': 'windows', 'type': 'pull_request', 'branch': 'fix-708',
            'commit': pull.commit, 'pr_number': 42, 'repository': repository(factory, pull), 'state': 'canceled',
            'started_at': iso(T0), 'finished_at': iso(T0 + STEP), 'links': links(pull),
            'html_url': f'http://localhost/test/{pull.id}', 'counts': nothing, 'conclusion': 'canceled'}
        assert items[testing.id]['state'] == 'testing' and items[testing.id]['conclusion'] == 'in_progress'
        assert (items[testing.id]['started_at'], items[testing.id]['finished_at']) == (iso(T0), None)
        assert items[queued.id]['state'] == 'queued'
        assert (items[queued.id]['started_at'], items[queued.id]['finished_at']) == (None, None)

    def test_times_are_utc_iso_8601(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        item = get_json(api, '/runs')['data'][0]
        for key in ('started_at', 'finished_at'):
            assert item[key].endswith('Z')
            parsed = datetime.datetime.fromisoformat(item[key][:-1] + '+00:00')
            assert parsed.utcoffset() == datetime.timedelta(0)
        assert item['run_id'] == run.id

    def test_finished_at_only_once_completed_or_canceled(self, api, factory):
        run = factory.run(TESTING)
        factory.commit()
        assert get_json(api, f'/runs/{run.id}')['finished_at'] is None
        factory.progress(run, TestStatus.completed, T0 + 3 * STEP)
        factory.commit()
        assert get_json(api, f'/runs/{run.id}')['finished_at'] == iso(T0 + 3 * STEP)

    def test_links_work_when_followed(self, api, factory):
        test = factory.regression_test()
        run = factory.run(COMPLETED)
        factory.finished(run, test)
        factory.commit()
        links = get_json(api, '/runs')['data'][0]['links']
        assert all(link.startswith(API_ROOT + '/') for link in links.values())
        assert get_json(api, path_of(links['self'])) == get_json(api, f'/runs/{run.id}')
        summary = get_json(api, path_of(links['summary']))
        assert (summary['run_id'], summary['total_samples'], summary['pass_count']) == (run.id, 1, 1)
        assert get_json(api, path_of(links['comparison']))['run_id'] == run.id
        samples = get_json(api, path_of(links['samples']))
        assert [(item['run_id'], item['regression_id']) for item in samples['data']] == [(run.id, test.id)]

    def test_repository_is_null_without_a_fork(self, api, factory):
        run = factory.run(COMPLETED)
        run.fork_id = None
        factory.commit()
        assert get_json(api, '/runs')['data'][0]['repository'] is None

    def test_platform_filter(self, api, factory):
        runs = {name: factory.run(COMPLETED, platform=TestPlatform.from_string(name)) for name in ('linux', 'windows')}
        factory.commit()
        for platform, run in runs.items():
            page = get_json(api, f'/runs?platform={platform}')
            assert ids(page, 'run_id') == [run.id], platform
            assert page['pagination']['total'] == 1
            assert page['data'][0]['platform'] == platform

    def test_state_filter(self, api, factory):
        runs = {name: factory.run(states) for name, states in STATES.items()}
        # A run whose rows went back and forth: its state is its highest-id row's.
        again = factory.run(COMPLETED)
        factory.progress(again, TestStatus.testing, T0 + 3 * STEP)
        factory.commit()
        for state, run in runs.items():
            expected = ([again.id] if state == 'testing' else []) + [run.id]
            page = get_json(api, f'/runs?state={state}')
            assert ids(page, 'run_id') == expected, state
            assert page['pagination']['total'] == len(expected)
            assert {item['state'] for item in page['data']} == {state}

    def test_branch_filter(self, api, factory):
        master = factory.run(COMPLETED, branch='master')
        factory.run(COMPLETED, branch='master-old')
        factory.run(COMPLETED, branch='dev')
        factory.commit()
        assert ids(get_json(api, '/runs?branch=master'), 'run_id') == [master.id]
        only = f'{API_ROOT}/runs?branch=nowhere&offset=0'
        assert get_json(api, '/runs?branch=nowhere') == {'data': [], 'pagination': {
            'limit': 20, 'offset': 0, 'total': 0, 'links': {'next': None, 'prev': None, 'first': only, 'last': only}}}

    def test_commit_prefix_filter(self, api, factory):
        runs = [factory.run(COMPLETED) for _ in range(3)]
        factory.commit()
        wanted = runs[1]
        for length in (7, 12, 40):
            for prefix in (wanted.commit[:length].lower(), wanted.commit[:length].upper()):
                page = get_json(api, f'/runs?commit={prefix}')
                assert ids(page, 'run_id') == [wanted.id], prefix
                assert page['data'][0]['commit'] == wanted.commit

    def test_commit_prefix_matches_every_run_of_the_commit(self, api, factory):
        first, second, other = (factory.run(COMPLETED) for _ in range(3))
        second.commit = first.commit
        other.commit = first.commit[:6] + ('0' if first.commit[6] != '0' else '1') + first.commit[7:]
        factory.commit()
        assert ids(get_json(api, f'/runs?commit={first.commit[:7]}'), 'run_id') == [second.id, first.id]

    def test_pr_filter(self, api, factory):
        five = factory.run(COMPLETED, test_type=TestType.pull_request, pr_nr=5)
        factory.run(COMPLETED, test_type=TestType.pull_request, pr_nr=6)
        factory.run(COMPLETED, test_type=TestType.commit, pr_nr=5)  # a commit run: no pull request number
        factory.commit()
        page = get_json(api, '/runs?pr=5')
        assert ids(page, 'run_id') == [five.id]
        assert page['data'][0]['pr_number'] == 5

    def test_filters_combine(self, api, factory):
        wanted = factory.run(TESTING, platform=TestPlatform.windows, branch='dev')
        factory.run(COMPLETED, platform=TestPlatform.windows, branch='dev')
        factory.run(TESTING, platform=TestPlatform.linux, branch='dev')
        factory.run(TESTING, platform=TestPlatform.windows, branch='master')
        factory.commit()
        page = get_json(api, '/runs?platform=windows&state=testing&branch=dev')
        assert ids(page, 'run_id') == [wanted.id]
        assert page['pagination']['total'] == 1

    def test_pagination(self, api, factory):
        runs = [factory.run(COMPLETED, branch='paged' if index % 4 else 'other') for index in range(9)]
        factory.commit()
        newest_first = [run.id for run in reversed(runs)]
        paged = [run.id for run in reversed(runs) if run.branch == 'paged']
        assert ids(get_json(api, '/runs?limit=3'), 'run_id') == newest_first[:3]
        page = get_json(api, '/runs?limit=3&offset=3')
        assert ids(page, 'run_id') == newest_first[3:6]
        assert counted(page['pagination']) == {'limit': 3, 'offset': 3, 'total': 9}
        assert ids(get_json(api, '/runs?limit=100&offset=8'), 'run_id') == newest_first[8:]
        assert get_json(api, '/runs?offset=9')['data'] == []
        # The total counts the runs that pass the filters, over all pages.
        page = get_json(api, '/runs?branch=paged&limit=2&offset=2')
        assert ids(page, 'run_id') == paged[2:4]
        assert counted(page['pagination']) == {'limit': 2, 'offset': 2, 'total': len(paged)}

    def test_default_page(self, api, factory):
        runs = [factory.run(PREPARING) for _ in range(23)]
        factory.commit()
        page = get_json(api, '/runs')
        assert counted(page['pagination']) == {'limit': 20, 'offset': 0, 'total': 23}
        assert ids(page, 'run_id') == [run.id for run in reversed(runs)][:20]
        assert len(get_json(api, '/runs?limit=100')['data']) == 23

    INVALID = [
        ('limit=0', 'limit'),
        ('limit=101', 'limit'),
        ('limit=abc', 'limit'),
        ('limit=', 'limit'),
        ('offset=-1', 'offset'),
        ('offset=1.5', 'offset'),
        ('status=pass', 'status'),
        ('sort=newest', 'sort'),
        ('limit=5&limit=6', 'limit'),
        ('platform=linux&platform=linux', 'platform'),
        ('commit=abc', 'commit'),
        ('commit=abcdef', 'commit'),
        ('commit=zzzzzzz', 'commit'),
        ('state=done', 'state'),
        ('state=Completed', 'state'),
        ('platform=mac', 'platform'),
        ('pr=0', 'pr'),
        ('pr=abc', 'pr'),
    ]

    def test_invalid_parameter(self, api, factory):
        factory.run(COMPLETED)
        factory.commit()
        for query, parameter in self.INVALID:
            invalid_parameter(api, f'/runs?{query}', parameter)

    def test_an_unknown_parameter_is_named_with_the_allowed_ones(self, api):
        body = invalid_parameter(api, '/runs?limit=5&colour=red', 'colour')
        assert set(body['details']['allowed']) == {'limit', 'offset', 'platform', 'state', 'branch', 'commit', 'pr',
                                                   'started_after', 'started_before', 'sort'}


# --- GET /runs/{run_id} --------------------------------------------------------------------------------------------

class RunDetailTests:
    """``GET /runs/{run_id}``: the list's item plus the progress history."""

    def test_item_and_progress_oldest_first(self, api, factory):
        run = factory.run(COMPLETED, test_type=TestType.pull_request, pr_nr=9, branch='fix')
        factory.run(TESTING)
        factory.commit()
        detail = get_json(api, f'/runs/{run.id}')
        item = [item for item in get_json(api, '/runs')['data'] if item['run_id'] == run.id][0]
        assert list(detail) == RUN_KEYS + ['progress']
        assert {key: value for key, value in detail.items() if key != 'progress'} == item
        assert detail['progress'] == [
            {'status': 'preparation', 'at': iso(T0), 'message': 'preparation'},
            {'status': 'testing', 'at': iso(T0 + STEP), 'message': 'testing'},
            {'status': 'completed', 'at': iso(T0 + 2 * STEP), 'message': 'completed'},
        ]

    def test_progress_in_row_order_and_state_from_the_last_row(self, api, factory):
        run = factory.run(TESTING)
        # A row written later but stamped earlier (a worker's clock): the rows' order is the history's.
        factory.progress(run, TestStatus.canceled, T0 - STEP)
        factory.commit()
        detail = get_json(api, f'/runs/{run.id}')
        assert [step['status'] for step in detail['progress']] == ['preparation', 'testing', 'canceled']
        assert detail['state'] == 'canceled'

    def test_queued_run_has_no_progress(self, api, factory):
        run = factory.run(QUEUED)
        factory.commit()
        detail = get_json(api, f'/runs/{run.id}')
        assert (detail['state'], detail['progress'], detail['started_at']) == ('queued', [], None)

    def test_unknown_run(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        body = get_json(api, f'/runs/{run.id + 1}', status=404)
        assert body['code'] == 'not_found'
        assert body['details'] == {'resource': 'run', 'id': run.id + 1}

    def test_invalid_id(self, api):
        for value in ('abc', '1.5', '+1', '1e3', '%20', '\u0663'):
            body = get_json(api, f'/runs/{value}', status=400)
            assert body['code'] == 'invalid_parameter', value
            assert (body['details']['parameter'], body['details']['in']) == ('run_id', 'path')

    def test_an_id_no_run_can_have_is_not_found(self, api):
        for value in ('0', '-1', '2147483648', '288230376151711744', '9' * 50):
            body = get_json(api, f'/runs/{value}', status=404)
            assert body['details'] == {'resource': 'run', 'id': int(value)}, value

    def test_any_query_parameter_is_refused(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        body = invalid_parameter(api, f'/runs/{run.id}?state=canceled', 'state')
        assert body['details']['allowed'] == []


# --- GET /runs/{run_id}/samples ------------------------------------------------------------------------------------

@pytest.fixture
def every_status(factory) -> Dict[str, Any]:
    """A completed and a testing run, each limited to its own tests, between them giving every status.

    Returns the two runs and, for each, the regression ids of each status.
    """
    p, f, s, m = (factory.regression_test(), factory.regression_test(), factory.regression_test(outputs=0),
                  factory.regression_test())
    completed = factory.run(COMPLETED, customized=(p, f, s, m))
    factory.finished(completed, p)
    factory.finished(completed, f, exit_code=3)
    factory.result(completed, m)  # a result, no output
    p2, r, n, m2 = (factory.regression_test(), factory.regression_test(outputs=2), factory.regression_test(),
                    factory.regression_test())
    testing = factory.run(TESTING, customized=(p2, r, n, m2))
    factory.finished(testing, p2)
    factory.reported(testing, r, factory.outputs(r)[0])  # one of two outputs so far, no result yet
    factory.result(testing, m2)
    factory.commit()
    return {'runs': {'completed': completed, 'testing': testing},
            'ids': {'completed': {'pass': [p.id], 'fail': [f.id], 'skipped': [s.id], 'missing_output': [m.id]},
                    'testing': {'pass': [p2.id], 'running': [r.id], 'not_started': [n.id],
                                'missing_output': [m2.id]}}}


class RegressionResultListTests:
    """``GET /runs/{run_id}/samples``: every result of a run, each as the single-result endpoint gives it."""

    def test_every_result_in_regression_order_as_the_single_result(self, api, factory):
        first = factory.regression_test(categories=('DVB',), tags=('mpeg', 'dvb'))
        crashed = factory.regression_test(outputs=2, categories=('ATSC', 'DVB'))
        retired = factory.regression_test(active=False)  # inactive, but the run ran it: in scope
        unused = factory.regression_test(active=False)  # inactive and not run: out of scope
        never = factory.regression_test(tags=('mp4',))  # active, never run: missing output
        run = factory.run(COMPLETED)
        factory.finished(run, crashed, exit_code=-11)
        factory.finished(run, first)
        factory.finished(run, retired)
        factory.commit()

        page = get_json(api, f'/runs/{run.id}/samples')
        expected_ids = [first.id, crashed.id, retired.id, never.id]
        assert ids(page, 'regression_id') == expected_ids
        assert unused.id not in ids(page, 'regression_id')
        assert counted(page['pagination']) == {'limit': 20, 'offset': 0, 'total': 4}
        for item in page['data']:  # the detail, without what it adds about earlier runs (issue 12)
            detail = get_json(api, f'/runs/{run.id}/samples/{item["regression_id"]}')
            assert item == {key: value for key, value in detail.items()
                            if key not in ('failing_since', 'last_passed_in')}
        assert [item['status'] for item in page['data']] == ['pass', 'fail', 'pass', 'missing_output']

    def test_every_status_is_listed_and_filtered(self, api, every_status):
        runs = every_status['runs']
        seen = set()
        for name, run in runs.items():
            listed = get_json(api, f'/runs/{run.id}/samples')['data']
            by_status: Dict[str, List[int]] = {}
            for item in listed:
                by_status.setdefault(item['status'], []).append(item['regression_id'])
            assert by_status == every_status['ids'][name]
            seen |= set(by_status)
        assert seen == {'pass', 'fail', 'skipped', 'missing_output', 'running', 'not_started'}

    def test_status_filter(self, api, every_status):
        for status in ('pass', 'fail', 'skipped', 'missing_output', 'running', 'not_started'):
            found = 0
            for name, run in every_status['runs'].items():
                expected = every_status['ids'][name].get(status, [])
                page = get_json(api, f'/runs/{run.id}/samples?status={status}')
                assert ids(page, 'regression_id') == expected, (name, status)
                assert page['pagination']['total'] == len(expected)
                assert all(item['status'] == status for item in page['data'])
                found += len(expected)
            assert found > 0, status

    def test_category_filter_takes_any_of_the_tests_categories(self, api, factory):
        dvb = factory.regression_test(categories=('DVB',))
        both = factory.regression_test(categories=('DVB', 'ATSC'))
        atsc = factory.regression_test(categories=('ATSC',))
        factory.regression_test()
        run = factory.run(COMPLETED)
        factory.commit()
        page = get_json(api, f'/runs/{run.id}/samples?category=DVB')
        assert ids(page, 'regression_id') == [dvb.id, both.id]
        assert page['pagination']['total'] == 2
        # The item names the test's alphabetically first category, the one it was not found by included.
        assert [item['category'] for item in page['data']] == ['DVB', 'ATSC']
        assert ids(get_json(api, f'/runs/{run.id}/samples?category=ATSC'), 'regression_id') == [both.id, atsc.id]
        empty = get_json(api, f'/runs/{run.id}/samples?category=Nothing')
        assert (empty['data'], empty['pagination']['total']) == ([], 0)

    def test_tag_filter(self, api, factory):
        both = factory.regression_test(tags=('mpeg', 'dvb'))
        mpeg = factory.regression_test(tags=('mpeg',))
        factory.regression_test(tags=('mp4',))
        factory.regression_test()
        run = factory.run(COMPLETED)
        factory.commit()
        page = get_json(api, f'/runs/{run.id}/samples?tag=mpeg')
        assert ids(page, 'regression_id') == [both.id, mpeg.id]
        assert page['data'][0]['tags'] == ['dvb', 'mpeg']
        assert ids(get_json(api, f'/runs/{run.id}/samples?tag=dvb'), 'regression_id') == [both.id]
        assert get_json(api, f'/runs/{run.id}/samples?tag=none')['pagination']['total'] == 0

    def test_filters_combine_and_the_total_counts_after_filtering(self, api, factory):
        tests = [factory.regression_test(categories=('DVB',) if index % 2 else ('ATSC',)) for index in range(8)]
        run = factory.run(COMPLETED)
        for index, test in enumerate(tests):
            factory.finished(run, test, exit_code=0 if index < 5 else 1)
        factory.commit()
        expected = [test.id for index, test in enumerate(tests) if index % 2 and index < 5]
        page = get_json(api, f'/runs/{run.id}/samples?status=pass&category=DVB&limit=1&offset=1')
        assert ids(page, 'regression_id') == expected[1:2]
        assert counted(page['pagination']) == {'limit': 1, 'offset': 1, 'total': len(expected)}

    def test_pagination(self, api, factory):
        tests = [factory.regression_test() for _ in range(5)]
        run = factory.run(COMPLETED)
        factory.commit()
        page = get_json(api, f'/runs/{run.id}/samples?limit=2&offset=1')
        assert ids(page, 'regression_id') == [test.id for test in tests[1:3]]
        assert counted(page['pagination']) == {'limit': 2, 'offset': 1, 'total': 5}
        last = get_json(api, f'/runs/{run.id}/samples?limit=2&offset=4')
        assert ids(last, 'regression_id') == [tests[4].id]
        beyond = get_json(api, f'/runs/{run.id}/samples?offset=5')
        first = f'{API_ROOT}/runs/{run.id}/samples?offset=0'
        assert beyond == {'data': [], 'pagination': {'limit': 20, 'offset': 5, 'total': 5, 'links': {
            'next': None, 'prev': first, 'first': first, 'last': first}}}

    def test_default_page(self, api, factory):
        run = factory.run(COMPLETED)
        test_ids = bulk_tests(factory, run, 23, 'default page')
        factory.commit()
        page = get_json(api, f'/runs/{run.id}/samples')
        assert counted(page['pagination']) == {'limit': 20, 'offset': 0, 'total': 23}
        assert ids(page, 'regression_id') == test_ids[:20]
        assert ids(get_json(api, f'/runs/{run.id}/samples?limit=100'), 'regression_id') == test_ids

    def test_a_run_without_tests(self, api, factory):
        run = factory.run(QUEUED)
        factory.commit()
        first = f'{API_ROOT}/runs/{run.id}/samples?offset=0'
        assert get_json(api, f'/runs/{run.id}/samples') == {'data': [], 'pagination': {
            'limit': 20, 'offset': 0, 'total': 0, 'links': {'next': None, 'prev': None, 'first': first, 'last': first}}}

    def test_unknown_run(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        body = get_json(api, f'/runs/{run.id + 1}/samples', status=404)
        assert (body['code'], body['details']) == ('not_found', {'resource': 'run', 'id': run.id + 1})

    def test_invalid_run_id(self, api):
        for value in ('abc', '-', '3-', '0x10'):
            body = get_json(api, f'/runs/{value}/samples', status=400)
            assert (body['code'], body['details']['parameter']) == ('invalid_parameter', 'run_id'), value
        for value in ('0', '-3', '99999999999'):
            body = get_json(api, f'/runs/{value}/samples', status=404)
            assert body['details'] == {'resource': 'run', 'id': int(value)}, value

    INVALID = [
        ('status=done', 'status'),
        ('status=PASS', 'status'),
        ('status=error', 'status'),
        ('limit=0', 'limit'),
        ('limit=101', 'limit'),
        ('limit=abc', 'limit'),
        ('offset=-1', 'offset'),
        ('offset=1.5', 'offset'),
        ('state=completed', 'state'),
        ('regression_id=1', 'regression_id'),
        ('status=pass&status=fail', 'status'),
        ('tag=a&tag=a', 'tag'),
        ('category=', 'category'),
    ]

    def test_invalid_parameter(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        for query, parameter in self.INVALID:
            invalid_parameter(api, f'/runs/{run.id}/samples?{query}', parameter)


class RegressionResultListCostTests:
    """The list's statements: as many for a page of 1 as of 100, for a run of 10 tests as of 300."""

    QUERIES = ['limit=1', 'limit=100', 'limit=100&offset=5', 'status=pass&limit=100', 'tag=shared-tag&limit=50']

    def measure(self, api, statements, run) -> Dict[str, int]:
        counts = {}
        for query in self.QUERIES:
            with statements() as seen:
                page = get_json(api, f'/runs/{run.id}/samples?{query}')
            assert page['data'], query  # every measured page builds items
            counts[query] = len(seen)
        return counts

    def test_fixed_statement_count(self, api, factory, statements):
        run = factory.run(COMPLETED)
        small_ids = bulk_tests(factory, run, 10, 'small')
        factory.commit()
        get_json(api, f'/runs/{run.id}/summary')  # the token's first use is recorded once: not counted
        small = self.measure(api, statements, run)

        large_ids = bulk_tests(factory, run, 290, 'large')
        factory.commit()
        assert get_json(api, f'/runs/{run.id}/samples?limit=1')['pagination']['total'] == 300
        large = self.measure(api, statements, run)

        assert len(small_ids) + len(large_ids) == 300
        assert set(small.values()) == set(large.values()) and len(set(small.values())) == 1, (small, large)
        # The token check, the run, the tests with their results, the outputs with their rows, the descriptions.
        assert max(small.values()) <= 5


# --- Conditional GET -----------------------------------------------------------------------------------------------

def endpoints(run, test) -> Dict[str, str]:
    """The run-derived endpoints of a run, and of one regression test in it."""
    return {'summary': f'/runs/{run.id}/summary', 'run': f'/runs/{run.id}',
            'samples': f'/runs/{run.id}/samples', 'result': f'/runs/{run.id}/samples/{test.id}'}


RUN_DERIVED = ['summary', 'run', 'samples', 'result']


@pytest.fixture
def finished_run(factory) -> Dict[str, Any]:
    """A completed run with one passing regression test."""
    test = factory.regression_test(categories=('DVB',), tags=('mpeg',))
    run = factory.run(COMPLETED)
    factory.finished(run, test)
    factory.commit()
    return endpoints(run, test)


def etag_of(response) -> str:
    """The response's ETag, checked to be a strong one (quoted, no ``W/``)."""
    value = response.headers['ETag']
    assert not value.startswith('W/'), value
    assert len(value) > 2 and value[0] == value[-1] == '"', value
    return value


class ConditionalGetTests:
    """Strong ETags, 304 on a match, Cache-Control by the run's state, and 304s free of quota."""

    @pytest.mark.parametrize('endpoint', RUN_DERIVED + ['list'])
    def test_strong_etag_and_304(self, api, finished_run, endpoint):
        path = {**finished_run, 'list': '/runs'}[endpoint]
        first = api.get(path)
        assert first.status_code == 200
        etag = etag_of(first)
        assert etag_of(api.get(path)) == etag  # the same answer, the same validator

        not_modified = api.get(path, headers={'If-None-Match': etag})
        assert not_modified.status_code == 304
        assert not_modified.get_data() == b''
        assert not_modified.headers['ETag'] == etag
        assert not_modified.headers['Cache-Control'] == first.headers['Cache-Control']

    def if_none_match(self, api, path, forms):
        fresh = api.get(path)
        etag = etag_of(fresh)
        for form, status in forms:
            sent = form.format(etag=etag, other=etag[:-2] + ('0' if etag[-2] != '0' else '1') + '"')
            response = api.get(path, headers={'If-None-Match': sent})
            assert response.status_code == status, (path, sent)
            assert response.headers['ETag'] == etag
            assert response.get_data() == (b'' if status == 304 else fresh.get_data())

    @pytest.mark.parametrize('endpoint', RUN_DERIVED)
    def test_if_none_match_forms(self, api, finished_run, endpoint):
        self.if_none_match(api, finished_run[endpoint], [
            ('*', 304),
            ('{etag}', 304),
            ('"0123456789", {etag}', 304),
            ('{other},{etag}', 304),
            ('W/{etag}', 304),  # If-None-Match compares weakly (RFC 9110, 13.1.2)
            ('"0123456789"', 200),
            ('{other}', 200),
            ('W/{other}', 200),
        ])

    def test_a_star_inside_a_list_is_no_wildcard(self, api, finished_run):
        # RFC 9110 (13.1.2) allows "*" only as the whole field; in a list it names no current tag.
        for endpoint in RUN_DERIVED:
            self.if_none_match(api, finished_run[endpoint], [('"0123456789", *', 200), ('*, {other}', 200)])

    @pytest.mark.parametrize('state', list(STATES))
    def test_cache_control_by_state(self, api, factory, state):
        test = factory.regression_test()
        run = factory.run(STATES[state])
        factory.commit()
        expected = 'private, max-age=60' if state in FINISHED else 'private, no-cache'
        for path in endpoints(run, test).values():
            response = api.get(path)
            assert response.status_code == 200
            assert response.headers['Cache-Control'] == expected, path
            revalidated = api.get(path, headers={'If-None-Match': etag_of(response)})
            assert (revalidated.status_code, revalidated.headers['Cache-Control']) == (304, expected), path

    def test_the_run_list_is_always_revalidated(self, api, factory):
        factory.run(COMPLETED)
        factory.commit()
        assert api.get('/runs').headers['Cache-Control'] == 'private, no-cache'

    def test_finishing_a_run_changes_its_caching(self, api, factory):
        test = factory.regression_test()
        run = factory.run(TESTING)
        factory.finished(run, test)
        factory.commit()
        path = f'/runs/{run.id}/samples/{test.id}'
        before = api.get(path)
        assert before.headers['Cache-Control'] == 'private, no-cache'
        factory.progress(run, TestStatus.completed, T0 + 2 * STEP)
        factory.commit()
        # Nothing of the result changed, so the validator may stay; the caching rule changes all the same.
        after = api.get(path, headers={'If-None-Match': etag_of(before)})
        assert after.headers['Cache-Control'] == 'private, max-age=60'

    def test_a_304_consumes_no_quota(self, api, finished_run):
        def remaining(response) -> int:
            return int(response.headers['X-RateLimit-Remaining'])

        for path in finished_run.values():
            first = api.get(path)
            start = remaining(first)
            for header in (etag_of(first), '*', etag_of(first)):
                response = api.get(path, headers={'If-None-Match': header})
                assert response.status_code == 304
                assert remaining(response) == start, (path, header)
            assert remaining(api.get(path)) == start - 1, path
            assert remaining(api.get(path, headers={'If-None-Match': '"stale"'})) == start - 2, path
            assert remaining(api.get(path, headers={'If-None-Match': etag_of(first)})) == start - 2, path

    def test_errors_carry_no_validator(self, api, finished_run):
        for path in ('/runs/999999/summary', '/runs/0', finished_run['samples'] + '?limit=0'):
            response = api.get(path)
            assert response.status_code in (400, 404)
            assert 'ETag' not in response.headers
            assert api.get(path, headers={'If-None-Match': '*'}).status_code == response.status_code


# One input of the verdicts changed at a time, and what must answer differently afterwards.
def _set_exit_code(world):
    world['t1_result'].exit_code = 3


def _add_result(world):
    world['session'].add(TestResult(test_id=world['run'].id, regression_test_id=world['t2'].id, runtime=5,
                                    exit_code=5, expected_rc=0))


def _add_row(world):
    world['session'].add(TestResultFile(test_id=world['run'].id, regression_test_id=world['t2'].id,
                                        regression_test_output_id=world['o2'].id, expected=world['o2'].correct))


def _set_got(world):
    world['t1_row'].got = world['o1'].correct


def _ignore_output(world):
    world['o1'].ignore = True


def _add_variant(world):
    world['session'].add(RegressionTestOutputFiles(regression_test_output_id=world['o1'].id, file_hashes=OTHER))


def _set_result_expected_rc(world):
    world['t1_result'].expected_rc = 1


def _set_test_expected_rc(world):
    world['t2'].expected_rc = 1


def _customize(world):
    world['session'].add(CustomizedTest(test_id=world['run'].id, regression_id=world['t1'].id))


def _activate(world):
    world['t3'].active = True


def _deactivate(world):
    world['t2'].active = False


def _add_category(world):
    category = Category(name='ATSC', description='ATSC')
    world['session'].add(category)
    world['session'].flush()
    world['session'].execute(sa.insert(regressionTestLinkTable).values(regression_id=world['t1'].id,
                                                                       category_id=category.id))


def _rename_category(world):
    world['session'].execute(sa.update(Category).where(Category.name == 'DVB').values(name='ZZZ'))


def _tag_sample(world):
    tag = Tag(name='dvb', description='dvb')
    world['session'].add(tag)
    world['session'].flush()
    world['session'].execute(sa.insert(sample_tag_association).values(sample_id=world['t1'].sample_id,
                                                                      tag_id=tag.id))


def _rename_tag(world):
    world['session'].execute(sa.update(Tag).where(Tag.name == 'mpeg').values(name='mpeg2'))


def _cancel(world):
    world['session'].add(TestProgress(test_id=world['run'].id, status=TestStatus.canceled,
                                      timestamp=T0 + 3 * STEP, message='canceled'))


ETAG_CASES = [
    #            change                    answers that change              answers that stay
    pytest.param(_set_exit_code, {'t1', 'summary', 'samples'}, {'t2', 'run'}, id='result-exit-code'),
    pytest.param(_add_result, {'t2', 'summary', 'samples'}, {'t1', 'run'}, id='result-added'),
    pytest.param(_add_row, {'t2', 'summary', 'samples'}, {'t1', 'run'}, id='row-added'),
    pytest.param(_set_got, {'t1', 'summary', 'samples'}, {'t2', 'run'}, id='row-got'),
    pytest.param(_ignore_output, {'t1', 'summary', 'samples'}, {'t2', 'run'}, id='output-ignored'),
    pytest.param(_add_variant, {'t1', 'summary', 'samples'}, {'t2', 'run'}, id='variant-added'),
    pytest.param(_set_result_expected_rc, {'t1', 'summary', 'samples'}, {'t2', 'run'}, id='result-expected-rc'),
    pytest.param(_set_test_expected_rc, {'t2', 'samples'}, {'t1', 'summary', 'run'}, id='test-expected-rc'),
    pytest.param(_customize, {'summary', 'samples'}, {'t1', 'run'}, id='scope-customized'),
    pytest.param(_activate, {'summary', 'samples'}, {'t1', 't2', 'run'}, id='scope-activated'),
    pytest.param(_deactivate, {'summary', 'samples'}, {'t1', 'run'}, id='scope-deactivated'),
    pytest.param(_add_category, {'t1', 'samples'}, {'t2', 'summary', 'run'}, id='category-added'),
    pytest.param(_rename_category, {'t1', 'samples'}, {'t2', 'summary', 'run'}, id='category-renamed'),
    pytest.param(_tag_sample, {'t1', 'samples'}, {'t2', 'summary', 'run'}, id='tag-added'),
    pytest.param(_rename_tag, {'t1', 'samples'}, {'t2', 'summary', 'run'}, id='tag-renamed'),
    # t1 fails since this run, whose finish time is now the cancellation's.
    pytest.param(_cancel, {'t1', 't2', 'summary', 'samples', 'run'}, set(), id='run-canceled'),
]


@pytest.fixture
def verdict_world(factory) -> Dict[str, Any]:
    """A completed run: t1 failed on an output, t2 (active) never ran, t3 is inactive and out of scope."""
    t1 = factory.regression_test(categories=('DVB',), tags=('mpeg',))
    t2 = factory.regression_test()
    t3 = factory.regression_test(active=False)
    run = factory.run(COMPLETED)
    o1, o2 = factory.outputs(t1)[0], factory.outputs(t2)[0]
    row = factory.reported(run, t1, o1, got=OTHER)
    result = factory.result(run, t1)
    factory.commit()
    return {'session': factory.session, 'run': run, 't1': t1, 't2': t2, 't3': t3, 'o1': o1, 'o2': o2,
            't1_row': row, 't1_result': result}


class EtagChangesTests:
    """The ETag changes with each input of the verdicts, and stays when the answer stays."""

    @pytest.mark.parametrize('change, changed, same', ETAG_CASES)
    def test_etag_follows_each_input(self, api, verdict_world, change, changed, same):
        if 'summary' in changed:  # the run carries the summary's counts (issue 12): it changes with them
            changed, same = changed | {'run'}, same - {'run'}
        run = verdict_world['run']
        paths = {'summary': f'/runs/{run.id}/summary', 'run': f'/runs/{run.id}',
                 'samples': f'/runs/{run.id}/samples', 't1': f'/runs/{run.id}/samples/{verdict_world["t1"].id}',
                 't2': f'/runs/{run.id}/samples/{verdict_world["t2"].id}'}
        before = {name: api.get(path) for name, path in paths.items()}
        assert all(response.status_code == 200 for response in before.values())

        change(verdict_world)
        verdict_world['session'].commit()

        for name in changed:
            response = api.get(paths[name], headers={'If-None-Match': before[name].headers['ETag']})
            assert response.status_code == 200, name
            assert response.get_data() != before[name].get_data(), name
            assert etag_of(response) != before[name].headers['ETag'], name
        for name in same:
            response = api.get(paths[name], headers={'If-None-Match': before[name].headers['ETag']})
            assert response.status_code == 304, name


# --- CORS ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def cors_app(app: Flask, database_uri: str) -> Iterator[Flask]:
    """The host app with ``http://localhost:8001`` allowed; depends on ``app``, which empties the tables after."""
    allowed = create_app(app_config(database_uri, API_CORS_ORIGINS=ORIGIN))
    yield allowed
    with allowed.app_context():
        db.session.remove()
        db.engine.dispose()


def preflight(client, path: str, origin: str = ORIGIN) -> Any:
    """A browser's preflight for a GET with a token and a validator."""
    return client.open(Api.prefix + path, method='OPTIONS', headers={
        'Origin': origin, 'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization, if-none-match'})


class CorsTests:
    """What browsers on other origins may do: allowed origins only, from the config."""

    def test_preflight(self, cors_app, finished_run):
        client = cors_app.test_client()
        for path in [*finished_run.values(), '/runs', '/openapi.json', '/', '/docs', '/docs/docs.js']:
            response = preflight(client, path)
            assert response.status_code == 200, path
            assert response.headers['Access-Control-Allow-Origin'] == ORIGIN
            assert {'authorization', 'if-none-match'} <= names(response.headers['Access-Control-Allow-Headers'])
            assert names(response.headers['Access-Control-Allow-Methods']) <= {'get', 'head', 'options'}
            assert 'get' in names(response.headers['Access-Control-Allow-Methods'])
            assert names(response.headers['Allow']) == {'get', 'head', 'options'}, path

    def test_a_frontend_may_ask_for_a_range_and_send_if_match(self, cors_app, finished_run):
        """The README's ``Range: bytes=-20000`` on a log is no header a browser sends without asking first."""
        run_id = finished_run['summary'].split('/')[2]
        response = cors_app.test_client().open(Api.prefix + f'/runs/{run_id}/log', method='OPTIONS', headers={
            'Origin': ORIGIN, 'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Headers': 'authorization, range, if-range, if-match, if-none-match'})
        assert response.status_code == 200
        assert {'authorization', 'range', 'if-range', 'if-match', 'if-none-match'} <= names(
            response.headers['Access-Control-Allow-Headers'])

    def test_actual_request_exposes_the_headers(self, cors_app, api, finished_run):
        browser = Api(cors_app.test_client())
        browser.headers = {**api.headers, 'Origin': ORIGIN}
        for path in [*finished_run.values(), '/runs']:
            response = browser.get(path)
            assert response.status_code == 200
            assert response.headers['Access-Control-Allow-Origin'] == ORIGIN, path
            assert EXPOSED <= names(response.headers['Access-Control-Expose-Headers']), path
            # The browser's revalidation: a 304 that the page may read as well.
            again = browser.get(path, headers={'If-None-Match': response.headers['ETag']})
            assert again.status_code == 304
            assert again.headers['Access-Control-Allow-Origin'] == ORIGIN, path

    def test_errors_are_readable_by_the_page(self, cors_app, finished_run):
        browser = Api(cors_app.test_client())
        browser.headers = {'Origin': ORIGIN}
        response = browser.get(finished_run['summary'])
        assert response.status_code == 401
        assert response.headers['Access-Control-Allow-Origin'] == ORIGIN
        assert EXPOSED - {'retry-after'} <= names(response.headers['Access-Control-Expose-Headers'])

    def test_an_origin_not_allowed(self, cors_app, api, finished_run):
        client = cors_app.test_client()
        for origin in ('http://localhost:8002', 'http://evil.example', 'null', ORIGIN + '.evil.example'):
            answer = preflight(client, finished_run['summary'], origin=origin)
            assert 'Access-Control-Allow-Origin' not in answer.headers, origin
            browser = Api(client)
            browser.headers = {**api.headers, 'Origin': origin}
            assert 'Access-Control-Allow-Origin' not in browser.get(finished_run['summary']).headers, origin

    def test_no_cors_by_default(self, client, api, finished_run):
        answer = preflight(client, finished_run['summary'])
        assert [name for name in answer.headers.keys() if name.lower().startswith('access-control-')] == []
        api.headers['Origin'] = ORIGIN
        response = api.get(finished_run['summary'])
        assert response.status_code == 200
        assert [name for name in response.headers.keys() if name.lower().startswith('access-control-')] == []

    def test_answers_that_depend_on_the_origin_say_so(self, cors_app, api, finished_run):
        # Access-Control-Allow-Origin depends on Origin, and a finished run's answer may be cached for 60 s.
        browser = Api(cors_app.test_client())
        for headers in ({**api.headers, 'Origin': ORIGIN}, api.headers, {'Origin': ORIGIN}):
            browser.headers = headers
            response = browser.get(finished_run['summary'])
            assert 'origin' in names(response.headers.get('Vary', '')), (response.status_code, headers.keys())

    @pytest.mark.parametrize('token', [True, False], ids=['with-token', 'without-token'])
    def test_preflight_consumes_no_quota(self, cors_app, api, finished_run, token):
        client = cors_app.test_client()
        browser = Api(client)
        browser.headers = {'Origin': ORIGIN, **(api.headers if token else {})}

        def remaining() -> int:
            return int(browser.get(finished_run['summary']).headers['X-RateLimit-Remaining'])

        start = remaining()
        for endpoint in RUN_DERIVED:
            assert preflight(client, finished_run[endpoint]).status_code == 200
        assert remaining() == start - 1
