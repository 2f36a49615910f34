"""mod_api: the results API of the sample-platform, as JSON under ``/api/v1``.

The host registers the blueprint and nothing else::

    from mod_api import mod_api
    app.register_blueprint(mod_api, url_prefix='/api/v1')

Registering it checks the API's settings, makes the API's rate limiter,
allows the configured web origins (CORS), and adds the ``flask api``
commands; importing it attaches the routes and JSON error handlers. Without
a usable ``API_JWT_SECRET`` the host still starts: one error is logged, and
every API URL answers 503 ``api_not_configured`` saying how to set it.
"""

import logging
from typing import Any, Optional

from flask import Response
from flask.blueprints import BlueprintSetupState

from mod_api import outputs  # noqa: F401  (its routes attach to the blueprint)
from mod_api import cli, cors, errors, limits, routes, settings  # noqa: F401
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
    if not checked.configured:
        log.error('mod_api: %s', settings.UNCONFIGURED_MESSAGE)
    limits.init_app(app, checked)
    cors.init_app(app, checked, state.url_prefix or '')


@mod_api.before_request
def _refuse_when_unconfigured() -> Optional[Response]:
    """Answer every API URL with 503 until the signing secret is set."""
    if settings.current().configured:
        return None
    return errors.ApiError(503, settings.UNCONFIGURED_MESSAGE, {'setting': 'API_JWT_SECRET'},
                           code='api_not_configured').response()
