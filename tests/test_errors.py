"""Every answer under ``/api/v1`` is a documented JSON answer with the API's headers (issue 9, items 3, 4, 7-9).

Requests the host's router refuses (unknown methods, ``//``), bare ``/api/v1``,
preflights, ``If-Match``; then the database failing: unreachable (503 with
Retry-After, whatever the quotas, charged to no one), failing in a way that
is a bug (500, logged without SQL), and wrapped by the host (the platform's
``FailedToSpawnDBSession``), in this host and in one wired as the platform.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from mod_api import queries
from run import create_app, db
from tests.conftest import (Api, app_config, free_port, platform_like_app,
                            signed_token)

RATE_HEADERS = ('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset')


def assert_api_answer(response: Any, status: int, code: str) -> Dict[str, Any]:
    """A JSON error of the API's, with the API's headers."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == 'application/json'
    assert all(response.headers.get(name, '').isdigit() for name in RATE_HEADERS), dict(response.headers)
    assert response.headers.get('X-Request-Id')
    body = response.get_json()
    assert body['code'] == code and isinstance(body['details'], dict)
    return body


def remaining(response: Any) -> int:
    return int(response.headers['X-RateLimit-Remaining'])


# --- what the router refuses ---------------------------------------------------------------------------------------

class RouterRefusalTests:
    """Methods and paths Werkzeug's router answers in HTML: under the API, JSON with the API's headers."""

    @pytest.mark.parametrize('method', ['TRACE', 'PROPFIND', 'CONNECT', 'BREW', 'MKCOL'])
    @pytest.mark.parametrize('path', ['/runs', '/runs/1', '/runs/1/summary', '/runs/1/samples/2', '/openapi.json'])
    def test_an_unknown_method_is_a_json_405_with_the_true_allow(self, api, method, path):
        response = api.open(path, method)
        body = assert_api_answer(response, 405, 'method_not_allowed')
        assert response.headers['Allow'] == 'GET, HEAD, OPTIONS'
        assert body['details']['allowed_methods'] == ['GET', 'HEAD', 'OPTIONS']

    def test_an_unknown_method_is_counted(self, api):
        counts = [remaining(api.open('/runs', 'TRACE')) for _ in range(3)]
        assert counts == [counts[0], counts[0] - 1, counts[0] - 2]

    @pytest.mark.parametrize('method', ['TRACE', 'BREW', 'GET'])
    def test_an_unknown_method_on_an_unknown_url_is_a_404(self, api, method):
        assert_api_answer(api.open('/nowhere/at/all', method), 404, 'not_found')

    @pytest.mark.parametrize('path', ['//runs', '/runs//1', '/runs/1//summary', '/runs/1/samples//2', '//',
                                      '/runs/', '/runs/1/'])
    def test_a_path_the_router_would_redirect_is_a_json_404(self, api, path):
        response = api.get(path)
        assert_api_answer(response, 404, 'not_found')
        assert 'Location' not in response.headers

    @pytest.mark.parametrize('path', ['/api/v1', '/api/v1/'])
    def test_the_bare_prefix_is_the_index(self, client, path):
        response = client.get(path)
        assert (response.status_code, response.mimetype) == (200, 'application/json')
        assert 'Location' not in response.headers
        assert response.json == Api.check(client.get('/api/v1/')).json

    @pytest.mark.parametrize('method', ['POST', 'TRACE'])
    @pytest.mark.parametrize('path', ['/api/v1', '/api/v1/'])
    def test_the_bare_prefix_says_which_methods_it_takes(self, client, path, method):
        response = client.open(path, method=method)
        assert_api_answer(response, 405, 'method_not_allowed')
        assert response.headers['Allow'] == 'GET, HEAD, OPTIONS'

    def test_the_hosts_own_pages_keep_the_hosts_answers(self, client):
        assert client.get('/nowhere').mimetype == 'text/html'
        assert client.open('/', method='TRACE').status_code == 405
        assert client.open('/', method='TRACE').mimetype == 'text/html'
        assert client.get('/api/v1x').mimetype == 'text/html'
        assert 'X-Request-Id' not in client.get('/').headers


# --- preflights and preconditions ----------------------------------------------------------------------------------

class OptionsTests:
    """An OPTIONS answer has no body, so no media type (never Flask's text/html)."""

    @pytest.mark.parametrize('path', ['/runs', '/runs/1/summary', '/openapi.json'])
    def test_no_text_html(self, api, path):
        response = api.open(path, 'OPTIONS')
        assert response.status_code == 200
        assert 'Content-Type' not in response.headers and response.get_data() == b''
        assert response.headers['Allow'] == 'GET, HEAD, OPTIONS'


