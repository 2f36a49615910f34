"""The standalone host: a small Flask app in the platform's role, for running and testing ``mod_api``.

In a deployment the platform's own ``run.py`` takes this file's place. Like
the platform, this host opens a database session per request as ``g.db``,
installs app-wide HTML error pages, and registers the blueprint at
``/api/v1``. Unlike it, it builds the app in a factory, so that tests can
make one per database; ``flask --app run ...`` finds the factory.

Configuration comes from environment variables named like the config keys
(``DATABASE_URI``, ``API_*``); the default database is a SQLite file of demo
data in the instance folder. ``API_JWT_SECRET`` has no default: only the
demo (``python run.py``) makes one up. The demo resets only a database of
its own (that file, a new or empty database, or one it marked); it stops,
changing nothing, on any other.

    python run.py                               # the demo: seed, mint a token, serve on :5000
    flask --app run api token create --user NAME
    gunicorn -c gunicorn.conf.py                # production serving (gunicorn.conf.py says why each setting)
"""

from __future__ import annotations

import datetime
import os
import secrets
import sys
from typing import Any, Dict, Mapping, Optional, Tuple

import sqlalchemy as sa
from flask import Flask, g
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from werkzeug.serving import run_simple

import demo
from database import Base
from mod_api import timeouts
from mod_api.auth import RUNS_READ, issue_token
from mod_api.settings import current as api_settings
from mod_auth.models import User

db = SQLAlchemy(metadata=Base.metadata)
Base.query = db.session.query_property()
migrate = Migrate(directory=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'migrations'))


def _config_from_environment(app: Flask) -> None:
    """Copy ``DATABASE_URI`` and every ``API_*`` variable of the environment into the config."""
    for name, value in os.environ.items():
        if name == 'DATABASE_URI' or name.startswith('API_'):
            app.config[name] = value


def _error_page(code: int, title: str) -> Tuple[str, int]:
    return f'<!doctype html><title>{title}</title><h1>{code} {title}</h1>', code


