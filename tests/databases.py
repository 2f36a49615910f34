"""Databases of the tests' and the benchmark's own, on a server they are given: made empty, dropped after.

Nothing here touches a database it did not make.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def fresh_database(server_uri: str, purpose: str = '') -> Iterator[str]:
    """Create an empty database of its own on the server ``server_uri`` names; drop it, and only it, afterwards.

    The new name starts with the database the URI names (``mod_api_test`` when
    it names none), so that a URI of ``.../mod_api_ci`` makes ``mod_api_ci_<hex>``:
    the database the URI names is never written to, let alone dropped.
    """
    server = sa.make_url(server_uri)
    base = re.sub(r'[^A-Za-z0-9_]', '_', server.database or 'mod_api_test')
    name = f'{base}_{purpose}{uuid.uuid4().hex[:12]}'[-64:]
    admin = sa.create_engine(server.set(database=''), poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE DATABASE `{name}`'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS `{name}`'))
        admin.dispose()
