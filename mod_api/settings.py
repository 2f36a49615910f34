"""Configuration of ``mod_api``: every key, its default, and what it means.

The host sets any of these in its Flask config (the standalone host copies
them from environment variables of the same name, so values may arrive as
strings). The blueprint fills in defaults and checks them when it is
registered; nothing else in ``mod_api`` reads the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple, cast

from flask import current_app
from limits import parse_many

#: Every key, with its default. ``API_JWT_SECRET`` has none: until the host sets it, the API answers 503.
DEFAULTS: Mapping[str, Any] = {
    # HMAC secret that signs bearer tokens (HS256); at least 32 bytes. Without it the API is not configured.
    'API_JWT_SECRET': None,
    # Issuer and audience written into, and required of, every token.
    'API_JWT_ISSUER': 'sample-platform',
    'API_JWT_AUDIENCE': 'sample-platform-api',
    # Clock skew tolerated when checking exp, iat and nbf, in seconds.
    'API_JWT_LEEWAY': 30,
    # Lifetime of a new token when none is given, and the longest allowed, in seconds.
    'API_TOKEN_DEFAULT_LIFETIME': 30 * 86400,
    'API_TOKEN_MAX_LIFETIME': 365 * 86400,
    # A token's "last used" time is written at most this often, in seconds.
    'API_TOKEN_LAST_USED_RESOLUTION': 300,
    # Rate limits (Flask-Limiter's notation): per account with a valid token, and per client
    # address for requests without one. Off only for debugging.
    'API_RATELIMIT_ENABLED': True,
    'API_RATELIMIT_READS': '120 per minute',
    'API_RATELIMIT_UNAUTHENTICATED': '30 per minute',
    # Where counts live: memory:// (per process) or redis://host:port/db (shared by all workers).
    'API_RATELIMIT_STORAGE_URI': 'memory://',
    # Prefix of the storage keys, so that the API's counts never mix with anything else's.
    'API_RATELIMIT_KEY_PREFIX': 'mod_api',
    # Proxies in front of the app whose X-Forwarded-For is trusted (0: use the socket's peer).
    'API_RATELIMIT_TRUSTED_PROXIES': 0,
    # How long one call to the limiter's storage may take (connect, or one command), in seconds: a frozen Redis
    # costs a request at most this, and is then left alone for a while (limits kept per process meanwhile).
    'API_RATELIMIT_STORAGE_TIMEOUT': 0.5,
    # Origins of web frontends allowed to call the API from a browser (CORS), comma-separated; none by default.
    'API_CORS_ORIGINS': (),
    # Bounded waits on the database, applied to the host's engine on the API's first request (MySQL and
    # MariaDB through PyMySQL; other databases keep their own). In seconds; 0 leaves a bound off.
    # Connecting (TCP; PyMySQL reads the server's greeting under the read timeout):
    'API_DB_CONNECT_TIMEOUT': 3,
    # Waiting for the server's answer, and for the server to take a query: a frozen or unreachable server.
    # Longer than the statement limit, so that the server's own limit answers first and the connection lives on.
    'API_DB_READ_TIMEOUT': 10,
    'API_DB_WRITE_TIMEOUT': 10,
    # Longest statement (MariaDB max_statement_time; MySQL max_execution_time, for SELECTs).
    'API_DB_STATEMENT_TIMEOUT': 5,
    # Longest wait for a lock: a locked table, FLUSH TABLES WITH READ LOCK, a locked row
    # (lock_wait_timeout and innodb_lock_wait_timeout, whole seconds, at least 1).
    'API_DB_LOCK_TIMEOUT': 3,
    # Longest wait for a free connection of the engine's pool (threaded workers).
    'API_DB_POOL_TIMEOUT': 5,
    # Retry-After of the 503 answered while the database is not answering.
    'API_DB_RETRY_AFTER': 5,
    # The API's log lines: level, and whether the API writes them to stderr itself (time, level, process,
    # request id); off when the host routes the mod_api logger's records itself.
    'API_LOG_LEVEL': 'INFO',
    'API_LOG_HANDLER': True,
    # The folder of the platform's result files (TestResults/) and CI logs (LogFiles/); None: the host's
    # SAMPLE_REPOSITORY, where the platform keeps them.
    'API_RESULTS_ROOT': None,
    # Files larger than this, in bytes, are not diffed (the diff says so); they can still be downloaded.
    'API_DIFF_MAX_BYTES': 4 * 1024 * 1024,
    # Lines listed in a JSON diff's hunks, at most; the rest is cut (truncated: true). Unified diffs are never cut.
    'API_DIFF_MAX_LINES': 10000,
    # The platform's public address, for html_url and the API's own absolute links (e.g.
    # https://sampleplatform.ccextractor.org); None: the scheme, host and root of the request (behind a proxy,
    # what the host's ProxyFix trusts).
    'API_PLATFORM_URL': None,
    # Finished runs looked at, newest first, by a regression test's history and by a result's failing_since and
    # last_passed_in: a bound on what one request reads, whatever the platform's age.
    'API_HISTORY_WINDOW': 200,
}

MIN_SECRET_BYTES = 32
SECRET_HINT = ('set API_JWT_SECRET to a random value of at least 32 bytes, for example the output of: '
               'python3 -c "import secrets; print(secrets.token_urlsafe(48))"')
UNCONFIGURED_MESSAGE = (f'The API is not configured: API_JWT_SECRET is missing or shorter than {MIN_SECRET_BYTES} '
                        f'bytes; {SECRET_HINT}')


@dataclass(frozen=True)
class Settings:
    """The API's configuration, typed and checked."""

    #: None when the secret is missing or too short: the API then answers 503 ``api_not_configured``.
    jwt_secret: Optional[str]
    jwt_issuer: str
    jwt_audience: str
    jwt_leeway: int
    token_default_lifetime: int
    token_max_lifetime: int
    token_last_used_resolution: int
    ratelimit_enabled: bool
    ratelimit_reads: str
    ratelimit_unauthenticated: str
    ratelimit_storage_uri: str
    ratelimit_key_prefix: str
    ratelimit_trusted_proxies: int
    cors_origins: Tuple[str, ...]
    ratelimit_storage_timeout: float = 0.5
    db_connect_timeout: float = 3
    db_read_timeout: float = 10
    db_write_timeout: float = 10
    db_statement_timeout: float = 5
    db_lock_timeout: int = 3
    db_pool_timeout: float = 5
    db_retry_after: int = 5
    log_level: str = 'INFO'
    log_handler: bool = True
    #: Where TestResults/ and LogFiles/ are; None when the host has no SAMPLE_REPOSITORY either.
    results_root: Optional[str] = None
    diff_max_bytes: int = 4 * 1024 * 1024
    diff_max_lines: int = 10000
    #: The platform's address without a trailing slash; None: the request's.
    platform_url: Optional[str] = None
    history_window: int = 200

    @property
    def configured(self) -> bool:
        """Whether the API can serve: it has a usable signing secret."""
        return self.jwt_secret is not None

    def signing_secret(self) -> str:
        """Return the signing secret, or raise :class:`NotConfigured` saying how to set it."""
        if self.jwt_secret is None:
            raise NotConfigured(UNCONFIGURED_MESSAGE)
        return self.jwt_secret


