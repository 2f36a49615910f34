"""Queries: load what one request needs in a fixed number of statements.

The platform's test page asks the database several questions per regression
test, so it slows down with the size of a run. Each function here issues one
statement whatever the run's size, selects only the columns the API uses, and
returns plain values (the verdict service's dataclasses, or the ones below),
never models. Nothing here writes.

The statements per request:
- the run (``load_run``): 1;
- its regression tests with their results (``load_records``): 2, tests and
  results, then outputs with their rows and accepted variants;
- what describes them (``load_descriptions``): 1, tags.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.functions import FunctionElement

from mod_api.verdicts import Output, RegressionTestRecord, Result, ResultFile
from mod_auth.models import User
from mod_customized.models import CustomizedTest, TestFork
from mod_regression.models import (Category, RegressionTest,
                                   RegressionTestOutput,
                                   RegressionTestOutputFiles,
                                   regressionTestLinkTable)
from mod_sample.models import Tag, sample_tag_association
from mod_test.models import (Fork, Test, TestProgress, TestResult,
                             TestResultFile, TestType)

#: The host's session: ``g.db`` is a scoped session in the platform.
DbSession = Union[Session, scoped_session]


@dataclass(frozen=True)
class RunFacts:
    """One run, with what its progress rows and requester say about it."""

    run_id: int
    platform: str
    is_pull_request: bool
    branch: str
    commit: str
    pr_nr: int
    repository: Optional[str]
    last_status: Optional[str]
    first_progress_at: Optional[datetime.datetime]
    last_progress_at: Optional[datetime.datetime]
    requested_by: Optional[str]
    customized: bool


@dataclass(frozen=True)
class Description:
    """What describes a regression test, beside its verdict."""

    regression_id: int
    sample_id: int
    command: str
    category: Optional[str]
    tags: Tuple[str, ...] = ()


class exactly(FunctionElement):  # noqa: N801  (reads as SQL: exactly(column) == value)
    """A text column compared byte for byte: MariaDB's collations ignore case and trailing spaces, SQLite's do not.

    So that a filter matches the same rows on both databases.
    """

    name = 'exactly'
    inherit_cache = True


@compiles(exactly)
def _exactly_default(element: exactly, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(exactly, 'mysql')
@compiles(exactly, 'mariadb')
def _exactly_mysql(element: exactly, compiler: Any, **kw: Any) -> str:
    return f'BINARY {compiler.process(element.clauses, **kw)}'


def stored(column: Any) -> Any:
    """Compare an enum column by its stored string.

    The platform's enum type turns a bound value into ``value.value`` and
    fails on a plain string; coercing the column to a string type (no SQL
    CAST) binds the string as it is, in the platform and in any host.
    """
    return sa.type_coerce(column, sa.String(50))


def _enum_value(value: object) -> Optional[str]:
    """Return the stored string of an enum column's value."""
    if value is None:
        return None
    return str(getattr(value, 'value', value))


@dataclass(frozen=True)
class RunFilters:
    """Which runs a list asks for; None means any."""

    platform: Optional[str] = None
    state: Optional[str] = None
    branch: Optional[str] = None
    commit_prefix: Optional[str] = None
    pr_nr: Optional[int] = None


@dataclass(frozen=True)
class ProgressStep:
    """One ``test_progress`` row: a state the run entered."""

    status: str
    at: datetime.datetime
    message: str


def _progress(column: Any, newest: bool) -> sa.ScalarSelect:
    """Select the run's first or last progress row's ``column``, as a correlated subquery."""
    order = TestProgress.id.desc() if newest else TestProgress.id.asc()
    return sa.select(column).where(TestProgress.test_id == Test.id).order_by(order).limit(1).scalar_subquery()


