"""``install_into_platform.py``: what it changes in a copy of the real platform, and what it refuses.

Each test installs into a fresh copy of ``../shared/sample-platform`` (the
platform as published); the whole drop-in (lint, migrations on MariaDB, the
platform's own test suite) is proved by ``.ci/platform``.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import install_into_platform as installer

SHARED_PLATFORM = Path(__file__).resolve().parents[1].parent / 'shared' / 'sample-platform'
OUR_MIGRATION = installer.MIGRATION.name


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A writable copy of the real platform."""
    if not SHARED_PLATFORM.is_dir():
        pytest.fail(f'the platform\'s source is missing at {SHARED_PLATFORM}')
    copy = tmp_path / 'sample-platform'
    shutil.copytree(SHARED_PLATFORM, copy)
    for path in [copy, *copy.rglob('*')]:
        path.chmod(path.stat().st_mode | 0o200)
    return copy


def run_installer(*args: str) -> subprocess.CompletedProcess:
    """Run the installer as a maintainer would: a separate python3, the standard library only."""
    return subprocess.run([sys.executable, '-S', '-I', str(installer.HERE / 'install_into_platform.py'), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def changed(output: str) -> List[str]:
    return [line for line in output.splitlines() if line.startswith('changed ')]


def test_it_replaces_the_platforms_api_and_says_what_it_changed(platform: Path) -> None:
    assert (platform / 'mod_api' / 'middleware').is_dir()
    done = run_installer(str(platform))
    assert done.returncode == 0, done.stderr
    lines = changed(done.stdout)
    assert [line.split(':')[0] for line in lines] == [
        'changed mod_api/', 'changed tests/api/', 'changed scripts/verify_schemathesis.py',
        'changed openapi-ci-api.yaml', f'changed migrations/versions/{OUR_MIGRATION}', 'changed requirements.txt']
    ours = installer.HERE / 'mod_api'
    # Every file of the package, not only its modules: the docs page's script and the document's examples too.
    files = installer._package_files(ours)
    assert {Path('docs.js'), Path('openapi_examples.json')} <= set(files)
    assert sorted(p.relative_to(platform / 'mod_api') for p in (platform / 'mod_api').rglob('*')) == files
    assert all(filecmp.cmp(ours / name, platform / 'mod_api' / name, shallow=False) for name in files)
    for gone in ('tests/api', 'scripts/verify_schemathesis.py', 'openapi-ci-api.yaml'):
        assert not (platform / gone).exists(), gone
    assert (platform / 'tests' / 'test_test').is_dir()  # the platform's other tests stay
    assert done.stderr == ''


def test_a_second_run_changes_nothing(platform: Path) -> None:
    assert run_installer(str(platform)).returncode == 0
    before = {p: p.read_bytes() for p in platform.rglob('*') if p.is_file()}
    again = run_installer(str(platform))
    assert again.returncode == 0, again.stderr
    assert changed(again.stdout) == []
    assert 'nothing changed' in again.stdout
    assert {p: p.read_bytes() for p in platform.rglob('*') if p.is_file()} == before


def test_the_platform_keeps_one_alembic_head(platform: Path) -> None:
    versions = platform / 'migrations' / 'versions'
    assert installer.platform_heads(versions) == ['d4f8e2a1b3c7']
    assert run_installer(str(platform)).returncode == 0
    graph = installer._revisions(versions, skip='')
    parents = {parent for values in graph.values() for parent in values}
    assert [revision for revision in graph if revision not in parents] == ['a1e5c0de7001']
    assert graph['a1e5c0de7001'] == ('d4f8e2a1b3c7',)
    text = (versions / OUR_MIGRATION).read_text()
    assert "down_revision = 'd4f8e2a1b3c7'" in text and 'Revises: d4f8e2a1b3c7' in text


def test_two_platform_heads_are_merged_by_our_revision(platform: Path) -> None:
    versions = platform / 'migrations' / 'versions'
    (versions / 'f00dfeed0001_.py').write_text("revision = 'f00dfeed0001'\ndown_revision = 'c8f3a2b1d4e5'\n")
    assert installer.platform_heads(versions) == ['d4f8e2a1b3c7', 'f00dfeed0001']
    assert run_installer(str(platform)).returncode == 0
    assert "down_revision = ('d4f8e2a1b3c7', 'f00dfeed0001')" in (versions / OUR_MIGRATION).read_text()


def test_requirements_keep_the_platforms_pins_and_add_ours_once(platform: Path) -> None:
    theirs = (platform / 'requirements.txt').read_text().splitlines()
    assert run_installer(str(platform)).returncode == 0
    after = (platform / 'requirements.txt').read_text().splitlines()
    assert after[:len(theirs)] == theirs  # every line of the platform's stays as it was
    added = after[len(theirs):]
    assert added[0] == installer.REQUIREMENTS_HEADER
    names = [installer._requirement_name(line) for line in after if installer._requirement_name(line)]
    assert len(names) == len(set(names)), 'a package is named twice'
    ours = {installer._requirement_name(line): line for line in installer.our_requirements()}
    for name, line in ours.items():
        listed = [entry for entry in after if installer._requirement_name(entry) == name]
        assert len(listed) == 1, name
        if listed[0] not in added:  # the platform names it already: its line wins
            assert listed[0] in theirs
    assert {installer._requirement_name(line) for line in added[1:]} == {
        'pyjwt', 'flask-limiter', 'limits', 'redis', 'apispec', 'flask-cors', 'orjson', 'flask-swagger-ui'}
    assert 'werkzeug==3.1.8' in [line.lower() for line in after]
    assert not any(line.lower().startswith(('flask-sqlalchemy', 'gunicorn')) for line in added), \
        'the standalone host\'s packages stay out of the platform'


def test_no_file_of_ours_is_one_the_platform_ignores(platform: Path) -> None:
    assert not list((installer.HERE / 'mod_api').rglob('config.py'))
    if shutil.which('git') is None:
        pytest.skip('git is not installed')
    subprocess.run(['git', 'init', '-q', str(platform)], check=True)
    done = run_installer(str(platform))
    assert done.returncode == 0, done.stderr
    assert installer.ignored_by_git(platform) == []


def test_it_says_which_files_still_import_the_replaced_api(platform: Path) -> None:
    (platform / 'scripts' / 'old_tool.py').write_text('from mod_api.services.storage import thing\n')
    done = run_installer(str(platform))
    assert done.returncode == 1
    assert 'scripts/old_tool.py:1 imports mod_api.services.storage' in done.stderr


@pytest.mark.parametrize('make', ['missing', 'empty', 'this repository', 'a file'])
def test_it_refuses_what_is_not_a_platform_checkout(tmp_path: Path, make: str) -> None:
    target = {'missing': tmp_path / 'nowhere', 'empty': tmp_path, 'this repository': installer.HERE,
              'a file': tmp_path / 'file.txt'}[make]
    if make == 'a file':
        target.write_text('x')
    before = sorted(tmp_path.rglob('*'))
    done = run_installer(str(target))
    assert done.returncode == 2
    assert done.stdout == ''
    [line] = done.stderr.splitlines()
    assert line.startswith('install_into_platform: refused: ')
    assert sorted(tmp_path.rglob('*')) == before
