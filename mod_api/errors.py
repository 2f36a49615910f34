"""Errors: every answer of the API that is not a success, in one JSON shape.

The spec's shape is ``{"code", "message", "details"}`` with ``details``
always an object. Whatever goes wrong under the API's prefix (a bad
parameter, an unknown URL, a wrong method, a bug, the database not
answering) comes back in that shape, never as the host's HTML error pages,
which the rest of the platform keeps.

A database that is not answering (down, unreachable, frozen, a lock or the
statement limit ran out) is a 503 with ``Retry-After``, whether the driver's
error reaches the API as it is or wrapped by the host; any other database
error is a bug (500). Either way the host's session is discarded here, so
that the host's own teardown has nothing left to roll back, and the log line
names the error's kind, never its SQL or parameters.
"""

from __future__ import annotations

import logging
import os
import traceback
from typing import Any, Dict, Mapping, Optional

from flask import Response, g, request
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import scoped_session
from werkzeug.exceptions import (HTTPException, MethodNotAllowed,
                                 default_exceptions)

from mod_api import logs
from mod_api.blueprint import mod_api
from mod_api.responses import json_response
from mod_api.settings import current as current_settings

log = logging.getLogger(__name__)

# The machine-readable code of each HTTP status the API answers with.
_CODES = {
    400: 'invalid_parameter',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    412: 'precondition_failed',
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
        logs.note_code(self.code)
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


# Errors of the driver (PyMySQL: MySQL and MariaDB numbers) that mean "not answering now", not a bug: the server
# is down, unreachable, gone, shutting down or full, or a wait ran out (a lock, the statement time limit).
_UNAVAILABLE_NUMBERS = frozenset({
    1040,  # too many connections
    1053,  # server shutdown in progress
    1205,  # lock wait timeout (row locks, metadata locks, FLUSH TABLES WITH READ LOCK)
    1213,  # deadlock: retrying helps
    1317,  # query execution was interrupted
    1927,  # connection was killed
    1969,  # max_statement_time exceeded (MariaDB)
    2002, 2003, 2005, 2006, 2013, 2014, 2055,  # cannot connect, server gone, lost connection
    3024,  # max_execution_time exceeded (MySQL)
    4031,  # disconnected by the server for inactivity
})
# SQLite says the same in words.
_UNAVAILABLE_WORDS = ('database is locked', 'unable to open database file', 'disk i/o error')


def _unavailable_here(error: BaseException) -> bool:
    if isinstance(error, (sa_exc.TimeoutError, sa_exc.InterfaceError, sa_exc.DisconnectionError)):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        original: Any = error.orig
        number = original.args[0] if getattr(original, 'args', None) else None
        if isinstance(number, int) and number in _UNAVAILABLE_NUMBERS:
            return True
        return isinstance(error, sa_exc.OperationalError) and any(
            words in str(original).lower() for words in _UNAVAILABLE_WORDS)
    return False


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) means the database is not answering now.

    The chain is followed because a host may wrap the driver's error: the
    platform's ``create_session`` raises its own ``FailedToSpawnDBSession``
    from a failed ``create_all``.
    """
    seen = 0
    current: Optional[BaseException] = error
    while current is not None and seen < 8:
        if _unavailable_here(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def _database_error(error: BaseException) -> Optional[BaseException]:
    """Return the SQLAlchemy error in the chain of ``error``, if any."""
    current: Optional[BaseException] = error
    for _ in range(8):
        if current is None:
            return None
        if isinstance(current, sa_exc.SQLAlchemyError):
            return current
        current = current.__cause__ or current.__context__
    return None


def leave_session_clean() -> None:
    """Discard the host's session after a failure, so that no later rollback (the host's teardown) can fail.

    The session's connections are invalidated, not rolled back: a rollback
    would talk to a server that may not answer. The next request gets a new
    connection from the pool.
    """
    session: Any = g.get('db')
    if isinstance(session, scoped_session):
        session = session() if session.registry.has() else None
    if session is None:
        return
    try:
        session.invalidate()
    except Exception as error:  # nothing left to do: the host's teardown closes what remains
        log.warning('could not discard the database session: %s', type(error).__name__)


def service_unavailable(error: BaseException) -> ApiError:
    """Build the 503 of a database that is not answering, with Retry-After; discard the session."""
    retry_after = current_settings().db_retry_after
    leave_session_clean()
    logs.note_failure(error, logs.safe_words(_database_error(error)))
    return ApiError(503, 'The database is not answering; try again shortly.', {'retry_after': retry_after},
                    headers={'Retry-After': str(retry_after)})


@mod_api.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    # Imported here: limits imports this module.
    from mod_api.limits import free_answer
    if database_unavailable(error):
        return free_answer(service_unavailable(error).response)
    leave_session_clean()
    database_error = _database_error(error)
    if database_error is not None:
        # The driver's message holds the SQL and its parameters: name the kind of error only.
        logs.note_failure(error, logs.safe_words(database_error))
    else:
        logs.note_failure(error, _where(error))
        log.debug('traceback of the failure', exc_info=error)
    return ApiError(500, 'Internal error; it has been logged.').response()


def _where(error: BaseException) -> str:
    """Where ``error`` was raised: the innermost frame's file, line and function."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ''
    frame = frames[-1]
    return f'at {"/".join(frame.filename.replace(os.sep, "/").split("/")[-2:])}:{frame.lineno} in {frame.name}'
