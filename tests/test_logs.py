"""Request ids and the API's log lines (issue 9, items 6 and 7; under gunicorn in test_serving).

Every answer under the API carries ``X-Request-Id`` (the client's when sane);
the API's own handler writes time, level, process, logger and request id;
the host's root logger is left alone.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Iterator

import pytest

from mod_api import logs, queries
from tests.conftest import Api

LINE = re.compile(r'\A\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (WARNING|ERROR|INFO) \[pid (\d+)\] (mod_api[.\w]*) '
                  r'\[request ([^\]]+)\] (.+)\Z')


class RequestIdTests:
    """``X-Request-Id`` on every answer of the API, whatever its status."""

    @pytest.mark.parametrize('path, method, status', [
        ('/runs', 'GET', 200), ('/runs/1/summary', 'GET', 404), ('/runs/abc', 'GET', 400),
        ('/nowhere', 'GET', 404), ('/runs', 'TRACE', 405), ('//runs', 'GET', 404), ('/runs', 'OPTIONS', 200),
        ('/openapi.json', 'HEAD', 200)])
    def test_on_every_answer(self, api, path, method, status):
        response = api.open(path, method)
        assert response.status_code == status
        assert re.fullmatch(r'[0-9a-f]{32}', response.headers['X-Request-Id'])

    def test_unauthenticated_and_304(self, api, factory):
        run = factory.run()
        factory.commit()
        assert Api(api.client).get('/runs').headers['X-Request-Id']
        etag = api.get(f'/runs/{run.id}').headers['ETag']
        not_modified = api.get(f'/runs/{run.id}', headers={'If-None-Match': etag})
        assert not_modified.status_code == 304 and not_modified.headers['X-Request-Id']

    def test_each_request_gets_its_own(self, api):
        assert len({api.get('/runs').headers['X-Request-Id'] for _ in range(5)}) == 5

    @pytest.mark.parametrize('offered', ['abc', 'req-2026-12-01T10:00:00Z', 'a.b_c:d-e+f=g/h@i', 'x' * 128])
    def test_a_sane_one_is_kept(self, api, offered):
        assert api.get('/runs', headers={'X-Request-Id': offered}).headers['X-Request-Id'] == offered

    @pytest.mark.parametrize('offered', ['', 'x' * 129, 'two words', 'semi;colon', 'quote"', 'tab\there', 'é'])
    def test_anything_else_is_replaced(self, api, offered):
        answered = api.get('/runs', headers={'X-Request-Id': offered}).headers['X-Request-Id']
        assert re.fullmatch(r'[0-9a-f]{32}', answered)

    def test_the_hosts_pages_get_none(self, client):
        assert 'X-Request-Id' not in client.get('/').headers
        assert 'X-Request-Id' not in client.get('/nowhere').headers


@pytest.fixture
def own_handler() -> Iterator[None]:
    """The API's stderr handler, as the blueprint sets it up by default (the tests' config turns it off)."""
    logs.configure(True, 'INFO')
    yield
    logs.configure(False, 'INFO')


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError('the route fails')


class HandlerTests:
    """The API's own handler: one line per failure, with time, level, process and request id."""

    def test_one_line_per_failure(self, api, own_handler, monkeypatch, capsys):
        monkeypatch.setattr(queries, 'load_run', _boom)
        response = api.get('/runs/1/summary', headers={'X-Request-Id': 'incident-7'})
        assert response.status_code == 500
        lines = [line for line in capsys.readouterr().err.splitlines() if 'mod_api' in line]
        assert len(lines) == 1, lines
        match = LINE.match(lines[0])
        assert match, lines[0]
        level, pid, logger, request_id, message = match.groups()
        assert (level, int(pid), logger, request_id) == ('ERROR', os.getpid(), 'mod_api.requests', 'incident-7')
        assert message.startswith('GET /api/v1/runs/1/summary (route /api/v1/runs/<run_id>/summary) answered '
                                  '500 internal_error after ')
        assert message.endswith(f'RuntimeError (at tests/test_logs.py:{_boom.__code__.co_firstlineno + 1} in _boom)')

    def test_successes_and_client_errors_are_not_logged(self, api, own_handler, capsys):
        for path in ('/runs', '/runs/1', '/runs/abc', '/nowhere'):
            api.get(path)
        assert 'mod_api' not in capsys.readouterr().err

    def test_the_root_logger_is_left_alone(self, own_handler):
        root = logging.getLogger()
        api_logger = logging.getLogger('mod_api')
        assert not [handler for handler in root.handlers if isinstance(handler, logs._Handler)]
        assert [type(handler) for handler in api_logger.handlers].count(logs._Handler) == 1
        assert api_logger.propagate is False  # a host that configures the root logger sees no line twice
        logs.configure(True, 'INFO')
        assert [type(handler) for handler in api_logger.handlers].count(logs._Handler) == 1, 'once per process'
