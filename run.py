"""The standalone host: a small Flask app in the platform's role, for running and testing ``mod_api``.

In a deployment the platform's own ``run.py`` takes this file's place. Like
the platform, this host opens a database session per request as ``g.db``,
installs app-wide HTML error pages, and registers the blueprint at
``/api/v1``. Unlike it, it builds the app in a factory, so that tests can
make one per database; ``flask --app run ...`` finds the factory.

Configuration comes from environment variables named like the config keys
(``DATABASE_URI``, ``API_*``); the default database is a SQLite file of demo
data in the instance folder. ``API_JWT_SECRET`` has no default: only the
demo (``python run.py``) makes one up.

    python run.py                               # the demo: seed, mint a token, serve on :5000
    flask --app run api token create --user NAME
    gunicorn 'run:create_app()'                 # production-like serving
"""

from __future__ import annotations

import datetime
import os
import secrets
import sys
from typing import Any, Mapping, Optional, Tuple

from flask import Flask, g
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from werkzeug.serving import run_simple

import demo
from database import Base
from mod_api.auth import RUNS_READ, issue_token
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
    app.config['DATABASE_URI'] = 'sqlite:///' + os.path.join(app.instance_path, 'demo.sqlite')
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


def serve_demo(host: str = '127.0.0.1', port: int = 5000) -> None:
    """Reset the database to the demo runs, mint a token, print curl lines to try, and serve the API.

    The one place that makes up a signing secret, when ``API_JWT_SECRET`` is not set.
    """
    secret = os.environ.get('API_JWT_SECRET') or secrets.token_urlsafe(48)
    app = create_app({'API_JWT_SECRET': secret})
    with app.app_context():
        db.drop_all()
        db.create_all()
        ids = demo.seed(db.session())
        account = db.session.get_one(User, ids['account'])
        token, _ = issue_token(db.session(), account, [RUNS_READ], datetime.timedelta(days=30), label='demo')
        db.session.commit()
    base = f'http://{host}:{port}/api/v1'
    print(f'Demo database: {app.config["DATABASE_URI"]}')
    print(f'To mint more tokens: export API_JWT_SECRET={secret}; flask --app run api token create --user carol')
    print(f'Token for "carol", valid 30 days:\n{token}\nTry:')
    for path in (f'/runs/{ids["completed_run"]}/summary', f'/runs/{ids["completed_run"]}/samples?status=fail',
                 f'/runs/{ids["completed_run"]}/samples/{ids["failing_test"]}', f'/runs/{ids["testing_run"]}/summary',
                 '/runs?state=completed'):
        print(f"  curl -s -H 'Authorization: Bearer {token}' '{base}{path}'")
    diff = f'/runs/{ids["completed_run"]}/samples/{ids["failing_test"]}/outputs/{ids["differing_output"]}/diff'
    print(f"  curl -s -H 'Authorization: Bearer {token}' -H 'Accept: text/x-diff' '{base}{diff}'")
    sys.stdout.flush()
    run_simple(host, port, app, threaded=True)


if __name__ == '__main__':
    serve_demo(port=int(os.environ.get('PORT', '5000')))
