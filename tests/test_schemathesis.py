"""Schemathesis against the API served by gunicorn, driven by the API's own ``/api/v1/openapi.json``.

Every phase (examples, coverage, fuzzing, and the stateful phase, which follows
the document's links from the run list to a run, its summary, its results and
one result) with every check, a valid token, on the demo's runs: zero
failures. Bounded: a fixed seed, a fixed number of examples per operation, and
a timeout on the whole run.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import demo
from mod_api.auth import RUNS_READ, issue_token
from mod_auth.models import User
from run import create_app, db
from tests.conftest import (TEST_SECRET, _create_tables, app_config, free_port,
                            fresh_database, is_mariadb, stop, wait_until)
from tests.test_serving import _answers

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_EXAMPLES = 25
RUN_TIMEOUT = 240


@pytest.fixture(scope='module')
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the demo's runs: on the server TEST_DATABASE_URI names (MariaDB), else SQLite."""
    named = os.environ.get('TEST_DATABASE_URI', '')
    if is_mariadb(named):
        with fresh_database(named, 'schemathesis_') as uri:
            yield uri
    else:
        yield f'sqlite:///{tmp_path_factory.mktemp("schemathesis_db") / "demo.sqlite"}'


@pytest.fixture(scope='module')
def served_demo(tmp_path_factory: pytest.TempPathFactory, demo_database: str) -> Iterator[Tuple[int, str, Path]]:
    """gunicorn (the repo's settings) on the demo's runs; its port, a token and its log."""
    folder = tmp_path_factory.mktemp('schemathesis')
    uri = demo_database
    _create_tables(uri)
    seeder = create_app(app_config(uri))
    with seeder.app_context():
        ids = demo.seed(db.session())
        token, _ = issue_token(db.session(), db.session.get_one(User, ids['account']), [RUNS_READ],
                               datetime.timedelta(days=1), label='schemathesis')
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    environment = {name: value for name, value in os.environ.items()
                   if name != 'DATABASE_URI' and not name.startswith(('API_', 'GUNICORN'))}
    environment.update(DATABASE_URI=uri, API_JWT_SECRET=TEST_SECRET, API_RATELIMIT_READS='100000 per minute',
                       API_RATELIMIT_UNAUTHENTICATED='100000 per minute',
                       API_RATELIMIT_KEY_PREFIX=f'mod_api_st_{uuid.uuid4().hex}')
    port = free_port()
    log = folder / 'gunicorn.log'
    process = subprocess.Popen(
        [str(BIN / 'gunicorn'), '-c', str(ROOT / 'gunicorn.conf.py'), '--chdir', str(ROOT),
         '--bind', f'127.0.0.1:{port}', '--workers', '2', '--capture-output', '--log-file', str(log),
         '--access-logfile', os.devnull],
        env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        up = wait_until(lambda: process.poll() is not None or _answers(port), timeout=30, step=0.2)
        assert up and process.poll() is None, f'gunicorn did not start:\n{log.read_text()[-3000:]}'
        yield port, token, log
    finally:
        stop(process, timeout=30)


def test_zero_failures_in_every_phase_with_every_check(served_demo, tmp_path):
    port, token, log = served_demo
    command = [
        str(BIN / 'schemathesis'), 'run', f'http://127.0.0.1:{port}/api/v1/openapi.json',
        '--checks', 'all', '--phases', 'examples,coverage,fuzzing,stateful',
        '--header', f'Authorization: Bearer {token}',
        '--max-examples', str(MAX_EXAMPLES), '--seed', '20261201', '--generation-database', 'none',
        '--workers', '2', '--request-timeout', '10', '--no-color', '--report', 'junit',
        '--report-dir', str(tmp_path / 'report')]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tmp_path,
                              env={**os.environ, 'SCHEMATHESIS_HOOKS': ''})
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-12000:]
    assert 'No issues found' in output, output[-6000:]
    for phase in ('Coverage', 'Fuzzing', 'Stateful'):
        assert f'✅ {phase}' in output, output[-3000:]
    assert 'Traceback' not in log.read_text(), log.read_text()[-5000:]
