"""``flask api token create|list|revoke`` (issue 3; issue 8's item 8), through Flask's CLI test runner.

The commands open their own session on ``DATABASE_URI``, so every row the
factory makes is committed before a command runs, and the factory's session
starts a new transaction before it reads what a command wrote. The tests at
the end run the real ``flask`` executable, and the demo's hint, in a
subprocess: what a user types must end in one line, never a traceback.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import jwt
import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

import run
from mod_api import auth
from mod_api.auth import issue_token, utcnow
from mod_api.cli import create_token
from mod_api.models import AccessToken
from mod_api.settings import DEFAULTS
from run import create_app, db
from tests.conftest import TEST_SECRET, app_config
from tests.factories import Factory

DAY = 86400
ROOT = Path(__file__).resolve().parent.parent
ISO_UTC = re.compile(r'\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z')


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
    assert result.exit_code == 2
    assert 'eyJ' not in result.stdout
    assert "Invalid value for '--expires-in'" in result.output and 's, m, h, d or w' in result.output, result.output
    assert 'Traceback' not in result.output
    assert rows(factory) == []


@pytest.mark.parametrize('account', ['nobody', '999999', ''])
def test_create_refuses_an_unknown_account(app: Flask, factory: Factory, account: str) -> None:
    factory.account('carol')
    factory.commit()
    result = invoke(app, 'create', '--user', account)
    assert result.exit_code != 0
    assert 'eyJ' not in result.stdout
    assert rows(factory) == []


def test_create_refuses_an_unknown_scope_naming_the_known_ones(app: Flask, factory: Factory) -> None:
    factory.account('carol')
    factory.commit()
    result = invoke(app, 'create', '--user', 'carol', '--scope', 'runs:read', '--scope', 'runs:write')
    assert result.exit_code == 2
    assert "Invalid value for '--scope'" in result.output and "'runs:read'" in result.output, result.output
    assert rows(factory) == []


def test_a_repeated_scope_is_granted_and_stored_once(app: Flask, factory: Factory) -> None:
    factory.account('carol')
    factory.commit()
    token = created(app, '--user', 'carol', '--scope', 'runs:read', '--scope', 'runs:read')
    assert decode(token)['scope'] == 'runs:read'
    assert [row.scopes for row in rows(factory)] == ['runs:read']


def test_repeated_scopes_keep_the_order_first_given(app: Flask, factory: Factory,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With a second scope known (there is one today), each is stored once, where it first appeared."""
    [option] = [param for param in create_token.params if param.name == 'scopes']
    monkeypatch.setattr(option.type, 'choices', ('runs:read', 'runs:write'))
    monkeypatch.setattr(auth, 'SCOPES', ('runs:read', 'runs:write'))
    factory.account('carol')
    factory.commit()
    token = created(app, '--user', 'carol', '--scope', 'runs:write', '--scope', 'runs:read', '--scope', 'runs:write')
    assert decode(token)['scope'] == 'runs:write runs:read'
    assert [row.scopes for row in rows(factory)] == ['runs:write runs:read']


def test_create_names_a_nameless_account_honestly(app: Flask, factory: Factory) -> None:
    user = factory.account(nameless=True)
    factory.commit()
    result = invoke(app, 'create', '--user', str(user.id))
    assert result.exit_code == 0, result.output
    assert f'for #{user.id} (no name) (id {user.id})' in result.stdout.splitlines()[0]
    assert 'None' not in result.stdout


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
        assert 'runs:read' in line.split()
    assert result.stdout.splitlines()[0].split()[:4] == ['jti', 'state', 'account', 'scopes']
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


