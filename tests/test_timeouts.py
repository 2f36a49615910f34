"""Every wait on the database bounded, against a real MariaDB (issue 9, items 3-5).

On a mariadbd of the tests' own (never the machine's): stopped and started,
killed in the middle of a request, frozen (SIGSTOP), a table locked
(``LOCK TABLES ... WRITE``), ``FLUSH TABLES WITH READ LOCK``, a statement
too slow. Each time the client gets the JSON 503 within the configured
bound, nothing is charged to its quota, the session is left clean (no HTML
from a teardown, in this host and in one wired as the platform), and the
API answers again once the database does. The bounds cost no statement of
a request's.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest
import sqlalchemy as sa
from flask import Flask

import run
from mod_api import queries, timeouts
from mod_api.models import AccessToken
from mod_api.settings import load as load_settings
from run import create_app, db
from tests.conftest import (Api, MariaDBServer, app_config, fresh_database,
                            platform_like_app, seed_finished_run, wait_until)

BOUNDS = dict(API_DB_CONNECT_TIMEOUT=1, API_DB_READ_TIMEOUT=2, API_DB_WRITE_TIMEOUT=2, API_DB_STATEMENT_TIMEOUT=1,
              API_DB_LOCK_TIMEOUT=1, API_RATELIMIT_READS='20 per minute', API_RATELIMIT_UNAUTHENTICATED='3 per minute')


@dataclass
class World:
    """A database of its own on the tests' MariaDB: one finished run, and a token."""

    uri: str
    run_id: int
    regression_id: int
    token: str

    def headers(self) -> dict:
        return {'Authorization': f'Bearer {self.token}'}


@pytest.fixture
def world(running_mariadb: MariaDBServer) -> Iterator[World]:
    with fresh_database(running_mariadb.uri('mod_api_own'), 'timeouts_') as uri:
        yield World(uri, *seed_finished_run(uri))
        running_mariadb.ensure_running()  # so that the database can be dropped


@pytest.fixture
def make_host() -> Iterator[Callable[..., Flask]]:
    """Build this host ('host') or one wired as the platform ('platform'); their engines are closed afterwards."""
    made: List[Flask] = []

    def make(kind: str, uri: str, **config: Any) -> Flask:
        settings = {**BOUNDS, **config}
        host = create_app(app_config(uri, **settings)) if kind == 'host' else platform_like_app(uri, **settings)
        made.append(host)
        return host

    yield make
    for host in made:
        if 'platform_engine' in host.extensions:
            host.extensions['platform_engine'].dispose()
        else:
            with host.app_context():
                db.session.remove()
                db.engine.dispose()


def summary(host: Flask, world: World) -> Any:
    return Api.check(host.test_client().get(f'/api/v1/runs/{world.run_id}/summary', headers=world.headers()))


def timed(call: Callable[[], Any]) -> Any:
    started = time.monotonic()
    answer = call()
    answer.seconds = time.monotonic() - started
    return answer


def assert_503(answer: Any, within: float) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == 'application/json'
    assert answer.get_json()['code'] == 'service_unavailable'
    assert answer.headers['Retry-After'] == '5'
    assert answer.headers['X-RateLimit-Remaining'].isdigit()
    assert answer.seconds < within, f'the 503 took {answer.seconds:.1f} s'


HOSTS = ['host', 'platform']


@pytest.mark.parametrize('kind', HOSTS)
def test_stopped_then_started(world, running_mariadb, make_host, kind):
    host = make_host(kind, world.uri)
    assert summary(host, world).status_code == 200

    running_mariadb.stop()
    answers = [timed(lambda: summary(host, world)) for _ in range(5)]
    for answer in answers:
        assert_503(answer, within=4)
    # The token cannot be checked: shown the address's quota (3 a minute), never charged to it, never a 429.
    assert {(answer.headers['X-RateLimit-Limit'], answer.headers['X-RateLimit-Remaining'])
            for answer in answers} == {('3', '3')}

    running_mariadb.start()
    assert wait_until(lambda: summary(host, world).status_code == 200, timeout=20, step=0.3)


@pytest.mark.parametrize('kind', HOSTS)
def test_dying_in_the_middle_of_a_request(world, running_mariadb, make_host, kind, monkeypatch):
    host = make_host(kind, world.uri)
    assert summary(host, world).status_code == 200
    load_run = queries.load_run

    def die_first(session: Any, run_id: int) -> Any:
        running_mariadb.kill()  # after the token check: the session holds a transaction on a connection now dead
        return load_run(session, run_id)

    monkeypatch.setattr(queries, 'load_run', die_first)
    # The host's teardown (a rollback, or g.db.remove()) raises nothing: the answer is the API's JSON.
    assert_503(timed(lambda: summary(host, world)), within=4)
    monkeypatch.setattr(queries, 'load_run', load_run)
    running_mariadb.start()
    assert wait_until(lambda: summary(host, world).status_code == 200, timeout=20, step=0.3)


