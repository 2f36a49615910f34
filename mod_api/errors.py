"""Errors: every answer of the API that is not a success, in one JSON shape.

The spec's shape is ``{"code", "message", "details"}`` with ``details``
always an object. Whatever goes wrong under the API's prefix (a bad
parameter, an unknown URL, a wrong method, a bug, the database not
answering) comes back in that shape, never as the host's HTML error pages,
which the rest of the platform keeps.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Mapping, Optional

from flask import Response, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import (HTTPException, MethodNotAllowed,
                                 default_exceptions)

from mod_api.blueprint import mod_api
from mod_api.responses import json_response

log = logging.getLogger(__name__)

# The machine-readable code of each HTTP status the API answers with.
_CODES = {
    400: 'invalid_parameter',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    429: 'rate_limited',
    500: 'internal_error',
    503: 'service_unavailable',
}


class ApiError(Exception):
    """An error the API answers with: HTTP status, code, message and details."""

    def __init__(self, status: int, message: str, details: Optional[Mapping[str, Any]] = None,
                 code: Optional[str] = None, headers: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, 'error')
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})
        self.headers: Dict[str, str] = dict(headers or {})

    def response(self) -> Response:
        """Return the error as the spec's JSON body."""
        body = {'code': self.code, 'message': self.message[:500], 'details': self.details}
        return json_response(body, status=self.status, headers=self.headers)


def not_found(resource: str, resource_id: int, **context: Any) -> ApiError:
    """Build the 404 for a run, or a regression test of a run, that does not exist."""
    name = 'Run' if resource == 'run' else resource.capitalize()
    where = f" in run {context['run_id']}" if 'run_id' in context else ''
    return ApiError(404, f'{name} {resource_id} not found{where}.',
                    {'resource': resource, 'id': resource_id, **context})


@mod_api.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error.response()


def _http_error(error: HTTPException) -> Response:
    if error.response is not None:  # already answered in the API's shape (the rate limiter's 429)
        return error.response  # type: ignore[return-value]
    status = error.code or 500
    headers = {}
    details: Dict[str, Any] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers['Allow'] = ', '.join(sorted(error.valid_methods))
        details['allowed_methods'] = sorted(error.valid_methods)
    message = {404: 'No such resource in the API.', 405: f'Method {request.method} is not allowed here.'}
    text = message.get(status, error.description or error.name)
    return ApiError(status, text, details, code=_CODES.get(status, 'http_error'), headers=headers).response()


# Flask prefers a handler registered for a status code over one registered for a class, and the host
# registers its HTML pages by code: the API registers its JSON answer for every code too.
mod_api.register_error_handler(HTTPException, _http_error)
for _code in default_exceptions:
    mod_api.register_error_handler(_code, _http_error)


@mod_api.errorhandler(sa_exc.OperationalError)
@mod_api.errorhandler(sa_exc.InterfaceError)
@mod_api.errorhandler(sa_exc.TimeoutError)
def _database_unavailable(error: Exception) -> Response:
    # The driver's message can hold the server's address and the SQL: log the kind only.
    log.error('database unavailable for %s %s: %s', request.method, request.path, type(error).__name__)
    return ApiError(503, 'The database is not answering; try again shortly.', {'retry': True}).response()


@mod_api.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception('unhandled error in %s %s', request.method, request.path)
    return ApiError(500, 'Internal error; it has been logged.').response()