class NotConfigured(RuntimeError):
    """The API has no usable signing secret (``API_JWT_SECRET``)."""


def current() -> Settings:
    """Return the checked settings of the current app (made when the blueprint was registered)."""
    return cast(Settings, current_app.extensions['mod_api'])


def _int(config: Mapping[str, Any], key: str) -> int:
    try:
        return int(config[key])
    except (TypeError, ValueError):
        raise RuntimeError(f'{key} must be a whole number, not {config[key]!r}') from None


def _bool(config: Mapping[str, Any], key: str) -> bool:
    value = config[key]
    if isinstance(value, str):
        if value.strip().lower() not in ('1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'):
            raise RuntimeError(f'{key} must be true or false, not {value!r}')
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)


def _seconds(config: Mapping[str, Any], key: str) -> float:
    try:
        value = float(config[key])
    except (TypeError, ValueError):
        raise RuntimeError(f'{key} must be a number of seconds, not {config[key]!r}') from None
    if not 0 <= value <= 86400:
        raise RuntimeError(f'{key} must be from 0 to 86400 seconds, not {config[key]!r}')
    return value


def _level(config: Mapping[str, Any], key: str) -> str:
    value = str(config[key]).upper()
    if value not in ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'):
        raise RuntimeError(f'{key} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {config[key]!r}')
    return value


def _rate(config: Mapping[str, Any], key: str) -> str:
    value = str(config[key])
    try:
        parse_many(value)
    except ValueError:
        raise RuntimeError(f'{key} must be a rate limit such as "120 per minute", not {value!r}') from None
    return value


_ORIGIN = re.compile(r'\Ahttps?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?\Z')


