"""Benchmark: statements, latency and memory per request for runs of 100, 1,000 and 10,000 regression tests.

Each size gets a fresh database (SQLite by default; ``--database-uri`` for
MariaDB, whose tables are dropped and recreated) holding one completed run:
every regression test has 2 outputs, a tenth of them accepted variants, and
the results mix every status of a finished run. For each size and endpoint
it prints the statements one request issues, the median and 95th percentile
latency over ``--requests`` requests through the Flask test client, and the
peak Python memory of one request. It asserts nothing: tests do that.

    .venv/bin/python bench/bench.py [--sizes 100 1000 10000] [--requests 50] [--database-uri URI]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Dict, List

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Imported once the repository's root is on the path; isort would move them above that line.
# isort: off
from database import Base  # noqa: E402
from mod_api.auth import RUNS_READ, issue_token  # noqa: E402
from mod_auth.models import Role, User  # noqa: E402
from mod_regression.models import Category, InputType, OutputType, RegressionTest, RegressionTestOutput  # noqa: E402
from mod_regression.models import RegressionTestOutputFiles, regressionTestLinkTable  # noqa: E402
from mod_sample.models import Sample, Tag, sample_tag_association  # noqa: E402
from mod_test.models import Fork, Test, TestProgress, TestResult, TestResultFile  # noqa: E402
from mod_test.models import TestPlatform, TestStatus, TestType  # noqa: E402
from run import create_app, db  # noqa: E402
# isort: on

SECRET = 'benchmark-secret-that-is-long-enough-for-hs256'
T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)


def sha(text: str) -> str:
    """Return a stand-in sha256 for ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def seed(connection: sa.Connection, size: int) -> None:
    """Insert one completed run (id 1) of ``size`` regression tests, in bulk."""
    connection.execute(sa.insert(User), [{'id': 1, 'name': 'bench', 'email': 'bench@example.org', 'password': '',
                                          'role': Role.admin}])
    connection.execute(sa.insert(Fork), [{'id': 1, 'github': 'https://github.com/CCExtractor/ccextractor.git'}])
    connection.execute(sa.insert(Test), [{'id': 1, 'platform': TestPlatform.linux, 'test_type': TestType.commit,
                                          'token': sha('t'), 'fork_id': 1, 'branch': 'master',
                                          'commit': sha('c')[:40], 'pr_nr': 0}])
    connection.execute(sa.insert(TestProgress), [
        {'test_id': 1, 'status': status, 'timestamp': T0 + datetime.timedelta(minutes=index), 'message': status.value}
        for index, status in enumerate((TestStatus.preparation, TestStatus.testing, TestStatus.completed))])
    connection.execute(sa.insert(Category), [{'id': i, 'name': f'category {i}', 'description': ''} for i in (1, 2, 3)])
    connection.execute(sa.insert(Tag), [{'id': i, 'name': f'tag {i}', 'description': ''} for i in (1, 2, 3, 4)])
    samples = max(1, size // 2)
    connection.execute(sa.insert(Sample), [{'id': i, 'sha': sha(f's{i}'), 'extension': 'ts', 'original_name': f'{i}.ts'}
                                           for i in range(1, samples + 1)])
    connection.execute(sa.insert(sample_tag_association), [{'sample_id': i, 'tag_id': 1 + i % 4}
                                                           for i in range(1, samples + 1)])
    tests: List[Dict[str, Any]] = []
    outputs: List[Dict[str, Any]] = []
    variants: List[Dict[str, Any]] = []
    results: List[Dict[str, Any]] = []
    files: List[Dict[str, Any]] = []
    links: List[Dict[str, Any]] = []
    for test_id in range(1, size + 1):
        kind = test_id % 10  # 0-4 pass, 5 crash, 6 differs, 7 no output, 8 one output missing, 9 pass via variant
        tests.append({'id': test_id, 'sample_id': 1 + test_id % samples, 'command': '-autoprogram -out=srt',
                      'input_type': InputType.file, 'output_type': OutputType.file, 'expected_rc': 0, 'active': True,
                      'description': ''})
        links.append({'regression_id': test_id, 'category_id': 1 + test_id % 3})
        results.append({'test_id': 1, 'regression_test_id': test_id, 'runtime': 100 + test_id % 900,
                        'exit_code': 11 if kind == 5 else 0, 'expected_rc': 0})
        for index in (0, 1):
            output_id = 2 * test_id - 1 + index
            correct = sha(f'baseline {output_id}')
            outputs.append({'id': output_id, 'regression_id': test_id, 'correct': correct,
                            'correct_extension': '.srt', 'expected_filename': 'out.srt', 'ignore': False})
            if kind == 9:
                variants.append({'regression_test_output_id': output_id, 'file_hashes': sha(f'variant {output_id}')})
            if kind == 7 or (kind == 8 and index == 1):
                continue
            got = {6: sha(f'other {output_id}'), 9: sha(f'variant {output_id}')}.get(kind)
            files.append({'test_id': 1, 'regression_test_id': test_id, 'regression_test_output_id': output_id,
                          'expected': correct, 'got': got})
    for table, rows in ((RegressionTest, tests), (regressionTestLinkTable, links),
                        (RegressionTestOutput, outputs), (RegressionTestOutputFiles, variants),
                        (TestResult, results), (TestResultFile, files)):
        for start in range(0, len(rows), 5000):
            connection.execute(sa.insert(table), rows[start:start + 5000])


def measure(client: Any, engine: sa.Engine, path: str, token: str, requests: int) -> Dict[str, float]:
    """Time ``requests`` GETs of ``path``; count the statements and peak memory of one."""
    headers = {'Authorization': f'Bearer {token}'}
    seen: List[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    client.get(path, headers=headers)  # warm up (pool, caches, the token's "last used" write)
    sa.event.listen(engine, 'before_cursor_execute', count)
    response = client.get(path, headers=headers)
    sa.event.remove(engine, 'before_cursor_execute', count)
    assert response.status_code == 200, response.get_data(as_text=True)
    tracemalloc.start()
    client.get(path, headers=headers)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {'statements': len(seen), 'median': statistics.median(timings),
            'p95': timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)], 'peak_mib': peak / 2 ** 20}