def test_list_json_is_one_object_per_token(app: Flask, factory: Factory, three_tokens: Dict[str, str]) -> None:
    result = invoke(app, 'list', '--json')
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    stored = {row.jti: row for row in rows(factory)}
    assert [token['jti'] for token in listed] == list(stored)
    assert {token['jti']: token['state'] for token in listed} == {
        decode_unverified(token)['jti']: state for state, token in three_tokens.items()}
    for token in listed:
        row = stored[token['jti']]
        assert set(token) == {'jti', 'state', 'account_id', 'account_name', 'scopes', 'label', 'created_at',
                              'expires_at', 'last_used_at', 'revoked_at'}
        assert token['account_id'] == row.user_id and token['account_name'] in ('alice', 'bob')
        assert token['scopes'] == ['runs:read'] and token['label'] == row.label
        assert token['created_at'] == f'{row.created_at:%Y-%m-%dT%H:%M:%S}Z'
        assert token['expires_at'] == f'{row.expires_at:%Y-%m-%dT%H:%M:%S}Z'
        assert token['last_used_at'] is None
        assert (token['revoked_at'] is None) == (token['state'] != 'revoked')
        for moment in (token['created_at'], token['expires_at'], token['revoked_at']):
            assert moment is None or ISO_UTC.match(moment), moment
    for token in three_tokens.values():
        for secret in secrets_of(token):
            assert secret not in result.output


def test_list_json_shows_last_use_and_filters_by_account(app: Flask, client: FlaskClient, factory: Factory,
                                                         run_id: int) -> None:
    factory.account('carol'), factory.account('dave')
    factory.commit()
    token = created(app, '--user', 'carol')
    created(app, '--user', 'dave')
    assert summary(client, run_id, token).status_code == 200
    [listed] = json.loads(invoke(app, 'list', '--user', 'carol', '--json').stdout)
    assert listed['jti'] == decode(token)['jti'] and listed['account_name'] == 'carol'
    assert ISO_UTC.match(listed['last_used_at']), listed
    assert json.loads(invoke(app, 'list', '--json', '--user', 'dave').stdout)[0]['last_used_at'] is None


def test_list_json_of_no_tokens_is_an_empty_array(app: Flask) -> None:
    result = invoke(app, 'list', '--json')
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert invoke(app, 'list').stdout == 'No tokens.\n'


def test_list_json_is_read_by_jq(app: Flask, three_tokens: Dict[str, str]) -> None:
    if shutil.which('jq') is None:
        pytest.skip('jq is not installed (the output is checked as JSON by Python above)')
    listed = invoke(app, 'list', '--json').stdout
    states = subprocess.run(['jq', '-r', '.[] | .state'], input=listed, capture_output=True, text=True,
                            check=True, timeout=30).stdout
    assert states.split() == ['active', 'revoked', 'expired']


def test_list_says_which_accounts_have_no_name_or_are_gone(app: Flask, factory: Factory) -> None:
    nameless, leaving = factory.account(nameless=True), factory.account('leaving')
    factory.commit()
    nameless_token = created(app, '--user', str(nameless.id))
    orphan_token = created(app, '--user', 'leaving')
    factory.session.delete(leaving)
    factory.commit()
    result = invoke(app, 'list')
    assert result.exit_code == 0, result.output
    assert 'None' not in result.stdout
    line = listed_line(result.stdout, nameless_token)
    assert f'#{nameless.id} (no name)' in line and 'active' in line.split()
    line = listed_line(result.stdout, orphan_token)
    assert f'#{leaving.id} (deleted)' in line and 'orphaned' in line.split()
    listed = {token['jti']: token for token in json.loads(invoke(app, 'list', '--json').stdout)}
    assert listed[decode(nameless_token)['jti']]['account_name'] is None
    orphan = listed[decode(orphan_token)['jti']]
    assert (orphan['account_id'], orphan['account_name'], orphan['state']) == (leaving.id, None, 'orphaned')


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


def test_revoking_twice_keeps_the_first_time(app: Flask, factory: Factory) -> None:
    factory.account('carol')
    factory.commit()
    jti = decode(created(app, '--user', 'carol'))['jti']
    assert invoke(app, 'revoke', jti).exit_code == 0
    [first] = [row.revoked_at for row in rows(factory)]
    again = invoke(app, 'revoke', jti)
    assert again.exit_code == 0, again.output
    assert 'already revoked' in again.stdout and f'{first:%Y-%m-%d %H:%M:%S}' in again.stdout
    assert [row.revoked_at for row in rows(factory)] == [first]


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


# -- a database without the API's table, and the real executable ------------------------------------------------


def one_error_line(output: str) -> str:
    """The one ``Error:`` line of a refusal; the API's own start-up log line (no secret) may stand beside it."""
    assert 'Traceback' not in output, output
    errors = [line for line in output.splitlines() if line.startswith('Error: ')]
    startup = 'mod_api: The API is not configured'
    others = [line for line in output.splitlines()
              if line.strip() and not line.startswith('Error: ') and startup not in line]
    assert len(errors) == 1 and others == [], output
    return errors[0]


