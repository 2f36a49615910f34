#!/usr/bin/env python3
"""Install mod_api into a checkout of CCExtractor's sample-platform: ``python3 install_into_platform.py DIR``.

What it changes in DIR, and prints, file by file:

- ``mod_api/``: the platform's own API package is replaced by this one (the
  two cannot be merged: the platform's subpackages would shadow our modules);
- what only the replaced API used goes with it: its tests (``tests/api/``),
  the script that fuzzed it and the OpenAPI document it read;
- ``migrations/versions/``: the API's migration, placed on the platform's
  current head, so that the platform keeps a single alembic head and its
  plain ``flask db upgrade`` applies it;
- ``requirements.txt``: the API's runtime requirements that the platform
  does not list yet, at our pins; every package the platform already names
  keeps the platform's line.

Nothing is committed: the maintainer reviews ``git diff``, commits, and
deploys the platform's usual way. A second run changes nothing. Standard
library only, so that it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

HERE = Path(__file__).resolve().parent
PACKAGE = 'mod_api'
MIGRATION = HERE / 'migrations' / 'versions' / 'a1e5c0de7001_mod_api_access_tokens.py'
REQUIREMENTS = HERE / 'requirements.txt'
REQUIREMENTS_START, REQUIREMENTS_END = '# == mod_api ==', '# == end of mod_api =='
REQUIREMENTS_HEADER = '# mod_api, the results API (added by install_into_platform.py)'

#: Files of the platform that only its replaced API used, removed with it.
OLD_API_COMPANIONS = ('tests/api', 'scripts/verify_schemathesis.py', 'openapi-ci-api.yaml')

#: What a sample-platform checkout has, to refuse any other folder.
PLATFORM_MARKERS = ('run.py', 'database.py', 'mod_test/models.py', 'mod_regression/models.py',
                    'mod_ci', 'migrations/versions')

_IGNORED_NAMES = ('__pycache__', '.mypy_cache', '.pytest_cache')
_REQUIREMENT_NAME = re.compile(r'^\s*([A-Za-z0-9][A-Za-z0-9._-]*)')


class Refused(Exception):
    """The folder cannot take the install; the message says why, in one line."""


def _normalized(name: str) -> str:
    """Name a distribution as pip compares names (PEP 503)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def _package_files(root: Path) -> List[Path]:
    """Every file of a package folder, relative to it, without caches."""
    return sorted(path.relative_to(root) for path in root.rglob('*')
                  if path.is_file() and not any(part in _IGNORED_NAMES for part in path.parts))


def _same_package(ours: Path, theirs: Path) -> bool:
    """Whether ``theirs`` already holds exactly our package's files."""
    if not theirs.is_dir() or _package_files(ours) != _package_files(theirs):
        return False
    return all(filecmp.cmp(ours / name, theirs / name, shallow=False) for name in _package_files(ours))


def check_platform(platform: Path) -> None:
    """Refuse, in one line, a folder that is not a sample-platform checkout."""
    if not platform.is_dir():
        raise Refused(f'{platform} is not a folder')
    missing = [marker for marker in PLATFORM_MARKERS if not (platform / marker).exists()]
    if missing:
        raise Refused(f'{platform} is not a sample-platform checkout (no {", ".join(missing)})')
    if platform.resolve() == HERE:
        raise Refused(f'{platform} is this repository, not a sample-platform checkout')


def install_package(platform: Path) -> List[str]:
    """Replace the platform's ``mod_api`` by ours; return what changed."""
    ours, theirs = HERE / PACKAGE, platform / PACKAGE
    if _same_package(ours, theirs):
        return []
    existed = theirs.exists()
    if existed:
        shutil.rmtree(theirs)
    shutil.copytree(ours, theirs, ignore=shutil.ignore_patterns(*_IGNORED_NAMES))
    verb = 'replaced (the platform\'s own API package removed)' if existed else 'added'
    return [f'{PACKAGE}/: {verb}']


def remove_companions(platform: Path) -> List[str]:
    """Remove what only the platform's replaced API used; return what was removed."""
    removed = []
    for name in OLD_API_COMPANIONS:
        path = platform / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(f'{name}{"/" if name.endswith("api") else ""}: removed (it belonged to the replaced API)')
    return removed


def _our_modules() -> Set[str]:
    """List the importable names inside our package (``mod_api.auth``, ...)."""
    modules = {PACKAGE}
    for name in _package_files(HERE / PACKAGE):
        if name.suffix == '.py':
            parts = (PACKAGE, *name.with_suffix('').parts)
            modules.add('.'.join(parts[:-1] if parts[-1] == '__init__' else parts))
    return modules


def dangling_imports(platform: Path) -> List[str]:
    """Files of the platform that import a part of ``mod_api`` that ours does not have."""
    known = _our_modules()
    found = []
    for path in sorted(platform.rglob('*.py')):
        relative = path.relative_to(platform)
        if relative.parts[0] in (PACKAGE, 'venv', '.venv') or any(p in _IGNORED_NAMES for p in relative.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding='utf-8', errors='replace'))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names: Iterable[str] = ()
            line = getattr(node, 'lineno', 0)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if (name == PACKAGE or name.startswith(PACKAGE + '.')) and name not in known:
                    found.append(f'{relative}:{line} imports {name}')
    return found


