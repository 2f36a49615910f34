"""Benchmark: each endpoint against the from-scratch limit, for runs of 100, 1,000 and 10,000 regression tests.

Each size gets a fresh database (SQLite by default; ``--database-uri`` for
MariaDB: a database of the benchmark's own on that server, dropped afterwards) holding completed runs:
every regression test has 2 outputs, a tenth of them accepted variants, and
the results mix every status of a finished run. Run 1 is the one measured;
runs 2 to 20 (2 only, at 10,000 tests) are copies whose outputs differ here
and there (the comparison's run, the run list's page), and 200 more runs
hold a few tests each (a history).

The *limit* is what a summary cannot beat by much: the rows it needs fetched
with the raw DB-API as tuples (no SQLAlchemy, no Flask, no token check), then
a minimal status loop, written here from ``classification.md`` and nothing
else (its counts are checked against the summary's). It is timed in the same
process, in the same rounds as the endpoints, so that a noisy machine slows
both alike.

For each size and endpoint it prints the statements one request issues, the
median and 95th percentile latency over ``--requests`` rounds through the
Flask test client, the peak Python memory of one request, and the median
beside the limit's as a ratio (for one result's detail, timed in requests of
its own, beside the detail at the first size: it should not grow with the
run; for the comparison, the run list and the history, beside one summary of
the same size). A size stops early after ``--seconds`` of rounds, so that a run stays
within a few minutes. It asserts only that the limit counts as the summary
does: tests check the rest.

    .venv/bin/python bench/bench.py [--sizes 100 1000 10000] [--requests 30] [--seconds 80] [--database-uri URI]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import hashlib
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Imported once the repository's root is on the path; isort would move them above that line.
# isort: off
from database import Base  # noqa: E402
from mod_api.auth import RUNS_READ, issue_token  # noqa: E402
from mod_auth.models import Role, User  # noqa: E402
from mod_regression.models import Category, InputType, OutputType, RegressionTest  # noqa: E402
from mod_regression.models import RegressionTestOutput  # noqa: E402
from mod_regression.models import RegressionTestOutputFiles, regressionTestLinkTable  # noqa: E402
from mod_sample.models import Sample, Tag, sample_tag_association  # noqa: E402
from mod_test.models import Fork, Test, TestPlatform, TestProgress, TestResult  # noqa: E402
from mod_test.models import TestResultFile, TestStatus, TestType  # noqa: E402
from run import create_app, db  # noqa: E402
from tests.databases import fresh_database  # noqa: E402
# isort: on

SECRET = 'benchmark-secret-that-is-long-enough-for-hs256'
T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)


def sha(text: str) -> str:
    """Return a stand-in sha256 for ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def add_run(connection: sa.Connection, run_id: int, size: int, test_ids: Optional[range] = None,
            platform: Any = TestPlatform.linux, vary: int = 0) -> None:
    """Insert a completed run with results for ``test_ids`` (default: all ``size``) of the seeded regression tests.

    ``vary``: besides the mix of statuses, the tests whose id plus ``vary`` is a multiple of 7 produce another
    output than in run 1 (so that two runs differ).
    """
    connection.execute(sa.insert(Test), [{'id': run_id, 'platform': platform, 'test_type': TestType.commit,
                                          'token': sha(f't{run_id}'), 'fork_id': 1, 'branch': 'master',
                                          'commit': sha(f'c{run_id}')[:40], 'pr_nr': 0}])
    start = T0 + datetime.timedelta(hours=run_id)
    connection.execute(sa.insert(TestProgress), [
        {'test_id': run_id, 'status': status, 'timestamp': start + datetime.timedelta(minutes=index),
         'message': status.value}
        for index, status in enumerate((TestStatus.preparation, TestStatus.testing, TestStatus.completed))])
    results: List[Dict[str, Any]] = []
    files: List[Dict[str, Any]] = []
    for test_id in test_ids or range(1, size + 1):
        kind = test_id % 10  # 0-4 pass, 5 crash, 6 differs, 7 no output, 8 one output missing, 9 pass via variant
        results.append({'test_id': run_id, 'regression_test_id': test_id, 'runtime': 100 + test_id % 900,
                        'exit_code': 11 if kind == 5 else 0, 'expected_rc': 0})
        for index in (0, 1):
            output_id = 2 * test_id - 1 + index
            if kind == 7 or (kind == 8 and index == 1):
                continue
            got = {6: sha(f'other {output_id}'), 9: sha(f'variant {output_id}')}.get(kind)
            if vary and (test_id + vary) % 7 == 0:
                got = sha(f'run {run_id} {output_id}')
            files.append({'test_id': run_id, 'regression_test_id': test_id, 'regression_test_output_id': output_id,
                          'expected': sha(f'baseline {output_id}'), 'got': got})
    for table, rows in ((TestResult, results), (TestResultFile, files)):
        for begin in range(0, len(rows), 5000):
            connection.execute(sa.insert(table), rows[begin:begin + 5000])


