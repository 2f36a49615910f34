"""Rows of the real platform, made with its own models, in which every status of the API appears.

One regression test per line of the decision table that a finished run can
reach, each on a sample of its own, plus runs in every state:

- ``completed``: a linux commit run on master, where every finished status appears;
- ``testing``: a run where one test has reported outputs and no result (running),
  the others nothing yet (not started);
- ``queued``, ``canceled``: runs without results;
- ``pull_request``: a completed windows run of pull request #42 on a fork, where
  only the crash recorded anything (its exit code, -11, as on linux).
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, Dict, List, Optional

from mod_regression.models import (Category, InputType, OutputType,
                                   RegressionTest, RegressionTestOutput,
                                   RegressionTestOutputFiles)
from mod_sample.models import Sample
from mod_test.models import (Fork, Test, TestPlatform, TestProgress,
                             TestResult, TestResultFile, TestStatus, TestType)

T0 = datetime.datetime(2026, 11, 20, 8, 0, 0, tzinfo=datetime.timezone.utc)


def sha(text: str) -> str:
    """A sha256, standing in for a file's hash."""
    return hashlib.sha256(text.encode()).hexdigest()


class Builder:
    """Adds platform rows through the platform's constructors, flushing so ids are known."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def run(self, states: List[Any], platform: Any = TestPlatform.linux, test_type: Any = TestType.commit,
            branch: str = 'master', pr_nr: int = 0, fork: Optional[Fork] = None) -> Test:
        fork = fork or self.add(Fork(f'https://github.com/CCExtractor/ccextractor-{sha(str(states))[:8]}.git'))
        commit = sha(f'{branch} {pr_nr} {len(states)} {platform.value} {fork.id}')[:40]
        run = self.add(Test(platform, test_type, fork.id, branch, commit, pr_nr))
        for index, state in enumerate(states):
            self.add(TestProgress(run.id, state, f'{state.value} step', timestamp=T0 + index * datetime.timedelta(
                minutes=7, seconds=30)))
        return run

    def regression_test(self, name: str, outputs: int = 1, expected_rc: Optional[int] = 0,
                        category: Optional[Category] = None) -> RegressionTest:
        sample = self.add(Sample(sha(f'sample {name}'), 'ts', f'{name}.ts'))
        test = self.add(RegressionTest(sample.id, f'-autoprogram -out=srt {name}', InputType.file, OutputType.file,
                                       None, expected_rc, True, name))
        if category is not None:
            category.regression_tests.append(test)
        for index in range(outputs):
            self.add(RegressionTestOutput(test.id, sha(f'baseline {name} {index}'), '.srt' if index == 0 else '.xml',
                                          f'{name}{index}.srt'))
        self.session.flush()
        return test

    def outputs(self, test: RegressionTest) -> List[RegressionTestOutput]:
        return (self.session.query(RegressionTestOutput).filter(RegressionTestOutput.regression_id == test.id)
                .order_by(RegressionTestOutput.id).all())

    def result(self, run: Test, test: RegressionTest, exit_code: Optional[int] = 0,
               expected_rc: Optional[int] = 0) -> None:
        self.add(TestResult(run.id, test.id, 1200, exit_code, expected_rc))

    def reported(self, run: Test, test: RegressionTest, output: RegressionTestOutput,
                 got: Optional[str] = None) -> None:
        self.add(TestResultFile(run.id, test.id, output.id, output.correct or '', got))


def build(session: Any) -> Dict[str, Any]:
    """Make the world once; return the ids the tests ask about."""
    b = Builder(session)
    dvb = b.add(Category('DVB-drop-in', 'DVB samples of the drop-in tests'))
    tests = {name: b.regression_test(name, category=dvb if name == 'pass' else None) for name in (
        'pass', 'variant', 'crash', 'diff', 'nobaseline', 'missing', 'null_rc')}
    tests['partial'] = b.regression_test('partial', outputs=2)
    tests['skipped'] = b.regression_test('skipped', outputs=0)
    # The platform's test page judges only the tests of some category: put every test in one.
    everything = b.add(Category('General-drop-in', 'every test of the drop-in tests'))
    everything.regression_tests.extend(tests.values())

    completed = b.run([TestStatus.preparation, TestStatus.testing, TestStatus.completed])
    for name in ('pass', 'variant', 'crash', 'diff', 'null_rc'):
        b.result(completed, tests[name], exit_code=-11 if name == 'crash' else None if name == 'null_rc' else 0,
                 expected_rc=None if name == 'null_rc' else 0)
    [variant_output] = b.outputs(tests['variant'])
    b.add(RegressionTestOutputFiles(sha('accepted variant'), variant_output.id))
    for name in ('pass', 'crash', 'null_rc'):
        b.reported(completed, tests[name], b.outputs(tests[name])[0])
    b.reported(completed, tests['variant'], variant_output, got=sha('accepted variant'))
    b.reported(completed, tests['diff'], b.outputs(tests['diff'])[0], got=sha('something else'))
    b.result(completed, tests['partial'])
    b.reported(completed, tests['partial'], b.outputs(tests['partial'])[0])
    [baseless] = b.outputs(tests['nobaseline'])
    baseless.correct = ''
    b.result(completed, tests['nobaseline'])
    b.reported(completed, tests['nobaseline'], baseless)
    b.result(completed, tests['missing'])

    testing = b.run([TestStatus.preparation, TestStatus.testing], branch='feature-x')
    b.reported(testing, tests['diff'], b.outputs(tests['diff'])[0], got=sha('half way'))
    queued = b.run([], branch='queued-branch')
    canceled = b.run([TestStatus.preparation, TestStatus.canceled], branch='canceled-branch')
    fork = b.add(Fork('https://github.com/someone/ccextractor.git'))
    pull_request = b.run([TestStatus.preparation, TestStatus.testing, TestStatus.completed],
                         platform=TestPlatform.windows, test_type=TestType.pull_request, branch='pull_request',
                         pr_nr=42, fork=fork)
    # The same crash on the Windows worker, which produced nothing: its -11 is no signal there.
    b.result(pull_request, tests['crash'], exit_code=-11, expected_rc=0)
    session.commit()
    return {
        'tests': {name: test.id for name, test in tests.items()},
        'outputs': {name: [o.id for o in b.outputs(test)] for name, test in tests.items()},
        'runs': {'completed': completed.id, 'testing': testing.id, 'queued': queued.id, 'canceled': canceled.id,
                 'pull_request': pull_request.id},
        'commits': {'completed': completed.commit, 'pull_request': pull_request.commit},
        'sha': sha,
    }
