"""Load: requests per second, p50/p99 latency and errors per endpoint, on gunicorn + MariaDB + Redis.

The production stack on this machine: gunicorn with the repo's
``gunicorn.conf.py`` (2 gthread workers of 4 threads by default), a MariaDB
database of its own (created on the server ``--server`` names, seeded here
with one completed run of ``--tests`` regression tests and 30 more runs, and
dropped at the end), and Redis for the shared rate limit (keys under a prefix
of its own, deleted at the end; the quota is set high enough never to refuse).
Each endpoint is then asked by ``--concurrency`` clients, each on its own
keep-alive connection, for ``--seconds`` seconds or ``--max-requests``
requests, whichever comes first. Loopback only: every address must be on
127.0.0.0/8 (or ``localhost``). The clients run in this process, on the same
cores as the server: the numbers are of the whole machine.

    .venv/bin/python bench/load.py [--server mysql+pymysql://root@127.0.0.1] [--redis redis://127.0.0.1:6379/0]
                                   [--tests 1000] [--seconds 8] [--concurrency 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import ipaddress
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import redis
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# Imported once the repository's root is on the path; isort would move them above that line.
# isort: off
from database import Base  # noqa: E402
from mod_api.auth import RUNS_READ, issue_token  # noqa: E402
from mod_auth.models import Role, User  # noqa: E402
from mod_regression.models import (Category, InputType, OutputType, RegressionTest,  # noqa: E402
                                   RegressionTestOutput, RegressionTestOutputFiles, regressionTestLinkTable)
from mod_sample.models import Sample, Tag, sample_tag_association  # noqa: E402
from mod_test.models import (Fork, Test, TestPlatform, TestProgress, TestResult, TestResultFile,  # noqa: E402
                             TestStatus, TestType)
from run import create_app, db  # noqa: E402
# isort: on

SECRET = 'load-test-secret-that-is-long-enough-for-hs256'
T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)
BIG_RUN = 1


def sha(text: str) -> str:
    """Return a stand-in sha256 for ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def loopback(host: Optional[str]) -> bool:
    """Whether ``host`` is this machine's loopback (the only place this script sends anything)."""
    if host in ('localhost', None, ''):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def seed(connection: sa.Connection, size: int) -> None:
    """Insert the completed run 1 of ``size`` regression tests (2 outputs each, every finished status) and 30 more."""
    connection.execute(sa.insert(User), [{'id': 1, 'name': 'load', 'email': 'load@example.org', 'role': Role.admin}])
    connection.execute(sa.insert(Fork), [{'id': 1, 'github': 'https://github.com/CCExtractor/ccextractor.git'}])
    connection.execute(sa.insert(Sample), [{'id': i, 'sha': sha(f'sample {i}'), 'extension': 'ts',
                                            'original_name': f'{i}.ts'} for i in range(1, 51)])
    connection.execute(sa.insert(Tag), [{'id': i, 'name': f'tag {i}', 'description': ''} for i in (1, 2, 3)])
    connection.execute(sa.insert(sample_tag_association), [{'sample_id': i, 'tag_id': 1 + i % 3}
                                                           for i in range(1, 51)])
    connection.execute(sa.insert(Category), [{'id': i, 'name': f'category {i}', 'description': ''} for i in (1, 2)])
    connection.execute(sa.insert(Test), [
        {'id': run, 'platform': TestPlatform.linux if run % 2 else TestPlatform.windows,
         'test_type': TestType.commit, 'token': sha(f'token {run}'), 'fork_id': 1, 'branch': 'master',
         'commit': sha(f'commit {run}')[:40], 'pr_nr': 0} for run in range(1, 32)])
    steps = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
    connection.execute(sa.insert(TestProgress), [
        {'test_id': run, 'status': status, 'timestamp': T0 + datetime.timedelta(minutes=index), 'message': ''}
        for run in range(1, 32) for index, status in enumerate(steps)])
    tests: List[Dict[str, Any]] = []
    outputs: List[Dict[str, Any]] = []
    variants: List[Dict[str, Any]] = []
    results: List[Dict[str, Any]] = []
    files: List[Dict[str, Any]] = []
    links: List[Dict[str, Any]] = []
    for test_id in range(1, size + 1):
        kind = test_id % 10  # 0-5 pass, 6 crash, 7 differs, 8 no output, 9 pass through a variant
        links.append({'regression_id': test_id, 'category_id': 1 + test_id % 2})
        tests.append({'id': test_id, 'sample_id': 1 + test_id % 50, 'command': '-autoprogram -out=srt',
                      'input_type': InputType.file, 'output_type': OutputType.file, 'expected_rc': 0,
                      'active': True, 'description': ''})
        results.append({'test_id': BIG_RUN, 'regression_test_id': test_id, 'runtime': 100 + test_id % 900,
                        'exit_code': 3 if kind == 6 else 0, 'expected_rc': 0})
        for index in (0, 1):
            output_id = 2 * test_id - 1 + index
            outputs.append({'id': output_id, 'regression_id': test_id, 'correct': sha(f'baseline {output_id}'),
                            'correct_extension': '.srt', 'expected_filename': f'{output_id}.srt', 'ignore': False})
            if kind == 9:
                variants.append({'regression_test_output_id': output_id, 'file_hashes': sha(f'variant {output_id}')})
            if kind != 8:
                got = {7: sha('different'), 9: sha(f'variant {output_id}')}.get(kind)
                files.append({'test_id': BIG_RUN, 'regression_test_id': test_id,
                              'regression_test_output_id': output_id, 'expected': sha(f'baseline {output_id}'),
                              'got': got})
    for table, rows in ((RegressionTest, tests), (RegressionTestOutput, outputs),
                        (RegressionTestOutputFiles, variants), (TestResult, results), (TestResultFile, files),
                        (regressionTestLinkTable, links)):
        if rows:
            connection.execute(sa.insert(table), rows)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
            connection.request('GET', '/')
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
    return False


