"""Bearer tokens: issuing them, and the decorator that requires one on a route.

Tokens are HS256 JWTs (RFC 7519) whose ``jti`` is recorded in
``api_access_token``: a good signature is not enough, the row must exist, be
unrevoked and unexpired, and its account must still exist. Answers follow
RFC 6750: 401 with a ``WWW-Authenticate: Bearer`` challenge when the token
is missing or bad, 403 ``insufficient_scope`` when it lacks the route's scope.
No token text ever reaches a log line or an error body.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
import uuid
from dataclasses import dataclass
from typing import (Any, Callable, Dict, Optional, Sequence, Tuple, TypeVar,
                    cast)

import jwt
import sqlalchemy as sa
from flask import g, request

from mod_api import logs, timeouts
from mod_api.errors import (ApiError, database_unavailable,
                            leave_session_clean, service_unavailable)
from mod_api.limits import free_answer, limited, preflight, waive
from mod_api.models import AccessToken
from mod_api.queries import DbSession
from mod_api.settings import current as current_settings
from mod_auth.models import User

log = logging.getLogger(__name__)

#: The scope of every read endpoint.
RUNS_READ = 'runs:read'
SCOPES = (RUNS_READ,)

REALM = 'sample-platform'
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'scope', 'iat', 'exp', 'jti']
UNAUTHORIZED_MESSAGE = 'Bearer token is missing, expired, or invalid.'

_JWT_SHAPE = re.compile(r'\A[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z')
_ENVIRON_KEY = 'mod_api.token'

View = TypeVar('View', bound=Callable[..., Any])


@dataclass(frozen=True)
class Authenticated:
    """The account and token of the current request, once the token is accepted."""

    account_id: int
    account_name: str
    jti: str
    scopes: Tuple[str, ...]


def utcnow() -> datetime.datetime:
    """Return the current UTC time, naive (as the platform stores times), to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def current_token() -> Optional[Authenticated]:
    """Return the accepted token of this request, or None before (or without) authentication.

    Kept on the request itself, not on ``g``: an app context, and so ``g``, can
    outlive one request (tests run several requests in one).
    """
    return cast(Optional[Authenticated], request.environ.get(_ENVIRON_KEY))


def issue_token(session: DbSession, user: User, scopes: Sequence[str], lifetime: datetime.timedelta,
                label: str = '', now: Optional[datetime.datetime] = None) -> Tuple[str, AccessToken]:
    """Sign a token for ``user`` and record it; the caller commits. Returns the token and its row.

    A scope named twice is granted, and stored, once, in the order first given.
    """
    scopes = list(dict.fromkeys(scopes))
    config = current_settings()
    config.signing_secret()  # refuse before anything is written
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f'unknown scope {", ".join(unknown)}; known: {", ".join(SCOPES)}' if unknown
                         else 'at least one scope is needed')
    if lifetime <= datetime.timedelta(0) or lifetime.total_seconds() > config.token_max_lifetime:
        raise ValueError(f'the lifetime must be positive and at most {config.token_max_lifetime} seconds')
    issued = now or utcnow()
    expires = issued + lifetime
    row = AccessToken(jti=uuid.uuid4().hex, user_id=user.id, label=label[:200], scopes=' '.join(scopes),
                      created_at=issued, expires_at=expires)
    session.add(row)
    session.flush()
    claims = {
        'iss': config.jwt_issuer, 'aud': config.jwt_audience, 'sub': str(user.id), 'scope': row.scopes,
        'iat': _timestamp(issued), 'exp': _timestamp(expires), 'jti': row.jti,
    }
    return jwt.encode(claims, config.signing_secret(), algorithm='HS256'), row


def _timestamp(moment: datetime.datetime) -> int:
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())


def _unauthorized(reason: str, description: Optional[str] = None) -> ApiError:
    """401 with an RFC 6750 challenge; ``error="invalid_token"`` unless no token was offered."""
    challenge = f'Bearer realm="{REALM}"'
    if description is not None:
        challenge += f', error="invalid_token", error_description="{description}"'
    return ApiError(401, UNAUTHORIZED_MESSAGE, {'reason': reason}, headers={'WWW-Authenticate': challenge})


def _bearer_token() -> str:
    """Return the token of the ``Authorization: Bearer`` header, or raise the 401 for its absence or shape."""
    header = request.headers.get('Authorization')
    if header is None or not header.strip():
        raise _unauthorized('missing')
    if not header.isascii():
        raise _unauthorized('invalid', 'The Authorization header must be ASCII.')
    parts = header.split()
    if parts[0].lower() != 'bearer':
        raise _unauthorized('missing')
    if len(parts) != 2:
        raise _unauthorized('invalid', 'The Authorization header must be the Bearer scheme and one token.')
    token = parts[1]
    if len(token) > MAX_TOKEN_LENGTH or not _JWT_SHAPE.match(token):
        raise _unauthorized('invalid', 'The token is malformed.')
    return token


