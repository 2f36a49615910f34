"""``flask api token create|list|revoke`` (issue 3), through Flask's CLI test runner.

The commands open their own session on ``DATABASE_URI``, so every row the
factory makes is committed before a command runs, and the factory's session
starts a new transaction before it reads what a command wrote.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

import jwt
import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from mod_api.auth import issue_token, utcnow
from mod_api.models import AccessToken
from mod_api.settings import DEFAULTS
from run import create_app, db
from tests.conftest import TEST_SECRET, app_config
from tests.factories import Factory

DAY = 86400


def invoke(app: Flask, *args: str) -> Result:
    """Run ``flask api token ARGS`` on the test app."""
    return app.test_cli_runner().invoke(args=['api', 'token', *args])


def decode(token: str) -> Dict[str, Any]:
    """The claims of a token, checked as the API checks them."""
    return jwt.decode(token, TEST_SECRET, algorithms=['HS256'], audience=DEFAULTS['API_JWT_AUDIENCE'],
                      issuer=DEFAULTS['API_JWT_ISSUER'])


def decode_unverified(token: str) -> Dict[str, Any]:
    """The claims of a token, whatever signs it."""
    return jwt.decode(token, options={'verify_signature': False})


def rows(factory: Factory) -> List[AccessToken]:
    """Every token row, as the commands left them."""
    factory.session.rollback()
    return list(factory.session.execute(sa.select(AccessToken).order_by(AccessToken.id)).scalars())


def created(app: Flask, *args: str) -> str:
    """Mint a token with ``create ARGS``; it must be alone on the last line of stdout."""
    result = invoke(app, 'create', *args)
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert token == token.strip() and token.count('.') == 2
    decode(token)
    return token


def summary(client: FlaskClient, run_id: int, token: str) -> Any:
    return client.get(f'/api/v1/runs/{run_id}/summary', headers={'Authorization': f'Bearer {token}'})


def secrets_of(token: str) -> List[str]:
    """The whole token, and its signature, neither of which may be printed again."""
    return [token, token.rsplit('.', 1)[1]]


# -- create -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('by', ['name', 'id'])
def test_create_prints_a_working_token_last(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                            by: str) -> None:
    user = factory.account('carol')
    factory.commit()
    result = invoke(app, 'create', '--user', user.name if by == 'name' else str(user.id), '--label', 'nightly')
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert result.stdout.count(token) == 1
    claims = decode(token)
    assert claims['sub'] == str(user.id)
    assert claims['scope'] == 'runs:read'
    [row] = rows(factory)
    assert (row.jti, row.user_id, row.label, row.scopes) == (claims['jti'], user.id, 'nightly', 'runs:read')
    assert row.revoked_at is None
    response = summary(client, run_id, token)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize('expires_in, seconds', [('2h', 2 * 3600), ('90m', 90 * 60), ('2w', 14 * DAY),
                                                 ('365d', 365 * DAY), (None, 30 * DAY)])
def test_create_sets_the_lifetime(app: Flask, factory: Factory, expires_in: Optional[str], seconds: int) -> None:
    factory.account('carol')
    factory.commit()
    before = utcnow()
    token = created(app, '--user', 'carol', *(['--expires-in', expires_in] if expires_in else []))
    after = utcnow()
    claims = decode(token)
    assert claims['exp'] - claims['iat'] == seconds
    [row] = rows(factory)
    assert row.expires_at - row.created_at == datetime.timedelta(seconds=seconds)
    assert before <= row.created_at <= after


@pytest.mark.parametrize('expires_in', ['366d', '8761h', '53w', '0d', '0s', 'forever', 'never', '-1d', '30',
                                        '1.5d', ''])
def test_create_refuses_an_endless_or_nonsense_lifetime(app: Flask, factory: Factory, expires_in: str) -> None:
    factory.account('carol')
    factory.commit()
    result = invoke(app, 'create', '--user', 'carol', '--expires-in', expires_in)
    assert result.exit_code != 0
    assert 'eyJ' not in result.stdout
    assert rows(factory) == []


@pytest.mark.parametrize('account', ['nobody', '999999', ''])
def test_create_refuses_an_unknown_account(app: Flask, factory: Factory, account: str) -> None:
    factory.account('carol')
    factory.commit()
    result = invoke(app, 'create', '--user', account)
    assert result.exit_code != 0
    assert 'eyJ' not in result.stdout
    assert rows(factory) == []


def test_create_refuses_an_unknown_scope(app: Flask, factory: Factory) -> None:
    factory.account('carol')
    factory.commit()
    result = invoke(app, 'create', '--user', 'carol', '--scope', 'runs:write')
    assert result.exit_code != 0
    assert rows(factory) == []


# -- list -------------------------------------------------------------------------------------------------


@pytest.fixture
def three_tokens(app: Flask, factory: Factory) -> Dict[str, str]:
    """alice: one active, one expired; bob: one revoked. Returns each token by its state."""
    alice, bob = factory.account('alice'), factory.account('bob')
    factory.commit()
    active = created(app, '--user', 'alice', '--label', 'ci-runner')
    revoked = created(app, '--user', str(bob.id), '--label', 'bobs-laptop')
    assert invoke(app, 'revoke', decode(revoked)['jti']).exit_code == 0
    with app.app_context():
        expired, _ = issue_token(factory.session, alice, ['runs:read'], datetime.timedelta(days=1), 'old-one',
                                 now=utcnow() - datetime.timedelta(days=2))
    factory.commit()
    return {'active': active, 'revoked': revoked, 'expired': expired}


def listed_line(output: str, token: str) -> str:
    """The one line of ``list`` that names the token's jti."""
    [line] = [line for line in output.splitlines() if decode_unverified(token)['jti'] in line]
    return line


