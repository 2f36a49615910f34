"""Builders of platform rows for tests: runs, regression tests, results, reported outputs.

Each builder adds rows through a plain SQLAlchemy session and flushes, so the
ids are known at once; the test commits (``Factory.commit``) before it asks
the API.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
from typing import Any, Iterable, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from database import EnumSymbol
from mod_auth.models import Role, User
from mod_customized.models import CustomizedTest, TestFork
from mod_regression.models import (Category, InputType, OutputType,
                                   RegressionTest, RegressionTestOutput,
                                   RegressionTestOutputFiles,
                                   regressionTestLinkTable)
from mod_sample.models import Sample, Tag, sample_tag_association
from mod_test.models import (Fork, Test, TestPlatform, TestProgress,
                             TestResult, TestResultFile, TestStatus, TestType)

T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)
#: The progress of a run that completed.
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)


def sha(text: str) -> str:
    """The sha256 of ``text``, standing in for a file's hash."""
    return hashlib.sha256(text.encode()).hexdigest()


class Factory:
    """Adds platform rows to a session; each method returns what it made."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._numbers = itertools.count(1)

    def _next(self) -> int:
        return next(self._numbers)

    def commit(self) -> None:
        """Make everything added visible to the API's own session."""
        self.session.commit()

    def account(self, name: Optional[str] = None, role: EnumSymbol = Role.user, nameless: bool = False) -> User:
        """A platform account (``nameless``: its name is NULL, as the platform allows)."""
        number = self._next()
        user = User(name=None if nameless else name or f'account{number}', email=f'account{number}@example.org',
                    password='', role=role)
        self.session.add(user)
        self.session.flush()
        return user

    def run(self, states: Sequence[EnumSymbol] = COMPLETED,
            test_type: EnumSymbol = TestType.commit, branch: str = 'master', pr_nr: int = 0,
            platform: EnumSymbol = TestPlatform.linux, step: datetime.timedelta = datetime.timedelta(minutes=5),
            requested_by: Optional[User] = None, customized: Iterable[RegressionTest] = ()) -> Test:
        """A run whose progress rows go through ``states``, ``step`` apart (no states: queued)."""
        number = self._next()
        fork = Fork(github=f'https://github.com/example/ccextractor{number}.git')
        self.session.add(fork)
        self.session.flush()
        run = Test(platform=platform, test_type=test_type, token=sha(f'run token {number}'), fork_id=fork.id,
                   branch=branch, commit=sha(f'commit {number}')[:40], pr_nr=pr_nr)
        self.session.add(run)
        self.session.flush()
        for index, state in enumerate(states):
            self.session.add(TestProgress(test_id=run.id, status=state, timestamp=T0 + index * step,
                                          message=state.value))
        if requested_by is not None:
            self.session.add(TestFork(user_id=requested_by.id, test_id=run.id))
        for test in customized:
            self.session.add(CustomizedTest(test_id=run.id, regression_id=test.id))
        self.session.flush()
        return run

    def progress(self, run: Test, state: EnumSymbol, at: datetime.datetime) -> TestProgress:
        """Add one more progress row to a run."""
        row = TestProgress(test_id=run.id, status=state, timestamp=at, message=state.value)
        self.session.add(row)
        self.session.flush()
        return row

    def _named(self, model: Any, name: str) -> Any:
        """The tag or category called ``name``, made on first use."""
        row = self.session.query(model).filter_by(name=name).one_or_none()
        if row is None:
            row = model(name=name, description=name)
            self.session.add(row)
            self.session.flush()
        return row

    def sample(self, tags: Sequence[str] = ()) -> Sample:
        """A media sample with the given tag names (tags are created as needed)."""
        number = self._next()
        sample = Sample(sha=sha(f'sample {number}'), extension='ts', original_name=f'sample{number}.ts')
        self.session.add(sample)
        self.session.flush()
        for name in tags:
            tag = self._named(Tag, name)
            self.session.execute(sample_tag_association.insert().values(sample_id=sample.id, tag_id=tag.id))
        return sample

    def regression_test(self, outputs: int = 1, expected_rc: Optional[int] = 0, active: Optional[bool] = True,
                        categories: Sequence[str] = (), tags: Sequence[str] = (), command: Optional[str] = None,
                        sample: Optional[Sample] = None) -> RegressionTest:
        """A regression test with ``outputs`` expected outputs, each with a baseline."""
        sample = sample or self.sample(tags)
        test = RegressionTest(sample_id=sample.id, command=command or '-autoprogram -out=srt',
                              input_type=InputType.file, output_type=OutputType.file, expected_rc=expected_rc,
                              active=active, description='test')
        self.session.add(test)
        self.session.flush()
        for name in categories:
            category = self._named(Category, name)
            link = regressionTestLinkTable.insert().values(regression_id=test.id, category_id=category.id)
            self.session.execute(link)
        for index in range(outputs):
            self.output(test, extension='.srt' if index == 0 else f'.{index}.srt')
        return test

    def output(self, test: RegressionTest, correct: Optional[str] = None, extension: str = '.srt',
               ignore: Optional[bool] = False) -> RegressionTestOutput:
        """An expected output of a regression test (baseline ``correct``, a fresh hash by default)."""
        baseline = sha(f'baseline {self._next()}') if correct is None else correct
        output = RegressionTestOutput(regression_id=test.id, correct=baseline, correct_extension=extension,
                                      expected_filename=f'out{extension}', ignore=ignore)
        self.session.add(output)
        self.session.flush()
        return output

    def outputs(self, test: RegressionTest) -> List[RegressionTestOutput]:
        """The expected outputs of a regression test, in id order."""
        return (self.session.query(RegressionTestOutput).filter_by(regression_id=test.id)
                .order_by(RegressionTestOutput.id).all())

    def variant(self, output: RegressionTestOutput, file_hash: str) -> RegressionTestOutputFiles:
        """An extra accepted baseline of an output."""
        variant = RegressionTestOutputFiles(regression_test_output_id=output.id, file_hashes=file_hash)
        self.session.add(variant)
        self.session.flush()
        return variant

    def result(self, run: Test, test: RegressionTest, exit_code: Optional[int] = 0,
               expected_rc: Optional[int] = None, runtime: int = 1000) -> TestResult:
        """The regression test finished in the run (expected code copied from the test by default)."""
        result = TestResult(test_id=run.id, regression_test_id=test.id, runtime=runtime, exit_code=exit_code,
                            expected_rc=test.expected_rc if expected_rc is None else expected_rc)
        self.session.add(result)
        self.session.flush()
        return result

    def reported(self, run: Test, test: RegressionTest, output: RegressionTestOutput, got: Optional[str] = None,
                 expected: Optional[str] = None) -> TestResultFile:
        """The worker reported an output: ``got`` None means identical to ``expected`` (the baseline)."""
        row = TestResultFile(test_id=run.id, regression_test_id=test.id, regression_test_output_id=output.id,
                             expected=output.correct or '' if expected is None else expected, got=got)
        self.session.add(row)
        self.session.flush()
        return row

    def finished(self, run: Test, test: RegressionTest, exit_code: int = 0) -> TestResult:
        """The regression test ran and every output matched its baseline."""
        for output in self.outputs(test):
            self.reported(run, test, output)
        return self.result(run, test, exit_code=exit_code)

    def many_finished(self, run: Test, count: int, label: str, sample: Optional[Sample] = None,
                      category: Optional[str] = None, crash_every: int = 0) -> List[int]:
        """Add ``count`` active regression tests that all finished in ``run``, in one statement per table.

        Each has one output; even ids match their baseline as stored, odd ids through an accepted variant;
        with ``crash_every`` N, every Nth id exits with 1 instead of 0. Returns their ids, ascending.
        """
        session = self.session
        sample = sample or self.sample()
        session.execute(sa.insert(RegressionTest), [
            {'sample_id': sample.id, 'command': f'-autoprogram -out=srt {index}', 'input_type': InputType.file,
             'output_type': OutputType.file, 'expected_rc': 0, 'active': True, 'description': label}
            for index in range(count)])
        ids = sorted(session.scalars(sa.select(RegressionTest.id).where(RegressionTest.description == label)))
        if category is not None:
            link = self._named(Category, category)
            session.execute(sa.insert(regressionTestLinkTable), [
                {'regression_id': rid, 'category_id': link.id} for rid in ids])
        rto = RegressionTestOutput
        session.execute(sa.insert(rto), [
            {'regression_id': rid, 'correct': sha(f'baseline {rid}'), 'correct_extension': '.srt',
             'expected_filename': 'out.srt', 'ignore': False} for rid in ids])
        outputs = session.execute(sa.select(rto.id, rto.regression_id).where(rto.regression_id.in_(ids))).all()
        session.execute(sa.insert(RegressionTestOutputFiles), [
            {'regression_test_output_id': output_id, 'file_hashes': sha(f'variant {output_id}')}
            for output_id, _ in outputs])
        session.execute(sa.insert(TestResult), [
            {'test_id': run.id, 'regression_test_id': rid, 'runtime': 100, 'expected_rc': 0,
             'exit_code': 1 if crash_every and rid % crash_every == 0 else 0} for rid in ids])
        session.execute(sa.insert(TestResultFile), [
            {'test_id': run.id, 'regression_test_id': rid, 'regression_test_output_id': output_id,
             'expected': sha(f'baseline {rid}'), 'got': sha(f'variant {output_id}') if rid % 2 else None}
            for output_id, rid in outputs])
        return ids


class Runs:
    """Runs one after the other, each finishing a minute after the one before (whole seconds, for MariaDB).

    For the answers that follow a test over runs (history, since when).
    """

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.count = 0

    def run(self, states: Sequence[EnumSymbol] = COMPLETED, **kwargs: Any) -> Test:
        """A run whose progress rows are a minute apart, a further minute later than the one before.

        Its ``finished`` is its last progress row's time (None without any).
        """
        self.count += 1
        step = datetime.timedelta(minutes=self.count)
        run = self.factory.run(states, step=step, **kwargs)
        run.finished = T0 + (len(states) - 1) * step if states else None
        return run

    def with_result(self, test: RegressionTest, outcome: Optional[str], states: Sequence[EnumSymbol] = COMPLETED,
                    **kwargs: Any) -> Test:
        """A run in which ``test`` passed (``'pass'``), produced the hash ``outcome``, or has no result (None)."""
        run = self.run(states, **kwargs)
        if outcome == 'pass':
            self.factory.finished(run, test)
        elif outcome is not None:
            for output in self.factory.outputs(test):
                self.factory.reported(run, test, output, got=outcome)
            self.factory.result(run, test)
        return run
