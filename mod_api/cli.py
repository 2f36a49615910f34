"""Command line: mint, list and revoke the API's bearer tokens.

``flask --app run api token create|list|revoke``: the same commands in the
standalone host and in the platform, whose app also lives in ``run.py``.
Tokens are printed once, by ``create``, and never again.

Only ``create`` needs ``API_JWT_SECRET`` (it signs); ``list`` and ``revoke``
read and write rows, so they work on a host that is not configured yet.
Every refusal is one ``Error:`` line and a non-zero exit, never a traceback:
a database without the API's table, or one that does not answer, included.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from typing import Any, Dict, Iterator, List, Optional, Sequence

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from database import create_session
from mod_api import timeouts
from mod_api.auth import RUNS_READ, SCOPES, issue_token, utcnow
from mod_api.logs import safe_words
from mod_api.models import AccessToken
from mod_api.settings import UNCONFIGURED_MESSAGE
from mod_api.settings import current as current_settings
from mod_auth.models import User

token_cli = AppGroup('token', help='Mint, list and revoke bearer tokens of the API.')

_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}
_DURATION = re.compile(r'\A([1-9][0-9]{0,5})([smhdw])\Z')
DURATION_FORM = 'a whole number and one unit of s, m, h, d or w, such as 90m, 12h, 30d or 2w'


class Duration(click.ParamType):
    """A finite lifetime such as ``90m``, ``12h``, ``30d`` or ``2w``, as a timedelta."""

    name = 'duration'

    def convert(self, value: Any, param: Optional[click.Parameter],
                ctx: Optional[click.Context]) -> datetime.timedelta:
        """Read the lifetime, or fail naming the option and the accepted form."""
        if isinstance(value, datetime.timedelta):
            return value
        match = _DURATION.match(str(value).strip())
        if match is None:
            self.fail(f'{value!r} is not a lifetime: use {DURATION_FORM}', param, ctx)
        return datetime.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _iso(moment: Optional[datetime.datetime]) -> Optional[str]:
    """Write a stored (naive, UTC) time as ISO 8601 with a Z; None stays None."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + 'Z'


def _shown(moment: Optional[datetime.datetime]) -> str:
    return '-' if moment is None else f'{moment:%Y-%m-%d %H:%M:%S}'


def _database_name() -> str:
    """Return the host's database URL without its password, for messages."""
    return sa.make_url(current_app.config['DATABASE_URI']).render_as_string(hide_password=True)


def _unusable(session: Session, error: sa.exc.SQLAlchemyError) -> click.ClickException:
    """Say in one line why the database could not be used, without the driver's message (it may quote values)."""
    try:
        inspector = sa.inspect(session.get_bind())
        missing = [table for table in (AccessToken.__tablename__, User.__tablename__)
                   if not inspector.has_table(table)]
    except sa.exc.SQLAlchemyError:
        missing = []
    if missing:
        return click.ClickException(
            f'the database {_database_name()} has no {" and no ".join(missing)} table: the platform makes its '
            f'tables and "flask db upgrade" adds {AccessToken.__tablename__}; in the standalone host, '
            '"python run.py" makes the demo database')
    return click.ClickException(f'the database {_database_name()} could not be used '
                                f'({safe_words(error) or type(error).__name__})')


@contextlib.contextmanager
def _database() -> Iterator[Session]:
    """Open a session of the host's database, outside any request, with the API's bounds on its waits.

    A database error becomes one line.
    """
    session = create_session(current_app.config['DATABASE_URI'])()
    timeouts.bound(session.get_bind(), current_settings())
    try:
        yield session
    except sa.exc.SQLAlchemyError as error:
        session.rollback()
        raise _unusable(session, error) from None
    finally:
        session.close()


def _find_account(session: Session, name_or_id: str) -> User:
    column = User.id if name_or_id.isdigit() else User.name
    user = session.execute(sa.select(User).where(column == name_or_id)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f'no platform account {name_or_id!r}')
    return user


def _account(account_id: int, name: Optional[str], exists: bool) -> str:
    """How an account reads in the table: its name, or its id and why there is no name."""
    if name is not None:
        return name
    return f'#{account_id} (no name)' if exists else f'#{account_id} (deleted)'


@token_cli.command('create')
@click.option('--user', 'account', required=True, help='Platform account name or id the token acts for.')
@click.option('--scope', 'scopes', multiple=True, default=[RUNS_READ], show_default=True,
              type=click.Choice(SCOPES), help='Scope granted; repeat for several (each is kept once).')
@click.option('--expires-in', type=Duration(), default=None, metavar='DURATION',
              help='Lifetime: a whole number and a unit s, m, h, d or w, e.g. 12h, 30d (default 30d, at most 365d).')
