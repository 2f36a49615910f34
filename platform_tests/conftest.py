"""Fixtures of the drop-in tests: the real platform's app, with mod_api installed, on MariaDB.

These tests run from the folder of an installed copy of the platform
(``.ci/platform`` builds it), with the platform's requirements, so that
``import run`` is the platform's ``run.py`` and every model is the
platform's own. Rows are made with the platform's models and constructors;
the API is asked through Flask's test client, as a maintainer with a token
minted by ``flask api token create`` would.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator

import pytest

#: The token that ``flask api token create`` printed, for the account named in PLATFORM_API_ACCOUNT.
TOKEN = os.environ.get('PLATFORM_API_TOKEN', '')


@pytest.fixture(scope='session')
def platform_app() -> Any:
    """The platform's own app object (its run.py), mod_api registered by the platform's own line."""
    if not TOKEN:
        pytest.fail('PLATFORM_API_TOKEN is not set: run these tests through .ci/platform')
    import run
    return run.app


@pytest.fixture(scope='session')
def session(platform_app: Any) -> Iterator[Any]:
    """A session of the platform's own (database.create_session), for making rows."""
    from database import create_session
    made = create_session(platform_app.config['DATABASE_URI'])
    yield made
    made.remove()


@pytest.fixture
def client(platform_app: Any) -> Any:
    """A test client of the platform: no session cookie, no login."""
    return platform_app.test_client()


class Api:
    """The API of the installed platform, asked with the CLI-minted token."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, path: str, token: str = TOKEN, **kwargs: Any) -> Any:
        """GET ``/api/v1`` + ``path`` with ``Authorization: Bearer token`` (none when token is empty)."""
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        return self.client.get('/api/v1' + path, headers={**headers, **kwargs.pop('headers', {})}, **kwargs)


@pytest.fixture
def api(client: Any) -> Api:
    """The API with a valid token."""
    return Api(client)


@pytest.fixture(scope='session')
def world(session: Any) -> Dict[str, Any]:
    """Runs and regression tests of the platform in which every status and every output status appears."""
    from platform_world import build
    return build(session)
