"""mod_api: the results API of the sample-platform, as JSON under ``/api/v1``.

The host registers the blueprint and nothing else::

    from mod_api import mod_api
    app.register_blueprint(mod_api, url_prefix='/api/v1')
"""

from mod_api import cli, errors, routes  # noqa: F401  (they attach commands, handlers and routes)
from mod_api.blueprint import mod_api

mod_api.cli.add_command(cli.token_cli)

__all__ = ['mod_api']
