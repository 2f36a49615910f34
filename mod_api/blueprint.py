"""The ``mod_api`` blueprint object, which every module of the API attaches to.

What registering it sets up in the host app is in ``mod_api/__init__.py``.
"""

from __future__ import annotations

from flask import Blueprint

mod_api = Blueprint('mod_api', __name__, cli_group='api')
