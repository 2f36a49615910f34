"""The standalone host's slice of the platform is the platform's, wherever ``mod_api`` meets it (issue 8).

The tests of ``mod_api`` run on this repository's ``database.py`` and
``mod_*/models.py``; they can only create the states the real database holds
if those models are the platform's in every name, type, nullability, key,
foreign key action, index and enum behaviour. So both sides are dumped as
JSON by ``tests/schema_dump.py``, each by an interpreter that can import it,
and compared here table by table and enum by enum.

The platform's side needs a Python with the platform's requirements:
``PLATFORM_PYTHON`` names it, ``PLATFORM_DIR`` the platform's source
(default ``../shared/sample-platform`` beside the repository). Without ``PLATFORM_PYTHON`` this
interpreter is tried; when it cannot import the platform's models the
comparison is skipped, saying so, except under CI (``CI`` set), where it
fails.

The last tests check, on this side alone, the behaviour that the comparison
is for: a plain string bound to an enum column fails as in the platform,
stored strings come back as members, progress times are kept in UTC.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from database import (Base, DeclEnum, DeclEnumType, EnumParsingException,
                      EnumSymbol)
from mod_api.queries import stored
from mod_auth.models import Role
from mod_regression.models import InputType, OutputType
from mod_test.models import (Test, TestPlatform, TestProgress, TestStatus,
                             TestType)

ROOT = Path(__file__).resolve().parent.parent
DUMPER = Path(__file__).resolve().with_name('schema_dump.py')
CANNOT_IMPORT = 3  # schema_dump's exit status when the models do not import

#: The platform's tables that mod_api reads, or that the tests and the demo write (shared/platform.md).
TABLES = ['category', 'customized_test', 'fork', 'regression_test', 'regression_test_category',
          'regression_test_output', 'regression_test_output_files', 'sample', 'sample_tag_association', 'tag',
          'test', 'test_fork', 'test_progress', 'test_result', 'test_result_file', 'user']
#: The enums of their columns.
ENUMS = ['InputType', 'OutputType', 'Role', 'TestPlatform', 'TestStatus', 'TestType']
#: The API's own tables, which the platform's models do not define.
API_TABLES = ['api_access_token']


def _dump(python: str, root: Path) -> subprocess.CompletedProcess:
    """Run the dumper on ``root`` with ``python``, in a process whose path holds nothing of ours."""
    environment = {name: value for name, value in os.environ.items() if name != 'PYTHONPATH'}
    return subprocess.run([python, str(DUMPER), str(root)], cwd=root, env=environment, capture_output=True,
                          text=True, timeout=120)


def _unavailable(reason: str) -> None:
    """Skip for want of the platform's side, or fail under CI, which must compare."""
    if os.environ.get('CI'):
        pytest.fail(f'{reason} (CI is set: the comparison must run; set PLATFORM_PYTHON)')
    pytest.skip(reason)


@pytest.fixture(scope='module')
def platform() -> Dict[str, Any]:
    """The platform's tables and enums, as its own models define them."""
    beside = Path(__file__).resolve().parents[2] / 'shared' / 'sample-platform'
    platform_dir = Path(os.environ.get('PLATFORM_DIR') or beside)
    if not (platform_dir / 'database.py').is_file():
        _unavailable(f'no platform source at {platform_dir} (set PLATFORM_DIR)')
    python = os.environ.get('PLATFORM_PYTHON')
    done = _dump(python or sys.executable, platform_dir)
    if done.returncode == CANNOT_IMPORT and not python:
        _unavailable(f'the platform\'s models do not import with {sys.executable} ({done.stderr.strip()}); '
                     f'set PLATFORM_PYTHON to a Python with {platform_dir / "requirements.txt"} installed')
    assert done.returncode == 0, f'dumping the platform with {python or sys.executable} failed:\n{done.stderr}'
    return json.loads(done.stdout)