def main() -> None:
    """Run the benchmark and print one line per size and endpoint."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100, 1000, 10000])
    parser.add_argument('--requests', type=int, default=50)
    parser.add_argument('--database-uri', default=None, help='default: a fresh SQLite file per size')
    args = parser.parse_args()
    print(f'{"tests":>6}  {"endpoint":<26}  {"statements":>10}  {"median ms":>9}  {"p95 ms":>8}  {"peak MiB":>8}')
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            uri = args.database_uri or f'sqlite:///{folder}/bench{size}.sqlite'
            app = create_app({'DATABASE_URI': uri, 'API_JWT_SECRET': SECRET,
                              'API_RATELIMIT_ENABLED': False, 'API_RATELIMIT_READS': '100000 per minute'})
            with app.app_context():
                engine = db.engine
                with engine.begin() as connection:
                    Base.metadata.drop_all(connection)
                    Base.metadata.create_all(connection)
                    seed(connection, size)
                token, _ = issue_token(db.session(), db.session.get_one(User, 1), [RUNS_READ],
                                       datetime.timedelta(days=1))
                db.session.commit()
                db.session.remove()
            client = app.test_client()
            for name, path in (('summary', '/api/v1/runs/1/summary'),
                               ('regression result', f'/api/v1/runs/1/samples/{size // 2 + 6}'),
                               ('results, page of 100', '/api/v1/runs/1/samples?limit=100'),
                               ('failed results, page 100', '/api/v1/runs/1/samples?status=fail&limit=100'),
                               ('runs list', '/api/v1/runs')):
                numbers = measure(client, engine, path, token, args.requests)
                print(f'{size:>6}  {name:<26}  {numbers["statements"]:>10}  {numbers["median"]:>9.1f}  '
                      f'{numbers["p95"]:>8.1f}  {numbers["peak_mib"]:>8.1f}', flush=True)
            if args.database_uri:
                with engine.begin() as connection:
                    Base.metadata.drop_all(connection)
            engine.dispose()


if __name__ == '__main__':
    main()