@pytest.mark.parametrize('args', [['list'], ['list', '--json'], ['list', '--user', 'carol'], ['revoke', 'abc'],
                                  ['create', '--user', 'carol']])
def test_a_database_without_the_tables_is_one_line(tmp_path: Path, args: List[str]) -> None:
    empty = create_app(app_config(f'sqlite:///{tmp_path / "new.sqlite"}'))
    with empty.app_context():
        result = invoke(empty, *args)
        db.engine.dispose()
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert 'has no api_access_token and no user table' in line and 'flask db upgrade' in line, line


def flask_command(*args: str, database_uri: str, secret: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run the installed ``flask`` executable in the project's folder, as a user would."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ('API_JWT_SECRET', 'FLASK_APP', 'DATABASE_URI')}
    environment.update({'DATABASE_URI': database_uri, **({'API_JWT_SECRET': secret} if secret else {})})
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), 'flask'), '--app', 'run', 'api', 'token',
                           *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_the_flask_executable_without_a_secret_never_shows_a_traceback(
        factory: Factory, three_tokens: Dict[str, str], database_uri: str, tmp_path: Path) -> None:
    listed = flask_command('list', database_uri=database_uri)
    assert listed.returncode == 0, listed.stderr
    assert 'Traceback' not in listed.stderr
    for token in three_tokens.values():
        assert decode_unverified(token)['jti'] in listed.stdout
    as_json = flask_command('list', '--json', database_uri=database_uri)
    assert as_json.returncode == 0 and len(json.loads(as_json.stdout)) == 3, as_json.stderr

    refused = flask_command('create', '--user', 'alice', database_uri=database_uri)
    assert refused.returncode == 1 and refused.stdout == ''
    assert 'API_JWT_SECRET' in one_error_line(refused.stderr)
    unknown = flask_command('revoke', 'abc', database_uri=database_uri)
    assert unknown.returncode == 1 and "no token with jti 'abc'" in one_error_line(unknown.stderr)
    jti = decode_unverified(three_tokens['active'])['jti']
    revoked = flask_command('revoke', jti, database_uri=database_uri)
    assert revoked.returncode == 0 and f'Token {jti} revoked at' in revoked.stdout, revoked.stderr
    assert len(rows(factory)) == 3

    # A fresh clone: no database yet (SQLite makes an empty file).
    fresh = flask_command('list', database_uri=f'sqlite:///{tmp_path / "fresh.sqlite"}')
    assert fresh.returncode == 1 and fresh.stdout == ''
    assert 'has no api_access_token' in one_error_line(fresh.stderr)


@pytest.mark.parametrize('own_secret', [False, True])
def test_the_demos_hint_mints_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture, own_secret: bool) -> None:
    """The demo's "mint more tokens" line, pasted into a shell in the project's folder, works as printed."""
    uri = f'sqlite:///{tmp_path / "demo.sqlite"}'
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv('DATABASE_URI', uri)
    if own_secret:
        monkeypatch.setenv('API_JWT_SECRET', TEST_SECRET)
    else:
        monkeypatch.delenv('API_JWT_SECRET', raising=False)
    made = run.create_app
    monkeypatch.setattr(run, 'create_app', lambda config: made({**config, 'SAMPLE_REPOSITORY': str(tmp_path)}))
    monkeypatch.setattr(run, 'run_simple', lambda *args, **kwargs: None)
    run.serve_demo()
    [hint] = [line for line in capsys.readouterr().out.splitlines() if line.startswith('To mint more tokens: ')]
    command = hint[len('To mint more tokens: '):]
    assert ('export API_JWT_SECRET=' in command) is not own_secret
    assert TEST_SECRET not in command
    assert command.endswith(' -m flask --app run api token create --user carol')
    environment = {name: value for name, value in os.environ.items() if name != 'FLASK_APP'}
    minted = subprocess.run(['sh', '-c', command], cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=120)
    assert minted.returncode == 0, minted.stderr
    assert minted.stdout.startswith('Token ') and ' for carol (id 1)' in minted.stdout, minted.stdout