@pytest.fixture(scope='module')
def ours() -> Dict[str, Any]:
    """This repository's tables and enums, dumped the same way."""
    done = _dump(sys.executable, ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def differences(slice_value: Any, platform_value: Any, where: str = '') -> List[str]:
    """Say where two dumps differ, one line per difference."""
    if isinstance(slice_value, dict) and isinstance(platform_value, dict):
        lines = []
        for key in sorted(set(slice_value) | set(platform_value)):
            here = f'{where}.{key}' if where else key
            if key not in platform_value:
                lines.append(f'{here}: only in the slice')
            elif key not in slice_value:
                lines.append(f'{here}: only in the platform')
            else:
                lines.extend(differences(slice_value[key], platform_value[key], here))
        return lines
    if slice_value != platform_value:
        return [f'{where}: slice {slice_value!r}, platform {platform_value!r}']
    return []


def test_the_slice_holds_every_table_and_enum_mod_api_reads(ours: Dict[str, Any], platform: Dict[str, Any]) -> None:
    assert set(TABLES) <= set(platform['tables']), 'the platform no longer has a table the API reads'
    assert sorted(set(ours['tables']) - set(API_TABLES)) == TABLES
    assert sorted(ours['enums']) == ENUMS and set(ENUMS) <= set(platform['enums'])


@pytest.mark.parametrize('table', TABLES)
def test_table_is_the_platforms(ours: Dict[str, Any], platform: Dict[str, Any], table: str) -> None:
    """Every column: name, type class, length, timezone flag, nullability, key, uniqueness, defaults, foreign keys."""
    found = differences(ours['tables'][table], platform['tables'][table])
    assert found == [], f'{table} differs from the platform\'s:\n' + '\n'.join(found)


@pytest.mark.parametrize('enum', ENUMS)
def test_enum_is_the_platforms(ours: Dict[str, Any], platform: Dict[str, Any], enum: str) -> None:
    """Members, stored values, descriptions, and what binding and reading do."""
    found = differences(ours['enums'][enum], platform['enums'][enum])
    assert found == [], f'{enum} differs from the platform\'s:\n' + '\n'.join(found)


def test_the_comparison_sees_a_difference(ours: Dict[str, Any]) -> None:
    """The comparison is not vacuous: a changed flag, a missing column, a changed member are reported."""
    changed = json.loads(json.dumps(ours))
    changed['tables']['test_result']['columns']['exit_code']['nullable'] = False
    del changed['tables']['user']['columns']['password']
    changed['enums']['TestType']['members'][1][1] = 'pull_request'
    assert differences(changed['tables']['test_result'], ours['tables']['test_result']) == [
        'columns.exit_code.nullable: slice False, platform True']
    assert differences(changed['tables']['user'], ours['tables']['user']) == [
        'columns.password: only in the platform']
    assert differences(changed['enums']['TestType'], ours['enums']['TestType']) == [
        "members: slice [['commit', 'commit', 'Commit'], ['pull_request', 'pull_request', 'Pull Request']], "
        "platform [['commit', 'commit', 'Commit'], ['pull_request', 'pr', 'Pull Request']]"]


# On this side alone: the behaviour the comparison is for.

@pytest.fixture
def session() -> Iterator[Session]:
    """A session on an in-memory SQLite database holding every table."""
    engine = sa.create_engine('sqlite://')
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def add_run(session: Session, **fields: Any) -> Test:
    values = {'platform': TestPlatform.linux, 'test_type': TestType.commit, 'branch': 'master', 'commit': 'c0ffee',
              **fields}
    run = Test(**values)
    session.add(run)
    session.flush()
    return run


def test_members_are_symbols_with_name_value_and_description() -> None:
    assert isinstance(TestType.pull_request, EnumSymbol)
    assert (TestType.pull_request.name, TestType.pull_request.value, TestType.pull_request.description) == (
        'pull_request', 'pr', 'Pull Request')
    assert [symbol.name for symbol in TestStatus] == ['preparation', 'testing', 'completed', 'canceled']
    assert sorted(OutputType.values()) == ['cea708', 'file', 'multiprogram', 'null', 'report', 'stdout', 'tcp']
    assert TestStatus.from_string('canceled') is TestStatus.canceled
    assert TestStatus.completed != 'completed'  # a member is not its value
    with pytest.raises(EnumParsingException):
        Role.from_string('Admin')


def test_a_class_is_built_from_its_pairs() -> None:
    class Colour(DeclEnum):
        red = 'r', 'Red'
        green = 'g', 'Green'
        _private = 'x', 'not a member'

    assert [tuple(symbol) for symbol in Colour] == [('r', 'Red'), ('g', 'Green')]
    assert Colour.from_string('g') is Colour.green
    column_type = Colour.db_type()
    assert isinstance(column_type, DeclEnumType) and column_type.enum is Colour
    assert isinstance(column_type.impl, sa.String) and column_type.impl.length == 50
    assert list(InputType) != list(Colour)  # each class has its own members


def test_binding_a_plain_string_fails_as_in_the_platform(session: Session) -> None:
    with pytest.raises(sa.exc.StatementError) as raised:
        add_run(session, platform='linux')
    assert isinstance(raised.value.orig, AttributeError)
    session.rollback()
    with pytest.raises(sa.exc.StatementError) as raised:
        session.execute(sa.select(Test.id).where(Test.platform == 'linux')).all()
    assert isinstance(raised.value.orig, AttributeError)
    session.rollback()
    # Compared as the stored string, or with the member, the same filter works.
    run = add_run(session)
    assert session.scalars(sa.select(Test.id).where(stored(Test.platform) == 'linux')).all() == [run.id]
    assert session.scalars(sa.select(Test.id).where(Test.platform == TestPlatform.linux)).all() == [run.id]


def test_stored_strings_come_back_as_members(session: Session) -> None:
    run = add_run(session, test_type=TestType.pull_request, pr_nr=7)
    session.execute(sa.update(Test).where(Test.id == run.id).values(platform=sa.literal(' windows ', sa.String(50))))
    session.commit()
    row = session.execute(sa.select(Test.platform, Test.test_type).where(Test.id == run.id)).one()
    assert (row.platform, row.test_type) == (TestPlatform.windows, TestType.pull_request)
    assert row.platform is TestPlatform.windows
    session.execute(sa.update(Test).where(Test.id == run.id).values(platform=sa.literal('mac', sa.String(50))))
    with pytest.raises(EnumParsingException):
        session.execute(sa.select(Test.platform).where(Test.id == run.id)).one()


def test_progress_times_are_kept_in_utc(session: Session) -> None:
    """Written aware (a naive time taken as UTC), stored as UTC, read naive by a query, aware by the model."""
    run = add_run(session)
    naive = datetime.datetime(2026, 11, 1, 12, 0, 0)
    row = TestProgress(test_id=run.id, status=TestStatus.testing, timestamp=naive, message='')
    assert row.timestamp == naive.replace(tzinfo=datetime.timezone.utc)
    now = TestProgress(test_id=run.id, status=TestStatus.completed, message='')
    assert now.timestamp.tzinfo is not None
    assert abs(datetime.datetime.now(datetime.timezone.utc) - now.timestamp) < datetime.timedelta(minutes=1)
    session.add_all([row, now])
    session.commit()
    row_id = row.id
    session.expunge_all()

    assert session.scalar(sa.select(TestProgress.timestamp).where(TestProgress.id == row_id)) == naive
    loaded = session.get(TestProgress, row_id)
    assert loaded is not None and loaded.timestamp == naive.replace(tzinfo=datetime.timezone.utc)
    assert not session.dirty  # marking the time as UTC changed nothing to write