@pytest.fixture
def finished_run(factory) -> int:
    test = factory.regression_test()
    run = factory.run()
    factory.finished(run, test)
    factory.commit()
    return run.id


class IfMatchTests:
    """``If-Match`` on a GET (RFC 9110 13.1.1): 412 when it names no current representation, without the body."""

    def test_a_stale_tag_is_a_412_that_spends_no_quota(self, api, finished_run):
        fresh = api.get(f'/runs/{finished_run}/summary')
        etag = fresh.headers['ETag']
        stale = api.get(f'/runs/{finished_run}/summary', headers={'If-Match': '"x"'})
        body = assert_api_answer(stale, 412, 'precondition_failed')
        assert body['details'] == {'header': 'If-Match', 'etag': etag}
        assert stale.headers['ETag'] == etag and 'run_id' not in body
        assert remaining(stale) == remaining(fresh)  # shown the quota, not charged
        assert remaining(api.get(f'/runs/{finished_run}/summary')) == remaining(fresh) - 1

    @pytest.mark.parametrize('path', ['/runs', '/runs/{run}', '/runs/{run}/samples', '/runs/{run}/samples/{test}'])
    def test_every_validated_answer_takes_it(self, api, finished_run, path):
        test = api.get(f'/runs/{finished_run}/samples').json['data'][0]['regression_id']
        response = api.get(path.format(run=finished_run, test=test), headers={'If-Match': '"nope", "other"'})
        assert_api_answer(response, 412, 'precondition_failed')

    def test_the_current_tag_or_a_star_holds(self, api, finished_run):
        etag = api.get(f'/runs/{finished_run}/summary').headers['ETag']
        for header in (etag, '*', f'"x", {etag}'):
            assert api.get(f'/runs/{finished_run}/summary', headers={'If-Match': header}).status_code == 200, header

    def test_a_weak_tag_never_matches(self, api, finished_run):
        etag = api.get(f'/runs/{finished_run}/summary').headers['ETag']
        assert api.get(f'/runs/{finished_run}/summary', headers={'If-Match': f'W/{etag}'}).status_code == 412

    def test_if_match_comes_before_if_none_match(self, api, finished_run):
        etag = api.get(f'/runs/{finished_run}/summary').headers['ETag']
        both = {'If-Match': etag, 'If-None-Match': etag}
        assert api.get(f'/runs/{finished_run}/summary', headers=both).status_code == 304
        both['If-Match'] = '"old"'
        assert api.get(f'/runs/{finished_run}/summary', headers=both).status_code == 412


# --- the database failing ------------------------------------------------------------------------------------------

@pytest.fixture
def unreachable_app() -> Iterator[Flask]:
    """The host on a MariaDB address where nothing listens: every statement fails to connect."""
    unreachable = create_app(app_config(f'mysql+pymysql://root@127.0.0.1:{free_port()}/nothing',
                                        API_RATELIMIT_UNAUTHENTICATED='3 per minute',
                                        API_RATELIMIT_READS='3 per minute'))
    yield unreachable
    with unreachable.app_context():
        db.session.remove()
        db.engine.dispose()


class DatabaseUnreachableTests:
    """The database not answering: 503 with Retry-After, whatever the quotas, charged to no one."""

    def test_503_for_as_long_as_it_lasts_never_429(self, unreachable_app, caplog):
        caplog.set_level(logging.INFO, logger='mod_api')
        client = unreachable_app.test_client()
        token = signed_token()
        answers = [Api.check(client.get('/api/v1/runs/1/summary', headers={'Authorization': f'Bearer {token}'}))
                   for _ in range(8)]
        for answer in answers:
            body = assert_api_answer(answer, 503, 'service_unavailable')
            assert answer.headers['Retry-After'] == '5'
            assert body['details'] == {'retry_after': 5}
        assert {remaining(answer) for answer in answers} == {3}, 'charged to no one'
        failures = [r for r in caplog.records if r.name == 'mod_api.requests']
        assert len(failures) == 8
        line = failures[0].getMessage()
        assert 'GET /api/v1/runs/1/summary' in line and '503 service_unavailable' in line
        assert 'OperationalError (OperationalError 2003)' in line and ' ms: ' in line
        assert token not in caplog.text and token.split('.')[1] not in caplog.text

    def test_the_answers_that_need_no_database_are_served_free(self, unreachable_app):
        client = unreachable_app.test_client()
        bearer = {'Authorization': f'Bearer {signed_token()}'}
        for _ in range(5):
            document = Api.check(client.get('/api/v1/openapi.json', headers=bearer))
            assert document.status_code == 200 and remaining(document) == 3
            assert_api_answer(Api.check(client.get('/api/v1/nowhere', headers=bearer)), 404, 'not_found')
            assert_api_answer(Api.check(client.open('/api/v1/runs', method='TRACE', headers=bearer)), 405,
                              'method_not_allowed')
        # Without a token nothing is asked of the database: refusals are counted as ever.
        assert [client.get('/api/v1/runs').status_code for _ in range(4)] == [401, 401, 401, 429]