def _runs() -> sa.Select:
    """Select runs with what their progress rows, fork and requester say: one row per run."""
    requester = (sa.select(User.name).join(TestFork, TestFork.user_id == User.id)
                 .where(TestFork.test_id == Test.id).order_by(TestFork.id).limit(1).scalar_subquery())
    customized = sa.exists().where(CustomizedTest.test_id == Test.id)
    return (
        sa.select(Test.id, Test.platform, Test.test_type, Test.branch, Test.commit, Test.pr_nr, Fork.github,
                  _progress(TestProgress.status, newest=True).label('last_status'),
                  _progress(TestProgress.timestamp, newest=False).label('first_at'),
                  _progress(TestProgress.timestamp, newest=True).label('last_at'),
                  requester.label('requested_by'), customized.label('customized'))
        .outerjoin(Fork, Fork.id == Test.fork_id)
    )


def _run_facts(row: sa.Row) -> RunFacts:
    return RunFacts(
        run_id=row.id,
        platform=_enum_value(row.platform) or '',
        is_pull_request=_enum_value(row.test_type) == TestType.pull_request.value,
        branch=row.branch or '',
        commit=row.commit or '',
        pr_nr=row.pr_nr or 0,
        repository=row.github,
        last_status=_enum_value(row.last_status),
        first_progress_at=row.first_at,
        last_progress_at=row.last_at,
        requested_by=row.requested_by,
        customized=bool(row.customized),
    )


def load_run(session: DbSession, run_id: int) -> Optional[RunFacts]:
    """Load one run (one statement), or None when there is no such run."""
    row = session.execute(_runs().where(Test.id == run_id)).one_or_none()
    return None if row is None else _run_facts(row)


def _run_conditions(filters: RunFilters) -> List[sa.ColumnElement]:
    conditions: List[sa.ColumnElement] = []
    if filters.platform is not None:
        conditions.append(stored(Test.platform) == filters.platform)
    if filters.branch is not None:
        conditions.append(exactly(Test.branch) == filters.branch)
    if filters.commit_prefix is not None:
        # Validated as hexadecimal digits: nothing to escape in the pattern.
        conditions.append(Test.commit.like(f'{filters.commit_prefix.lower()}%'))
    if filters.pr_nr is not None:
        conditions.append(sa.and_(stored(Test.test_type) == TestType.pull_request.value, Test.pr_nr == filters.pr_nr))
    if filters.state is not None:
        last = _progress(stored(TestProgress.status), newest=True)
        conditions.append(last.is_(None) if filters.state == 'queued' else last == filters.state)
    return conditions


def load_runs(session: DbSession, filters: RunFilters, limit: int, offset: int) -> Tuple[List[RunFacts], int]:
    """Load a page of runs, newest first, and how many match in all (two statements)."""
    conditions = _run_conditions(filters)
    total = session.execute(sa.select(sa.func.count()).select_from(Test).where(*conditions)).scalar_one()
    rows = session.execute(_runs().where(*conditions).order_by(Test.id.desc()).limit(limit).offset(offset)).all()
    return [_run_facts(row) for row in rows], total


def load_progress(session: DbSession, run_id: int) -> List[ProgressStep]:
    """Load a run's progress history, oldest first (one statement)."""
    rows = session.execute(
        sa.select(TestProgress.status, TestProgress.timestamp, TestProgress.message)
        .where(TestProgress.test_id == run_id).order_by(TestProgress.id)).all()
    return [ProgressStep(status=_enum_value(row.status) or '', at=row.timestamp, message=row.message or '')
            for row in rows]


def _scope(run: RunFacts) -> sa.Select:
    """Select the ids of the regression tests in a run's scope, as a subquery.

    A customized run holds the tests listed for it; any other run every active
    test plus every test the run recorded anything for.
    """
    if run.customized:
        return sa.select(CustomizedTest.regression_id).where(CustomizedTest.test_id == run.run_id)
    recorded = sa.union(
        sa.select(TestResult.regression_test_id).where(TestResult.test_id == run.run_id),
        sa.select(TestResultFile.regression_test_id).where(TestResultFile.test_id == run.run_id),
    ).subquery()
    return sa.select(RegressionTest.id).where(sa.or_(
        RegressionTest.active == sa.true(),
        RegressionTest.id.in_(sa.select(recorded.c[0])),
    ))


