"""The ``mod_api`` alembic branch (issue 3): up and down, alone and on top of the platform's chain.

Each test gets a database of its own: a fresh SQLite file, and, when
``TEST_DATABASE_URI`` names a MariaDB, a database created for the test on that
server and dropped after it (never the shared one the other tests use).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from mod_api.models import AccessToken
from run import create_app, db
from tests.conftest import app_config, fresh_database, is_mariadb

MIGRATIONS = Path(__file__).resolve().parent.parent / 'migrations'
BRANCH_FILE = 'a1e5c0de7001_mod_api_access_tokens.py'
BRANCH_HEAD = 'a1e5c0de7001'
TABLE = AccessToken.__tablename__
#: The platform's own chain, oldest first (shared/platform.md).
PLATFORM_CHAIN = ['6b335fbd58ab', '6b1274f61edd', '2e0d2e02a721', 'a5183973c3e9', 'b3ed927671bd',
                  '7793881905c5', 'c8f3a2b1d4e5', 'd4f8e2a1b3c7']
#: The platform revision standing for "builds from mid-2026", which have a table named ``api_token``.
WITH_API_TOKEN = 'b3ed927671bd'


def _mariadb_server() -> str:
    uri = os.environ.get('TEST_DATABASE_URI', '')
    if not is_mariadb(uri):
        pytest.skip('TEST_DATABASE_URI names no MariaDB')
    return uri


@pytest.fixture(params=['sqlite', pytest.param('mariadb', marks=pytest.mark.mariadb)])
def fresh_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URI of an empty database, made for this test alone."""
    if request.param == 'sqlite':
        yield 'sqlite:///' + str(tmp_path / 'migrations.sqlite')
        return
    with fresh_database(_mariadb_server(), 'migrations_') as uri:
        yield uri


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """env.py loads alembic.ini's logging setup, which replaces the root logger's handlers: put them back."""
    names = ['', 'alembic', 'sqlalchemy', 'sqlalchemy.engine']
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers)) for name in names}
    yield
    for name, (level, handlers) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.fixture
def migrating_app(fresh_uri: str) -> Iterator[Flask]:
    """The host app on the fresh database, its app context pushed for Flask-Migrate's commands."""
    app = create_app(app_config(fresh_uri))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Database:
    """Looks at a database from outside the migrations."""

    def __init__(self, uri: str) -> None:
        self.engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)

    def tables(self) -> Set[str]:
        return set(sa.inspect(self.engine).get_table_names())

    def versions(self) -> Set[str]:
        if 'alembic_version' not in self.tables():
            return set()
        with self.engine.connect() as connection:
            return set(connection.execute(sa.text('SELECT version_num FROM alembic_version')).scalars())

    def columns(self, table: str) -> Dict[str, bool]:
        return {column['name']: column['nullable'] for column in sa.inspect(self.engine).get_columns(table)}

    def differences(self) -> List[Any]:
        """What alembic's autogenerate finds between the model and the migrated table."""
        metadata = sa.MetaData()
        AccessToken.__table__.to_metadata(metadata)
        with self.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={'compare_type': True})
            return [difference for difference in compare_metadata(context, metadata)
                    if difference[0] != 'remove_table']


def assert_is_the_model(database: Database) -> None:
    """``api_access_token`` is there, and is what ``mod_api.models.AccessToken`` says."""
    assert TABLE in database.tables()
    assert database.columns(TABLE) == {column.name: column.nullable for column in AccessToken.__table__.columns}
    inspector = sa.inspect(database.engine)
    unique = [c['column_names'] for c in inspector.get_unique_constraints(TABLE)]
    unique += [i['column_names'] for i in inspector.get_indexes(TABLE) if i['unique']]
    assert ['jti'] in unique
    assert ['user_id'] in [i['column_names'] for i in inspector.get_indexes(TABLE)]
    assert database.differences() == []
    if database.engine.dialect.name == 'mysql':
        with database.engine.connect() as connection:
            engine = connection.execute(sa.text(
                'SELECT engine FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = :t'),
                {'t': TABLE}).scalar_one()
        assert engine == 'InnoDB'


def test_the_branch_has_its_own_label_and_no_parent() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))
    head = scripts.get_revision('mod_api@head')
    assert head.revision == BRANCH_HEAD
    assert 'mod_api' in head.branch_labels
    assert head.down_revision is None