@pytest.mark.parametrize('kind', HOSTS)
def test_dying_after_a_statement_failed(world, running_mariadb, make_host, kind, monkeypatch):
    """The statement limit ends a query (the connection still open), then the server dies before the teardown.

    The host's teardown would roll the session back on that dead connection and raise, outside any error
    handler (gunicorn's HTML 500): the API discards the session first.
    """
    host = make_host(kind, world.uri)
    assert summary(host, world).status_code == 200
    load_run = queries.load_run

    def fail_then_die(session: Any, run_id: int) -> Any:
        try:
            session.execute(sa.text('SELECT SLEEP(5)'))
        finally:
            running_mariadb.kill()
        return load_run(session, run_id)

    monkeypatch.setattr(queries, 'load_run', fail_then_die)
    assert_503(timed(lambda: summary(host, world)), within=4)
    monkeypatch.setattr(queries, 'load_run', load_run)
    running_mariadb.start()
    assert wait_until(lambda: summary(host, world).status_code == 200, timeout=20, step=0.3)


@pytest.mark.parametrize('kind', HOSTS)
def test_frozen(world, running_mariadb, make_host, kind):
    host = make_host(kind, world.uri)
    assert summary(host, world).status_code == 200
    running_mariadb.freeze()
    try:
        # The read timeout (2 s) ends the wait; a pre-ping and a reconnection can take one each.
        assert_503(timed(lambda: summary(host, world)), within=2 * 2 + 2)
    finally:
        running_mariadb.thaw()
    assert wait_until(lambda: summary(host, world).status_code == 200, timeout=20, step=0.3)


def while_frozen(server: MariaDBServer, call: Callable[[], Any]) -> Tuple[Any, float]:
    """Run ``call`` while ``server`` is frozen; return what it returned, or raised, and the seconds it took.

    In a thread waited for 15 s at most: a call still waiting then fails
    the test, once the server is thawed (which lets the call end).
    """
    outcome: List[Tuple[Any, float]] = []

    def attempt() -> None:
        started = time.monotonic()
        try:
            value = call()
        except Exception as error:  # the caller says which it expects
            value = error
        outcome.append((value, time.monotonic() - started))

    server.freeze()
    try:
        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(timeout=15)
    finally:
        server.thaw()
    worker.join(timeout=30)
    assert outcome, 'the call waited on the frozen server for more than 15 s'
    return outcome[0]


def test_a_connection_pooled_before_the_first_api_request(world, running_mariadb, make_host):
    """The host's own statements came first: their pooled connection has no read timeout, and the pool's pre-ping
    (before any checkout listener) would wait on it for ever. The bounds close it."""
    host = make_host('host', world.uri)
    with host.app_context():
        with db.engine.connect() as connection:
            connection.execute(sa.text('SELECT 1'))  # back in the pool, unbounded
    answer, _ = while_frozen(running_mariadb, lambda: timed(lambda: summary(host, world)))
    assert_503(answer, within=2 * 2 + 2)
    assert wait_until(lambda: summary(host, world).status_code == 200, timeout=20, step=0.3)


def test_the_cli_on_a_frozen_server_gives_up_in_seconds(world, running_mariadb, make_host):
    """``flask api token list`` opens its own session, outside any request: bounded as the API's."""
    host = make_host('host', world.uri)
    result, seconds = while_frozen(running_mariadb,
                                   lambda: host.test_cli_runner().invoke(args=['api', 'token', 'list']))
    assert result.exit_code == 1 and 'could not be used' in result.output, result.output
    assert seconds < 2 * 2 + 2


def test_the_demo_on_a_frozen_server_stops_in_seconds(world, running_mariadb, make_host):
    """``python run.py`` pointed at a server checks whether the database is its own first: bounded too."""
    host = make_host('host', world.uri)
    refusal, seconds = while_frozen(running_mariadb, lambda: run.check_demo_database(host))
    assert isinstance(refusal, run.DemoRefused) and 'cannot read the database' in str(refusal), refusal
    assert seconds < 2 * 2 + 2