def hammer(port: int, path: str, token: str, seconds: float, max_requests: int,
           concurrency: int) -> Tuple[List[float], int, int, float]:
    """Ask ``path`` from ``concurrency`` clients; return the latencies (s), the errors, the 429s and the time taken."""
    latencies: List[float] = []
    errors = [0]
    refused = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def client() -> None:
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        headers = {'Authorization': f'Bearer {token}'}
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            started = time.perf_counter()
            try:
                connection.request('GET', path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status == 429:
                    refused[0] += 1
                elif status not in (200, 304):
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], refused[0], time.monotonic() - began


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float('nan')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--server', default='mysql+pymysql://root@127.0.0.1',
                        help='MariaDB server where a database of its own is made (and dropped)')
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/0', help='Redis for the shared rate limit')
    parser.add_argument('--tests', type=int, default=1000, help='regression tests in the large run')
    parser.add_argument('--seconds', type=float, default=8, help='time per endpoint')
    parser.add_argument('--max-requests', type=int, default=20000, help='requests per endpoint at most')
    parser.add_argument('--concurrency', type=int, default=8, help='clients at once')
    parser.add_argument('--workers', type=int, default=2, help='gunicorn workers')
    parser.add_argument('--worker-class', default='gthread', help='gunicorn worker class')
    args = parser.parse_args()
    server, storage = sa.make_url(args.server), urlsplit(args.redis)
    if not loopback(server.host) or not loopback(storage.hostname):
        sys.exit('load.py: loopback only: --server and --redis must be on 127.0.0.0/8 or localhost')
    if not 1 <= args.concurrency <= 64 or not 0 < args.seconds <= 120 or not 1 <= args.tests <= 100000:
        sys.exit('load.py: --concurrency 1-64, --seconds up to 120, --tests 1-100000')

    name = f'mod_api_load_{uuid.uuid4().hex[:12]}'
    prefix = f'mod_api_load_{uuid.uuid4().hex[:12]}'
    admin = sa.create_engine(server.set(database=''), poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE DATABASE `{name}`'))
    uri = server.set(database=name).render_as_string(hide_password=False)
    folder = tempfile.mkdtemp(prefix='mod_api_load_')
    process: Optional[subprocess.Popen] = None
    try:
        engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            Base.metadata.create_all(connection)
            seed(connection, args.tests)
        engine.dispose()
        seeder = create_app({'DATABASE_URI': uri, 'API_JWT_SECRET': SECRET, 'API_LOG_HANDLER': False})
        with seeder.app_context():
            token, _ = issue_token(db.session(), db.session.get_one(User, 1), [RUNS_READ],
                                   datetime.timedelta(hours=2), label='load')
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

        environment = {key: value for key, value in os.environ.items()
                       if key != 'DATABASE_URI' and not key.startswith(('API_', 'GUNICORN'))}
        environment.update(DATABASE_URI=uri, API_JWT_SECRET=SECRET, API_RATELIMIT_STORAGE_URI=args.redis,
                           API_RATELIMIT_KEY_PREFIX=prefix, API_RATELIMIT_READS='10000000 per minute',
                           API_RATELIMIT_UNAUTHENTICATED='10000000 per minute')
        port = free_port()
        log = os.path.join(folder, 'gunicorn.log')
        process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), 'gunicorn'), '-c', os.path.join(ROOT, 'gunicorn.conf.py'),
             '--chdir', ROOT, '--bind', f'127.0.0.1:{port}', '--workers', str(args.workers),
             '--worker-class', args.worker_class, '--access-logfile', os.devnull, '--capture-output',
             '--log-file', log],
            env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for(port, process, 60):
            sys.exit(f'load.py: gunicorn did not start; its log: {log}')

        endpoints = [
            ('summary', f'/api/v1/runs/{BIG_RUN}/summary'),
            ('regression result', f'/api/v1/runs/{BIG_RUN}/samples/7'),
            ('results, page of 100', f'/api/v1/runs/{BIG_RUN}/samples?limit=100'),
            ('failed results', f'/api/v1/runs/{BIG_RUN}/samples?status=fail&limit=100'),
            ('runs list', '/api/v1/runs?limit=20'),
            ('run detail', f'/api/v1/runs/{BIG_RUN}'),
            ('openapi.json', '/api/v1/openapi.json'),
        ]
        print(f'gunicorn {args.workers} x {args.worker_class} (gunicorn.conf.py), MariaDB {name} '
              f'(run of {args.tests} tests), Redis {storage.hostname}:{storage.port}; {args.concurrency} clients, '
              f'{args.seconds:g} s per endpoint')
        print(f'{"endpoint":24} {"requests":>9} {"req/s":>8} {"p50 ms":>8} {"p99 ms":>8} {"errors":>7} {"429":>5}')
        for label, path in endpoints:
            hammer(port, path, token, 1, 50, args.concurrency)  # warm each worker's caches and connections
            latencies, errors, refused, took = hammer(port, path, token, args.seconds, args.max_requests,
                                                      args.concurrency)
            print(f'{label:24} {len(latencies):9d} {len(latencies) / took:8.1f} '
                  f'{statistics.median(latencies) * 1000:8.1f} {percentile(latencies, 0.99) * 1000:8.1f} '
                  f'{errors:7d} {refused:5d}')
        with open(log, errors='replace') as text:
            failures = [line for line in text if 'mod_api.requests' in line or 'Traceback' in line]
        print(f'server log: {len(failures)} failure lines')
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS `{name}`'))
        admin.dispose()
        client = redis.Redis.from_url(args.redis, socket_timeout=2, socket_connect_timeout=2)
        try:
            keys = list(client.scan_iter(match=f'*{prefix}*', count=1000))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass
        finally:
            client.close()


if __name__ == '__main__':
    main()
