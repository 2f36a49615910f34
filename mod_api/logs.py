"""Logging and request ids: what an operator reads when something under ``/api/v1`` goes wrong.

Every module of the API logs through a child of the ``mod_api`` logger. When
the blueprint is registered, that logger gets a handler of its own on stderr
(``API_LOG_HANDLER``, on by default) whose lines carry the time, the level,
the process id, the logger and the request id, at ``API_LOG_LEVEL`` (INFO):
under gunicorn with ``--capture-output --log-file``, as the platform runs it,
they land in its error log. The host's own loggers, and the root logger, are
left as the host set them; the API's records stop at ``mod_api`` when it has
its own handler, so that a host that configures the root logger does not see
each line twice.

Every answer under the API carries ``X-Request-Id``: the client's own when it
is sane (1 to 128 characters of ``A-Z a-z 0-9 . _ : - + = / @``), a new one
otherwise. A request that fails (a 5xx) is logged on one line: request id,
method, route, status and code, duration, and the error's class (for a
database error, the driver's error number too), never SQL, its parameters,
tokens or secrets.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any, Optional

from flask import Response, has_request_context, request

LOGGER = 'mod_api'
HEADER = 'X-Request-Id'
FORMAT = '%(asctime)s %(levelname)s [pid %(process)d] %(name)s [request %(request_id)s] %(message)s'

_SANE = re.compile(r'\A[A-Za-z0-9._:+=/@-]{1,128}\Z')
_REQUEST_ID = 'mod_api.request_id'
_STARTED = 'mod_api.started'
_FAILURE = 'mod_api.failure'
_CODE = 'mod_api.error_code'

log = logging.getLogger(f'{LOGGER}.requests')


def request_id() -> Optional[str]:
    """Return the id of the current API request (None outside one, or before it got one)."""
    if not has_request_context():
        return None
    return request.environ.get(_REQUEST_ID)


def start_request() -> None:
    """Give the current request its id (the client's, when sane) and note when it started."""
    offered = request.headers.get(HEADER, '')
    request.environ[_REQUEST_ID] = offered if _SANE.match(offered) else uuid.uuid4().hex
    request.environ[_STARTED] = time.monotonic()


def elapsed_ms() -> int:
    """Milliseconds since the current request started (0 when it was never started)."""
    started = request.environ.get(_STARTED)
    return 0 if started is None else int((time.monotonic() - started) * 1000)


def note_failure(error: BaseException, detail: str = '') -> None:
    """Remember what made the current request fail, for its log line (``detail``: safe words only)."""
    request.environ[_FAILURE] = type(error).__name__ + (f' ({detail})' if detail else '')


def note_code(code: str) -> None:
    """Remember the error code the current request is answered with, for its log line."""
    if has_request_context():
        request.environ[_CODE] = code


def finish_request(response: Response) -> Response:
    """Answer the request id, and log the one line of a failed request."""
    identifier = request.environ.get(_REQUEST_ID)
    if identifier is None:  # not an API request
        return response
    response.headers[HEADER] = identifier
    failure = request.environ.get(_FAILURE)
    if response.status_code >= 500 and failure is not None:
        code = request.environ.get(_CODE, '')
        route = request.url_rule.rule if request.url_rule is not None else '-'
        level = logging.WARNING if response.status_code == 503 else logging.ERROR
        log.log(level, '%s %s (route %s) answered %d %s after %d ms: %s', request.method, request.path, route,
                response.status_code, code, elapsed_ms(), failure)
    return response


class _RequestIdFilter(logging.Filter):
    """Name the current request (or ``-``) in every record the API's handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or '-'
        return True


class _Handler(logging.StreamHandler):
    """The API's own handler: whatever ``sys.stderr`` is when a line is written (as ``logging.lastResort``)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        """Return the current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(enabled: bool, level: str) -> None:
    """Set up the ``mod_api`` logger: its level, and its own stderr handler unless ``enabled`` is false.

    Process-wide and idempotent: the last app registered decides.
    """
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level.upper())
    ours = [handler for handler in logger.handlers if isinstance(handler, _Handler)]
    if not enabled:
        for handler in ours:
            logger.removeHandler(handler)
        logger.propagate = True
        return
    if not ours:
        handler = _Handler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(_RequestIdFilter())
        logger.addHandler(handler)
    logger.propagate = False


def safe_words(error: Any) -> str:
    """Describe a database error without its message: the driver's class and error number only."""
    original = getattr(error, 'orig', None)
    if original is None:
        return ''
    number = original.args[0] if getattr(original, 'args', None) and isinstance(original.args[0], int) else None
    return type(original).__name__ + (f' {number}' if number is not None else '')
