"""The ``mod_api`` blueprint and what registering it sets up in the host app.

The platform registers it with one line, at ``/api/v1``; everything else the
API needs is arranged here when that happens.
"""

from __future__ import annotations

from flask import Blueprint

mod_api = Blueprint('mod_api', __name__)
