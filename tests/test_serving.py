"""The API served as in production (issue 9): gunicorn with the repo's settings, 2 workers, MariaDB, Redis.

gunicorn runs ``gunicorn.conf.py`` with the platform's logging flags
(``--capture-output --log-file``), on a MariaDB of the tests' own and a Redis
of the tests' own. The log file gets the API's lines (time, level, process,
request id), never a token; a locked table, a frozen and a stopped database
are JSON 503s well within gunicorn's worker timeout, and the workers live on.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import sqlalchemy as sa

from tests.conftest import (TEST_SECRET, MariaDBServer, free_port,
                            fresh_database, needs, seed_finished_run, stop,
                            wait_until)
from tests.test_limits import RedisServer

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_TIMEOUT = 60  # gunicorn.conf.py


@dataclass
class Served:
    """gunicorn serving a seeded database."""

    port: int
    log: Path
    run_id: int
    token: str
    database_uri: str
    process: subprocess.Popen

    def get(self, path: str, headers: Optional[Dict[str, str]] = None, method: str = 'GET',
            token: bool = True) -> Tuple[int, Dict[str, str], bytes, float]:
        """One request on a new connection: status, headers, body and seconds taken."""
        sent = {**({'Authorization': f'Bearer {self.token}'} if token else {}), **(headers or {})}
        connection = http.client.HTTPConnection('127.0.0.1', self.port, timeout=GUNICORN_TIMEOUT + 30)
        started = time.monotonic()
        try:
            connection.request(method, path, headers=sent)
            answer = connection.getresponse()
            body = answer.read()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body, time.monotonic() - started
        finally:
            connection.close()

    def summary(self, **kwargs: Any) -> Tuple[int, Dict[str, str], bytes, float]:
        return self.get(f'/api/v1/runs/{self.run_id}/summary', **kwargs)

    def log_text(self) -> str:
        return self.log.read_text(errors='replace')


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
        connection.request('GET', '/')
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


@pytest.fixture(scope='module')
def module_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    executable = shutil.which('redis-server')
    if executable is None:
        needs('redis-server')
    server = RedisServer(executable, tmp_path_factory.mktemp('redis') / 'redis.log')
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope='module')
def served(own_mariadb: MariaDBServer, module_redis: RedisServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    own_mariadb.ensure_running()
    folder = tmp_path_factory.mktemp('gunicorn')
    with fresh_database(own_mariadb.uri('mod_api_own'), 'serving_') as uri:
        run_id, _, token = seed_finished_run(uri)

        environment = {name: value for name, value in os.environ.items()
                       if name != 'DATABASE_URI' and not name.startswith(('API_', 'GUNICORN'))}
        environment.update(
            DATABASE_URI=uri, API_JWT_SECRET=TEST_SECRET,
            API_RATELIMIT_STORAGE_URI=f'redis://127.0.0.1:{module_redis.port}/0',
            API_RATELIMIT_KEY_PREFIX=f'mod_api_serving_{uuid.uuid4().hex}',
            API_DB_LOCK_TIMEOUT='1', API_DB_STATEMENT_TIMEOUT='1.5', API_DB_READ_TIMEOUT='2',
            API_DB_CONNECT_TIMEOUT='1')
        port = free_port()
        log = folder / 'error.log'
        gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
        # The platform's own flags (install/platform.service), on the repo's settings file.
        process = subprocess.Popen(
            [gunicorn, '-c', str(ROOT / 'gunicorn.conf.py'), '--chdir', str(ROOT), '--bind', f'127.0.0.1:{port}',
             '--workers', '2', '--capture-output', '--log-file', str(log),
             '--access-logfile', str(folder / 'access.log')],
            env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            up = wait_until(lambda: process.poll() is not None or _answers(port), timeout=30, step=0.2)
            assert up and process.poll() is None, f'gunicorn did not start:\n{log.read_text()[-3000:]}'
            yield Served(port, log, run_id, token, uri, process)
        finally:
            stop(process, timeout=30)
            own_mariadb.ensure_running()


def worker_pids(served: Served) -> List[int]:
    return [int(pid) for pid in re.findall(r'Booting worker with pid: (\d+)', served.log_text())]


def test_two_workers_serve_json(served):
    assert wait_until(lambda: len(worker_pids(served)) == 2, timeout=10)
    for _ in range(6):
        status, headers, body, _ = served.summary()
        assert status == 200, body
        assert headers['content-type'] == 'application/json'
        assert re.fullmatch(r'[0-9a-f]{32}', headers['x-request-id'])
    status, headers, body, _ = served.get('/api/v1/runs', method='TRACE')
    assert (status, headers['content-type'], headers['allow']) == (405, 'application/json', 'GET, HEAD, OPTIONS')
    status, headers, body, _ = served.get('/api/v1//runs')
    assert (status, headers['content-type']) == (404, 'application/json') and 'location' not in headers
    assert served.get('/api/v1', token=False)[0] == 200  # the index, without a redirect
    status, headers, body, _ = served.get(f'/api/v1/runs/{served.run_id}', method='OPTIONS', token=False)
    assert (status, body) == (200, b'') and 'content-type' not in headers, headers


def test_a_locked_table_is_a_503_and_the_workers_live_on(served, caplog):
    pids = worker_pids(served)
    engine = sa.create_engine(served.database_uri, poolclass=sa.pool.NullPool)
    with engine.connect() as locker:
        locker.exec_driver_sql('LOCK TABLES test_result WRITE')
        try:
            answers = [served.summary(headers={'X-Request-Id': f'locked-{n}'}) for n in range(4)]
        finally:
            locker.exec_driver_sql('UNLOCK TABLES')
    engine.dispose()
    for status, headers, body, seconds in answers:
        assert status == 503 and headers['content-type'] == 'application/json', body
        assert headers['retry-after'] == '5' and b'service_unavailable' in body
        assert 0.9 < seconds < 1 + 2, seconds  # the lock limit (1 s), far below the worker timeout
    assert served.summary()[0] == 200
    assert worker_pids(served) == pids, 'no worker was killed or replaced'
    assert 'WORKER TIMEOUT' not in served.log_text()

    # The log file, as the platform writes it: one line per failure, with time, level, process and request id.
    lines = [line for line in served.log_text().splitlines() if 'mod_api.requests' in line]
    for n in range(4):
        [line] = [line for line in lines if f'[request locked-{n}]' in line]
        assert re.match(r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING \[pid (\d+)\] mod_api\.requests ', line)
        assert int(re.search(r'\[pid (\d+)\]', line).group(1)) in pids
        assert 'answered 503 service_unavailable after' in line and 'OperationalError 1205' in line


def test_a_frozen_database_is_a_503_well_before_the_worker_timeout(served, own_mariadb):
    own_mariadb.freeze()
    try:
        answers = [served.summary() for _ in range(3)]
    finally:
        own_mariadb.thaw()
    for status, headers, body, seconds in answers:
        assert status == 503 and headers['content-type'] == 'application/json', body
        # The read timeout (2 s) once for the pre-ping, once for the new connection's greeting.
        assert seconds < 2 * 2 + 1 < GUNICORN_TIMEOUT, seconds
    assert wait_until(lambda: served.summary()[0] == 200, timeout=20, step=0.3)
    assert 'WORKER TIMEOUT' not in served.log_text()


def test_a_stopped_database_then_back(served, own_mariadb):
    own_mariadb.stop()
    try:
        answers = [served.summary() for _ in range(8)]
    finally:
        own_mariadb.start()
    assert {status for status, *_ in answers} == {503}
    assert all(seconds < 5 for *_, seconds in answers)
    assert wait_until(lambda: all(served.summary()[0] == 200 for _ in range(4)), timeout=20, step=0.3)


def test_the_log_holds_no_token_and_no_sql(served):
    # A token in the query (RFC 6750's third way, which the API does not take) is no less a secret.
    status, _, _, _ = served.get(f'/api/v1/runs?access_token={served.token}', token=False)
    assert status == 401
    # A path whose decoded form holds a line of the client's making.
    forged = '/api/v1/runs/1%0A6.6.6.6%20%22GET%20/api/v1/runs/9%20HTTP/1.1%22%20200%201%201ms%20request=forged'
    assert served.get(forged)[0] == 404
    access_log = served.log.parent / 'access.log'
    # Each worker writes its access lines as it answers: wait for the last two (bounded).
    assert wait_until(lambda: '%0A6.6.6.6' in access_log.read_text() and ' 401 ' in access_log.read_text(),
                      timeout=10, step=0.1)
    text = served.log_text()
    assert served.token not in text and served.token.split('.')[2] not in text
    assert 'SELECT' not in text and TEST_SECRET not in text
    access = access_log.read_text()
    assert served.token.split('.')[2] not in access
    assert re.search(r'"GET /api/v1/runs HTTP/1.1" 401 ', access)
    assert not re.search(r'^6\.6\.6\.6', access, re.MULTILINE) and '"GET /api/v1/runs/1%0A6.6.6.6%20' in access
    assert re.search(r'"GET /api/v1/runs/\d+/summary HTTP/1.1" 503 \d+ \d+ms request=locked-0', access)


def test_redis_down_and_back_is_logged_once_each_per_worker(served, module_redis):
    def storage_lines(words: str) -> List[str]:
        return [line for line in served.log_text().splitlines() if 'mod_api.limits' in line and words in line]

    module_redis.stop()
    try:
        statuses = [served.summary()[0] for _ in range(10)]
    finally:
        module_redis.start()
    assert statuses == [200] * 10, 'served all the same, limited per process'
    down = storage_lines('not answering')
    assert 1 <= len(down) <= 2, down  # once per worker that saw it
    assert all(re.search(r' WARNING \[pid \d+\] mod_api\.limits \[request [0-9a-f]{32}\] rate-limit storage '
                         rf'redis://127\.0\.0\.1:{module_redis.port} is not answering', line) for line in down), down
    pids = {re.search(r'\[pid (\d+)\]', line).group(1) for line in down}

    def recovered() -> bool:
        served.summary()
        back = {re.search(r'\[pid (\d+)\]', line).group(1) for line in storage_lines('answers again')}
        return pids <= back

    assert wait_until(recovered, timeout=40, step=0.5), served.log_text()[-3000:]
    assert len(storage_lines('not answering')) == len(down), 'one line per outage, not per request'
