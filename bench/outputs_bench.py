"""Benchmark of the outputs endpoints: a 10,000-line subtitle diff, and downloads of 1 MB and 100 MB files.

In a temporary folder (deleted at the end): a SQLite database with one
completed run, and a results folder laid out as the platform's
``SAMPLE_REPOSITORY``. The diff is of two 10,000-line SRT files (2,500
cues) with 5% of the lines changed, spread through the file. For the diff
service alone and for the whole request (JSON, and unified with
``Accept: text/x-diff``) it prints the median and 95th percentile over
``--requests`` runs, and the peak Python memory of one (tracemalloc). For the
downloads it prints the time and the peak Python memory of reading the whole
answer through the WSGI interface in 64 KiB pieces: it should not grow with
the file. It asserts nothing: tests do that.

    .venv/bin/python bench/outputs_bench.py [--requests 30] [--download-mib 100]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Tuple

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Imported once the repository's root is on the path; isort would move them above that line.
# isort: off
from database import Base  # noqa: E402
from mod_api.auth import RUNS_READ, issue_token  # noqa: E402
from mod_api.diffs import line_diff, read_text, unified_diff  # noqa: E402
from mod_auth.models import Role, User  # noqa: E402
from mod_regression.models import InputType, OutputType, RegressionTest, RegressionTestOutput  # noqa: E402
from mod_sample.models import Sample  # noqa: E402
from mod_test.models import Fork, Test, TestProgress, TestResult, TestResultFile  # noqa: E402
from mod_test.models import TestPlatform, TestStatus, TestType  # noqa: E402
from run import create_app, db  # noqa: E402
# isort: on

SECRET = 'benchmark-secret-that-is-long-enough-for-hs256'
T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)
WORDS = ('the', 'river', 'has', 'burst', 'its', 'banks', 'residents', 'were', 'told', 'to', 'leave', 'homes',
         'emergency', 'crews', 'worked', 'through', 'night', 'weather', 'rain', 'tomorrow')


def subtitles(lines: int, seed: int = 1) -> Tuple[bytes, bytes]:
    """An SRT file of ``lines`` lines, and a copy with 5% of its lines changed (a fixed random choice)."""
    chooser = random.Random(seed)
    out: List[str] = []
    for cue in range(lines // 4):
        at = f'{cue * 3 // 3600:02d}:{cue * 3 // 60 % 60:02d}:{cue * 3 % 60:02d}'
        words = ' '.join(chooser.choice(WORDS) for _ in range(8)).capitalize()
        out += [f'{cue + 1}\n', f'{at},{cue % 1000:03d} --> {at},{(cue + 500) % 1000:03d}\n', f'{words}.\n', '\n']
    changed = list(out)
    for index in chooser.sample(range(len(changed)), len(changed) // 20):
        changed[index] = changed[index].replace('\n', ' [changed]\n') if changed[index] != '\n' else 'extra\n'
    return ''.join(out).encode(), ''.join(changed).encode()


def store(repository: str, content: bytes, extension: str = '.srt') -> str:
    """Store a result file as the platform does; return its hash."""
    name = hashlib.sha256(content).hexdigest()
    with open(os.path.join(repository, 'TestResults', f'{name}{extension}'), 'wb') as stored:
        stored.write(content)
    return name


def store_large(repository: str, mib: int) -> str:
    """Write a file of ``mib`` MiB in 1 MiB pieces (never whole in memory); return its hash."""
    digest = hashlib.sha256()
    path = os.path.join(repository, 'TestResults', 'large.tmp')
    piece = bytes(range(256)) * 4096
    with open(path, 'wb') as stored:
        for number in range(mib):
            block = number.to_bytes(4, 'big') + piece[4:]
            digest.update(block)
            stored.write(block)
    name = digest.hexdigest()
    os.rename(path, os.path.join(repository, 'TestResults', f'{name}.bin'))
    return name


def seed(connection: sa.Connection, outputs: List[Tuple[str, str, str]]) -> None:
    """One completed run (id 1) of one regression test (id 1) whose outputs (baseline, got, extension) differ."""
    connection.execute(sa.insert(User), [{'id': 1, 'name': 'bench', 'email': 'bench@example.org', 'password': '',
                                          'role': Role.admin}])
    connection.execute(sa.insert(Fork), [{'id': 1, 'github': 'https://github.com/CCExtractor/ccextractor.git'}])
    connection.execute(sa.insert(Test), [{'id': 1, 'platform': TestPlatform.linux, 'test_type': TestType.commit,
                                          'token': 't' * 64, 'fork_id': 1, 'branch': 'master', 'commit': 'c' * 40,
                                          'pr_nr': 0}])
    connection.execute(sa.insert(TestProgress), [
        {'test_id': 1, 'status': status, 'timestamp': T0 + datetime.timedelta(minutes=index), 'message': ''}
        for index, status in enumerate((TestStatus.preparation, TestStatus.testing, TestStatus.completed))])
    connection.execute(sa.insert(Sample), [{'id': 1, 'sha': 's' * 64, 'extension': 'ts', 'original_name': 'a.ts'}])
    connection.execute(sa.insert(RegressionTest), [{'id': 1, 'sample_id': 1, 'command': '-out=srt',
                                                    'input_type': InputType.file, 'output_type': OutputType.file,
                                                    'expected_rc': 0, 'active': True, 'description': 'bench'}])
    connection.execute(sa.insert(TestResult), [{'test_id': 1, 'regression_test_id': 1, 'runtime': 1, 'exit_code': 0,
                                                'expected_rc': 0}])
    for number, (baseline, got, extension) in enumerate(outputs, 1):
        connection.execute(sa.insert(RegressionTestOutput), [{
            'id': number, 'regression_id': 1, 'correct': baseline, 'correct_extension': extension,
            'expected_filename': '', 'ignore': False}])
        connection.execute(sa.insert(TestResultFile), [{
            'test_id': 1, 'regression_test_id': 1, 'regression_test_output_id': number, 'expected': baseline,
            'got': got}])


def timed(call: Callable[[], Any], repeat: int) -> Dict[str, float]:
    """Median and 95th percentile in ms of ``repeat`` calls, and the peak MiB of one more, traced."""
    call()  # warm up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {'median': statistics.median(timings), 'p95': timings[min(len(timings) - 1, int(0.95 * len(timings)))],
            'peak_mib': peak / 2 ** 20}


def download(app: Any, path: str, headers: Dict[str, str]) -> Tuple[int, float, float]:
    """Read a whole answer through WSGI in 64 KiB pieces; return its bytes, the seconds and the peak MiB."""
    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
               'wsgi.url_scheme': 'http', 'wsgi.input': None, 'wsgi.errors': sys.stderr,
               **{'HTTP_' + name.upper().replace('-', '_'): value for name, value in headers.items()}}
    environ['wsgi.input'] = io.BytesIO(b'')
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    answer = app(environ, lambda status, response_headers, exc_info=None: None)
    try:
        for piece in answer:
            size += len(piece)
    finally:
        getattr(answer, 'close', lambda: None)()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, seconds, peak / 2 ** 20


def main() -> None:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=30)
    parser.add_argument('--lines', type=int, default=10000)
    parser.add_argument('--download-mib', type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        repository = os.path.join(folder, 'repository')
        os.makedirs(os.path.join(repository, 'TestResults'))
        baseline, actual = subtitles(args.lines)
        small = b'x' * (2 ** 20)
        outputs = [(store(repository, baseline), store(repository, actual), '.srt'),
                   (store(repository, small, '.bin'), store_large(repository, args.download_mib), '.bin')]
        app = create_app({'DATABASE_URI': f'sqlite:///{folder}/bench.sqlite', 'API_JWT_SECRET': SECRET,
                          'API_RATELIMIT_ENABLED': False, 'API_RESULTS_ROOT': repository,
                          'API_DIFF_MAX_BYTES': 4 * 2 ** 20})
        with app.app_context():
            with db.engine.begin() as connection:
                Base.metadata.create_all(connection)
                seed(connection, outputs)
            token, _ = issue_token(db.session(), db.session.get_one(User, 1), [RUNS_READ],
                                   datetime.timedelta(days=1))
            db.session.commit()
            db.session.remove()
        client = app.test_client()
        headers = {'Authorization': f'Bearer {token}'}
        diff_path = '/api/v1/runs/1/samples/1/outputs/1/diff'
        expected, got = read_text(baseline), read_text(actual)
        assert expected is not None and got is not None
        hunks = line_diff(expected, got)
        print(f'diff of {len(expected.lines)} lines ({len(baseline)} bytes), {hunks.removed_lines} removed and '
              f'{hunks.added_lines} added in {hunks.hunk_count} hunks; {args.requests} runs each')
        print(f'{"what":<38}  {"median ms":>9}  {"p95 ms":>8}  {"peak MiB":>8}')
        for name, call in (
                ('diff service: hunks', lambda: line_diff(expected, got)),
                ('diff service: unified', lambda: unified_diff(expected, got, 'a', 'b')),
                ('GET .../diff (JSON)', lambda: client.get(diff_path, headers=headers).get_data()),
                ('GET .../diff (Accept: text/x-diff)',
                 lambda: client.get(diff_path, headers={**headers, 'Accept': 'text/x-diff'}).get_data())):
            numbers = timed(call, args.requests)
            print(f'{name:<38}  {numbers["median"]:>9.1f}  {numbers["p95"]:>8.1f}  {numbers["peak_mib"]:>8.1f}',
                  flush=True)
        print(f'{"download":<38}  {"MiB":>9}  {"seconds":>8}  {"peak MiB":>8}')
        for side, what in (('expected', '1 MiB'), ('actual', f'{args.download_mib} MiB')):
            size, seconds, peak = download(app, f'/api/v1/runs/1/samples/1/outputs/2/{side}', headers)
            print(f'{"GET .../" + side + " (" + what + ")":<38}  {size / 2 ** 20:>9.1f}  {seconds:>8.2f}  '
                  f'{peak:>8.2f}', flush=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == '__main__':
    main()
