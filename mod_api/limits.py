"""Rate limits: a quota per account, and a smaller one per address for requests without a valid token.

Built on Flask-Limiter, with one Limiter per host app, made when the
blueprint is registered. The quota is keyed by the token's account (so more
tokens do not buy more requests); a request without a valid token is keyed
by the client's address, so failed token guesses count too. Which key applies
is known only once the token has been checked, so the limit is checked then,
inside the API's routes, by calling through ``limited`` (Flask-Limiter's own
route decorator, applied to one fixed callable).

Every response under the API carries ``X-RateLimit-Limit``, ``-Remaining``
and ``-Reset`` (Unix time); ``Retry-After`` comes with 429 (and with the 503
of a database outage, with its own value). A 304, a 412, a CORS preflight and
a database outage never consume quota, and an outage is never refused: its
503 is shown the quota it would be charged to, at no cost.

When the shared storage (Redis) fails, at any point of a request (the check
before the route, or the deduction after it), the request is still served,
limited per process in memory; the outage is logged once (a warning), and
so is the recovery (info) when shared limiting resumes by itself. A frozen
storage costs at most ``API_RATELIMIT_STORAGE_TIMEOUT`` per call, and is
retried at growing intervals (Flask-Limiter's own back-off).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, Optional, TypeVar, cast
from urllib.parse import urlsplit

from flask import Response, current_app, has_request_context, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from werkzeug.middleware.proxy_fix import ProxyFix

from mod_api.errors import ApiError
from mod_api.settings import Settings
from mod_api.settings import current as current_settings

R = TypeVar('R')
_EXTENSION = 'mod_api.limits'
_RETRY_AFTER = 'mod_api.retry_after'
_ACCOUNT = 'mod_api.limited_account'
_FREE = 'mod_api.free'
_STORAGE_TROUBLE = 'mod_api.storage_trouble'
_SCOPE = 'mod_api'

log = logging.getLogger(__name__)


def client_address() -> str:
    """Return the client's address: the socket's peer, or the one trusted proxies name in X-Forwarded-For."""
    proxies = current_settings().ratelimit_trusted_proxies
    if proxies <= 0:
        return request.remote_addr or 'unknown'
    # Let werkzeug's ProxyFix read the header, on a copy of this request's environment.
    resolve = ProxyFix(cast(Any, lambda environ, start_response: [environ.get('REMOTE_ADDR')]), x_for=proxies)
    return cast(str, list(resolve(dict(request.environ), cast(Any, None)))[0] or 'unknown')


def _account() -> Optional[int]:
    return cast(Optional[int], request.environ.get(_ACCOUNT))


def _key() -> str:
    account = _account()
    return f'account:{account}' if account is not None else f'address:{client_address()}'


def _limit() -> str:
    settings = current_settings()
    return settings.ratelimit_reads if _account() is not None else settings.ratelimit_unauthenticated


def _consumes_quota(response: Response) -> bool:
    # A 304 answers from the client's cache, a 412 says only that the client's copy is stale; a 429 was
    # refused already; a 503 is the database's fault, not the client's.
    return response.status_code not in (304, 412, 429, 503)


def _cost() -> int:
    # A CORS preflight, and an answer of a database outage, are shown their quota but never charged, nor refused.
    return 0 if request.method == 'OPTIONS' or request.environ.get(_FREE) else 1


def _too_many(limit: RequestLimit) -> Response:
    """Answer 429 in the spec's shape, with numbers true to the limit that was hit."""
    retry_after = max(1, int(limit.reset_at - time.time()))
    window = limit.limit.get_expiry()
    request.environ[_RETRY_AFTER] = retry_after
    return ApiError(429, f'Rate limit exceeded. Retry after {retry_after} seconds.',
                    {'retry_after': retry_after, 'limit': limit.limit.amount, 'window': f'{window}s'}).response()


def _proceed(call: Callable[[], R]) -> R:
    """Run ``call``: Flask-Limiter's route limit is attached to this function and checked when it is called."""
    return call()


def limited(call: Callable[[], R], account_id: Optional[int] = None, free: bool = False) -> R:
    """Check (and consume) the quota of ``account_id`` (None: of the client's address), then run ``call``.

    Raises Flask-Limiter's 429 when the quota is spent. ``free``: shown the
    quota, neither charged nor (short of a race between workers) refused.
    """
    request.environ[_ACCOUNT] = account_id
    if free:
        request.environ[_FREE] = True
    checked = cast(Dict[str, Any], current_app.extensions[_EXTENSION])['proceed']
    return cast(R, checked(call))


