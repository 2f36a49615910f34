"""JSON responses of the API, with keys in the order the schemas give them.

The host app's JSON provider sorts keys by default; the API keeps its own
order (the spec's) without changing the host's settings. Bodies are written
by orjson: the bytes the standard library writes with ``ensure_ascii=False``
and no spaces (UTF-8, keys in order; ``tests/test_responses.py`` compares
the two), about fifteen times as fast, which a page of 100 results (160 kB)
feels. What orjson refuses (an integer beyond 64 bits, such as an id a 404
names) the standard library writes; what neither should write (a dataclass,
a datetime) both refuse. Answers about runs carry validators and caching rules for
conditional GET (RFC 9110).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping, Optional

import orjson
from flask import Response, request


def json_response(payload: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> Response:
    """Return ``payload`` as an ``application/json`` response, keys in their given order."""
    return Response(json_body(payload), status=status, headers=dict(headers or {}), mimetype='application/json')


_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def json_body(payload: Any) -> bytes:
    """Write ``payload`` as compact JSON in UTF-8, keys in their given order, with a final newline."""
    try:
        # Dataclasses and datetimes are no JSON: orjson would write them, the standard library refuses them.
        return orjson.dumps(payload, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return (json.dumps(payload, ensure_ascii=False, separators=(',', ':')) + '\n').encode()


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


def _match(header: Optional[str], etag: str) -> bool:
    """Whether ``If-Match`` holds for ``etag`` (strong comparison, RFC 9110 13.1.1); no header holds."""
    if header is None:
        return True
    if header.strip() == '*':
        return True  # the resource exists
    return any(tag == etag for weak, tag in re.findall(r'(W/)?"([^"]*)"', header) if not weak)


def conditional_json(payload: Any, finished: bool) -> Response:
    """Return ``payload`` with a strong ETag (a hash of the body), or the answer its preconditions call for.

    A hash of the body changes whenever anything the body says changes,
    whichever input caused it. A finished run's answers may be cached for a
    minute; others must be revalidated.
    """
    return conditional(json_response(payload), 'private, max-age=60' if finished else 'private, no-cache')


def conditional(response: Response, cache_control: str) -> Response:
    """Give ``response`` a strong ETag (a hash of its body) and ``cache_control``, or answer its preconditions.

    See ``precondition_answer``.
    """
    return validated(response, hashlib.sha256(response.get_data()).hexdigest()[:40], cache_control)


def validated(response: Response, etag: str, cache_control: str) -> Response:
    """Give ``response`` the strong ``etag`` and ``cache_control``, or answer the request's preconditions instead.

    A 412 is stored by no cache (``no-store``): it is no representation, and
    a file's rules would keep it for a year.
    """
    answer = precondition_answer(etag)
    if answer is not None:
        response.close()
        response = answer
    response.set_etag(etag)
    response.headers['Cache-Control'] = 'no-store' if response.status_code == 412 else cache_control
    return response


def precondition_answer(etag: str) -> Optional[Response]:
    """Answer the request's preconditions on a representation whose strong ETag is ``etag``; None when they hold.

    In RFC 9110's order (13.2.2): ``If-Match`` that names another
    representation, 412 ``precondition_failed`` (13.1.1), without the body;
    else ``If-None-Match`` that names this one, 304. The API sends no
    ``Last-Modified``, so the date preconditions have nothing to compare.
    """
    if not _match(request.headers.get('If-Match'), etag):
        from mod_api.errors import \
            ApiError  # errors builds its bodies with this module
        return ApiError(412, 'If-Match names no current representation: the resource has changed.',
                        {'header': 'If-Match', 'etag': f'"{etag}"'}).response()
    if _none_match(request.headers.get('If-None-Match'), etag):
        return Response(status=304)
    return None
