"""Fixtures: the standalone host on SQLite (or on ``TEST_DATABASE_URI``), a row factory, an API client."""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from typing import (Any, Callable, Dict, Iterator, List, NoReturn, Optional,
                    Sequence, Tuple)

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import (WerkzeugOpenAPIRequest,
                                           WerkzeugOpenAPIResponse)
from openapi_core.exceptions import OpenAPIError
from openapi_core.validation.response.exceptions import MissingData
from werkzeug.test import EnvironBuilder

from database import Base
from mod_api import openapi
from mod_api.auth import RUNS_READ, issue_token
from mod_auth.models import User
from run import create_app, db
from tests.databases import \
    fresh_database  # noqa: F401  (the tests import it from here)
from tests.factories import Factory, Runs


def is_mariadb(uri: str) -> bool:
    """Whether ``uri`` names a MySQL or MariaDB server."""
    return uri.startswith(('mysql', 'mariadb'))


@pytest.fixture(scope='session')
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database made for this test session, with the platform's tables.

    SQLite (the default, and whenever ``TEST_DATABASE_URI`` is a SQLite URL): a
    new file in a temporary folder. A server (``TEST_DATABASE_URI`` such as
    ``mysql+pymysql://root@127.0.0.1/mod_api_ci``): a new database on it, dropped at the end.
    No existing database or table is ever touched.
    """
    named = os.environ.get('TEST_DATABASE_URI', '')
    if not named or named.startswith('sqlite'):
        uri = 'sqlite:///' + str(tmp_path_factory.mktemp('db') / 'api.sqlite')
        _create_tables(uri)
        yield uri
        return
    with fresh_database(named) as uri:
        _create_tables(uri)
        yield uri


def _create_tables(uri: str) -> None:
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
    engine.dispose()


# --- processes of the tests' own -----------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def needs(what: str) -> NoReturn:
    """Skip for want of a service, or fail when running in CI, where it must be there."""
    if os.environ.get('CI'):
        pytest.fail(f'{what} is needed in CI')
    pytest.skip(f'{what} is not available')


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a child process, killing it if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


TEST_SECRET = 'test-secret-of-the-api-at-least-32-bytes-long'


def app_config(database_uri: str, **overrides: Any) -> Dict[str, Any]:
    """The config every test app starts from.

    A token's "last used" time is written on its first use, then at most daily
    here, so that later requests write nothing; tests of that write lower it.
    The API's log records go to pytest's capture (the API's own stderr
    handler is tested under gunicorn).
    """
    return {'TESTING': True, 'DATABASE_URI': database_uri, 'API_JWT_SECRET': TEST_SECRET,
            'API_TOKEN_LAST_USED_RESOLUTION': 86400, 'API_LOG_HANDLER': False, **overrides}


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


@pytest.fixture
def runs(factory: Factory) -> Runs:
    """Runs one after the other, a minute apart, with a test's outcome in each (``tests.factories.Runs``)."""
    return Runs(factory)


@pytest.fixture
def run_id(factory: Factory) -> int:
    """A completed run with one regression test that passed."""
    test = factory.regression_test()
    run = factory.run()
    factory.finished(run, test)
    factory.commit()
    return run.id


class Api:
    """A test client for the API: ``get`` sends the request as a maintainer would.

    Every response that ``get`` and ``open`` return has been checked against
    the API's OpenAPI document (``check``), so that the document describes
    every answer the test suite sees.
    """

    prefix = '/api/v1'

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.headers: Dict[str, str] = {}

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a path under the API's prefix."""
        headers = {**self.headers, **kwargs.pop('headers', {})}
        return self.check(self.client.get(self.prefix + path, headers=headers, **kwargs))

    def open(self, path: str, method: str, **kwargs: Any) -> Any:
        """Any method on a path under the API's prefix."""
        headers = {**self.headers, **kwargs.pop('headers', {})}
        return self.check(self.client.open(self.prefix + path, method=method, headers=headers, **kwargs))

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def described(prefix: str = prefix) -> Tuple[Dict[str, Any], OpenAPI]:
        """The OpenAPI document of the API at ``prefix``, and openapi-core's validator of it (once per session).

        Built by the function that serves ``/openapi.json``: the test of that
        endpoint checks that it serves this very document.
        """
        document = openapi.build(prefix)
        return document, OpenAPI.from_dict(document)

    @classmethod
    def template(cls, path: str) -> Optional[str]:
        """The path of the document (``/runs/{run_id}``) that takes ``path`` (under the prefix), or None."""
        for template in cls.described()[0]['paths']:
            if re.fullmatch(re.sub(r'\\\{[^/]+?\\\}', '[^/]+', re.escape(template)), path):
                return template
        return None

    @classmethod
    def check(cls, response: Any) -> Any:
        """Return ``response``, failing the test unless the OpenAPI document describes it.

        Its status must be documented for the operation, and its headers and
        body must be as the document says (openapi-core checks them); a
        documented response without content must have an empty body. Two
        answers have no operation of their own: a URL that no path of the
        document takes must be the 404 that every operation describes, and a
        method that a documented path lacks must be the 405 its GET describes
        (either may be the 429 or 503 every operation describes instead).
        """
        document, spec = cls.described()
        request = response.request
        what = f'{request.method} {request.full_path.rstrip("?")} -> {response.status_code}'
        assert request.path.startswith(cls.prefix), what
        template = cls.template(request.path[len(cls.prefix):])
        method = request.method.lower()
        checked_as = request
        # Whatever the URL or method, the quota or the database may answer first (429, 503).
        if template is None:
            assert response.status_code in (404, 429, 503), f'{what}: a URL the document lacks must be 404'
            template, method = '/runs/{run_id}', 'get'
            checked_as = EnvironBuilder(path=cls.prefix + '/runs/1', method='GET').get_request()
        elif method not in document['paths'][template]:
            assert response.status_code in (405, 429, 503), f'{what}: a method the document lacks must be 405'
            method = 'get'
            checked_as = EnvironBuilder(path=request.path, method='GET').get_request()
        described = document['paths'][template][method]['responses'].get(str(response.status_code))
        assert described is not None, f'{what}: the document has no {response.status_code} for ' \
                                      f'{method.upper()} {template}'
        try:
            spec.validate_response(WerkzeugOpenAPIRequest(checked_as), WerkzeugOpenAPIResponse(response))
        except MissingData:
            # openapi-core takes an empty body for none; an empty file is a file (of bytes: format binary).
            binary = all(media.get('schema', {}).get('format') == 'binary'
                         for media in described.get('content', {}).values())
            if not (binary and response.get_data() == b'' and described.get('content')):
                raise AssertionError(f'{what} has no body, which the document asks for') from None
        except OpenAPIError as error:
            reasons = [repr(error)] + [repr(inner) for inner in getattr(error.__cause__, 'schema_errors', ())]
            if error.__cause__ is not None:
                reasons.insert(1, repr(error.__cause__))
            raise AssertionError(f'{what} is not as the document describes it: {"; ".join(reasons)}; '
                                 f'body: {response.get_data(as_text=True)[:1000]}') from error
        if 'content' not in described:
            assert response.get_data() == b'', f'{what}: the document describes no body, but it has one'
        return response


#: The API's absolute root as the test client's requests see it (host ``localhost``): links start with it.
API_ROOT = 'http://localhost' + Api.prefix


def get_json(api: Api, path: str, status: int = 200) -> Any:
    """GET a path of the API and return its JSON body, checking the status and the content type."""
    response = api.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == 'application/json'
    return response.json


def path_of(url: str) -> str:
    """The path under the API's prefix of an absolute link of the API, to follow it with ``Api.get``."""
    assert url.startswith(API_ROOT + '/'), url
    return url[len(API_ROOT):]


def counted(pagination: Dict[str, Any]) -> Dict[str, Any]:
    """A page's ``pagination`` without its links (tests/test_lists_http.py tests them): limit, offset, total."""
    return {key: value for key, value in pagination.items() if key != 'links'}


def mint(app: Flask, factory: Factory, user: Optional[User] = None, scopes: Sequence[str] = (RUNS_READ,),
         lifetime: datetime.timedelta = datetime.timedelta(days=1)) -> str:
    """Issue a token (recorded in the database) for ``user``, a new account by default."""
    user = user or factory.account()
    with app.app_context():
        token, _ = issue_token(factory.session, user, scopes, lifetime, label='test')
    factory.commit()
    return token


def seed_finished_run(uri: str) -> Tuple[int, int, str]:
    """Create the tables on ``uri`` and one completed run whose one regression test passed; mint a token.

    Returns the run's id, the regression test's id and the token. For the tests that serve
    ``uri`` from another process or through a server of their own.
    """
    _create_tables(uri)
    seeder = create_app(app_config(uri))
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    with sa.orm.Session(engine) as session:
        factory = Factory(session)
        test = factory.regression_test()
        run = factory.run()
        factory.finished(run, test)
        factory.commit()
        made = run.id, test.id, mint(seeder, factory)
    engine.dispose()
    with seeder.app_context():
        db.engine.dispose()
    return made


@pytest.fixture
def api(app: Flask, client: FlaskClient, factory: Factory) -> Api:
    """The API as a maintainer with a valid ``runs:read`` token sees it."""
    api = Api(client)
    api.headers['Authorization'] = f'Bearer {mint(app, factory)}'
    return api


@pytest.fixture
def anonymous(client: FlaskClient) -> Api:
    """The API without a token."""
    return Api(client)


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


# --- a host wired as the real platform is ---------------------------------------------------------------------------

class FailedToSpawnDBSession(Exception):
    """The platform's own error when ``create_session`` fails (its ``exceptions`` module)."""


def platform_like_app(database_uri: str, **config: Any) -> Flask:
    """A host wired as the real platform's ``run.py`` and ``database.py`` are (shared/platform.md).

    One engine made with no options; in ``before_request`` a new scoped
    session as ``g.db`` and ``Base.metadata.create_all`` (wrapped into the
    platform's own error when it fails); ``teardown_appcontext`` calls
    ``g.db.remove()``; HTML pages for 400, 403, 404 and 500 installed before
    the blueprint. The caller disposes of ``app.extensions['platform_engine']``.
    """
    from flask import g

    from mod_api import mod_api

    host = Flask('platform_like')
    host.config.update(app_config(database_uri, **config))
    engine = sa.create_engine(database_uri)
    host.extensions['platform_engine'] = engine

    @host.before_request
    def before_request() -> None:
        g.db = sa.orm.scoped_session(sa.orm.sessionmaker(bind=engine))
        try:
            Base.metadata.create_all(bind=engine)
        except sa.exc.SQLAlchemyError:
            raise FailedToSpawnDBSession()

    @host.teardown_appcontext
    def teardown(exception: Optional[BaseException]) -> None:
        session = g.get('db', None)
        if session is not None:
            session.remove()

    for code in (400, 403, 404, 500):
        host.register_error_handler(code, lambda error, code=code: (f'<!doctype html><h1>{code}</h1>', code))
    host.register_blueprint(mod_api, url_prefix='/api/v1')
    return host


def signed_token(account_id: int = 1, jti: Optional[str] = None) -> str:
    """A well-signed token of the test secret, recorded nowhere: the API must ask the database about it."""
    import jwt

    from mod_api.settings import DEFAULTS
    now = int(time.time())
    return jwt.encode({'iss': DEFAULTS['API_JWT_ISSUER'], 'aud': DEFAULTS['API_JWT_AUDIENCE'], 'sub': str(account_id),
                       'scope': RUNS_READ, 'iat': now, 'exp': now + 3600, 'jti': jti or uuid.uuid4().hex},
                      TEST_SECRET, algorithm='HS256')


# --- a MariaDB server of the tests' own ------------------------------------------------------------------------------

class MariaDBServer:
    """A mariadbd of the tests' own: its own data folder, port and socket; stopped, frozen or killed at will.

    Never the machine's server: tests that stop or freeze a database stop or freeze this one.
    """

    def __init__(self, folder: Any) -> None:
        self.folder = folder
        self.data = folder / 'data'
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.frozen = False

    def install(self) -> None:
        install = shutil.which('mariadb-install-db')
        if install is None or not os.path.exists(MARIADBD):
            needs('mariadb-install-db and /usr/sbin/mariadbd (Debian package mariadb-server)')
        finished = subprocess.run(
            [install, '--no-defaults', f'--datadir={self.data}', '--auth-root-authentication-method=normal',
             '--skip-test-db', '--user=root'], capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]

    def start(self) -> None:
        with open(self.folder / 'mariadbd.log', 'ab') as output:
            self.process = subprocess.Popen(
                [MARIADBD, '--no-defaults', f'--datadir={self.data}', f'--port={self.port}', '--bind-address=127.0.0.1',
                 f'--socket={self.folder / "mariadbd.sock"}', f'--pid-file={self.folder / "mariadbd.pid"}',
                 '--user=root', '--skip-log-bin', '--innodb-buffer-pool-size=32M', '--max-connections=100',
                 '--skip-name-resolve', '--character-set-server=utf8mb4'],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        self.frozen = False
        assert wait_until(lambda: self.process is not None and (self.process.poll() is not None or self.answers()),
                          timeout=60), 'mariadbd did not start'
        assert self.process.poll() is None, (self.folder / 'mariadbd.log').read_text()[-3000:]

    def answers(self) -> bool:
        try:
            engine = sa.create_engine(self.uri(''), poolclass=sa.pool.NullPool,
                                      connect_args={'connect_timeout': 1, 'read_timeout': 2})
            with engine.connect() as connection:
                connection.execute(sa.text('SELECT 1'))
            engine.dispose()
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def uri(self, database: str) -> str:
        return f'mysql+pymysql://root@127.0.0.1:{self.port}/{database}'

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()
            stop(self.process, timeout=60)
            self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.thaw()
            self.process.kill()
            self.process.wait(30)
            self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.process is not None and self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False

    def ensure_running(self) -> None:
        self.thaw()
        if self.process is None or self.process.poll() is not None:
            self.start()


MARIADBD = '/usr/sbin/mariadbd'


@pytest.fixture(scope='session')
def own_mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """A MariaDB server of the tests' own, made once per session (about 2 s), killed at the end."""
    server = MariaDBServer(tmp_path_factory.mktemp('mariadb'))
    server.install()
    try:
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.data, ignore_errors=True)


@pytest.fixture
def running_mariadb(own_mariadb: MariaDBServer) -> MariaDBServer:
    """The tests' own MariaDB, answering (a test before may have stopped, frozen or killed it)."""
    own_mariadb.ensure_running()
    return own_mariadb