def waive() -> None:
    """Charge the current request to no quota (it will still be shown one): the database is not answering."""
    request.environ[_FREE] = True


def free_answer(answer: Callable[[], Response]) -> Response:
    """Return ``answer()`` with the rate-limit headers of the request's quota, charging and refusing nothing.

    For the 503 of a database outage: whatever the quotas, the client learns
    that the database is down, and when to retry.
    """
    try:
        response = limited(answer, _account(), free=True)
    except RateLimitExceeded:  # the quota was overdrawn by a race between workers: answer all the same
        response = answer()
    if 'Retry-After' in response.headers:
        request.environ[_RETRY_AFTER] = int(response.headers['Retry-After'])
    return response


def _options() -> Response:
    response = current_app.make_default_options_response()
    # No body, so no media type (Flask would call the empty body text/html).
    del response.headers['Content-Type']
    return response


def preflight() -> Response:
    """Answer OPTIONS (a CORS preflight carries no token) with the quota shown, never charged."""
    return limited(_options)


def _finish_headers(response: Response) -> Response:
    """Keep ``Retry-After`` for 429 and 503 alone, and make it agree with their bodies; watch the storage."""
    if request.blueprint != _SCOPE:
        return response
    retry_after: Optional[int] = request.environ.get(_RETRY_AFTER)
    if response.status_code in (429, 503) and retry_after is not None:
        response.headers['Retry-After'] = str(retry_after)
    elif response.status_code not in (429, 503):
        response.headers.pop('Retry-After', None)
    extension = current_app.extensions.get(_EXTENSION)
    if extension is not None:
        extension['watch'].after_request()
    return response


class _StorageWatch(logging.Filter):
    """Say once when the limiter's storage stops answering, and once when it answers again.

    Flask-Limiter logs each failure itself (some with a traceback, one per
    request); those records are held back here and noted on the request, and
    the state after each API request decides what to say.
    """

    def __init__(self, limiter: Limiter, storage_uri: str) -> None:
        super().__init__()
        self.limiter = limiter
        parts = urlsplit(storage_uri)
        self.where = f'{parts.scheme}://{parts.hostname}:{parts.port or 6379}' if parts.hostname else parts.scheme
        self.down = False
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and record.levelno >= logging.WARNING:
            error = record.exc_info[1] if record.exc_info else None
            request.environ.setdefault(_STORAGE_TROUBLE, type(error).__name__ if error else 'no answer')
        return False

    def after_request(self) -> None:
        trouble = request.environ.pop(_STORAGE_TROUBLE, None)
        dead = bool(getattr(self.limiter, '_storage_dead', False))
        with self.lock:
            if not self.down and (dead or trouble):
                self.down = True
                log.warning('rate-limit storage %s is not answering (%s): counting per process in memory until it '
                            'answers again', self.where, trouble or 'marked down')
            elif self.down and not dead and not trouble:
                self.down = False
                log.info('rate-limit storage %s answers again: shared counting resumed', self.where)


def init_app(app: Any, settings: Settings) -> None:
    """Make the app's Limiter for the API; the host's other routes get no limit and no headers."""
    # Registered before the Limiter's own hook, so it runs after it (Flask runs them in reverse).
    app.after_request(_finish_headers)
    timeout = settings.ratelimit_storage_timeout
    limiter = Limiter(
        _key,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        storage_options=cast(Dict[str, Any], {'socket_timeout': timeout, 'socket_connect_timeout': timeout})
        if settings.ratelimit_storage_uri.startswith(('redis://', 'rediss://')) else {},
        # A storage failure anywhere (the deduction after the response too) never fails the request.
        swallow_errors=True,
        strategy='fixed-window',
        headers_enabled=True,
        key_prefix=settings.ratelimit_key_prefix,
        in_memory_fallback_enabled=True,
        on_breach=_too_many,
        enabled=settings.ratelimit_enabled,
    )
    proceed = limiter.shared_limit(_limit, scope=_SCOPE, key_func=_key, deduct_when=_consumes_quota,
                                   cost=_cost)(_proceed)
    watch = _StorageWatch(limiter, settings.ratelimit_storage_uri)
    app.extensions[_EXTENSION] = {'limiter': limiter, 'proceed': proceed, 'watch': watch}
    # Flask-Limiter's own records are replaced by the watch's two lines (its logger serves no one else).
    limiter_log = logging.getLogger('flask-limiter')
    limiter_log.setLevel(logging.INFO)
    for old in [f for f in limiter_log.filters if isinstance(f, _StorageWatch)]:
        limiter_log.removeFilter(old)
    limiter_log.addFilter(watch)