def create_app(test_config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the host app: config, database session per request, HTML error pages, the API."""
    app = Flask(__name__)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config['DATABASE_URI'] = _default_database(app)
    app.config['SAMPLE_REPOSITORY'] = os.path.join(app.instance_path, 'repository')  # result files, as the platform's
    _config_from_environment(app)
    app.config.update(test_config or {})
    app.config['SQLALCHEMY_DATABASE_URI'] = app.config['DATABASE_URI']
    app.config.setdefault('SQLALCHEMY_ENGINE_OPTIONS', {'pool_pre_ping': True})
    db.init_app(app)
    migrate.init_app(app, db)

    @app.before_request
    def open_session() -> None:
        g.db = db.session

    @app.teardown_request
    def close_session(exc: Optional[BaseException]) -> None:
        # Per request, not per app context: tests may run several requests in one app context.
        db.session.remove()

    # The platform's own error pages, installed before any blueprint as the platform does.
    for code, title in ((400, 'Bad Request'), (403, 'Forbidden'), (404, 'Not Found'),
                        (500, 'Internal Server Error')):
        app.register_error_handler(code, lambda e, code=code, title=title: _error_page(code, title))

    @app.route('/')
    def index() -> str:
        return '<!doctype html><title>sample-platform</title><p>The API is at <a href="/api/v1/">/api/v1</a>.'

    from mod_api import mod_api
    app.register_blueprint(mod_api, url_prefix='/api/v1')

    return app


#: The table that marks a database as the demo's own: only such a database (or an empty one) is ever reset.
DEMO_MARKER = 'mod_api_demo_marker'


class DemoRefused(RuntimeError):
    """The database is not the demo's own: the demo stops and changes nothing."""


def _default_database(app: Flask) -> str:
    return 'sqlite:///' + os.path.join(app.instance_path, 'demo.sqlite')


def check_demo_database(app: Flask) -> None:
    """Raise :class:`DemoRefused` unless the demo may reset the app's database.

    It may when the database is the demo's default SQLite file, is empty, or
    carries the demo's marker table; any other database (someone's data) is
    left exactly as it is. Nothing is written here.
    """
    uri = app.config['DATABASE_URI']
    if uri == _default_database(app):
        return
    url = sa.make_url(uri)
    if url.get_backend_name() == 'sqlite' and url.database and url.database != ':memory:' \
            and not os.path.exists(url.database):
        return  # a new file: the demo makes it
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    with app.app_context():
        timeouts.bound(engine, api_settings())  # a frozen server refuses the demo in seconds
    try:
        tables = set(sa.inspect(engine).get_table_names())
    except sa.exc.SQLAlchemyError as error:
        raise DemoRefused(f'The demo cannot read the database {url.render_as_string(hide_password=True)} '
                          f'({type(error).__name__}); it changed nothing.') from None
    finally:
        engine.dispose()
    if tables and DEMO_MARKER not in tables:
        raise DemoRefused(
            f'The demo resets only a database of its own, and {url.render_as_string(hide_password=True)} holds '
            f'{len(tables)} tables of someone else\'s (no {DEMO_MARKER} table); it changed nothing. Unset '
            'DATABASE_URI to use the demo\'s own SQLite file, or name an empty database.')


def reset_demo_database(app: Flask) -> Tuple[Dict[str, int], str]:
    """Reset the app's database to the demo runs, mark it as the demo's, and mint a token for "carol".

    Refuses (:class:`DemoRefused`, nothing changed) a database that is not the demo's own.
    """
    check_demo_database(app)
    with app.app_context():
        timeouts.bound(db.engine, api_settings())
        db.drop_all()
        db.create_all()
        marker = sa.Table(DEMO_MARKER, sa.MetaData(), sa.Column('note', sa.String(200), nullable=False))
        marker.drop(db.engine, checkfirst=True)
        marker.create(db.engine)
        with db.engine.begin() as connection:
            connection.execute(marker.insert().values(note='Demo data of mod_api (python run.py): reset by it.'))
        ids = demo.seed(db.session())
        account = db.session.get_one(User, ids['account'])
        token, _ = issue_token(db.session(), account, [RUNS_READ], datetime.timedelta(days=30), label='demo')
        db.session.commit()
        db.session.remove()
    return ids, token


def serve_demo(host: str = '127.0.0.1', port: int = 5000) -> None:
    """Reset the demo database, mint a token, print curl lines to try, and serve the API.

    The one place that makes up a signing secret, when ``API_JWT_SECRET`` is
    not set. Stops with a message, changing nothing, when ``DATABASE_URI``
    names a database that is not the demo's own.
    """
    secret = os.environ.get('API_JWT_SECRET') or secrets.token_urlsafe(48)
    app = create_app({'API_JWT_SECRET': secret})
    try:
        ids, token = reset_demo_database(app)
    except DemoRefused as refusal:
        sys.exit(f'run.py: {refusal}')
    base = f'http://{host}:{port}/api/v1'
    print(f'Demo database: {sa.make_url(app.config["DATABASE_URI"]).render_as_string(hide_password=True)}')
    print(f'To mint more tokens: {"" if os.environ.get("API_JWT_SECRET") else f"export API_JWT_SECRET={secret}; "}'
          f'{os.path.relpath(sys.executable)} -m flask --app run api token create --user carol')
    print(f'Token for "carol", valid 30 days:\n{token}\nTry:')
    for path in (f'/runs/{ids["completed_run"]}/summary', f'/runs/{ids["completed_run"]}/samples?status=fail',
                 f'/runs/{ids["completed_run"]}/samples/{ids["failing_test"]}', f'/runs/{ids["testing_run"]}/summary',
                 '/runs?state=completed', f'/runs/{ids["pull_request_run"]}/comparison',
                 f'/regression-tests/{ids["crashing_test"]}/history?platform=linux&branch=master'):
        print(f"  curl -s -H 'Authorization: Bearer {token}' '{base}{path}'")
    diff = f'/runs/{ids["completed_run"]}/samples/{ids["failing_test"]}/outputs/{ids["differing_output"]}/diff'
    print(f"  curl -s -H 'Authorization: Bearer {token}' -H 'Accept: text/x-diff' '{base}{diff}'")
    sys.stdout.flush()
    run_simple(host, port, app, threaded=True)


if __name__ == '__main__':
    serve_demo(port=int(os.environ.get('PORT', '5000')))