def _revisions(versions: Path, skip: str) -> Dict[str, Tuple[str, ...]]:
    """Map each alembic revision in ``versions`` to its parents (``skip``: a file name left out)."""
    graph: Dict[str, Tuple[str, ...]] = {}
    for path in sorted(versions.glob('*.py')):
        if path.name == skip:
            continue
        values: Dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding='utf-8')).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in ('revision', 'down_revision') \
                            and node.value is not None:
                        values[target.id] = ast.literal_eval(node.value)
        revision = values.get('revision')
        if not isinstance(revision, str):
            continue
        parent = values.get('down_revision')
        if parent is None:
            graph[revision] = ()
        elif isinstance(parent, str):
            graph[revision] = (parent,)
        elif isinstance(parent, (tuple, list)):
            graph[revision] = tuple(str(p) for p in parent)
    return graph


def platform_heads(versions: Path) -> List[str]:
    """Return the heads of the platform's own chain (our revision left out)."""
    graph = _revisions(versions, skip=MIGRATION.name)
    parents = {parent for values in graph.values() for parent in values}
    return sorted(revision for revision in graph if revision not in parents)


def placed_migration(heads: Sequence[str]) -> str:
    """Our migration's text with its parent set to the platform's head(s)."""
    text = MIGRATION.read_text(encoding='utf-8')
    parent = repr(heads[0]) if len(heads) == 1 else repr(tuple(heads)) if heads else 'None'
    placed, count = re.subn(r'^down_revision = None$', f'down_revision = {parent}', text, flags=re.M)
    if count != 1:
        raise Refused(f'{MIGRATION.name} has no line "down_revision = None" to place it')
    return placed.replace('Revises:\n', f'Revises: {", ".join(heads)}\n', 1)


def install_migration(platform: Path) -> List[str]:
    """Put our migration on top of the platform's head; return what changed."""
    versions = platform / 'migrations' / 'versions'
    target = versions / MIGRATION.name
    heads = platform_heads(versions)
    text = placed_migration(heads)
    if target.exists() and target.read_text(encoding='utf-8') == text:
        return []
    existed = target.exists()
    target.write_text(text, encoding='utf-8')
    on = ', '.join(heads) or 'nothing (the first revision)'
    return [f'migrations/versions/{MIGRATION.name}: {"updated" if existed else "added"}, on top of {on}']


def our_requirements() -> List[str]:
    """Return the requirement lines between the mod_api markers of our requirements.txt."""
    lines = REQUIREMENTS.read_text(encoding='utf-8').splitlines()
    try:
        start, end = lines.index(REQUIREMENTS_START), lines.index(REQUIREMENTS_END)
    except ValueError:
        raise Refused(f'{REQUIREMENTS} lacks the "{REQUIREMENTS_START}" section') from None
    return [line.strip() for line in lines[start + 1:end] if line.strip() and not line.lstrip().startswith('#')]


def _requirement_name(line: str) -> Optional[str]:
    """Return the normalized distribution a requirement line names (None for comments and options)."""
    match = _REQUIREMENT_NAME.match(line.split('#', 1)[0])
    if match is None or line.lstrip().startswith('-'):
        return None
    return _normalized(match.group(1))


def install_requirements(platform: Path) -> List[str]:
    """Add the requirements the platform lacks to its requirements.txt; return what changed."""
    path = platform / 'requirements.txt'
    text = path.read_text(encoding='utf-8') if path.exists() else ''
    listed = {_requirement_name(line) for line in text.splitlines()}
    missing = [line for line in our_requirements() if _requirement_name(line) not in listed]
    if not missing:
        return []
    block = '\n'.join([REQUIREMENTS_HEADER, *missing]) + '\n'
    if text and not text.endswith('\n'):
        text += '\n'
    path.write_text(text + block, encoding='utf-8')
    return [f'requirements.txt: added {", ".join(missing)}']


def ignored_by_git(platform: Path) -> List[str]:
    """Files of our package that the platform's .gitignore would keep out of a commit (needs git)."""
    git = shutil.which('git')
    if git is None or not (platform / '.git').exists():
        return []
    files = [str(Path(PACKAGE) / name) for name in _package_files(HERE / PACKAGE)]
    files.append(str(Path('migrations') / 'versions' / MIGRATION.name))
    done = subprocess.run([git, '-C', str(platform), 'check-ignore', '--no-index', '--stdin'],
                          input='\n'.join(files), capture_output=True, text=True, check=False)
    return [line for line in done.stdout.splitlines() if line]


def install(platform: Path) -> List[str]:
    """Install mod_api into ``platform``; return one line per changed file."""
    check_platform(platform)
    changes = install_package(platform)
    changes += remove_companions(platform)
    changes += install_migration(platform)
    changes += install_requirements(platform)
    return changes


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the install from the command line; 0 when done, 1 when it needs attention, 2 when refused."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('platform', type=Path, help='the sample-platform checkout to install into')
    options = parser.parse_args(argv)
    platform: Path = options.platform
    try:
        changes = install(platform)
    except Refused as refusal:
        print(f'install_into_platform: refused: {refusal}', file=sys.stderr)
        return 2
    for line in changes:
        print(f'changed {line}')
    if not changes:
        print(f'{platform}: mod_api is installed already; nothing changed.')
    trouble = [f'still imports the replaced API: {line}' for line in dangling_imports(platform)]
    trouble += [f'the platform\'s .gitignore keeps this file out of commits: {line}'
                for line in ignored_by_git(platform)]
    for line in trouble:
        print(f'install_into_platform: {line}', file=sys.stderr)
    if trouble:
        return 1
    if changes:
        print(f'Next: review "git -C {platform} status" and "git diff", set API_JWT_SECRET in the platform\'s '
              'config.py, commit, deploy as usual (deploy.sh runs pip install -r requirements.txt and '
              'flask db upgrade).')
    return 0


if __name__ == '__main__':
    sys.exit(main())
