"""Command line: mint, list and revoke the API's bearer tokens.

``flask --app run api token create|list|revoke``: the same commands in the
standalone host and in the platform, whose app also lives in ``run.py``.
Tokens are printed once, by ``create``, and never again.
"""

from __future__ import annotations

import datetime
import re
from typing import Optional

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from database import create_session
from mod_api.auth import RUNS_READ, SCOPES, issue_token, utcnow
from mod_api.models import AccessToken
from mod_api.settings import UNCONFIGURED_MESSAGE
from mod_api.settings import current as current_settings
from mod_auth.models import User

token_cli = AppGroup('token', help='Mint, list and revoke bearer tokens of the API.')

_DURATION = re.compile(r'\A([1-9][0-9]{0,5})([smhdw])\Z')
_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}


def parse_duration(text: str) -> datetime.timedelta:
    """Parse a finite duration such as ``90m``, ``12h``, ``30d`` or ``2w``."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise click.BadParameter('use a whole number and a unit: s, m, h, d or w (for example 30d)')
    return datetime.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _session() -> Session:
    """Open a session of the host's, outside any request."""
    return create_session(current_app.config['DATABASE_URI'])()


def _find_account(session: Session, name_or_id: str) -> User:
    column = User.id if name_or_id.isdigit() else User.name
    user = session.execute(sa.select(User).where(column == name_or_id)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f'no platform account {name_or_id!r}')
    return user


@token_cli.command('create')
@click.option('--user', 'account', required=True, help='Platform account name or id the token acts for.')
@click.option('--scope', 'scopes', multiple=True, default=[RUNS_READ], show_default=True,
              type=click.Choice(SCOPES), help='Scope granted; repeat for several.')
@click.option('--expires-in', default=None, help='Lifetime, e.g. 12h, 30d (default 30d, at most 365d).')
@click.option('--label', default='', help='What the token is for, shown by "list".')
def create_token(account: str, scopes: tuple, expires_in: Optional[str], label: str) -> None:
    """Mint a token; it is printed alone on the last line, and never shown again."""
    config = current_settings()
    if not config.configured:
        raise click.ClickException(UNCONFIGURED_MESSAGE)
    lifetime = (parse_duration(expires_in) if expires_in is not None
                else datetime.timedelta(seconds=config.token_default_lifetime))
    if lifetime.total_seconds() > config.token_max_lifetime:
        raise click.BadParameter(f'at most {config.token_max_lifetime // 86400} days', param_hint='--expires-in')
    session = _session()
    try:
        user = _find_account(session, account)
        token, row = issue_token(session, user, list(scopes), lifetime, label)
        session.commit()
        click.echo(f'Token {row.jti} for {user.name} (id {user.id}), scope "{row.scopes}", '
                   f'expires {row.expires_at:%Y-%m-%d %H:%M:%S} UTC:')
        click.echo(token)
    finally:
        session.close()


@token_cli.command('list')
@click.option('--user', 'account', default=None, help='Only the tokens of this account (name or id).')
def list_tokens(account: Optional[str]) -> None:
    """List tokens (never the tokens themselves): jti, label, account, dates and state."""
    session = _session()
    try:
        query = (sa.select(AccessToken, User.name).outerjoin(User, User.id == AccessToken.user_id)
                 .order_by(AccessToken.id))
        if account is not None:
            query = query.where(AccessToken.user_id == _find_account(session, account).id)
        now = utcnow()
        click.echo(f'{"jti":32}  {"state":7}  {"account":20}  {"created":19}  {"expires":19}  '
                   f'{"last used":19}  label')
        for row, name in session.execute(query):
            state = 'revoked' if row.revoked_at else 'expired' if row.expires_at <= now else 'active'
            used = f'{row.last_used_at:%Y-%m-%d %H:%M:%S}' if row.last_used_at else '-'
            click.echo(f'{row.jti:32}  {state:7}  {(name or f"#{row.user_id} (gone)"):20}  '
                       f'{row.created_at:%Y-%m-%d %H:%M:%S}  {row.expires_at:%Y-%m-%d %H:%M:%S}  '
                       f'{used:19}  {row.label}')
    finally:
        session.close()


@token_cli.command('revoke')
@click.argument('jti')
def revoke_token(jti: str) -> None:
    """Revoke a token by its jti (as "list" shows it); it is refused from the next request on."""
    session = _session()
    try:
        row = session.execute(sa.select(AccessToken).where(AccessToken.jti == jti)).scalar_one_or_none()
        if row is None:
            raise click.ClickException(f'no token with jti {jti!r}')
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.commit()
        click.echo(f'Token {jti} revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC.')
    finally:
        session.close()