class DatabaseErrorTests:
    """A database error that is no outage is a bug: 500, logged by kind, without the SQL or its parameters."""

    def test_500_logged_without_sql(self, api, finished_run, monkeypatch, caplog):
        caplog.set_level(logging.DEBUG, logger='mod_api')

        def broken(session: Any, run_id: int) -> Any:
            return session.execute(sa.text('SELECT no_such_column FROM test WHERE id = :secret_id'),
                                   {'secret_id': 'parameter-that-must-not-be-logged'})

        monkeypatch.setattr(queries, 'load_run', broken)
        response = api.get(f'/runs/{finished_run}/summary', headers={'X-Request-Id': 'trace-me-42'})
        assert_api_answer(response, 500, 'internal_error')
        assert response.headers['X-Request-Id'] == 'trace-me-42'
        assert 'no_such_column' not in response.get_data(as_text=True)
        lines = [r.getMessage() for r in caplog.records if r.name.startswith('mod_api')]
        assert len([line for line in lines if '500 internal_error' in line]) == 1
        assert 'parameter-that-must-not-be-logged' not in caplog.text and 'no_such_column' not in caplog.text
        # The session was left clean: the next request is answered.
        monkeypatch.undo()
        assert api.get(f'/runs/{finished_run}/summary').status_code == 200

    def test_a_bug_is_logged_with_where_it_happened(self, api, finished_run, monkeypatch, caplog):
        caplog.set_level(logging.INFO, logger='mod_api')

        def broken(session: Any, run_id: int) -> Any:
            raise KeyError('deliberate')

        monkeypatch.setattr(queries, 'load_run', broken)
        assert_api_answer(api.get(f'/runs/{finished_run}/summary'), 500, 'internal_error')
        [line] = [r.getMessage() for r in caplog.records if r.name == 'mod_api.requests']
        assert 'KeyError (at tests/test_errors.py:' in line and 'in broken)' in line


class PlatformLikeHostTests:
    """In a host wired as the platform (its own engine, create_all per request, g.db.remove() on teardown)."""

    def test_its_wrapped_error_is_a_503(self):
        host = platform_like_app(f'mysql+pymysql://root@127.0.0.1:{free_port()}/nothing')
        try:
            client = host.test_client()
            for path in ('/api/v1/runs/1/summary', '/api/v1/nowhere', '/api/v1/runs'):
                response = Api.check(client.get(path, headers={'Authorization': f'Bearer {signed_token()}'}))
                assert_api_answer(response, 503, 'service_unavailable')
                assert response.headers['Retry-After'] == '5'
            # A method the router refuses, too: the API claims the request before the host's hook fails.
            assert_api_answer(Api.check(client.open('/api/v1/runs', method='TRACE')), 503, 'service_unavailable')
            # The host's own pages keep the host's answer (its HTML 500).
            host.config['PROPAGATE_EXCEPTIONS'] = False
            page = client.get('/nowhere')
            assert (page.status_code, page.mimetype) == (500, 'text/html')
        finally:
            host.extensions['platform_engine'].dispose()

    def test_it_serves_and_its_teardown_stays_quiet(self, database_uri, finished_run, app, factory):
        from tests.conftest import mint
        host = platform_like_app(database_uri)
        try:
            client = host.test_client()
            token = mint(app, factory)
            response = Api.check(client.get(f'/api/v1/runs/{finished_run}/summary',
                                            headers={'Authorization': f'Bearer {token}'}))
            assert response.status_code == 200 and response.headers['X-Request-Id']
        finally:
            host.extensions['platform_engine'].dispose()