def seed(connection: sa.Connection, size: int, full_runs: int = 1, history_runs: int = 0) -> None:
    """Insert ``size`` regression tests and completed runs of them, in bulk (enum columns bound as members).

    Runs 1 to ``full_runs`` hold a result for every test (from run 2 on, some outputs differ from run 1's);
    then ``history_runs`` more runs, on Windows, hold results for tests 1 to 10 only.
    """
    connection.execute(sa.insert(User), [{'id': 1, 'name': 'bench', 'email': 'bench@example.org', 'password': '',
                                          'role': Role.admin}])
    connection.execute(sa.insert(Fork), [{'id': 1, 'github': 'https://github.com/CCExtractor/ccextractor.git'}])
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
    links: List[Dict[str, Any]] = []
    for test_id in range(1, size + 1):
        tests.append({'id': test_id, 'sample_id': 1 + test_id % samples, 'command': '-autoprogram -out=srt',
                      'input_type': InputType.file, 'output_type': OutputType.file, 'expected_rc': 0,
                      'active': True,
                      'description': ''})
        links.append({'regression_id': test_id, 'category_id': 1 + test_id % 3})
        for index in (0, 1):
            output_id = 2 * test_id - 1 + index
            outputs.append({'id': output_id, 'regression_id': test_id, 'correct': sha(f'baseline {output_id}'),
                            'correct_extension': '.srt', 'expected_filename': 'out.srt', 'ignore': False})
            if test_id % 10 == 9:
                variants.append({'regression_test_output_id': output_id, 'file_hashes': sha(f'variant {output_id}')})
    for table, rows in ((RegressionTest, tests), (regressionTestLinkTable, links),
                        (RegressionTestOutput, outputs), (RegressionTestOutputFiles, variants)):
        for start in range(0, len(rows), 5000):
            connection.execute(sa.insert(table), rows[start:start + 5000])
    for run_id in range(1, full_runs + 1):
        add_run(connection, run_id, size, vary=run_id - 1)
    for run_id in range(full_runs + 1, full_runs + history_runs + 1):
        add_run(connection, run_id, size, test_ids=range(1, min(size, 10) + 1), platform=TestPlatform.windows,
                vary=run_id)


# The limit's two statements: the run's tests in scope with their results, then their outputs with their rows
# and accepted variants (the scope of a run that is not customized), in the fastest form found for each database
# (on MariaDB, read from the outputs: its planner would start from the tests and sort). ``{p}`` is the driver's
# placeholder, ``{hint}`` MariaDB's join order.
SCOPE = """(rt.active = 1
    OR EXISTS (SELECT 1 FROM test_result r WHERE r.test_id = {p} AND r.regression_test_id = rt.id)
    OR EXISTS (SELECT 1 FROM test_result_file f2 WHERE f2.test_id = {p} AND f2.regression_test_id = rt.id))"""
LIMIT_TESTS = """SELECT rt.id, tr.test_id, tr.exit_code, tr.expected_rc FROM regression_test rt
LEFT JOIN test_result tr ON tr.test_id = {p} AND tr.regression_test_id = rt.id
WHERE """ + SCOPE + " ORDER BY rt.id"
LIMIT_OUTPUTS = """SELECT {hint} o.id, o.regression_id, o.correct, o.`ignore`, f.test_id, f.expected, f.got,
    v.file_hashes
FROM regression_test_output o JOIN regression_test rt ON rt.id = o.regression_id
LEFT JOIN test_result_file f ON f.test_id = {p} AND f.regression_test_id = o.regression_id
    AND f.regression_test_output_id = o.id
LEFT JOIN regression_test_output_files v ON v.regression_test_output_id = o.id
WHERE """ + SCOPE + """ ORDER BY o.id"""


