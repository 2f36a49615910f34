"""JSON responses of the API, with keys in the order the schemas give them.

The host app's JSON provider sorts keys by default; the API keeps its own
order (the spec's) without changing the host's settings.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from flask import Response


def json_response(payload: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> Response:
    """Return ``payload`` as an ``application/json`` response, keys in their given order."""
    body = json.dumps(payload, ensure_ascii=False, separators=(',', ':'))
    return Response(body + '\n', status=status, headers=dict(headers or {}), mimetype='application/json')
