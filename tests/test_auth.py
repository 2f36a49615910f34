"""Bearer tokens through HTTP (issue 3): every way a token is refused, and what a refusal looks like.

Each request goes to ``GET /api/v1/runs/{id}/summary`` of a run built with the
factory. Refusals are 401 (403 for a missing scope) in the spec's error shape,
with an RFC 6750 challenge, and never repeat the token: not in the body, not
in any log record.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import logging
import re
import uuid
from typing import Any, Dict, Iterable, List, Optional

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from mod_api import queries
from mod_api.auth import RUNS_READ, utcnow
from mod_api.models import AccessToken
from mod_api.settings import DEFAULTS
from mod_auth.models import User
from run import create_app, db
from tests.conftest import TEST_SECRET, app_config, mint
from tests.factories import Factory

REALM_ONLY = 'Bearer realm="sample-platform"'
UNAUTHORIZED_MESSAGE = 'Bearer token is missing, expired, or invalid.'
ISSUER = DEFAULTS['API_JWT_ISSUER']
AUDIENCE = DEFAULTS['API_JWT_AUDIENCE']
LEEWAY = DEFAULTS['API_JWT_LEEWAY']


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every log record, down to DEBUG, so that no token can hide in one."""
    caplog.set_level(logging.DEBUG)
    return caplog


def summary(client: FlaskClient, run_id: Any, authorization: Optional[str] = None) -> Any:
    """GET the run's summary, with ``authorization`` as the whole Authorization header (None: no header)."""
    headers = {} if authorization is None else {'Authorization': authorization}
    return client.get(f'/api/v1/runs/{run_id}/summary', headers=headers)


def record(factory: Factory, user: Optional[User] = None, scopes: str = 'runs:read',
           expires_at: Optional[datetime.datetime] = None) -> AccessToken:
    """An ``api_access_token`` row, committed, for a token the test signs itself."""
    now = utcnow()
    row = AccessToken(jti=uuid.uuid4().hex, user_id=(user or factory.account()).id, label='test', scopes=scopes,
                      created_at=now, expires_at=expires_at or now + datetime.timedelta(days=1))
    factory.session.add(row)
    factory.commit()
    return row


def stamp(moment: datetime.datetime) -> int:
    """A naive UTC time as a JWT NumericDate."""
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())


def claims_of(row: AccessToken, **changes: Any) -> Dict[str, Any]:
    """The claims the API issues for ``row``, with ``changes`` applied."""
    now = utcnow()
    claims = {'iss': ISSUER, 'aud': AUDIENCE, 'sub': str(row.user_id), 'scope': row.scopes, 'iat': stamp(now),
              'exp': stamp(now + datetime.timedelta(hours=1)), 'jti': row.jti}
    claims.update(changes)
    return claims


def sign(claims: Dict[str, Any], key: Any = TEST_SECRET, algorithm: str = 'HS256') -> str:
    """A JWT of ``claims``, signed by PyJWT."""
    return jwt.encode(claims, key, algorithm=algorithm)


def b64(data: bytes) -> str:
    """Base64url without padding, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def hmac_signed(claims: Dict[str, Any], key: bytes, alg: str = 'HS256') -> str:
    """A JWT whose signature is HMAC-SHA256 with ``key``, whatever ``alg`` its header names.

    Built by hand: PyJWT rightly refuses to use a PEM key as an HMAC secret.
    """
    header = b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(key, f'{header}.{payload}'.encode(), hashlib.sha256).digest()
    return f'{header}.{payload}.{b64(signature)}'


def telltales(tokens: Iterable[str]) -> List[str]:
    """The texts that must not be echoed: each token, and each long part of it."""
    found: List[str] = []
    for token in tokens:
        found.append(token)
        found.extend(part for part in re.split(r'[.\s,]+', token) if len(part) >= 20)
    return found


CHALLENGE = re.compile(r'Bearer realm="[^"\\]*"(, [a-z_]+="[^"\\]*")*')


def assert_refused(response: Any, caplog: pytest.LogCaptureFixture, *tokens: str, status: int = 401,
                   reason: Optional[str] = None) -> Dict[str, Any]:
    """The refusal is in the spec's shape, with its challenge, and repeats no token anywhere."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == 'application/json'
    body = response.get_json()
    assert set(body) == {'code', 'message', 'details'}
    assert isinstance(body['details'], dict)
    challenge = response.headers.get('WWW-Authenticate', '')
    assert challenge.startswith(REALM_ONLY)
    # RFC 6750: auth-params whose quoted strings hold no bare quote or backslash.
    assert CHALLENGE.fullmatch(challenge), challenge
    if status == 401:
        assert body['code'] == 'unauthorized'
        assert body['message'] == UNAUTHORIZED_MESSAGE
        assert body['details']['reason'] in ('missing', 'expired', 'invalid', 'revoked')
        if reason is not None:
            assert body['details']['reason'] == reason
        if body['details']['reason'] == 'missing':
            assert challenge == REALM_ONLY
        else:
            assert 'error="invalid_token"' in challenge
            assert 'error_description="' in challenge
    else:
        assert status == 403
        assert body['code'] == 'forbidden'
        assert 'error="insufficient_scope"' in challenge
        assert 'scope="runs:read"' in challenge
        assert 'runs:read' in body['details'].values()
    text = response.get_data(as_text=True)
    logged = caplog.text + '\n'.join(record.getMessage() for record in caplog.records)
    for secret in telltales(tokens):
        assert secret not in text
        assert secret not in challenge
        assert secret not in logged
    return body


