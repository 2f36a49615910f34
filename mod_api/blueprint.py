"""The ``mod_api`` blueprint and what registering it sets up in the host app.

The platform registers it with one line, at ``/api/v1``; everything else the
API needs (checked settings, the ``flask api`` commands) is arranged here
when that happens.
"""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from mod_api import config

mod_api = Blueprint('mod_api', __name__, cli_group='api')


@mod_api.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """Check the API's settings once, when the blueprint is first registered; refuse to start without a secret."""
    app = state.app
    for key, value in config.DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions['mod_api'] = config.load(app.config)
