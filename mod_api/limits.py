"""Rate limits: a quota per account, and a smaller one per address for requests without a valid token.

Built on Flask-Limiter, with one Limiter per host app, made when the
blueprint is registered. The quota is keyed by the token's account (so more
tokens do not buy more requests); a request without a valid token is keyed
by the client's address, so failed token guesses count too. Which key applies
is known only once the token has been checked, so the limit is checked then,
inside the API's routes, by calling through ``limited`` (Flask-Limiter's own
route decorator, applied to one fixed callable).

Every response under the API carries ``X-RateLimit-Limit``, ``-Remaining``
and ``-Reset`` (Unix time); ``Retry-After`` comes with 429 only. A 304 and a
CORS preflight never consume quota. When the shared storage (Redis) fails,
requests are still served, limited per process in memory, and one warning is
logged per outage; shared limiting resumes when it answers again.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, Optional, TypeVar, cast

from flask import Response, current_app, request
from flask_limiter import Limiter, RequestLimit
from werkzeug.middleware.proxy_fix import ProxyFix

from mod_api.errors import ApiError
from mod_api.settings import Settings
from mod_api.settings import current as current_settings

R = TypeVar('R')
_EXTENSION = 'mod_api.limits'
_RETRY_AFTER = 'mod_api.retry_after'
_ACCOUNT = 'mod_api.limited_account'
_SCOPE = 'mod_api'


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
    # A 304 answers from the client's cache; a 429 was refused already.
    return response.status_code not in (304, 429)


def _cost() -> int:
    # A CORS preflight is shown its quota but never charged, nor refused.
    return 0 if request.method == 'OPTIONS' else 1


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


def limited(call: Callable[[], R], account_id: Optional[int] = None) -> R:
    """Check (and consume) the quota of ``account_id`` (None: of the client's address), then run ``call``.

    Raises Flask-Limiter's 429 when the quota is spent.
    """
    request.environ[_ACCOUNT] = account_id
    checked = cast(Dict[str, Any], current_app.extensions[_EXTENSION])['proceed']
    return cast(R, checked(call))


def preflight() -> Response:
    """Answer OPTIONS (a CORS preflight carries no token) with the quota shown, never charged."""
    return limited(current_app.make_default_options_response)


def _finish_headers(response: Response) -> Response:
    """Keep ``Retry-After`` for 429 alone, and make it agree with the 429's body."""
    if request.blueprint != _SCOPE:
        return response
    retry_after: Optional[int] = request.environ.get(_RETRY_AFTER)
    if response.status_code == 429 and retry_after is not None:
        response.headers['Retry-After'] = str(retry_after)
    elif response.status_code != 429:
        response.headers.pop('Retry-After', None)
    return response


def init_app(app: Any, settings: Settings) -> None:
    """Make the app's Limiter for the API; the host's other routes get no limit and no headers."""
    # Registered before the Limiter's own hook, so it runs after it (Flask runs them in reverse).
    app.after_request(_finish_headers)
    limiter = Limiter(
        _key,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        storage_options=cast(Dict[str, Any], {'socket_timeout': 0.5, 'socket_connect_timeout': 0.5})
        if settings.ratelimit_storage_uri.startswith(('redis://', 'rediss://')) else {},
        strategy='fixed-window',
        headers_enabled=True,
        key_prefix=settings.ratelimit_key_prefix,
        in_memory_fallback_enabled=True,
        on_breach=_too_many,
        enabled=settings.ratelimit_enabled,
    )
    proceed = limiter.shared_limit(_limit, scope=_SCOPE, key_func=_key, deduct_when=_consumes_quota,
                                   cost=_cost)(_proceed)
    app.extensions[_EXTENSION] = {'limiter': limiter, 'proceed': proceed}
    logging.getLogger('flask-limiter').setLevel(logging.WARNING)