# -- the way in -------------------------------------------------------------------------------------------


def test_a_valid_token_reads_the_summary(app: Flask, client: FlaskClient, factory: Factory, run_id: int) -> None:
    response = summary(client, run_id, f'Bearer {mint(app, factory)}')
    assert response.status_code == 200
    assert response.get_json()['run_id'] == run_id


def test_no_header_is_a_bare_challenge(client: FlaskClient, run_id: int, caplog: pytest.LogCaptureFixture) -> None:
    assert_refused(summary(client, run_id), caplog, reason='missing')


@pytest.mark.parametrize('scheme', ['Basic', 'Token', 'Bearer:'])
def test_another_scheme_is_no_token(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                    caplog: pytest.LogCaptureFixture, scheme: str) -> None:
    # RFC 6750 3.1: an unsupported scheme is a request without authentication, so no error attribute.
    credentials = b64(b'carol:correct horse battery staple') if scheme == 'Basic' else mint(app, factory)
    assert_refused(summary(client, run_id, f'{scheme} {credentials}'), caplog, credentials, reason='missing')


@pytest.mark.parametrize('scheme', ['bearer', 'BEARER', 'bEaReR'])
def test_the_scheme_is_case_insensitive(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                        scheme: str) -> None:
    assert summary(client, run_id, f'{scheme} {mint(app, factory)}').status_code == 200


# -- signatures and algorithms ----------------------------------------------------------------------------


@pytest.mark.parametrize('signature', ['', 'c2lnbmF0dXJlLW9mLW5vLWtpbmQtYXQtYWxs'])
def test_alg_none_is_refused(client: FlaskClient, factory: Factory, run_id: int, caplog: pytest.LogCaptureFixture,
                             signature: str) -> None:
    unsigned = jwt.encode(claims_of(record(factory)), None, algorithm='none')
    token = unsigned.rstrip('.') + '.' + signature
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


def test_another_secret_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                   caplog: pytest.LogCaptureFixture) -> None:
    token = sign(claims_of(record(factory)), key='another-secret-of-at-least-32-bytes-long!')
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


@pytest.fixture(scope='module')
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize('variant', ['rs256 signed by the private key', 'hs256 keyed by the public pem',
                                     'rs256 header, hmac keyed by the public pem'])
def test_asymmetric_tokens_are_refused(client: FlaskClient, factory: Factory, run_id: int,
                                       caplog: pytest.LogCaptureFixture, rsa_key: rsa.RSAPrivateKey,
                                       variant: str) -> None:
    claims = claims_of(record(factory))
    if variant.startswith('rs256 signed'):
        token = sign(claims, key=rsa_key, algorithm='RS256')
    else:
        token = hmac_signed(claims, public_pem(rsa_key), alg=variant[:5].upper())
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


def test_a_public_key_configured_as_the_secret_is_no_way_in(database_uri: str, factory: Factory, run_id: int,
                                                            caplog: pytest.LogCaptureFixture,
                                                            rsa_key: rsa.RSAPrivateKey) -> None:
    """The key-confusion attack: the host holds a public key as its secret, anyone can HMAC with it."""
    pem = public_pem(rsa_key)
    pem_app = create_app(app_config(database_uri, API_JWT_SECRET=pem.decode()))
    try:
        token = hmac_signed(claims_of(record(factory)), pem)
        response = summary(pem_app.test_client(), run_id, f'Bearer {token}')
        assert_refused(response, caplog, token, reason='invalid')
    finally:
        with pem_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_tampered_payload_is_refused(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                       caplog: pytest.LogCaptureFixture) -> None:
    token = mint(app, factory)
    header, payload, signature = token.split('.')
    claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    claims['exp'] += 365 * 86400
    forged = f'{header}.{b64(json.dumps(claims).encode())}.{signature}'
    assert_refused(summary(client, run_id, f'Bearer {forged}'), caplog, token, forged, reason='invalid')


