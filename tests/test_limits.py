"""Rate limits (issue 4): quotas per account and per address, the 429, the headers, and shared storage.

Everything runs against the real limiter: in-process apps with ``memory://``
storage for counts and headers, two gunicorn processes sharing the machine's
Redis (127.0.0.1:6379) for limits across processes, and a redis-server of
this test's own, stopped and restarted, for the storage failing.
"""

from __future__ import annotations

import datetime
import http.client
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import jwt
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from database import Base
from mod_api import mod_api, queries
from mod_api.auth import utcnow
from mod_api.models import AccessToken
from mod_api.settings import DEFAULTS
from run import create_app, db
from tests.conftest import (TEST_SECRET, app_config, free_port, mint, needs,
                            stop, wait_until)
from tests.factories import Factory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT_HEADERS = ('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset')
MACHINE_REDIS = ('127.0.0.1', 6379)
NO_RUN = 2147483647


# --- helpers -------------------------------------------------------------------------------------------------------

def bearer(token: str) -> Dict[str, str]:
    """The Authorization header of a token."""
    return {'Authorization': f'Bearer {token}'}


def summary(client: FlaskClient, run_id: Any, headers: Optional[Dict[str, str]] = None, method: str = 'GET') -> Any:
    """A request to a run's summary."""
    return client.open(f'/api/v1/runs/{run_id}/summary', method=method, headers=headers or {})


def limit_headers(response: Any, started: float) -> Tuple[int, int, int]:
    """Limit, Remaining and Reset of a response, checked to be integers with Reset inside the window."""
    missing = [name for name in LIMIT_HEADERS if name not in response.headers]
    assert not missing, f'{response.status_code} lacks {missing}: {dict(response.headers)}'
    values = [response.headers[name] for name in LIMIT_HEADERS]
    assert all(value.isdigit() for value in values), values
    limit, remaining, reset = (int(value) for value in values)
    # A one-minute window: it ends after the request was sent, and at most 60 s (+1 for rounding up) after it.
    assert started <= reset <= time.time() + 61, (reset, started)
    return limit, remaining, reset


def prefixed_keys(client: redis.Redis, prefix: str) -> List[bytes]:
    """The storage keys made under the API's key prefix."""
    return sorted(client.scan_iter(match=f'*{prefix}*', count=1000))


# --- fixtures ------------------------------------------------------------------------------------------------------

@pytest.fixture
def make_app(app: Flask, database_uri: str) -> Iterator[Callable[..., Flask]]:
    """Build host apps with config overrides, on the test database; their engines are closed afterwards.

    Depends on ``app``, whose teardown empties the tables after these apps are gone.
    """
    made: List[Flask] = []

    def make(**overrides: Any) -> Flask:
        made.append(create_app(app_config(database_uri, **overrides)))
        return made[-1]

    yield make
    for built in made:
        with built.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def key_prefix() -> str:
    """A storage key prefix of this test alone."""
    return f'mod_api_test_{uuid.uuid4().hex}'


