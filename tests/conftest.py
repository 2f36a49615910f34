"""Fixtures: the standalone host on SQLite (or on ``TEST_DATABASE_URI``), a row factory, an API client."""

from __future__ import annotations

import contextlib
import datetime
import os
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from database import Base
from mod_api.auth import RUNS_READ, issue_token
from mod_auth.models import User
from run import create_app, db
from tests.factories import Factory


@pytest.fixture(scope='session')
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite in a temporary file, or the database ``TEST_DATABASE_URI`` names (MariaDB in CI)."""
    uri = os.environ.get('TEST_DATABASE_URI') or 'sqlite:///' + str(tmp_path_factory.mktemp('db') / 'api.sqlite')
    engine = sa.create_engine(uri)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        Base.metadata.create_all(connection)
    engine.dispose()
    return uri


TEST_SECRET = 'test-secret-of-the-api-at-least-32-bytes-long'


def app_config(database_uri: str, **overrides: Any) -> Dict[str, Any]:
    """The config every test app starts from.

    A token's "last used" time is written at most daily here, so that requests
    write nothing; tests of that write lower it.
    """
    return {'TESTING': True, 'DATABASE_URI': database_uri, 'API_JWT_SECRET': TEST_SECRET,
            'API_TOKEN_LAST_USED_RESOLUTION': 86400, **overrides}


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:
    """The host app with the API registered; every table is emptied after the test."""
    app = create_app(app_config(database_uri))
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def factory(app: Flask) -> Iterator[Factory]:
    """A row factory on its own session, separate from the API's."""
    engine = sa.create_engine(app.config['DATABASE_URI'])
    with sa.orm.Session(engine) as session:
        yield Factory(session)
    engine.dispose()


class Api:
    """A test client for the API: ``get`` sends the request as a maintainer would."""

    prefix = '/api/v1'

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.headers: Dict[str, str] = {}

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a path under the API's prefix."""
        headers = {**self.headers, **kwargs.pop('headers', {})}
        return self.client.get(self.prefix + path, headers=headers, **kwargs)

    def open(self, path: str, method: str, **kwargs: Any) -> Any:
        """Any method on a path under the API's prefix."""
        headers = {**self.headers, **kwargs.pop('headers', {})}
        return self.client.open(self.prefix + path, method=method, headers=headers, **kwargs)


def mint(app: Flask, factory: Factory, user: Optional[User] = None, scopes: Sequence[str] = (RUNS_READ,),
         lifetime: datetime.timedelta = datetime.timedelta(days=1)) -> str:
    """Issue a token (recorded in the database) for ``user``, a new account by default."""
    user = user or factory.account()
    with app.app_context():
        token, _ = issue_token(factory.session, user, scopes, lifetime, label='test')
    factory.commit()
    return token


@pytest.fixture
def api(app: Flask, client: FlaskClient, factory: Factory) -> Api:
    """The API as a maintainer with a valid ``runs:read`` token sees it."""
    api = Api(client)
    api.headers['Authorization'] = f'Bearer {mint(app, factory)}'
    return api


@pytest.fixture
def statements(app: Flask) -> Callable[[], Any]:
    """Count the SQL statements run inside a ``with statements() as seen:`` block (``seen`` is a list)."""
    @contextlib.contextmanager
    def counting() -> Iterator[List[str]]:
        seen: List[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, 'before_cursor_execute', record)
        try:
            yield seen
        finally:
            sa.event.remove(engine, 'before_cursor_execute', record)
    return counting