@click.option('--label', default='', help='What the token is for, shown by "list".')
def create_token(account: str, scopes: Sequence[str], expires_in: Optional[datetime.timedelta], label: str) -> None:
    """Mint a token; it is printed alone on the last line, and never shown again."""
    config = current_settings()
    if not config.configured:
        raise click.ClickException(UNCONFIGURED_MESSAGE)
    lifetime = expires_in if expires_in is not None else datetime.timedelta(seconds=config.token_default_lifetime)
    if lifetime.total_seconds() > config.token_max_lifetime:
        longest = config.token_max_lifetime
        raise click.BadParameter(
            f'at most {f"{longest // 86400}d" if longest % 86400 == 0 else f"{longest}s"} (API_TOKEN_MAX_LIFETIME); '
            f'use {DURATION_FORM}', param_hint="'--expires-in'")
    with _database() as session:
        user = _find_account(session, account)
        token, row = issue_token(session, user, scopes, lifetime, label)  # a repeated --scope is granted once
        session.commit()
        click.echo(f'Token {row.jti} for {_account(user.id, user.name, True)} (id {user.id}), '
                   f'scope "{row.scopes}", expires {row.expires_at:%Y-%m-%d %H:%M:%S} UTC:')
        click.echo(token)


def _listed(session: Session, account: Optional[str]) -> List[Dict[str, Any]]:
    """Every token (of one account, when given) as plain values, oldest first."""
    query = (sa.select(AccessToken, User.id, User.name).outerjoin(User, User.id == AccessToken.user_id)
             .order_by(AccessToken.id))
    if account is not None:
        query = query.where(AccessToken.user_id == _find_account(session, account).id)
    now = utcnow()
    tokens = []
    for row, found, name in session.execute(query):
        state = ('revoked' if row.revoked_at is not None else 'expired' if row.expires_at <= now
                 else 'orphaned' if found is None else 'active')
        tokens.append({
            'jti': row.jti, 'state': state, 'account_id': row.user_id, 'account_name': name,
            'account_exists': found is not None, 'scopes': row.scopes.split(), 'label': row.label,
            'created_at': row.created_at, 'expires_at': row.expires_at,
            'last_used_at': row.last_used_at, 'revoked_at': row.revoked_at,
        })
    return tokens


def _as_json(token: Dict[str, Any]) -> Dict[str, Any]:
    shown = {key: _iso(value) if key.endswith('_at') else value for key, value in token.items()}
    del shown['account_exists']  # said by the state, "orphaned"
    return shown


def _as_table(tokens: List[Dict[str, Any]]) -> List[str]:
    """Lay the tokens out in aligned columns, times in UTC; the label, free text, last."""
    header = ['jti', 'state', 'account', 'scopes', 'created (UTC)', 'expires (UTC)', 'last used (UTC)', 'label']
    lines = [header] + [[
        token['jti'], token['state'], _account(token['account_id'], token['account_name'], token['account_exists']),
        ','.join(token['scopes']), _shown(token['created_at']), _shown(token['expires_at']),
        _shown(token['last_used_at']), token['label'],
    ] for token in tokens]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header) - 1)]
    return ['  '.join([*(cell.ljust(width) for cell, width in zip(line, widths)), line[-1]]).rstrip()
            for line in lines]


@token_cli.command('list')
@click.option('--user', 'account', default=None, help='Only the tokens of this account (name or id).')
@click.option('--json', 'as_json', is_flag=True,
              help='Print a JSON array, one object per token (times ISO 8601 UTC, null where none).')
def list_tokens(account: Optional[str], as_json: bool) -> None:
    """List tokens (never the tokens themselves): jti, state, account, scopes, dates and label.

    A token's state is active, expired, revoked, or orphaned (its account was deleted: it is refused).
    """
    with _database() as session:
        tokens = _listed(session, account)
    if as_json:
        click.echo(json.dumps([_as_json(token) for token in tokens], indent=2))
    elif not tokens:
        click.echo('No tokens.' if account is None else f'No tokens for {account}.')
    else:
        for line in _as_table(tokens):
            click.echo(line)


@token_cli.command('revoke')
@click.argument('jti')
def revoke_token(jti: str) -> None:
    """Revoke a token by its jti (as "list" shows it); it is refused from the next request on."""
    with _database() as session:
        row = session.execute(sa.select(AccessToken).where(AccessToken.jti == jti)).scalar_one_or_none()
        if row is None:
            raise click.ClickException(f'no token with jti {jti!r}')
        if row.revoked_at is not None:
            click.echo(f'Token {jti} was already revoked, at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC.')
            return
        row.revoked_at = utcnow()
        session.commit()
        click.echo(f'Token {jti} revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC.')