@pytest.fixture
def machine_redis(key_prefix: str) -> Iterator[redis.Redis]:
    """The machine's Redis; every key under the test's prefix is deleted afterwards."""
    client = redis.Redis(*MACHINE_REDIS, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        needs(f'Redis at {MACHINE_REDIS[0]}:{MACHINE_REDIS[1]}')
    try:
        yield client
    finally:
        keys = prefixed_keys(client, key_prefix)
        if keys:
            client.delete(*keys)
        client.close()


def forged_token(factory: Factory, scopes: str) -> str:
    """A token signed here with the test secret, for scopes ``issue_token`` refuses, and its row."""
    now = utcnow()
    row = AccessToken(jti=uuid.uuid4().hex, user_id=factory.account().id, label='test', scopes=scopes,
                      created_at=now, expires_at=now + datetime.timedelta(days=1))
    factory.session.add(row)
    factory.commit()
    stamp = int(now.replace(tzinfo=datetime.timezone.utc).timestamp())
    claims = {'iss': DEFAULTS['API_JWT_ISSUER'], 'aud': DEFAULTS['API_JWT_AUDIENCE'], 'sub': str(row.user_id),
              'scope': scopes, 'iat': stamp, 'exp': stamp + 3600, 'jti': row.jti}
    return jwt.encode(claims, TEST_SECRET, algorithm='HS256')


# --- exact counts --------------------------------------------------------------------------------------------------

def test_one_quota_per_account_whatever_the_token(make_app, app, factory, run_id):
    limited = make_app(API_RATELIMIT_READS='5 per minute')
    alice, bob = factory.account('alice'), factory.account('bob')
    alice_tokens = [mint(app, factory, alice), mint(app, factory, alice)]
    bob_token = mint(app, factory, bob)
    client = limited.test_client()

    alice_answers = [summary(client, run_id, bearer(alice_tokens[n % 2])) for n in range(8)]
    assert [answer.status_code for answer in alice_answers] == [200] * 5 + [429] * 3
    assert [answer.headers['X-RateLimit-Remaining'] for answer in alice_answers[:6]] == list('432100')

    # Alice's quota spent, Bob still has all of his own.
    bob_answers = [summary(client, run_id, bearer(bob_token)) for _ in range(6)]
    assert [answer.status_code for answer in bob_answers] == [200] * 5 + [429]
    assert summary(client, run_id, bearer(alice_tokens[0])).status_code == 429


def test_requests_without_a_valid_token_count_per_address(make_app, app, factory, run_id):
    limited = make_app(API_RATELIMIT_UNAUTHENTICATED='3 per minute', API_RATELIMIT_READS='5 per minute')
    client = limited.test_client()
    wrong_secret = jwt.encode({'sub': '1'}, 'another-secret-of-at-least-thirty-two-bytes', algorithm='HS256')
    refused = [None, {'Authorization': 'Bearer not-a-token'}, bearer(wrong_secret), None]

    answers = [summary(client, run_id, headers) for headers in refused]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert answers[3].get_json()['details']['limit'] == 3
    assert [answer.headers['X-RateLimit-Remaining'] for answer in answers] == list('2100')

    # The address's quota is spent; an account calling from that address still has its own.
    token = mint(app, factory)
    accepted = summary(client, run_id, bearer(token))
    assert accepted.status_code == 200
    assert (accepted.headers['X-RateLimit-Limit'], accepted.headers['X-RateLimit-Remaining']) == ('5', '4')
    assert summary(client, run_id).status_code == 429


def test_the_429(make_app, app, factory, run_id):
    limited = make_app(API_RATELIMIT_READS='5 per minute')
    client = limited.test_client()
    token = mint(app, factory)
    for _ in range(5):
        assert summary(client, run_id, bearer(token)).status_code == 200

    started = time.time()
    answer = summary(client, run_id, bearer(token))

    assert answer.status_code == 429
    assert answer.mimetype == 'application/json'
    retry_after = answer.headers['Retry-After']
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    seconds = int(retry_after)
    assert answer.get_json() == {
        'code': 'rate_limited', 'message': f'Rate limit exceeded. Retry after {seconds} seconds.',
        'details': {'retry_after': seconds, 'limit': 5, 'window': '60s'}}
    limit, remaining, reset = limit_headers(answer, started)
    assert (limit, remaining) == (5, 0)
    # Retry-After counts down to the same moment Reset names.
    assert seconds - 1 <= reset - time.time() <= seconds + 2


# --- headers on every status ---------------------------------------------------------------------------------------

READS, UNAUTHENTICATED = 7, 4


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError('the route fails')


# Each case: the request (client, run id, a runs:read token, a token without that scope), its status, and whose
# quota it is charged to (the account's READS, or the address's UNAUTHENTICATED).
STATUS_CASES = {
    '200': (lambda c, run, token, other: summary(c, run, bearer(token)), 200, READS),
    '401-missing': (lambda c, run, token, other: summary(c, run), 401, UNAUTHENTICATED),
    '401-bad-token': (lambda c, run, token, other: summary(c, run, bearer(token + 'x')), 401, UNAUTHENTICATED),
    '403-scope': (lambda c, run, token, other: summary(c, run, bearer(other)), 403, READS),
    '404-run': (lambda c, run, token, other: summary(c, NO_RUN, bearer(token)), 404, READS),
    '404-route': (lambda c, run, token, other: c.get('/api/v1/nope'), 404, UNAUTHENTICATED),
    '404-route-with-token': (lambda c, run, token, other: c.get('/api/v1/nope', headers=bearer(token)), 404, READS),
    '405': (lambda c, run, token, other: summary(c, run, bearer(token), method='POST'), 405, READS),
    '405-without-token': (lambda c, run, token, other: summary(c, run, method='POST'), 405, UNAUTHENTICATED),
    '400': (lambda c, run, token, other: summary(c, 'abc', bearer(token)), 400, READS),
    '500': (lambda c, run, token, other: summary(c, run, bearer(token)), 500, READS),
}


@pytest.mark.parametrize('case', list(STATUS_CASES))
def test_headers_on_every_status(case, make_app, app, factory, run_id, monkeypatch):
    send, status, limit = STATUS_CASES[case]
    limited = make_app(API_RATELIMIT_READS=f'{READS} per minute',
                       API_RATELIMIT_UNAUTHENTICATED=f'{UNAUTHENTICATED} per minute')
    client = limited.test_client()
    token, other = mint(app, factory), forged_token(factory, 'other:scope')
    if case == '500':
        monkeypatch.setattr(queries, 'load_run', _boom)

    seen = []
    for _ in range(3):
        started = time.time()
        answer = send(client, run_id, token, other)
        assert answer.status_code == status, answer.get_data(as_text=True)
        assert answer.mimetype == 'application/json'
        assert 'Retry-After' not in answer.headers
        seen.append(limit_headers(answer, started))

    assert [(limit_, remaining) for limit_, remaining, _ in seen] == [(limit, limit - n) for n in (1, 2, 3)]


def test_remaining_counts_down_to_zero_then_429_keeps_the_headers(make_app, app, factory, run_id):
    limited = make_app(API_RATELIMIT_READS='3 per minute')
    client = limited.test_client()
    token = mint(app, factory)
    started = time.time()

    answers = [summary(client, run_id, bearer(token)) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    headers = [limit_headers(answer, started) for answer in answers]
    assert [(limit, remaining) for limit, remaining, _ in headers] == [(3, 2), (3, 1), (3, 0), (3, 0), (3, 0)]
    assert len({reset for _, _, reset in headers}) == 1, 'one window: one reset time'
    assert ['Retry-After' in answer.headers for answer in answers] == [False] * 3 + [True] * 2


# --- client address ------------------------------------------------------------------------------------------------

def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(make_app):
    direct = make_app(API_RATELIMIT_UNAUTHENTICATED='3 per minute').test_client()
    proxied = make_app(API_RATELIMIT_UNAUTHENTICATED='3 per minute', API_RATELIMIT_TRUSTED_PROXIES=1).test_client()

    def remaining(client: FlaskClient, forwarded_for: str) -> str:
        answer = client.get('/api/v1/nope', headers={'X-Forwarded-For': forwarded_for})
        return str(answer.status_code) + ':' + answer.headers['X-RateLimit-Remaining']

    # Without trusted proxies the header is the client's say-so: every request is the socket peer's.
    claimed = ['203.0.113.1', '203.0.113.2', '198.51.100.7', '198.51.100.8']
    assert [remaining(direct, address) for address in claimed] == ['404:2', '404:1', '404:0', '429:0']
    # Behind one trusted proxy, the address it names is the client.
    named = ['203.0.113.1', '203.0.113.2', '203.0.113.1', '10.0.0.1, 203.0.113.2']
    assert [remaining(proxied, address) for address in named] == ['404:2', '404:2', '404:1', '404:1']


# --- CORS preflight ------------------------------------------------------------------------------------------------

PREFLIGHT = {'Origin': 'https://example.org', 'Access-Control-Request-Method': 'GET',
             'Access-Control-Request-Headers': 'authorization'}


def test_preflight_is_neither_counted_nor_refused(make_app, app, factory, run_id):
    limited = make_app(API_RATELIMIT_READS='3 per minute', API_RATELIMIT_UNAUTHENTICATED='2 per minute')
    client = limited.test_client()
    token = mint(app, factory)

    def preflights() -> List[int]:
        return [summary(client, run_id, PREFLIGHT, method='OPTIONS').status_code,
                client.open('/api/v1/nope', method='OPTIONS', headers=PREFLIGHT).status_code]

    assert summary(client, run_id, bearer(token)).headers['X-RateLimit-Remaining'] == '2'
    assert summary(client, run_id).headers['X-RateLimit-Remaining'] == '1'
    for _ in range(4):
        assert preflights() == [200, 404]
    assert summary(client, run_id, bearer(token)).headers['X-RateLimit-Remaining'] == '1'
    assert summary(client, run_id).headers['X-RateLimit-Remaining'] == '0'

    # Both quotas spent: preflights are still answered as before, not with 429.
    assert summary(client, run_id, bearer(token)).status_code == 200
    assert summary(client, run_id, bearer(token)).status_code == 429
    assert summary(client, run_id).status_code == 429
    assert preflights() == [200, 404]
    assert summary(client, run_id, {**PREFLIGHT, **bearer(token)}, method='OPTIONS').status_code == 200
    # A preflight still shows the quota it would be charged to (the address's: it carries no token).
    shown = summary(client, run_id, PREFLIGHT, method='OPTIONS').headers
    assert (shown['X-RateLimit-Limit'], shown['X-RateLimit-Remaining']) == ('2', '0')
    assert 'Retry-After' not in shown


# --- the host's other routes ---------------------------------------------------------------------------------------

def test_a_bare_hosts_own_routes_get_no_limit_and_no_headers():
    host = Flask(__name__)
    host.config.update(TESTING=True, API_JWT_SECRET=TEST_SECRET, API_RATELIMIT_READS='3 per minute',
                       API_RATELIMIT_UNAUTHENTICATED='3 per minute')

    @host.route('/hello')
    def hello() -> str:
        return 'hello'

    host.register_blueprint(mod_api, url_prefix='/api/v1')
    client = host.test_client()

    answers = [client.get('/hello') for _ in range(50)]

    assert [answer.status_code for answer in answers] == [200] * 50
    leaked = {name for answer in answers for name in answer.headers.keys()
              if name.lower().startswith('x-ratelimit') or name.lower() == 'retry-after'}
    assert leaked == set()
    # The API itself is limited in that host.
    api_answers = [client.get('/api/v1/nope') for _ in range(4)]
    assert [answer.status_code for answer in api_answers] == [404, 404, 404, 429]
    assert api_answers[0].headers['X-RateLimit-Limit'] == '3'


# --- shared across processes ---------------------------------------------------------------------------------------

def _server_environment(database_uri: str, **api: str) -> Dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if name != 'DATABASE_URI' and not name.startswith('API_')}
    environment.update(DATABASE_URI=database_uri, **api)
    return environment


def _get(port: int, path: str, headers: Optional[Dict[str, str]] = None) -> int:
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        connection.request('GET', path, headers=headers or {})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def _answers(port: int) -> bool:
    try:
        return _get(port, '/') == 200
    except OSError:
        return False


@pytest.mark.redis
def test_processes_share_one_quota_through_redis(machine_redis, key_prefix, tmp_path):
    uri = 'sqlite:///' + str(tmp_path / 'shared.sqlite')
    engine = sa.create_engine(uri)
    Base.metadata.create_all(engine)
    seeder = create_app(app_config(uri))
    with sa.orm.Session(engine) as session:
        factory = Factory(session)
        test = factory.regression_test()
        run = factory.run()
        factory.finished(run, test)
        factory.commit()
        run_id = run.id
        token = mint(seeder, factory)
    engine.dispose()
    with seeder.app_context():
        db.engine.dispose()

    environment = _server_environment(
        uri, API_JWT_SECRET=TEST_SECRET, API_RATELIMIT_STORAGE_URI='redis://127.0.0.1:6379/0',
        API_RATELIMIT_READS='6 per minute', API_RATELIMIT_KEY_PREFIX=key_prefix,
        API_TOKEN_LAST_USED_RESOLUTION='86400')
    gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    servers: List[subprocess.Popen] = []
    logs = [tmp_path / f'gunicorn-{port}.log' for port in ports]
    try:
        for port, log in zip(ports, logs):
            with open(log, 'wb') as output:
                servers.append(subprocess.Popen(
                    [gunicorn, '-w', '1', '-b', f'127.0.0.1:{port}', '--chdir', ROOT, 'run:create_app()'],
                    env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True))
        for port, server, log in zip(ports, servers, logs):
            up = wait_until(lambda: server.poll() is not None or _answers(port), timeout=30, step=0.2)
            assert up and server.poll() is None, f'gunicorn on {port} did not start:\n{log.read_text()[-3000:]}'

        statuses = [_get(ports[n % 2], f'/api/v1/runs/{run_id}/summary', bearer(token)) for n in range(14)]
    finally:
        for server in servers:
            stop(server)

    assert statuses == [200] * 6 + [429] * 8, statuses
    assert prefixed_keys(machine_redis, key_prefix), 'the counts were kept in Redis'


# --- Redis failing -------------------------------------------------------------------------------------------------

class RedisServer:
    """A redis-server of this test's own, on a free port, without persistence."""

    def __init__(self, executable: str, log_path: Any) -> None:
        self.executable = executable
        self.log_path = log_path
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.client = redis.Redis('127.0.0.1', self.port, socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> None:
        with open(self.log_path, 'ab') as output:
            self.process = subprocess.Popen(
                [self.executable, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
                 '--appendonly', 'no', '--daemonize', 'no'],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        assert wait_until(self.answers, timeout=10), f'redis-server did not start on {self.port}'

    def answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
        self.client.connection_pool.disconnect()

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        self.thaw()
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None
        self.client.close()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A redis-server started for this test, killed afterwards whatever happens."""
    executable = shutil.which('redis-server')
    if executable is None:
        needs('redis-server')
    server = RedisServer(executable, tmp_path / 'redis.log')
    try:
        server.start()
        yield server
    finally:
        server.kill()


def storage_records(caplog: pytest.LogCaptureFixture) -> List[logging.LogRecord]:
    """Records at WARNING or above since the last clear."""
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.redis
def test_redis_down_then_back(own_redis, make_app, app, factory, run_id, key_prefix, caplog):
    caplog.set_level(logging.WARNING)
    limited = make_app(API_RATELIMIT_STORAGE_URI=f'redis://127.0.0.1:{own_redis.port}/0',
                       API_RATELIMIT_KEY_PREFIX=key_prefix, API_RATELIMIT_READS='5 per minute')
    client = limited.test_client()
    token = mint(app, factory)

    def ask() -> Any:
        started = time.time()
        answer = summary(client, run_id, bearer(token))
        assert answer.status_code in (200, 429), answer.get_data(as_text=True)
        limit_headers(answer, started)
        return answer

    def count() -> int:
        keys = prefixed_keys(own_redis.client, key_prefix)
        assert len(keys) <= 1, keys
        return int(own_redis.client.get(keys[0]) or 0) if keys else 0

    # Redis up: counted there.
    assert [ask().headers['X-RateLimit-Remaining'] for _ in range(2)] == ['4', '3']
    assert count() == 2
    assert storage_records(caplog) == []

    # Redis down: still served, with headers, limited in this process's memory; one warning.
    own_redis.stop()
    caplog.clear()
    statuses = [ask().status_code for _ in range(8)]
    assert statuses[0] == 200
    assert 1 <= statuses.count(200) <= 5, statuses
    assert statuses == sorted(statuses), 'once refused, refused until the window ends'
    warnings = storage_records(caplog)
    assert len(warnings) == 1, [record.getMessage() for record in warnings]
    assert warnings[0].levelno == logging.WARNING and 'storage' in warnings[0].getMessage().lower()

    # Redis back (empty): shared counting resumes by itself.
    own_redis.start()
    assert count() == 0
    caplog.clear()
    deadline = time.monotonic() + 40
    while count() == 0 and time.monotonic() < deadline:
        ask()
        time.sleep(0.5)
    assert count() == 1, 'counting did not resume in Redis within 40 s'
    answer = ask()
    assert answer.status_code == 200 and answer.headers['X-RateLimit-Remaining'] == '3'
    assert count() == 2
    assert storage_records(caplog) == []

    # A second outage is warned about once more (answers checked by ask: 200 or 429, never 500).
    own_redis.stop()
    for _ in range(3):
        ask()
    warnings = storage_records(caplog)
    assert len(warnings) == 1 and 'storage' in warnings[0].getMessage().lower()


def api_records(caplog: pytest.LogCaptureFixture) -> List[str]:
    """The storage lines of the API's own logger since the last clear."""
    return [f'{record.levelname} {record.getMessage()}' for record in caplog.records
            if record.name == 'mod_api.limits']


@pytest.mark.redis
def test_redis_frozen_then_thawed(own_redis, make_app, app, factory, run_id, key_prefix, caplog):
    caplog.set_level(logging.INFO)
    limited = make_app(API_RATELIMIT_STORAGE_URI=f'redis://127.0.0.1:{own_redis.port}/0',
                       API_RATELIMIT_KEY_PREFIX=key_prefix, API_RATELIMIT_READS='50 per minute')
    client = limited.test_client()
    token = mint(app, factory)
    assert summary(client, run_id, bearer(token)).status_code == 200

    own_redis.freeze()
    try:
        started = time.monotonic()
        timings = []
        for _ in range(6):
            began = time.monotonic()
            answer = summary(client, run_id, bearer(token))
            timings.append(time.monotonic() - began)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            limit_headers(answer, time.time() - 1)
        # A frozen storage costs one request its timeouts (0.5 s a call), then is left alone.
        assert max(timings) < 2.5 and time.monotonic() - started < 4, timings
    finally:
        own_redis.thaw()
    lines = api_records(caplog)
    assert len(lines) == 1 and lines[0].startswith('WARNING rate-limit storage redis://127.0.0.1:')
    assert 'not answering' in lines[0]

    caplog.clear()
    assert wait_until(lambda: summary(client, run_id, bearer(token)).status_code == 200 and bool(api_records(caplog)),
                      timeout=40, step=0.5), 'no recovery within 40 s'
    assert api_records(caplog) == [f'INFO rate-limit storage redis://127.0.0.1:{own_redis.port} answers again: '
                                   'shared counting resumed']


@pytest.mark.redis
@pytest.mark.parametrize('failure', ['killed', 'frozen'])
def test_redis_failing_between_the_check_and_the_deduction(
        own_redis, make_app, app, factory, run_id, key_prefix, caplog, monkeypatch, failure):
    """Flask-Limiter charges a request after its answer is made: Redis failing then still fails no request."""
    caplog.set_level(logging.INFO)
    limited = make_app(API_RATELIMIT_STORAGE_URI=f'redis://127.0.0.1:{own_redis.port}/0',
                       API_RATELIMIT_KEY_PREFIX=key_prefix, API_RATELIMIT_READS='50 per minute')
    client = limited.test_client()
    token = mint(app, factory)
    assert summary(client, run_id, bearer(token)).status_code == 200
    load_run = queries.load_run

    def fail_storage(session: Any, run: int) -> Any:
        own_redis.kill() if failure == 'killed' else own_redis.freeze()
        return load_run(session, run)

    monkeypatch.setattr(queries, 'load_run', fail_storage)
    try:
        answer = summary(client, run_id, bearer(token))
    finally:
        own_redis.thaw()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()['run_id'] == run_id
    limit_headers(answer, time.time() - 5)
    lines = api_records(caplog)
    assert len(lines) == 1 and 'not answering' in lines[0], lines
    assert 'Traceback' not in caplog.text
