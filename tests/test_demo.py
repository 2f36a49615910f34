"""The demo (``python run.py``) resets only a database of its own (issue 9, item 1).

Its own: the default SQLite file, a new or empty database, or one it marked
(table ``mod_api_demo_marker``). Any other database stops it with a message,
and nothing in it changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from mod_test.models import Test
from run import (DEMO_MARKER, DemoRefused, check_demo_database, create_app,
                 reset_demo_database)
from tests.conftest import TEST_SECRET, fresh_database, is_mariadb

ROOT = Path(__file__).resolve().parent.parent


def someones_database(uri: str) -> None:
    """A database with data of someone else's: a table the demo knows nothing of, and a row in it."""
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text('CREATE TABLE customer (id INTEGER PRIMARY KEY, name VARCHAR(50))'))
        connection.execute(sa.text("INSERT INTO customer (id, name) VALUES (1, 'precious')"))
    engine.dispose()


def contents(uri: str) -> dict:
    """Every table of the database and its rows."""
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return {table: sorted(connection.execute(sa.text(f'SELECT * FROM {table}')).all())
                    for table in sa.inspect(connection).get_table_names()}
    finally:
        engine.dispose()


def runs_in(uri: str) -> int:
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(Test)).scalar_one())
    finally:
        engine.dispose()


def demo_app(uri: str):
    return create_app({'TESTING': True, 'DATABASE_URI': uri, 'API_JWT_SECRET': TEST_SECRET})


def test_python_run_py_stops_on_someone_elses_database_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / 'theirs.sqlite'
    uri = f'sqlite:///{path}'
    someones_database(uri)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    environment = {**os.environ, 'DATABASE_URI': uri, 'PORT': '1'}

    finished = subprocess.run([sys.executable, 'run.py'], cwd=ROOT, env=environment, capture_output=True,
                              text=True, timeout=60)

    assert finished.returncode != 0
    assert 'changed nothing' in finished.stderr and DEMO_MARKER in finished.stderr, finished.stderr
    assert 'Traceback' not in finished.stderr
    assert finished.stdout == ''
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_new_file_is_made_seeded_and_marked_then_reset_again(tmp_path: Path) -> None:
    uri = f'sqlite:///{tmp_path / "new.sqlite"}'
    ids, token = reset_demo_database(demo_app(uri))
    assert token.count('.') == 2 and ids['completed_run'] == 1
    assert DEMO_MARKER in contents(uri)
    assert runs_in(uri) == 7

    # Marked as the demo's: reset again, to the same runs.
    reset_demo_database(demo_app(uri))
    assert runs_in(uri) == 7


def test_an_empty_database_is_the_demos_to_fill(tmp_path: Path) -> None:
    path = tmp_path / 'empty.sqlite'
    sa.create_engine(f'sqlite:///{path}').connect().close()
    assert path.exists()
    reset_demo_database(demo_app(f'sqlite:///{path}'))
    assert runs_in(f'sqlite:///{path}') == 7


def test_the_default_file_is_the_demos_own() -> None:
    app = create_app({'TESTING': True, 'API_JWT_SECRET': TEST_SECRET})
    assert app.config['DATABASE_URI'].endswith(os.path.join('instance', 'demo.sqlite'))
    check_demo_database(app)  # no refusal, and nothing read or written


def test_someone_elses_sqlite_is_refused(tmp_path: Path) -> None:
    uri = f'sqlite:///{tmp_path / "theirs.sqlite"}'
    someones_database(uri)
    before = contents(uri)
    with pytest.raises(DemoRefused, match='changed nothing'):
        reset_demo_database(demo_app(uri))
    assert contents(uri) == before


def test_an_unreachable_server_is_refused_with_a_message() -> None:
    app = demo_app('mysql+pymysql://nobody:secret-password@127.0.0.1:1/nothing?connect_timeout=2')
    with pytest.raises(DemoRefused) as refused:
        check_demo_database(app)
    assert 'changed nothing' in str(refused.value)
    assert 'secret-password' not in str(refused.value)


@pytest.fixture
def server_database() -> Iterator[str]:
    named = os.environ.get('TEST_DATABASE_URI', '')
    if not is_mariadb(named):
        pytest.skip('TEST_DATABASE_URI names no MariaDB')
    with fresh_database(named, 'demo_') as uri:
        yield uri


@pytest.mark.mariadb
def test_someone_elses_mariadb_database_is_refused(server_database: str) -> None:
    someones_database(server_database)
    before = contents(server_database)
    with pytest.raises(DemoRefused, match='changed nothing'):
        reset_demo_database(demo_app(server_database))
    assert contents(server_database) == before


@pytest.mark.mariadb
def test_an_empty_mariadb_database_is_filled_and_marked(server_database: str) -> None:
    reset_demo_database(demo_app(server_database))
    assert DEMO_MARKER in contents(server_database) and runs_in(server_database) == 7
