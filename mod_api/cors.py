"""CORS: which web frontends, on other origins, may read the API's answers in a browser.

Built on flask-cors, for the API's URLs only. Allowed origins come from
``API_CORS_ORIGINS`` (none by default: no CORS headers at all). A preflight
needs no token. A frontend may send the token, the validators
(``If-None-Match``, ``If-Match``) and a byte range (``Range``, ``If-Range``:
``bytes=-20000`` is no range a browser sends without asking); the headers it
needs are exposed (``ETag``, ``Link`` to a list's other pages,
``Retry-After``, the rate-limit headers, the ``WWW-Authenticate`` challenge,
``X-Request-Id``, and a file's ``Content-Range``, ``Accept-Ranges`` and
``Content-Disposition``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request
from flask_cors import CORS

from mod_api.blueprint import mod_api
from mod_api.settings import Settings

ALLOWED_HEADERS = ['Authorization', 'If-None-Match', 'If-Match', 'Range', 'If-Range']
EXPOSED_HEADERS = ['ETag', 'Link', 'Retry-After', 'WWW-Authenticate', 'X-RateLimit-Limit', 'X-RateLimit-Remaining',
                   'X-RateLimit-Reset', 'X-Request-Id', 'Content-Range', 'Accept-Ranges', 'Content-Disposition']


def _vary_on_origin(response: Response) -> Response:
    # Access-Control-Allow-Origin depends on the request's Origin: caches must know, even with one origin.
    if request.blueprint == mod_api.name:
        response.vary.add('Origin')
    return response


def init_app(app: Any, settings: Settings, url_prefix: str) -> None:
    """Allow the configured origins on the API's URLs (and nowhere else in the host)."""
    if not settings.cors_origins:
        return
    # flask-cors reads resource keys as regular expressions matched from the start of the path.
    CORS(app, resources={rf'{re.escape(url_prefix)}(/.*)?\Z': {
        'origins': list(settings.cors_origins),
        'methods': ['GET', 'HEAD', 'OPTIONS'],
        'allow_headers': ALLOWED_HEADERS,
        'expose_headers': EXPOSED_HEADERS,
        'max_age': 600,
    }})
    app.after_request(_vary_on_origin)