def test_another_thread_waits_until_the_bounds_are_in_place(monkeypatch):
    """Marked bounded only once its listeners, fresh pool and pool wait are all set: no thread goes on before."""
    engine = sa.create_engine('mysql+pymysql://root@127.0.0.1:9/never_connected')
    dispose = engine.dispose

    def slow_dispose(*args: Any, **kwargs: Any) -> None:
        time.sleep(0.5)
        dispose(*args, **kwargs)

    monkeypatch.setattr(engine, 'dispose', slow_dispose)
    checked = load_settings({'API_JWT_SECRET': 'x' * 40, 'API_DB_POOL_TIMEOUT': 4})
    first = threading.Thread(target=timeouts.bound, args=(engine, checked))
    first.start()
    time.sleep(0.1)
    timeouts.bound(engine, checked)  # while the first is disposing
    seen = engine.pool._timeout
    first.join(timeout=10)
    assert seen == 4
    engine.dispose()


@pytest.fixture
def other_connection(world: World) -> Iterator[sa.Connection]:
    """A connection of another client, holding locks."""
    engine = sa.create_engine(world.uri, poolclass=sa.pool.NullPool)
    connection = engine.connect()
    yield connection
    try:
        connection.exec_driver_sql('UNLOCK TABLES')
    finally:
        connection.close()
        engine.dispose()


@pytest.mark.parametrize('kind', HOSTS)
def test_a_locked_table(world, make_host, kind, other_connection, caplog):
    host = make_host(kind, world.uri, API_DB_STATEMENT_TIMEOUT=3)  # the lock limit (1 s) answers first
    assert summary(host, world).status_code == 200
    other_connection.exec_driver_sql('LOCK TABLES test_result WRITE')

    answer = timed(lambda: summary(host, world))
    assert_503(answer, within=1 + 2)
    assert answer.seconds >= 0.9, 'waited for the lock, up to API_DB_LOCK_TIMEOUT'
    assert 'OperationalError 1205' in caplog.text

    other_connection.exec_driver_sql('UNLOCK TABLES')
    assert summary(host, world).status_code == 200


def last_used(world: World) -> Optional[datetime.datetime]:
    engine = sa.create_engine(world.uri, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.select(AccessToken.last_used_at)).scalar_one()
    finally:
        engine.dispose()


def test_the_last_used_write_never_makes_a_read_wait(world, make_host, other_connection):
    # A lock limit of 3 s: a write that waited for the lock would hold the read that long.
    host = make_host('host', world.uri, API_TOKEN_LAST_USED_RESOLUTION=0, API_DB_LOCK_TIMEOUT=3,
                     API_DB_STATEMENT_TIMEOUT=5, API_DB_READ_TIMEOUT=10)
    assert summary(host, world).status_code == 200
    written = last_used(world)
    assert written is not None
    other_connection.exec_driver_sql('FLUSH TABLES WITH READ LOCK')
    time.sleep(1.1)  # a second later, so that a write would change the time

    answer = timed(lambda: summary(host, world))
    assert answer.status_code == 200 and answer.seconds < 2, answer.seconds
    assert last_used(world) == written, 'not written under the lock'

    other_connection.exec_driver_sql('UNLOCK TABLES')
    assert summary(host, world).status_code == 200
    assert last_used(world) > written, 'written once the lock is gone'


def test_a_statement_too_slow(world, make_host, monkeypatch):
    host = make_host('host', world.uri)
    assert summary(host, world).status_code == 200
    load_run = queries.load_run

    def slow(session: Any, run_id: int) -> Any:
        session.execute(sa.text('SELECT SLEEP(5)'))
        return load_run(session, run_id)

    monkeypatch.setattr(queries, 'load_run', slow)
    assert_503(timed(lambda: summary(host, world)), within=1 + 1.5)
    monkeypatch.setattr(queries, 'load_run', load_run)
    assert summary(host, world).status_code == 200


def test_every_connection_is_bounded_at_no_statement_of_the_requests(world, make_host):
    host = make_host('host', world.uri)
    assert summary(host, world).status_code == 200  # attaches the bounds; writes the token's first use
    with host.app_context():
        engine = db.engine
    seen: List[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, 'before_cursor_execute', record)
    try:
        assert summary(host, world).status_code == 200
        pooled = len(seen)
        engine.dispose()  # the next request connects anew: the SET SESSION runs there, unseen by the engine
        seen.clear()
        assert summary(host, world).status_code == 200
        assert len(seen) == pooled == 3, seen  # the token, the run, its tests with their outputs' facts
        assert not [text for text in seen if text.lstrip().upper().startswith('SET')]
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record)
    with host.app_context():
        row = db.session.execute(sa.text(
            'SELECT @@max_statement_time, @@lock_wait_timeout, @@innodb_lock_wait_timeout')).one()
        db.session.remove()
    assert tuple(float(value) for value in row) == (1.0, 1.0, 1.0)
    assert engine in timeouts._bounded
