"""mod_api: the results API of the sample-platform, as JSON under ``/api/v1``.

The host registers the blueprint and nothing else::

    from mod_api import mod_api
    app.register_blueprint(mod_api, url_prefix='/api/v1')

Registering it checks the API's settings, sets up the API's logger, makes
the API's rate limiter, allows the configured web origins (CORS), claims
every URL under its prefix (even those the host's router refuses: unknown
methods, ``//``) so that each is answered in JSON, and adds the ``flask api``
commands; importing it attaches the routes and JSON error handlers. On the
first API request of a process it bounds the waits of the host's database
engine (``mod_api/timeouts.py``). Without a usable ``API_JWT_SECRET`` the
host still starts: one error is logged, and every API URL answers 503
``api_not_configured`` saying how to set it.
"""

import logging
from typing import Any, Optional

from flask import Response, g, request
from flask.blueprints import BlueprintSetupState

from mod_api import (cli, cors, docs, errors, limits, logs,  # noqa: F401
                     outputs, regression_tests, routes, settings, timeouts)
from mod_api.blueprint import mod_api

__all__ = ['mod_api']

log = logging.getLogger(__name__)

mod_api.cli.add_command(cli.token_cli)


@mod_api.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """Prepare the host app once, when the blueprint is first registered."""
    app: Any = state.app
    for key, value in settings.DEFAULTS.items():
        app.config.setdefault(key, value)
    checked = app.extensions['mod_api'] = settings.load(app.config)
    logs.configure(checked.log_handler, checked.log_level)
    if not checked.configured:
        log.error('mod_api: %s', settings.UNCONFIGURED_MESSAGE)
    app.extensions[routes.PREFIX] = (state.url_prefix or '').rstrip('/')
    # First of the host's hooks, so that a request the router refused is the API's before any host hook fails.
    app.before_request_funcs.setdefault(None, []).insert(0, routes.claim)
    # Registered first, so that it runs last of the after-request hooks: it sees the final status.
    app.after_request(logs.finish_request)
    limits.init_app(app, checked)
    cors.init_app(app, checked, state.url_prefix or '')


@mod_api.before_app_request
def _refuse_when_unconfigured() -> Optional[Response]:
    """Answer every API URL with 503 until the signing secret is set (after the host's own hooks)."""
    if request.blueprint != mod_api.name or settings.current().configured:
        return None
    return errors.ApiError(503, settings.UNCONFIGURED_MESSAGE, {'setting': 'API_JWT_SECRET'},
                           code='api_not_configured').response()


@mod_api.before_app_request
def _bound_database_waits() -> None:
    """Bound the waits of the engine behind the host's session, on the first API request that uses it."""
    session = g.get('db') if request.blueprint == mod_api.name else None
    if session is None:
        return
    try:
        engine = session.get_bind()
    except Exception:  # no engine to bound: the request fails on its own terms
        return
    timeouts.bound(engine, settings.current())
