"""mod_api inside the real platform: verdicts, filters, errors and the platform's own pages.

Everything here goes through the platform's ``run.app``, its models, its
``DeclEnum`` columns, its per-request session and its HTML error pages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any, Dict

import pytest
from conftest import Api

# One regression test per line of classification.md that a completed run reaches:
# name -> (status, output statuses, message).
COMPLETED = {
    'pass': ('pass', ['match'], 'Its output matches its baseline.'),
    'variant': ('pass', ['match'], 'Its output matches its baseline (1 through an accepted variant).'),
    'null_rc': ('pass', ['match'], 'Its output matches its baseline.'),
    'crash': ('fail', ['match'], 'Exit code -11 (SIGSEGV), expected 0.'),  # a Linux worker's SIGSEGV
    'diff': ('fail', ['diff_mismatch'], None),
    'partial': ('fail', ['match', 'missing_output'], None),
    'nobaseline': ('fail', ['missing_expected'], None),
    'missing': ('missing_output', ['missing_output'], 'No output produced; 1 output expected.'),
    'skipped': ('skipped', [], None),
}


def body(response: Any, status: int = 200) -> Dict[str, Any]:
    """The JSON body of an answer with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == 'application/json'
    assert 'Set-Cookie' not in response.headers  # token only: the API never starts a web session
    return response.get_json()