def limit(raw: Any, mariadb: bool, run_id: int, finished: bool, canceled: bool) -> Tuple[Dict[str, int], int]:
    """Compute a run's counts from scratch: raw DB-API tuples, then a minimal status loop.

    Returns the count of each status and the number of crashes.
    """
    placeholder, hint = ('%s', 'STRAIGHT_JOIN') if mariadb else ('?', '')
    cursor = raw.cursor()
    cursor.execute(LIMIT_TESTS.format(p=placeholder), (run_id,) * 3)
    tests = cursor.fetchall()
    cursor.execute(LIMIT_OUTPUTS.format(p=placeholder, hint=hint), (run_id,) * 3)
    outputs = cursor.fetchall()
    cursor.close()
    # Per test: outputs that count, reported, differing, without a baseline. The rows of an output (one per
    # accepted variant) come together: a differing row is settled when the next output starts.
    facts: Dict[int, List[int]] = {}
    current, pending = None, None
    for output_id, regression_id, correct, ignore, row_of, expected, got, variant in outputs:
        if output_id == current:
            if pending is not None and variant == pending[1]:
                pending = None
            continue
        if pending is not None:
            pending[0][2] += 1
        current, pending = output_id, None
        if ignore:
            continue
        test = facts.get(regression_id)
        if test is None:
            test = facts[regression_id] = [0, 0, 0, 0]
        test[0] += 1
        if row_of is not None:
            test[1] += 1
            if got is not None and got != expected and variant != got:
                pending = (test, got)
        if not correct and (row_of is None or expected == ''):
            test[3] += 1
    if pending is not None:
        pending[0][2] += 1
    counts: Dict[str, int] = collections.Counter()
    crashes = 0
    nothing = [0, 0, 0, 0]
    for regression_id, result_of, exit_code, expected_rc in tests:
        outputs_count, reported, differing, baseless = facts.get(regression_id, nothing)
        has_result = result_of is not None
        crash = has_result and exit_code != expected_rc
        if not has_result and not reported:
            status = ('not_started' if not finished else 'skipped' if canceled or not outputs_count
                      else 'missing_output')
        elif not has_result and not finished:
            status = 'running'
        elif outputs_count and not reported:
            status = 'missing_output'
        elif crash or differing or reported < outputs_count or baseless:
            status = 'fail'
        else:
            status = 'pass'
        counts[status] += 1
        crashes += crash
    return counts, crashes


def percentile_95(timings: List[float]) -> float:
    """Return the 95th percentile of ``timings`` (nearest rank)."""
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]


def statements_and_peak(client: Any, engine: sa.Engine, path: str, headers: Dict[str, str]) -> Tuple[int, float]:
    """Count the statements of one GET of ``path``, and the peak Python memory (MiB) of another."""
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
    return len(seen), peak / 2 ** 20


def timed(call: Callable[[], Any]) -> float:
    """Return the milliseconds ``call`` takes."""
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def warm_timed(call: Callable[[], Any]) -> float:
    """Return the milliseconds ``call`` takes the second time, right after a first, untimed call."""
    call()
    return timed(call)


DETAIL = 'regression result'
#: Runs of every size besides run 1: full copies (the comparison's base, the run list's page), and the short runs a
#: history reads.
HISTORY_RUNS = 200


def full_runs(size: int) -> int:
    """Runs holding a result for every test: a page of 20 up to 1,000 tests, 2 (a comparison) beyond."""
    return 20 if size <= 1000 else 2


def endpoints(size: int) -> List[Tuple[str, str]]:
    """The endpoints measured, by name, for a run of ``size`` tests."""
    return [('summary', '/api/v1/runs/1/summary'),
            (DETAIL, f'/api/v1/runs/2/samples/{size // 2 + 6}'),  # with one earlier run to look back at
            ('results, page of 100', '/api/v1/runs/1/samples?limit=100'),
            ('failed results, page 100', '/api/v1/runs/1/samples?status=fail&limit=100'),
            ('passed, 2nd page of 100', '/api/v1/runs/1/samples?status=pass&limit=100&offset=100'),
            ('category results, page 100', '/api/v1/runs/1/samples?category=category%201&limit=100'),
            ('comparison of 2 runs', '/api/v1/runs/2/comparison?base=1'),
            (f'runs list, {full_runs(size)} runs', f'/api/v1/runs?platform=linux&limit={full_runs(size)}'),
            (f'history, {HISTORY_RUNS} runs', '/api/v1/regression-tests/6/history?platform=windows')]


#: The answers measured against one summary of the same size rather than against the limit.
BESIDE_SUMMARY = ('comparison', 'runs list', 'history')


