"""mod_api: the results API of the sample-platform, as JSON under ``/api/v1``.

The host registers the blueprint and nothing else::

    from mod_api import mod_api
    app.register_blueprint(mod_api, url_prefix='/api/v1')

Registering it checks the API's settings (refusing to start without a
signing secret), makes the API's rate limiter, allows the configured web
origins (CORS), and adds the ``flask api`` commands; importing it attaches the routes and JSON error handlers.
"""

from typing import Any

from flask.blueprints import BlueprintSetupState

from mod_api import cli, config, cors, errors, limits, routes  # noqa: F401  (errors and routes attach themselves)
from mod_api.blueprint import mod_api

__all__ = ['mod_api']

mod_api.cli.add_command(cli.token_cli)


@mod_api.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """Prepare the host app once, when the blueprint is first registered."""
    app: Any = state.app
    for key, value in config.DEFAULTS.items():
        app.config.setdefault(key, value)
    settings = app.extensions['mod_api'] = config.load(app.config)
    limits.init_app(app, settings)
    cors.init_app(app, settings, state.url_prefix or '')