def _origins(config: Mapping[str, Any], key: str) -> Tuple[str, ...]:
    origins = split_list(config[key])
    for origin in origins:
        # An origin is scheme://host[:port], nothing more: a path or a slash would never match, and
        # flask-cors would read * or other regular-expression characters as a pattern.
        if not _ORIGIN.match(origin):
            raise RuntimeError(f'{key}: {origin!r} is not an origin such as https://frontend.example.org:8443')
    return origins


def load(config: Mapping[str, Any]) -> Settings:
    """Read and check the API's settings from a Flask config.

    A missing or short secret leaves the API unconfigured (``jwt_secret`` None)
    rather than stopping the host: the platform's pages must keep working.
    Any other bad value stops the host with a message naming the key.
    """
    values = {**DEFAULTS, **{k: v for k, v in config.items() if k in DEFAULTS}}
    secret = values['API_JWT_SECRET']
    usable = bool(secret) and len(str(secret).encode()) >= MIN_SECRET_BYTES
    return Settings(
        jwt_secret=str(secret) if usable else None,
        jwt_issuer=str(values['API_JWT_ISSUER']),
        jwt_audience=str(values['API_JWT_AUDIENCE']),
        jwt_leeway=_int(values, 'API_JWT_LEEWAY'),
        token_default_lifetime=_int(values, 'API_TOKEN_DEFAULT_LIFETIME'),
        token_max_lifetime=_int(values, 'API_TOKEN_MAX_LIFETIME'),
        token_last_used_resolution=_int(values, 'API_TOKEN_LAST_USED_RESOLUTION'),
        ratelimit_enabled=_bool(values, 'API_RATELIMIT_ENABLED'),
        ratelimit_reads=_rate(values, 'API_RATELIMIT_READS'),
        ratelimit_unauthenticated=_rate(values, 'API_RATELIMIT_UNAUTHENTICATED'),
        ratelimit_storage_uri=str(values['API_RATELIMIT_STORAGE_URI']),
        ratelimit_key_prefix=str(values['API_RATELIMIT_KEY_PREFIX']),
        ratelimit_trusted_proxies=_int(values, 'API_RATELIMIT_TRUSTED_PROXIES'),
        cors_origins=_origins(values, 'API_CORS_ORIGINS'),
        ratelimit_storage_timeout=_seconds(values, 'API_RATELIMIT_STORAGE_TIMEOUT') or 0.5,
        db_connect_timeout=_seconds(values, 'API_DB_CONNECT_TIMEOUT'),
        db_read_timeout=_seconds(values, 'API_DB_READ_TIMEOUT'),
        db_write_timeout=_seconds(values, 'API_DB_WRITE_TIMEOUT'),
        db_statement_timeout=_seconds(values, 'API_DB_STATEMENT_TIMEOUT'),
        db_lock_timeout=max(1, round(_seconds(values, 'API_DB_LOCK_TIMEOUT'))) if _seconds(
            values, 'API_DB_LOCK_TIMEOUT') else 0,
        db_pool_timeout=_seconds(values, 'API_DB_POOL_TIMEOUT'),
        db_retry_after=max(1, round(_seconds(values, 'API_DB_RETRY_AFTER'))),
        log_level=_level(values, 'API_LOG_LEVEL'),
        log_handler=_bool(values, 'API_LOG_HANDLER'),
        results_root=str(values['API_RESULTS_ROOT'] or config.get('SAMPLE_REPOSITORY') or '') or None,
        diff_max_bytes=_at_least(values, 'API_DIFF_MAX_BYTES', 0),
        diff_max_lines=_at_least(values, 'API_DIFF_MAX_LINES', 1),
        platform_url=_platform_url(values, 'API_PLATFORM_URL'),
        history_window=_at_least(values, 'API_HISTORY_WINDOW', 1),
    )


def split_list(value: Any) -> Tuple[str, ...]:
    """Read a list setting given as a list or as a comma- or space-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.replace(',', ' ').split() if part)
    return tuple(str(part) for part in value)


def _at_least(config: Mapping[str, Any], key: str, minimum: int) -> int:
    value = _int(config, key)
    if value < minimum:
        raise RuntimeError(f'{key} must be at least {minimum}, not {value}')
    return value


_BASE_URL = re.compile(r'\Ahttps?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^\s?#]*)?\Z')


def _platform_url(config: Mapping[str, Any], key: str) -> Optional[str]:
    value = config[key]
    if value is None or str(value).strip() == '':
        return None
    if not _BASE_URL.match(str(value).strip()):
        raise RuntimeError(f'{key}: {value!r} is not an address such as https://sampleplatform.ccextractor.org')
    return str(value).strip().rstrip('/')