# -- claims -----------------------------------------------------------------------------------------------


def test_an_expired_token_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                     caplog: pytest.LogCaptureFixture) -> None:
    now = utcnow()
    row = record(factory, expires_at=now - datetime.timedelta(hours=1))
    token = sign(claims_of(row, iat=stamp(now - datetime.timedelta(days=1)),
                           exp=stamp(now - datetime.timedelta(hours=1))))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='expired')


def test_a_token_whose_row_has_expired_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    row = record(factory, expires_at=utcnow() - datetime.timedelta(hours=1))
    token = sign(claims_of(row))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='expired')


def test_expiry_within_the_leeway_is_accepted(client: FlaskClient, factory: Factory, run_id: int) -> None:
    just_gone = utcnow() - datetime.timedelta(seconds=LEEWAY // 3)
    token = sign(claims_of(record(factory, expires_at=just_gone), exp=stamp(just_gone)))
    assert summary(client, run_id, f'Bearer {token}').status_code == 200


@pytest.mark.parametrize('claim', ['nbf', 'iat'])
def test_a_token_from_the_future_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                            caplog: pytest.LogCaptureFixture, claim: str) -> None:
    later = stamp(utcnow() + datetime.timedelta(seconds=LEEWAY + 60))
    token = sign(claims_of(record(factory), **{claim: later}))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


@pytest.mark.parametrize('claim', ['nbf', 'iat'])
def test_a_token_from_the_near_future_is_accepted(client: FlaskClient, factory: Factory, run_id: int,
                                                  claim: str) -> None:
    soon = stamp(utcnow() + datetime.timedelta(seconds=LEEWAY // 3))
    token = sign(claims_of(record(factory), **{claim: soon}))
    assert summary(client, run_id, f'Bearer {token}').status_code == 200


@pytest.mark.parametrize('claim, value', [('iss', 'someone-else'), ('aud', 'another-api'),
                                          ('aud', [AUDIENCE, 'another-api'])])
def test_another_issuer_or_audience_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                               caplog: pytest.LogCaptureFixture, claim: str, value: Any) -> None:
    token = sign(claims_of(record(factory), **{claim: value}))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


@pytest.mark.parametrize('claim', ['iss', 'aud', 'sub', 'scope', 'iat', 'exp', 'jti'])
def test_each_claim_is_required(client: FlaskClient, factory: Factory, run_id: int,
                                caplog: pytest.LogCaptureFixture, claim: str) -> None:
    claims = claims_of(record(factory))
    del claims[claim]
    token = sign(claims)
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


def test_the_complete_claims_are_accepted(client: FlaskClient, factory: Factory, run_id: int) -> None:
    """The control of the two tests above: claims_of() and sign() make a token the API takes."""
    assert summary(client, run_id, f'Bearer {sign(claims_of(record(factory)))}').status_code == 200


# -- the token's row and account --------------------------------------------------------------------------


def test_a_revoked_token_is_refused(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                    caplog: pytest.LogCaptureFixture) -> None:
    token = mint(app, factory)
    assert summary(client, run_id, f'Bearer {token}').status_code == 200
    factory.session.execute(sa.update(AccessToken).values(revoked_at=utcnow()))
    factory.commit()
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='revoked')


def test_the_token_of_a_deleted_account_is_refused(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    user = factory.account()
    token = mint(app, factory, user)
    assert summary(client, run_id, f'Bearer {token}').status_code == 200
    factory.session.delete(user)
    factory.commit()
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


def test_a_token_without_a_row_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                          caplog: pytest.LogCaptureFixture) -> None:
    row = record(factory)
    token = sign(claims_of(row, jti=uuid.uuid4().hex))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


def test_a_token_naming_another_account_than_its_row_is_refused(client: FlaskClient, factory: Factory, run_id: int,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    row = record(factory)
    token = sign(claims_of(row, sub=str(factory.account().id)))
    factory.commit()
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


@pytest.mark.parametrize('row_scopes, claimed', [('other:scope', 'other:scope'), ('other:scope', 'runs:read'),
                                                 ('runs:read', 'other:scope')])
def test_a_token_without_the_scope_is_forbidden(client: FlaskClient, factory: Factory, run_id: int,
                                                caplog: pytest.LogCaptureFixture, row_scopes: str,
                                                claimed: str) -> None:
    """403 whether the claim or the row lacks ``runs:read``: the row bounds what a signed claim grants."""
    token = sign(claims_of(record(factory, scopes=row_scopes), scope=claimed))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, status=403)


