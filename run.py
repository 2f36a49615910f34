"""The standalone host: a small Flask app in the platform's role, for running and testing ``mod_api``.

In a deployment the platform's own ``run.py`` takes this file's place. Like
the platform, this host opens a database session per request as ``g.db``,
installs app-wide HTML error pages, and registers the blueprint at
``/api/v1``. Unlike it, it builds the app in a factory, so that tests can
make one per database; ``flask --app run ...`` finds the factory.

Configuration comes from environment variables named like the config keys
(``DATABASE_URI``, ``API_*``); the default database is a SQLite file of demo
data in the instance folder.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Tuple

import click
from flask import Flask, current_app, g
from flask_sqlalchemy import SQLAlchemy
from werkzeug.serving import run_simple

import demo
from database import Base

db = SQLAlchemy(metadata=Base.metadata)
Base.query = db.session.query_property()


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
    app.config['DATABASE_URI'] = 'sqlite:///' + os.path.join(app.instance_path, 'demo.sqlite')
    _config_from_environment(app)
    app.config.update(test_config or {})
    app.config['SQLALCHEMY_DATABASE_URI'] = app.config['DATABASE_URI']
    app.config.setdefault('SQLALCHEMY_ENGINE_OPTIONS', {'pool_pre_ping': True})
    db.init_app(app)

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

    app.cli.add_command(demo_command)
    return app


@click.command('demo')
@click.option('--host', default='127.0.0.1', show_default=True)
@click.option('--port', default=5000, show_default=True)
def demo_command(host: str, port: int) -> None:
    """Reset the database to the demo runs, print curl lines to try, and serve the API."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    db.drop_all()
    db.create_all()
    ids = demo.seed(db.session)
    base = f'http://{host}:{port}/api/v1'
    click.echo(f'Demo database: {app.config["DATABASE_URI"]}')
    click.echo('Try:')
    for path in (f'/runs/{ids["completed_run"]}/summary', f'/runs/{ids["testing_run"]}/summary',
                 f'/runs/{ids["completed_run"]}/samples/{ids["failing_test"]}'):
        click.echo(f"  curl -s '{base}{path}'")
    run_simple(host, port, app, threaded=True)