@dataclass(frozen=True)
class ResultFilters:
    """Which regression tests of a run a list asks for, besides their status; None means any."""

    regression_id: Optional[int] = None
    category: Optional[str] = None
    tag: Optional[str] = None


def _in_scope(column: Any, run: RunFacts, filters: ResultFilters) -> sa.ColumnElement:
    conditions = [column.in_(_scope(run))]
    if filters.regression_id is not None:
        conditions.append(column == filters.regression_id)
    if filters.category is not None:
        conditions.append(column.in_(
            sa.select(regressionTestLinkTable.c.regression_id)
            .join(Category, Category.id == regressionTestLinkTable.c.category_id)
            .where(exactly(Category.name) == filters.category)))
    if filters.tag is not None:
        conditions.append(column.in_(
            sa.select(RegressionTest.id)
            .join(sample_tag_association, sample_tag_association.c.sample_id == RegressionTest.sample_id)
            .join(Tag, Tag.id == sample_tag_association.c.tag_id)
            .where(exactly(Tag.name) == filters.tag)))
    return sa.and_(*conditions)


def load_records(session: DbSession, run: RunFacts,
                 filters: ResultFilters = ResultFilters()) -> List[RegressionTestRecord]:
    """Load the run's regression tests in scope that pass ``filters``, in id order (two statements)."""
    tests = session.execute(
        sa.select(RegressionTest.id, RegressionTest.expected_rc, TestResult.test_id.label('result_of'),
                  TestResult.exit_code, TestResult.expected_rc.label('result_expected_rc'), TestResult.runtime)
        .outerjoin(TestResult, sa.and_(TestResult.test_id == run.run_id,
                                       TestResult.regression_test_id == RegressionTest.id))
        .where(_in_scope(RegressionTest.id, run, filters))
        .order_by(RegressionTest.id)
    ).all()
    if not tests:
        return []

    rto = RegressionTestOutput
    outputs = session.execute(
        sa.select(rto.id, rto.regression_id, rto.correct, rto.correct_extension, rto.ignore, rto.expected_filename,
                  TestResultFile.test_id.label('row_of'), TestResultFile.expected, TestResultFile.got,
                  RegressionTestOutputFiles.file_hashes)
        .outerjoin(TestResultFile, sa.and_(TestResultFile.test_id == run.run_id,
                                           TestResultFile.regression_test_id == rto.regression_id,
                                           TestResultFile.regression_test_output_id == rto.id))
        .outerjoin(RegressionTestOutputFiles, RegressionTestOutputFiles.regression_test_output_id == rto.id)
        .where(_in_scope(rto.regression_id, run, filters))
        .order_by(rto.id, RegressionTestOutputFiles.id)
    ).all()

    # One output row per accepted variant: fold them back into one Output each.
    variants: Dict[int, List[str]] = defaultdict(list)
    firsts: Dict[int, sa.Row] = {}
    for row in outputs:
        firsts.setdefault(row.id, row)
        if row.file_hashes is not None:
            variants[row.id].append(row.file_hashes)
    outputs_of: Dict[int, List[Output]] = defaultdict(list)
    files_of: Dict[int, List[ResultFile]] = defaultdict(list)
    for output_id, row in firsts.items():
        outputs_of[row.regression_id].append(Output(
            output_id=output_id, correct=row.correct, extension=row.correct_extension or '',
            ignore=row.ignore, variants=tuple(variants[output_id]), filename=row.expected_filename))
        if row.row_of is not None:
            files_of[row.regression_id].append(ResultFile(output_id=output_id, expected=row.expected, got=row.got))

    return [
        RegressionTestRecord(
            regression_id=test.id,
            expected_rc=test.expected_rc,
            result=(Result(exit_code=test.exit_code, expected_rc=test.result_expected_rc, runtime=test.runtime)
                    if test.result_of is not None else None),
            outputs=tuple(outputs_of[test.id]),
            files=tuple(files_of[test.id]),
        )
        for test in tests
    ]