# -- what the header may hold -----------------------------------------------------------------------------


def test_a_5_kb_header_is_refused(client: FlaskClient, run_id: int, caplog: pytest.LogCaptureFixture) -> None:
    junk = 'A' * 5 * 1024
    assert_refused(summary(client, run_id, f'Bearer {junk}'), caplog, junk, reason='invalid')


def test_a_5_kb_token_is_refused_even_when_well_signed(client: FlaskClient, factory: Factory, run_id: int,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    token = sign(claims_of(record(factory), padding='p' * 5 * 1024))
    assert_refused(summary(client, run_id, f'Bearer {token}'), caplog, token, reason='invalid')


@pytest.mark.parametrize('layout', ['Bearer {0} {1}', 'Bearer {0}, Bearer {1}', 'Bearer {0},{1}'])
def test_two_tokens_are_refused(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                caplog: pytest.LogCaptureFixture, layout: str) -> None:
    first, second = mint(app, factory), mint(app, factory)
    header = layout.format(first, second)
    assert_refused(summary(client, run_id, header), caplog, first, second, reason='invalid')


@pytest.mark.parametrize('layout', ['Bearer {}\u00e9', 'Bearer {}\u00df', 'Bearer \u00e9{}',
                                    'Bearer {}\u00a0', 'Bearer\u00a0{}'])
def test_non_ascii_is_refused(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                              caplog: pytest.LogCaptureFixture, layout: str) -> None:
    token = mint(app, factory)
    header = layout.format(token)
    assert_refused(summary(client, run_id, header), caplog, token, reason='invalid')


def test_a_non_ascii_scheme_is_refused(client: FlaskClient, run_id: int, caplog: pytest.LogCaptureFixture) -> None:
    assert_refused(summary(client, run_id, 'Béarer abc.def.ghi'), caplog)


@pytest.mark.parametrize('header', ['Bearer', 'Bearer ', 'bearer\t'])
def test_the_scheme_alone_is_refused(client: FlaskClient, run_id: int, caplog: pytest.LogCaptureFixture,
                                     header: str) -> None:
    assert_refused(summary(client, run_id, header), caplog, reason='invalid')


@pytest.mark.parametrize('header', ['', '   '])
def test_an_empty_header_is_no_token(client: FlaskClient, run_id: int, caplog: pytest.LogCaptureFixture,
                                     header: str) -> None:
    assert_refused(summary(client, run_id, header), caplog, reason='missing')


# -- order: authentication before anything else -----------------------------------------------------------


def test_an_unknown_run_with_a_bad_token_is_401(client: FlaskClient, factory: Factory,
                                                caplog: pytest.LogCaptureFixture) -> None:
    token = sign(claims_of(record(factory)), key='another-secret-of-at-least-32-bytes-long!')
    assert_refused(summary(client, 2_000_000_000, f'Bearer {token}'), caplog, token, reason='invalid')


@pytest.mark.parametrize('bad_id', ['abc', '0', '-1', '99999999999'])
def test_a_bad_run_id_without_a_token_is_401(client: FlaskClient, caplog: pytest.LogCaptureFixture,
                                             bad_id: str) -> None:
    assert_refused(summary(client, bad_id), caplog, reason='missing')


def test_with_a_good_token_the_same_requests_are_400_and_404(app: Flask, client: FlaskClient,
                                                             factory: Factory) -> None:
    """The control of the two tests above: the 401s are not the endpoint's answers for any bad request."""
    header = f'Bearer {mint(app, factory)}'
    assert summary(client, 2_000_000_000, header).status_code == 404
    assert summary(client, '99999999999', header).status_code == 404
    assert summary(client, 'abc', header).status_code == 400


# -- one request after another in one test (pytest-flask keeps one app context, and so one ``g``) ----------


@pytest.mark.parametrize('second', [None, 'Bearer not.a.token', 'Basic Y2Fyb2w6c2VjcmV0'])
def test_a_valid_request_lends_nothing_to_the_next(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                                   caplog: pytest.LogCaptureFixture, second: Optional[str]) -> None:
    assert summary(client, run_id, f'Bearer {mint(app, factory)}').status_code == 200
    assert_refused(summary(client, run_id, second), caplog)


# -- cost and bookkeeping ---------------------------------------------------------------------------------


def test_a_scope_named_twice_is_granted_once(app: Flask, factory: Factory) -> None:
    # Whoever calls issue_token (the CLI, a script): the row and the token's claim name each scope once.
    token = mint(app, factory, scopes=[RUNS_READ, RUNS_READ])
    claims = jwt.decode(token, options={'verify_signature': False})
    assert claims['scope'] == RUNS_READ
    assert factory.session.execute(sa.select(AccessToken.scopes).where(AccessToken.jti == claims['jti'])).scalar_one() \
        == RUNS_READ


def test_the_token_check_costs_one_statement(app: Flask, client: FlaskClient, factory: Factory, run_id: int,
                                             statements: Any) -> None:
    header = f'Bearer {mint(app, factory)}'
    assert summary(client, run_id, header).status_code == 200  # the first use writes last_used_at
    with app.app_context(), statements() as own:
        run = queries.load_run(db.session, run_id)
        assert run is not None and queries.load_status_rows(db.session, run).tests
        db.session.remove()
    with statements() as seen:
        assert summary(client, run_id, header).status_code == 200
    assert len(own) == 2
    assert len(seen) == len(own) + 1
    checks = [s for s in seen if 'api_access_token' in s]
    assert len(checks) == 1
    assert checks[0].lstrip().upper().startswith('SELECT')
    assert re.search(r'\bJOIN\s+[`"]?user[`"]?\s', checks[0], re.IGNORECASE)


def last_used(factory: Factory) -> Optional[datetime.datetime]:
    factory.session.rollback()
    return factory.session.execute(sa.select(AccessToken.last_used_at)).scalar_one()


def test_last_used_is_written_once_older_than_the_resolution(database_uri: str, app: Flask, factory: Factory,
                                                             run_id: int) -> None:
    eager = create_app(app_config(database_uri, API_TOKEN_LAST_USED_RESOLUTION=0))
    try:
        header = f'Bearer {mint(app, factory)}'
        before = utcnow()
        assert summary(eager.test_client(), run_id, header).status_code == 200
        first = last_used(factory)
        assert first is not None and before <= first <= utcnow()
        long_ago = datetime.datetime(2020, 1, 1)
        factory.session.execute(sa.update(AccessToken).values(last_used_at=long_ago))
        factory.commit()
        assert summary(eager.test_client(), run_id, header).status_code == 200
        assert last_used(factory) >= before
    finally:
        with eager.app_context():
            db.session.remove()
            db.engine.dispose()


def test_last_used_is_not_rewritten_within_the_resolution(app: Flask, client: FlaskClient, factory: Factory,
                                                          run_id: int, statements: Any) -> None:
    header = f'Bearer {mint(app, factory)}'
    assert summary(client, run_id, header).status_code == 200
    first = last_used(factory)
    assert first is not None
    earlier = first - datetime.timedelta(hours=1)
    factory.session.execute(sa.update(AccessToken).values(last_used_at=earlier))
    factory.commit()
    with statements() as seen:
        assert summary(client, run_id, header).status_code == 200
    assert last_used(factory) == earlier
    assert not [s for s in seen if not s.lstrip().upper().startswith('SELECT')]


# -- without a usable secret the host starts, and the API says it is not configured ----------------------


@pytest.mark.parametrize('secret', [None, '', 'x' * 31, 'é' * 15])
def test_without_a_usable_secret_the_host_starts_and_the_api_answers_503(
        database_uri: str, secret: Optional[str], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger='mod_api'):
        started = create_app(app_config(database_uri, API_JWT_SECRET=secret))
    logged = [r for r in caplog.records if r.name == 'mod_api' and r.levelno == logging.ERROR]
    assert len(logged) == 1 and 'API_JWT_SECRET' in logged[0].getMessage()
    try:
        client = started.test_client()
        assert client.get('/').status_code == 200  # the host's own pages keep working
        for path in ('/api/v1/runs/1/summary', '/api/v1/runs', '/api/v1/openapi.json', '/api/v1/nowhere', '/api/v1/',
                     '/api/v1/docs', '/api/v1/docs/docs.js'):
            answer = client.get(path, headers={'Authorization': 'Bearer x.y.z'})
            assert answer.status_code == 503, path
            body = answer.get_json()
            assert body['code'] == 'api_not_configured', path
            assert body['details'] == {'setting': 'API_JWT_SECRET'}
            assert '32 bytes' in body['message'] and 'secrets.token_urlsafe' in body['message']
    finally:
        with started.app_context():
            db.engine.dispose()


@pytest.mark.parametrize('secret', ['x' * 32, 'é' * 16])
def test_the_host_takes_a_32_byte_secret(database_uri: str, secret: str) -> None:
    started = create_app(app_config(database_uri, API_JWT_SECRET=secret))
    assert started.extensions['mod_api'].jwt_secret == secret
    with started.app_context():
        db.engine.dispose()
