"""JSON responses of the API, with keys in the order the schemas give them.

The host app's JSON provider sorts keys by default; the API keeps its own
order (the spec's) without changing the host's settings. Answers about runs
carry validators and caching rules for conditional GET (RFC 9110).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping, Optional

from flask import Response, request


def json_response(payload: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> Response:
    """Return ``payload`` as an ``application/json`` response, keys in their given order."""
    body = json.dumps(payload, ensure_ascii=False, separators=(',', ':'))
    return Response(body + '\n', status=status, headers=dict(headers or {}), mimetype='application/json')


_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')


def _none_match(header: Optional[str], etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2).

    ``*`` matches only on its own: inside a list it is no entity-tag, and is
    ignored (werkzeug would read it as a wildcard there).
    """
    if header is None:
        return False
    if header.strip() == '*':
        return True
    return etag in _ENTITY_TAG.findall(header)


def conditional_json(payload: Any, finished: bool) -> Response:
    """Return ``payload`` with a strong ETag (a hash of the body), answering 304 when ``If-None-Match`` has it.

    A hash of the body changes whenever anything the body says changes, whichever input caused it.
    A finished run's answers may be cached for a minute; others must be revalidated.
    """
    response = json_response(payload)
    etag = hashlib.sha256(response.get_data()).hexdigest()[:40]
    cache_control = 'private, max-age=60' if finished else 'private, no-cache'
    if _none_match(request.headers.get('If-None-Match'), etag):
        response = Response(status=304)
    response.set_etag(etag)
    response.headers['Cache-Control'] = cache_control
    return response