def _decode(token: str) -> Dict[str, Any]:
    config = current_settings()
    try:
        claims = jwt.decode(
            token, config.signing_secret(), algorithms=['HS256'], audience=config.jwt_audience,
            issuer=config.jwt_issuer, leeway=config.jwt_leeway,
            options={'require': REQUIRED_CLAIMS, 'strict_aud': True})
    except jwt.ExpiredSignatureError:
        raise _unauthorized('expired', 'The token has expired.') from None
    except jwt.ImmatureSignatureError:
        raise _unauthorized('invalid', 'The token is not valid yet.') from None
    except jwt.PyJWTError:
        # Includes InvalidKeyError (an asymmetric key offered as the secret), which is no InvalidTokenError.
        raise _unauthorized('invalid', 'The token is invalid.') from None
    if not isinstance(claims['scope'], str) or not str(claims['sub']).isdigit():
        raise _unauthorized('invalid', 'The token is invalid.')
    return cast(Dict[str, Any], claims)


@functools.lru_cache(maxsize=None)
def _token_statement() -> sa.Select:
    """Build, once, the statement of the token check: the token ``:jti``'s row and its account's name."""
    tokens, users = AccessToken.__table__.c, User.__table__.c
    return (sa.select(tokens.id, tokens.user_id, tokens.scopes, tokens.expires_at, tokens.revoked_at,
                      tokens.last_used_at, users.name)
            .select_from(AccessToken.__table__.join(User.__table__, users.id == tokens.user_id))
            .where(tokens.jti == sa.bindparam('jti', type_=sa.String)))


def _load(claims: Dict[str, Any]) -> Authenticated:
    """Check the token's row and account: one statement, built once and run on the tables (every request runs it)."""
    row = g.db.connection().execute(_token_statement(), {'jti': claims['jti']}).one_or_none()
    if row is None or str(row.user_id) != claims['sub']:
        raise _unauthorized('invalid', 'The token is not known, or its account no longer exists.')
    if row.revoked_at is not None:
        raise _unauthorized('revoked', 'The token has been revoked.')
    now = utcnow()
    if row.expires_at <= now - datetime.timedelta(seconds=current_settings().jwt_leeway):
        raise _unauthorized('expired', 'The token has expired.')
    _note_use(row.id, row.last_used_at, now)
    scopes = tuple(s for s in claims['scope'].split() if s in row.scopes.split())
    return Authenticated(account_id=row.user_id, account_name=row.name, jti=claims['jti'], scopes=scopes)


def _note_use(token_id: int, last_used: Optional[datetime.datetime], now: datetime.datetime) -> None:
    """Record when a token was last used, at most once per configured resolution (not per request)."""
    resolution = datetime.timedelta(seconds=current_settings().token_last_used_resolution)
    if last_used is not None and now - last_used < resolution:
        return
    # In a transaction of its own: committing the host's session would commit whatever else it holds. It is
    # bookkeeping: on MariaDB it waits for no lock (a locked table, FLUSH TABLES WITH READ LOCK), and when it
    # cannot be written now it is written on a later request; the read goes on either way.
    engine = g.db.get_bind()
    update: Any = sa.update(AccessToken).where(AccessToken.id == token_id).values(last_used_at=now)
    if timeouts.is_mariadb(engine):
        update = sa.text(f'{timeouts.NO_WAIT}UPDATE {AccessToken.__tablename__} SET last_used_at = :now '
                         'WHERE id = :id').bindparams(now=now, id=token_id)
    try:
        with engine.begin() as connection:
            connection.execute(update)
    except sa.exc.SQLAlchemyError as error:
        log.info('the use of token %s was not recorded now (%s); a later request records it', token_id,
                 logs.safe_words(error) or type(error).__name__)


def account_if_any() -> Optional[int]:
    """Return the account of a valid bearer token on this request, if it carries one; never refuse.

    For the answers that need no token (unknown URLs, the OpenAPI document), so
    that a request with a good token is still charged to its account.
    """
    if 'Authorization' not in request.headers:
        return None
    try:
        return _load(_decode(_bearer_token())).account_id
    except Exception as error:  # any refusal: charged to the address instead
        if database_unavailable(error):  # not the client's fault: charged to no one
            leave_session_clean()
            waive()
        return None


def _refuse(error: Exception) -> Callable[[], Any]:
    def refuse() -> Any:
        raise error
    return refuse


def token_required(scope: str) -> Callable[[View], View]:
    """Require a valid bearer token with ``scope`` before the route runs (and before it reads its parameters).

    The request is charged to the token's account, or to the client's address
    when the token is refused, before the refusal or the route's answer.
    """
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            request.environ.pop(_ENVIRON_KEY, None)
            if request.method == 'OPTIONS':
                return preflight()
            try:
                accepted = _load(_decode(_bearer_token()))
            except Exception as error:
                if database_unavailable(error):  # not the client's fault: 503, whatever the quota, charged nothing
                    return free_answer(service_unavailable(error).response)
                return limited(_refuse(error))  # a refusal: counted, which slows token guessing
            request.environ[_ENVIRON_KEY] = accepted
            if scope not in accepted.scopes:
                return limited(_refuse(ApiError(
                    403, f'This token lacks the scope {scope}.', {'required_scope': scope},
                    headers={'WWW-Authenticate': f'Bearer realm="{REALM}", error="insufficient_scope", '
                                                 f'error_description="The token lacks the scope {scope}.", '
                                                 f'scope="{scope}"'})), accepted.account_id)
            return limited(functools.partial(view, *args, **kwargs), accepted.account_id)
        return cast(View, guarded)
    return decorate