def test_the_branch_goes_up_and_down(migrating_app: Flask, fresh_uri: str) -> None:
    assert Path(migrating_app.extensions['migrate'].directory).resolve() == MIGRATIONS
    database = Database(fresh_uri)
    upgrade(revision='mod_api@head')
    assert_is_the_model(database)
    assert database.versions() == {BRANCH_HEAD}

    downgrade(revision='mod_api@base')
    assert TABLE not in database.tables()
    assert database.versions() == set()

    upgrade(revision='heads')
    assert_is_the_model(database)
    downgrade(revision='mod_api@base')
    assert TABLE not in database.tables()
    database.engine.dispose()


def platform_revision(revision: str, parent: str | None) -> str:
    """A stand-in for one revision of the platform's chain: it creates one small table."""
    table = 'api_token' if revision == WITH_API_TOKEN else f'platform_{revision}'
    return (f'"""Stand-in for the platform\'s revision {revision}."""\n\n'
            'import sqlalchemy as sa\nfrom alembic import op\n\n'
            f'revision = {revision!r}\ndown_revision = {parent!r}\nbranch_labels = None\ndepends_on = None\n\n\n'
            'def upgrade():\n'
            f'    op.create_table({table!r}, sa.Column("id", sa.Integer(), primary_key=True),\n'
            '                    sa.Column("token", sa.String(64), nullable=False), mysql_engine="InnoDB")\n\n\n'
            'def downgrade():\n'
            f'    op.drop_table({table!r})\n')


@pytest.fixture
def platform_migrations(tmp_path: Path) -> Path:
    """A migrations directory as in the platform: its chain of eight, plus the mod_api branch copied in."""
    directory = tmp_path / 'platform_migrations'
    (directory / 'versions').mkdir(parents=True)
    for name in ('env.py', 'alembic.ini', 'script.py.mako'):
        shutil.copy(MIGRATIONS / name, directory / name)
    shutil.copy(MIGRATIONS / 'versions' / BRANCH_FILE, directory / 'versions' / BRANCH_FILE)
    for parent, revision in zip([None] + PLATFORM_CHAIN, PLATFORM_CHAIN):
        (directory / 'versions' / f'{revision}_platform.py').write_text(platform_revision(revision, parent))
    return directory


def platform_tables(upto: str) -> Set[str]:
    chain = PLATFORM_CHAIN[:PLATFORM_CHAIN.index(upto) + 1]
    return {'api_token' if revision == WITH_API_TOKEN else f'platform_{revision}' for revision in chain}


def test_the_branch_applies_on_top_of_the_platform_chain(migrating_app: Flask, fresh_uri: str,
                                                         platform_migrations: Path) -> None:
    directory = str(platform_migrations)
    database = Database(fresh_uri)
    platform_head = PLATFORM_CHAIN[-1]
    upgrade(directory=directory, revision=platform_head)
    assert database.versions() == {platform_head}
    assert TABLE not in database.tables()
    with database.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO api_token (id, token) VALUES (7, 'the platform''s own')"))

    upgrade(directory=directory, revision='mod_api@head')
    assert database.versions() == {platform_head, BRANCH_HEAD}
    assert_is_the_model(database)
    upgrade(directory=directory, revision='heads')
    assert database.versions() == {platform_head, BRANCH_HEAD}

    downgrade(directory=directory, revision='mod_api@base')
    assert database.versions() == {platform_head}
    assert database.tables() == platform_tables(platform_head) | {'alembic_version'}
    with database.engine.connect() as connection:
        assert connection.execute(sa.text('SELECT id, token FROM api_token')).all() == [(7, "the platform's own")]
    database.engine.dispose()


def test_the_branch_applies_on_top_of_any_platform_head(migrating_app: Flask, fresh_uri: str,
                                                        platform_migrations: Path) -> None:
    directory = str(platform_migrations)
    database = Database(fresh_uri)
    for revision in PLATFORM_CHAIN:
        upgrade(directory=directory, revision=revision)
        upgrade(directory=directory, revision='mod_api@head')
        assert database.versions() == {revision, BRANCH_HEAD}
        assert database.tables() == platform_tables(revision) | {'alembic_version', TABLE}
        downgrade(directory=directory, revision='mod_api@base')
        assert database.versions() == {revision}
        assert database.tables() == platform_tables(revision) | {'alembic_version'}
    database.engine.dispose()