class VerdictTests:
    """Every status and output status, as the platform stores them."""

    @pytest.mark.parametrize('name', sorted(COMPLETED))
    def test_each_result_of_the_completed_run(self, api: Api, world: Dict[str, Any], name: str) -> None:
        status, output_statuses, message = COMPLETED[name]
        run_id, regression_id = world['runs']['completed'], world['tests'][name]
        answer = body(api.get(f'/runs/{run_id}/samples/{regression_id}'))
        assert (answer['run_id'], answer['regression_id'], answer['status']) == (run_id, regression_id, status)
        assert [o['status'] for o in answer['outputs']] == output_statuses
        assert [o['output_id'] for o in answer['outputs']] == world['outputs'][name][:len(output_statuses)]
        if message is not None:
            assert answer['result_message'] == message
        assert isinstance(answer['result_message'], str) and answer['result_message']

    def test_null_exit_codes_equal_each_other(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs/{world["runs"]["completed"]}/samples/{world["tests"]["null_rc"]}'))
        assert (answer['exit_code'], answer['expected_exit_code'], answer['status']) == (None, None, 'pass')

    def test_the_summary_counts_every_status(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs/{world["runs"]["completed"]}/summary'))
        run_url = f'http://localhost/api/v1/runs/{world["runs"]["completed"]}'
        assert answer == {
            'run_id': world['runs']['completed'], 'total_samples': 9, 'pass_count': 3, 'fail_count': 4,
            'skipped_count': 1, 'missing_output_count': 1, 'error_count': 1, 'duration_ms': 15 * 60 * 1000,
            'triggered_by': 'commit on master', 'status': 'completed', 'state': 'completed', 'running_count': 0,
            'not_started_count': 0,
            'links': {'self': f'{run_url}/summary', 'run': run_url, 'samples': f'{run_url}/samples'}}

    def test_a_run_in_progress(self, api: Api, world: Dict[str, Any]) -> None:
        run_id = world['runs']['testing']
        summary = body(api.get(f'/runs/{run_id}/summary'))
        assert (summary['status'], summary['running_count'], summary['not_started_count']) == ('testing', 1, 8)
        assert summary['duration_ms'] is None
        assert body(api.get(f'/runs/{run_id}/samples/{world["tests"]["diff"]}'))['status'] == 'running'
        assert body(api.get(f'/runs/{run_id}/samples/{world["tests"]["pass"]}'))['status'] == 'not_started'

    def test_queued_canceled_and_pull_request_runs(self, api: Api, world: Dict[str, Any]) -> None:
        queued = body(api.get(f'/runs/{world["runs"]["queued"]}/summary'))
        assert (queued['status'], queued['not_started_count'], queued['duration_ms']) == ('queued', 9, None)
        canceled = body(api.get(f'/runs/{world["runs"]["canceled"]}/summary'))
        assert (canceled['status'], canceled['skipped_count']) == ('canceled', 9)
        pull_request = body(api.get(f'/runs/{world["runs"]["pull_request"]}/summary'))
        assert (pull_request['missing_output_count'], pull_request['skipped_count']) == (8, 1)
        assert (pull_request['triggered_by'], pull_request['error_count']) == ('pull request #42', 1)
        # The crash of the Windows run names no signal: -11 is SIGSEGV on Linux workers only.
        crash = body(api.get(f'/runs/{world["runs"]["pull_request"]}/samples/{world["tests"]["crash"]}'))
        assert crash['result_message'] == 'No output produced (exit code -11, expected 0); 1 output expected.'

    def test_the_results_list_filters_by_status_and_category(self, api: Api, world: Dict[str, Any]) -> None:
        run_id = world['runs']['completed']
        failing = body(api.get(f'/runs/{run_id}/samples?status=fail'))
        assert sorted(item['regression_id'] for item in failing['data']) == sorted(
            world['tests'][name] for name, expected in COMPLETED.items() if expected[0] == 'fail')
        in_category = body(api.get(f'/runs/{run_id}/samples?category=DVB-drop-in'))
        assert [item['regression_id'] for item in in_category['data']] == [world['tests']['pass']]
        assert in_category['data'][0]['category'] == 'DVB-drop-in'


class PlatformPageTests:
    """Where the platform's own test page gives a verdict, the API's agrees with it."""

    #: Where classification.md refines the page (a missing output among present ones, no baseline).
    REFINED = {'partial', 'nobaseline'}

    @pytest.mark.parametrize('run', ['completed', 'pull_request'])  # finished runs that ran their tests
    def test_errors_are_the_pages_errors(self, api: Api, platform_app: Any, session: Any, world: Dict[str, Any],
                                         run: str) -> None:
        from mod_test.controllers import get_test_results
        from mod_test.models import Test
        run_id = world['runs'][run]
        with platform_app.app_context():
            page = get_test_results(session.get(Test, run_id))
        [everything] = [category for category in page if category['category'].name == 'General-drop-in']
        page_errors = {entry['test'].id: entry['error'] for entry in everything['tests']}
        names = {regression_id: name for name, regression_id in world['tests'].items()}
        assert set(page_errors) == set(names)
        listed = body(api.get(f'/runs/{run_id}/samples?limit=100'))['data']
        ours = {item['regression_id']: item['status'] for item in listed if item['regression_id'] in names}
        compared = 0
        for regression_id, page_error in page_errors.items():
            if names[regression_id] in self.REFINED or ours[regression_id] == 'skipped':
                continue
            assert (ours[regression_id] in ('fail', 'missing_output')) == page_error, names[regression_id]
            compared += 1
        assert compared >= 6


class RunFilterTests:
    """The run list's filters bind values the platform's enum columns accept."""

    @pytest.mark.parametrize('query, names', [
        ('platform=linux', ['completed', 'testing', 'queued', 'canceled']),
        ('platform=windows', ['pull_request']),
        ('state=completed', ['completed', 'pull_request']),
        ('state=testing', ['testing']),
        ('state=queued', ['queued']),
        ('state=canceled', ['canceled']),
        ('pr=42', ['pull_request']),
        ('branch=master', ['completed']),
        ('platform=linux&state=completed', ['completed']),
        # Several values: IN on the enum columns, and the queued runs (no progress row) among them.
        ('platform=linux,windows&state=completed,canceled', ['completed', 'pull_request', 'canceled']),
        ('state=queued,testing', ['testing', 'queued']),
    ])
    def test_filters(self, api: Api, world: Dict[str, Any], query: str, names: Any) -> None:
        answer = body(api.get(f'/runs?{query}&limit=100'))
        ours = set(world['runs'].values())
        assert sorted(item['run_id'] for item in answer['data'] if item['run_id'] in ours) == sorted(
            world['runs'][name] for name in names)

    def test_the_list_links_its_pages(self, api: Api, world: Dict[str, Any]) -> None:
        response = api.get('/runs?state=completed,canceled&limit=1')
        links = body(response)['pagination']['links']
        assert links['first'] == 'http://localhost/api/v1/runs?state=completed,canceled&limit=1&offset=0'
        assert links['next'] == 'http://localhost/api/v1/runs?state=completed,canceled&limit=1&offset=1'
        assert links['prev'] is None
        assert response.headers['Link'].startswith(f'<{links["next"]}>; rel="next", <{links["first"]}>; rel="first"')

    def test_commit_prefix(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs?commit={world["commits"]["pull_request"][:9]}'))
        assert [item['run_id'] for item in answer['data']] == [world['runs']['pull_request']]
        assert answer['data'][0]['type'] == 'pull_request' and answer['data'][0]['pr_number'] == 42

    def test_run_detail_with_progress(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs/{world["runs"]["completed"]}'))
        assert [step['status'] for step in answer['progress']] == ['preparation', 'testing', 'completed']
        assert answer['started_at'] == '2026-11-20T08:00:00Z' and answer['finished_at'] == '2026-11-20T08:15:00Z'


class ErrorTests:
    """JSON under /api/v1, the platform's own HTML pages everywhere else."""

    def test_unknown_api_url_is_json(self, api: Api) -> None:
        assert body(api.get('/no/such/thing'), 404)['code'] == 'not_found'

    def test_unknown_run_and_test(self, api: Api, world: Dict[str, Any]) -> None:
        assert body(api.get('/runs/2147483647/summary'), 404)['details'] == {'resource': 'run', 'id': 2147483647}
        missing = body(api.get(f'/runs/{world["runs"]["completed"]}/samples/2147483647'), 404)
        assert missing['details']['resource'] == 'sample'

    def test_bad_id_is_a_json_400(self, api: Api) -> None:
        assert body(api.get('/runs/abc/summary'), 400)['code'] == 'invalid_parameter'

    def test_no_token_is_a_json_401(self, api: Api, world: Dict[str, Any]) -> None:
        answer = api.get(f'/runs/{world["runs"]["completed"]}/summary', token='')
        assert body(answer, 401)['code'] == 'unauthorized'
        assert answer.headers['WWW-Authenticate'].startswith('Bearer ')

    def test_wrong_method_is_a_json_405(self, client: Any) -> None:
        answer = client.post('/api/v1/runs')
        assert body(answer, 405)['code'] == 'method_not_allowed'
        assert 'GET' in answer.headers['Allow']

    @pytest.mark.parametrize('method', ['TRACE', 'PROPFIND'])
    def test_methods_the_router_refuses_are_json_too(self, client: Any, method: str) -> None:
        from conftest import TOKEN
        answer = client.open('/api/v1/runs', method=method, headers={'Authorization': f'Bearer {TOKEN}'})
        assert body(answer, 405)['code'] == 'method_not_allowed'
        assert 'GET' in answer.headers['Allow'] and method not in answer.headers['Allow']
        assert 'X-RateLimit-Limit' in answer.headers and 'X-Request-Id' in answer.headers

    def test_the_platform_keeps_its_html_pages(self, client: Any) -> None:
        answer = client.get('/no-such-page-of-the-platform')
        assert answer.status_code == 404
        assert answer.mimetype == 'text/html'

    def test_the_openapi_document_is_served(self, client: Any) -> None:
        document = body(client.get('/api/v1/openapi.json'))
        assert '/runs/{run_id}/summary' in document['paths']

    def test_the_index_and_the_docs_page_are_served(self, client: Any) -> None:
        index = body(client.get('/api/v1/'))
        assert index['resources'][0]['operation_id'] == 'GetApiIndex'
        page = client.get('/api/v1/docs')
        assert (page.status_code, page.mimetype) == (200, 'text/html')
        # Swagger UI's files, from flask-swagger-ui as the platform's requirements install it.
        bundle = client.get('/api/v1/docs/swagger-ui-bundle.js')
        assert (bundle.status_code, bundle.mimetype) == (200, 'text/javascript')
        assert body(client.get('/api/v1/docs/nope.js'), 404)['code'] == 'not_found'


def test_without_a_secret_the_platform_starts_and_the_api_answers_503() -> None:
    """The platform's config without API_JWT_SECRET: its pages work, the API says how to configure it."""
    script = textwrap.dedent('''
        import sys, types
        import config
        unconfigured = types.ModuleType('config')
        for key in dir(config):
            if key.isupper() and key != 'API_JWT_SECRET':
                setattr(unconfigured, key, getattr(config, key))
        sys.modules['config'] = unconfigured
        import run
        client = run.app.test_client()
        api = client.get('/api/v1/runs/1/summary', headers={'Authorization': 'Bearer a.b.c'})
        page = client.get('/no-such-page-of-the-platform')
        print(api.status_code, api.get_json()['code'], page.status_code, page.mimetype)
    ''')
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=120,
                          cwd=os.getcwd(), check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ['503', 'api_not_configured', '404', 'text/html'], done.stdout
    assert done.stderr.count('API_JWT_SECRET is missing') == 1, done.stderr[-3000:]
    assert 'Traceback' not in done.stderr


def test_a_locked_table_is_a_json_503_in_the_platform_and_it_recovers(api: Api, client: Any, platform_app: Any,
                                                                      session: Any, world: Dict[str, Any]) -> None:
    """The API's bounds on waits hold on the platform's own engine, and its teardown stays quiet."""
    import time

    import pymysql
    import sqlalchemy as sa
    session.remove()  # the tests' own reads hold the table's metadata lock until their transaction ends
    url = sa.engine.make_url(platform_app.config['DATABASE_URI'])
    locker = pymysql.connect(host=url.host, port=url.port or 3306, user=url.username, password=url.password or '',
                             database=url.database, read_timeout=60, write_timeout=60)
    path = f'/runs/{world["runs"]["completed"]}/summary'
    try:
        with locker.cursor() as cursor:
            cursor.execute('SET SESSION lock_wait_timeout = 20')
            cursor.execute('LOCK TABLES test_result WRITE')
        started = time.monotonic()
        answer = api.get(path)
        waited = time.monotonic() - started
        assert body(answer, 503)['code'] == 'service_unavailable'
        assert int(answer.headers['Retry-After']) > 0
        assert waited < 20, waited
    finally:
        with locker.cursor() as cursor:
            cursor.execute('UNLOCK TABLES')
        locker.close()
    assert body(api.get(path))['total_samples'] == 9
    assert client.get('/no-such-page-of-the-platform').mimetype == 'text/html'