def load_descriptions(session: DbSession, regression_ids: Iterable[int]) -> Dict[int, Description]:
    """Load the sample, command, first category and sorted tags of regression tests (one statement).

    Names are ordered here, by code point, not by the database: a MariaDB
    collation would put "alpha" before "Beta", SQLite the other way round.
    """
    ids = sorted(set(regression_ids))
    if not ids:
        return {}
    none = sa.null()
    rows = session.execute(sa.union_all(
        sa.select(RegressionTest.id, RegressionTest.sample_id, RegressionTest.command,
                  sa.literal('test').label('kind'), sa.cast(none, sa.String).label('name'))
        .where(RegressionTest.id.in_(ids)),
        sa.select(regressionTestLinkTable.c.regression_id, sa.cast(none, sa.Integer), sa.cast(none, sa.Text),
                  sa.literal('category'), Category.name)
        .join(Category, Category.id == regressionTestLinkTable.c.category_id)
        .where(regressionTestLinkTable.c.regression_id.in_(ids)),
        sa.select(RegressionTest.id, sa.cast(none, sa.Integer), sa.cast(none, sa.Text), sa.literal('tag'), Tag.name)
        .join(sample_tag_association, sample_tag_association.c.sample_id == RegressionTest.sample_id)
        .join(Tag, Tag.id == sample_tag_association.c.tag_id)
        .where(RegressionTest.id.in_(ids)),
    )).all()
    tests: Dict[int, sa.Row] = {}
    names: Dict[Tuple[int, str], List[str]] = defaultdict(list)
    for row in rows:
        if row.kind == 'test':
            tests[row.id] = row
        elif row.name is not None:
            names[(row.id, row.kind)].append(row.name)
    return {
        rid: Description(regression_id=rid, sample_id=row.sample_id, command=row.command or '',
                         category=min(names[(rid, 'category')], default=None),
                         tags=tuple(sorted(names[(rid, 'tag')])))
        for rid, row in tests.items()
    }


@dataclass(frozen=True)
class OutputFacts:
    """One expected output of a regression test in a run's scope, and the run's row for it, if any."""

    output: Output
    row: Optional[ResultFile]


def load_output(session: DbSession, run: RunFacts, regression_id: int,
                output_id: int) -> Tuple[bool, Optional[OutputFacts]]:
    """Load one output of a regression test for a run (one statement).

    Returns whether the regression test is in the run's scope, and the
    output with its row; None when the test has no such output, or it is
    ignored (ignored outputs are not compared, and are no outputs of the test
    for the API, as for the verdicts).
    """
    rto = RegressionTestOutput
    rows = session.execute(
        sa.select(RegressionTest.id.label('test_id'), rto.id, rto.correct, rto.correct_extension, rto.ignore,
                  rto.expected_filename, TestResultFile.test_id.label('row_of'), TestResultFile.expected,
                  TestResultFile.got, RegressionTestOutputFiles.file_hashes)
        .outerjoin(rto, sa.and_(rto.regression_id == RegressionTest.id, rto.id == output_id))
        .outerjoin(TestResultFile, sa.and_(TestResultFile.test_id == run.run_id,
                                           TestResultFile.regression_test_id == RegressionTest.id,
                                           TestResultFile.regression_test_output_id == rto.id))
        .outerjoin(RegressionTestOutputFiles, RegressionTestOutputFiles.regression_test_output_id == rto.id)
        .where(_in_scope(RegressionTest.id, run, ResultFilters(regression_id=regression_id)))
        .order_by(RegressionTestOutputFiles.id)
    ).all()
    if not rows:
        return False, None
    first = rows[0]
    if first.id is None or first.ignore:
        return True, None
    output = Output(output_id=first.id, correct=first.correct, extension=first.correct_extension or '',
                    ignore=first.ignore, variants=tuple(row.file_hashes for row in rows if row.file_hashes is not None),
                    filename=first.expected_filename)
    row = ResultFile(output_id=first.id, expected=first.expected, got=first.got) if first.row_of is not None else None
    return True, OutputFacts(output=output, row=row)