def test_list_shows_each_token_but_never_the_token_itself(app: Flask, three_tokens: Dict[str, str]) -> None:
    result = invoke(app, 'list')
    assert result.exit_code == 0, result.output
    for state, label, account in (('active', 'ci-runner', 'alice'), ('revoked', 'bobs-laptop', 'bob'),
                                  ('expired', 'old-one', 'alice')):
        line = listed_line(result.stdout, three_tokens[state])
        assert state in line.split()
        assert label in line
        assert account in line.split()
    for token in three_tokens.values():
        for secret in secrets_of(token):
            assert secret not in result.output


@pytest.mark.parametrize('by', ['name', 'id'])
def test_list_filters_by_account(app: Flask, factory: Factory, three_tokens: Dict[str, str], by: str) -> None:
    [bob] = [row.user_id for row in rows(factory) if row.label == 'bobs-laptop']
    result = invoke(app, 'list', '--user', 'bob' if by == 'name' else str(bob))
    assert result.exit_code == 0, result.output
    jti = {state: decode_unverified(token)['jti'] for state, token in three_tokens.items()}
    assert jti['revoked'] in result.stdout
    assert jti['active'] not in result.stdout and jti['expired'] not in result.stdout


def test_list_refuses_an_unknown_account(app: Flask, three_tokens: Dict[str, str]) -> None:
    assert invoke(app, 'list', '--user', 'nobody').exit_code != 0


# -- revoke -----------------------------------------------------------------------------------------------


def test_revoke_shuts_the_token_out(app: Flask, client: FlaskClient, factory: Factory, run_id: int) -> None:
    factory.account('carol')
    factory.commit()
    token, kept = created(app, '--user', 'carol'), created(app, '--user', 'carol')
    assert summary(client, run_id, token).status_code == 200
    result = invoke(app, 'revoke', decode(token)['jti'])
    assert result.exit_code == 0, result.output
    for secret in secrets_of(token):
        assert secret not in result.output
    response = summary(client, run_id, token)
    assert response.status_code == 401
    assert response.get_json()['details']['reason'] == 'revoked'
    assert summary(client, run_id, kept).status_code == 200
    revoked = {row.jti: row.revoked_at for row in rows(factory)}
    assert revoked[decode(token)['jti']] is not None and revoked[decode(kept)['jti']] is None


@pytest.mark.parametrize('jti', ['0' * 32, 'not-a-jti', ''])
def test_revoke_refuses_an_unknown_jti(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                       jti: str) -> None:
    factory.account('carol')
    factory.commit()
    token = created(app, '--user', 'carol')
    assert invoke(app, 'revoke', jti).exit_code != 0
    assert [row.revoked_at for row in rows(factory)] == [None]
    assert summary(client, run_id, token).status_code == 200


def test_without_a_secret_list_and_revoke_work_and_create_refuses_in_one_line(
        app: Flask, factory: Factory, three_tokens: Dict[str, str], database_uri: str) -> None:
    unconfigured = create_app(app_config(database_uri, API_JWT_SECRET=None))
    context = unconfigured.app_context()  # the commands run in the app of the current context
    context.push()
    try:
        listed = invoke(unconfigured, 'list')
        assert listed.exit_code == 0, listed.output
        for token in three_tokens.values():
            assert decode_unverified(token)['jti'] in listed.output
        jti = decode_unverified(three_tokens['active'])['jti']
        revoked = invoke(unconfigured, 'revoke', jti)
        assert revoked.exit_code == 0, revoked.output
        assert [row.revoked_at is not None for row in rows(factory) if row.jti == jti] == [True]
        refused = invoke(unconfigured, 'create', '--user', 'alice')
        assert refused.exit_code == 1, refused.output
        assert 'Traceback' not in refused.output
        lines = [line for line in refused.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith('Error: ') and 'API_JWT_SECRET' in lines[0], refused.output
        assert len(rows(factory)) == 3
    finally:
        db.engine.dispose()
        context.pop()