def bench_size(app: Any, size: int, rounds: int, seconds: float, first_detail: Optional[float],
               drop_after: bool) -> Tuple[List[str], Optional[float]]:
    """Measure one size: the lines to print, and the detail's median (the reference of later sizes)."""
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            Base.metadata.create_all(connection)
            seed(connection, size, full_runs(size), HISTORY_RUNS)
        token, _ = issue_token(db.session(), db.session.get_one(User, 1), [RUNS_READ], datetime.timedelta(days=1))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    headers = {'Authorization': f'Bearer {token}'}
    mariadb = engine.dialect.name in ('mysql', 'mariadb')
    raw = engine.raw_connection()
    try:
        summary = client.get('/api/v1/runs/1/summary', headers=headers).get_json()
        counts, crashes = limit(raw, mariadb, 1, finished=True, canceled=False)
        assert crashes == summary['error_count'] and all(
            counts[status] == summary[f'{status}_count'] for status in ('pass', 'fail', 'skipped', 'missing_output')
        ) and sum(counts.values()) == summary['total_samples'], (counts, crashes, summary)
        measured = [(name, path, *statements_and_peak(client, engine, path, headers))
                    for name, path in endpoints(size)]
        tracemalloc.start()
        limit(raw, mariadb, 1, finished=True, canceled=False)
        limit_peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
        # Interleaved rounds: the limit, then each endpoint once, each timed right after an untimed call of its
        # own: every measurement is of a call repeated at once (its memory and the database's pages warm), not of
        # whatever state the different call before left behind (memory freed for reuse, or handed back to the
        # system). Timed straight after the request before it, the limit at 10,000 tests took 52 or 112 ms by
        # which request that was. One result's detail, compared across sizes rather than with the limit, gets
        # rounds of its own: between the large requests it would be timed in whatever state they leave the machine.
        timings: Dict[str, List[float]] = collections.defaultdict(list)
        started = time.perf_counter()
        for done in range(rounds):
            timings['limit'].append(warm_timed(lambda: limit(raw, mariadb, 1, finished=True, canceled=False)))
            for name, path, _, _ in measured:
                if name != DETAIL:
                    timings[name].append(warm_timed(lambda: client.get(path, headers=headers)))
            if time.perf_counter() - started > seconds and done >= 4:
                break
        detail_path = dict(endpoints(size))[DETAIL]
        timings[DETAIL] = [timed(lambda: client.get(detail_path, headers=headers)) for _ in range(3 * rounds)]
    finally:
        raw.close()
    reference = statistics.median(timings['limit'])
    lines = [f'{size:>6}  {"from-scratch limit":<26}  {2:>10}  {reference:>9.1f}  '
             f'{percentile_95(timings["limit"]):>8.1f}  {limit_peak:>8.1f}  {"1.00 x limit":>14}']
    detail = None
    for name, _, statement_count, peak in measured:
        median = statistics.median(timings[name])
        if name == DETAIL:
            detail = median
            ratio = f'{median / (first_detail or median):.2f} x first'
        elif name.startswith(BESIDE_SUMMARY):
            ratio = f'{median / statistics.median(timings["summary"]):.2f} x summ.'
        else:
            ratio = f'{median / reference:.2f} x limit'
        lines.append(f'{size:>6}  {name:<26}  {statement_count:>10}  {median:>9.1f}  '
                     f'{percentile_95(timings[name]):>8.1f}  {peak:>8.1f}  {ratio:>14}')
    lines.append(f'{"":>6}  ({len(timings["limit"])} rounds; the detail: {len(timings[DETAIL])} requests of its own)')
    if drop_after:
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
    engine.dispose()
    return lines, first_detail if first_detail is not None else detail


def main() -> None:
    """Run the benchmark and print one line per size and endpoint, the limit first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100, 1000, 10000])
    parser.add_argument('--requests', type=int, default=30, help='rounds per size (at least 5)')
    parser.add_argument('--seconds', type=float, default=80, help='stop a size\'s rounds after this long')
    parser.add_argument('--database-uri', default=None, help='default: a fresh SQLite file per size')
    args = parser.parse_args()
    print(f'{"tests":>6}  {"endpoint":<26}  {"statements":>10}  {"median ms":>9}  {"p95 ms":>8}  {"peak MiB":>8}  '
          f'{"ratio":>14}', flush=True)
    first_detail = None
    with tempfile.TemporaryDirectory() as folder, own_database(args.database_uri) as server_uri:
        for size in args.sizes:
            uri = server_uri or f'sqlite:///{folder}/bench{size}.sqlite'
            app = create_app({'DATABASE_URI': uri, 'API_JWT_SECRET': SECRET,
                              'API_RATELIMIT_ENABLED': False, 'API_RATELIMIT_READS': '100000 per minute'})
            lines, first_detail = bench_size(app, size, max(5, args.requests), args.seconds, first_detail,
                                             drop_after=bool(server_uri))
            print('\n'.join(lines), flush=True)


@contextlib.contextmanager
def own_database(uri: Optional[str]) -> Iterator[Optional[str]]:
    """Make a database of the benchmark's own on the server ``uri`` names (None: SQLite files); drop it afterwards."""
    if uri is None:
        yield None
        return
    with fresh_database(uri, 'bench_') as made:
        yield made


if __name__ == '__main__':
    main()
