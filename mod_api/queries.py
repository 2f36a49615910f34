"""Queries: load what one request needs in a fixed number of statements.

The platform's test page asks the database several questions per regression
test, so it slows down with the size of a run. Each function here issues one
statement whatever the run's size, selects only the columns the API uses, and
returns plain values (plain rows in the verdict service's layouts, its
value types, or the ones below), never models. Nothing here writes.

The statements per request:
- the run (``load_run``): 1;
- its regression tests (``load_rows``, ``load_records``): 2, tests with their
  results, then outputs with their rows and accepted variants (a page of
  results: the tests, then only the page's outputs, ``load_outputs``);
- their statuses only (``load_status_rows``): 1, tests with their results
  and each test's outputs' facts, summed by the database;
- what describes them (``load_descriptions``): 1, categories and tags;
- many runs' tests at once (``load_rows_of_runs``): 2, whatever the number of
  runs; their statuses only (``load_status_rows_of_runs``): 1; the finished
  runs of a history (``load_finished_runs``): 1; the base run of a
  comparison (``choose_base``): 1.

A whole run's rows are many (two outputs per test, a 10,000-test run has
30,000 rows): the statements are built once per shape, with bound
parameters, on the tables rather than the ORM's entities, and their rows are
read as the driver's tuples; for a whole run's statuses the database sums
each test's outputs' facts, one row per test. Whether a test is in the run's
scope is looked up per test by key, so that a statement about one test costs
the same in any run.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import operator
from collections import defaultdict
from dataclasses import dataclass
from typing import (Any, Dict, Iterable, List, NamedTuple, Optional, Sequence,
                    Set, Tuple, Union, cast)

import sqlalchemy as sa
from sqlalchemy.engine.cursor import CursorFetchStrategy
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.functions import FunctionElement

from mod_api.verdicts import (BASELESS, COUNTS, DIFFERS, REPORTED,
                              STATUS_COLUMNS, Output, RegressionTestRecord,
                              Result, ResultFile)
from mod_auth.models import User
from mod_customized.models import CustomizedTest, TestFork
from mod_regression.models import (Category, RegressionTest,
                                   RegressionTestOutput,
                                   RegressionTestOutputFiles,
                                   regressionTestLinkTable)
from mod_sample.models import Tag, sample_tag_association
from mod_test.models import (Fork, Test, TestProgress, TestResult,
                             TestResultFile, TestStatus, TestType)

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


class Description(NamedTuple):
    """What describes a regression test, beside its verdict."""

    regression_id: int
    sample_id: int
    command: str
    category: Optional[str]  # the first of ``categories``; None when it has none
    tags: Tuple[str, ...] = ()
    categories: Tuple[str, ...] = ()  # by code point


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
    return f'CAST({compiler.process(element.clauses, **kw)} AS BINARY)'


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
    """Which runs a list asks for; None (or no values) means any.

    ``platforms`` and ``states`` take any of several values; ``platform``
    one. ``started_after`` (inclusive) and ``started_before`` (exclusive)
    bound the time of the run's first progress row (naive UTC, as stored): a
    run without any matches neither.
    """

    platform: Optional[str] = None
    state: Optional[str] = None
    branch: Optional[str] = None
    commit_prefix: Optional[str] = None
    pr_nr: Optional[int] = None
    commits_only: bool = False  # runs of commits only, no pull-request runs
    platforms: Tuple[str, ...] = ()
    states: Tuple[str, ...] = ()
    started_after: Optional[datetime.datetime] = None
    started_before: Optional[datetime.datetime] = None


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


@functools.lru_cache(maxsize=None)
def _runs() -> sa.Select:
    """Select runs with what their progress rows, fork and requester say: one row per run (built once)."""
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


@functools.lru_cache(maxsize=None)
def _one_run() -> sa.Select:
    return _runs().where(Test.id == sa.bindparam('run_id', type_=sa.Integer))


def load_run(session: DbSession, run_id: int) -> Optional[RunFacts]:
    """Load one run (one statement), or None when there is no such run."""
    # On the connection: rows as Core returns them, without the ORM's result handling (every request asks this).
    row = session.connection().execute(_one_run(), {'run_id': run_id}).one_or_none()
    return None if row is None else _run_facts(row)


def _run_conditions(filters: RunFilters) -> List[sa.ColumnElement]:
    conditions: List[sa.ColumnElement] = []
    if filters.platform is not None:
        conditions.append(stored(Test.platform) == filters.platform)
    if filters.platforms:
        conditions.append(stored(Test.platform).in_(filters.platforms))
    if filters.branch is not None:
        conditions.append(exactly(Test.branch) == filters.branch)
    if filters.commit_prefix is not None:
        # Validated as hexadecimal digits: nothing to escape in the pattern.
        conditions.append(Test.commit.like(f'{filters.commit_prefix.lower()}%'))
    if filters.pr_nr is not None:
        conditions.append(sa.and_(stored(Test.test_type) == TestType.pull_request.value, Test.pr_nr == filters.pr_nr))
    if filters.commits_only:
        conditions.append(stored(Test.test_type) == TestType.commit.value)
    if filters.state is not None:
        last = _progress(stored(TestProgress.status), newest=True)
        conditions.append(last.is_(None) if filters.state == 'queued' else last == filters.state)
    if filters.states:
        # A queued run has no progress row yet: its last status is NULL, which IN never matches.
        last = _progress(stored(TestProgress.status), newest=True)
        started = [state for state in filters.states if state != 'queued']
        either = ([last.is_(None)] if 'queued' in filters.states else []) + ([last.in_(started)] if started else [])
        conditions.append(sa.or_(*either))
    if filters.started_after is not None:
        conditions.append(_progress(TestProgress.timestamp, newest=False) >= filters.started_after)
    if filters.started_before is not None:
        conditions.append(_progress(TestProgress.timestamp, newest=False) < filters.started_before)
    return conditions


#: The orders of ``load_runs``: by id, or by the first progress row's time; ``-`` for descending.
RUN_ORDERS = ('id', '-id', 'started_at', '-started_at')


def _run_order(sort: str) -> List[sa.ColumnElement]:
    """Order runs by ``sort``: started_at puts runs without a progress row last either way; ties by id, descending.

    ``NULLS LAST`` is not MariaDB's: the NULLs are put last by a first key.
    """
    if sort == 'id':
        return [Test.id.asc()]
    if sort == '-id':
        return [Test.id.desc()]
    started = _progress(TestProgress.timestamp, newest=False)
    direction = started.desc() if sort == '-started_at' else started.asc()
    return [sa.case((started.is_(None), 1), else_=0), direction, Test.id.desc()]


def load_runs(session: DbSession, filters: RunFilters, limit: int, offset: int,
              sort: str = '-id') -> Tuple[List[RunFacts], int]:
    """Load a page of runs in the order ``sort`` (``RUN_ORDERS``; newest first by default), and the total.

    Two statements; the total counts the runs that match ``filters`` over all pages.
    """
    conditions = _run_conditions(filters)
    total = session.execute(sa.select(sa.func.count()).select_from(Test).where(*conditions)).scalar_one()
    rows = session.execute(_runs().where(*conditions).order_by(*_run_order(sort)).limit(limit).offset(offset)).all()
    return [_run_facts(row) for row in rows], total


def load_progress(session: DbSession, run_id: int) -> List[ProgressStep]:
    """Load a run's progress history, oldest first (one statement)."""
    rows = session.execute(
        sa.select(TestProgress.status, TestProgress.timestamp, TestProgress.message)
        .where(TestProgress.test_id == run_id).order_by(TestProgress.id)).all()
    return [ProgressStep(status=_enum_value(row.status) or '', at=row.timestamp, message=row.message or '')
            for row in rows]


#: The states of a finished run: it will not change any more.
_FINISHED = (TestStatus.completed.value, TestStatus.canceled.value)


def load_finished_runs(session: DbSession, filters: RunFilters, before_run_id: Optional[int],
                       window: int) -> List[RunFacts]:
    """Load the newest finished runs that match ``filters``, newest (highest id) first (one statement).

    At most ``window`` runs whose last progress row is completed or
    canceled, of ids below ``before_run_id`` when it is given.
    """
    conditions = _run_conditions(filters)
    conditions.append(_progress(stored(TestProgress.status), newest=True).in_(_FINISHED))
    if before_run_id is not None:
        conditions.append(Test.id < before_run_id)
    rows = session.execute(_runs().where(*conditions).order_by(Test.id.desc()).limit(window)).all()
    return [_run_facts(row) for row in rows]


#: The rules ``choose_base`` follows: a pull request against the tip of master, a commit against its branch's last.
MASTER_TIP = 'master_tip'
PREVIOUS_ON_BRANCH = 'previous_on_branch'


@functools.lru_cache(maxsize=None)
def _base_statement(pull_request: bool) -> sa.Select:
    """Build, once per rule, the statement of ``choose_base``: the base run of run ``:run_id``, or no row.

    A commit run of the platform ``:platform`` on branch master (for a pull
    request) or ``:branch`` before the run (for a commit), the one with the
    highest completed progress row, as the platform picks the tip of master.
    Chosen by id first, in a subquery that reads only the runs and their
    progress rows: the run's facts are then looked up for that run alone.
    """
    run, completed = Test.__table__.alias('base_run'), TestProgress.__table__.alias('base_completed')
    run_id = sa.bindparam('run_id', type_=sa.Integer)
    branch = sa.literal('master', sa.String) if pull_request else sa.bindparam('branch', type_=sa.String)
    chosen = (
        sa.select(run.c.id)
        .join(completed, completed.c.test_id == run.c.id)
        .where(stored(completed.c.status) == TestStatus.completed.value,
               stored(run.c.test_type) == TestType.commit.value,
               stored(run.c.platform) == sa.bindparam('platform', type_=sa.String),
               exactly(run.c.branch) == branch,
               run.c.id != run_id if pull_request else run.c.id < run_id)
        .order_by(completed.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _runs().where(Test.id == chosen)


def choose_base(session: DbSession, run: RunFacts) -> Tuple[Optional[RunFacts], str]:
    """Choose the run a comparison of ``run`` is made against, and say by which rule (one statement).

    A pull-request run is compared with the tip of master (``master_tip``):
    the commit run on branch master of the same platform whose completed
    progress row is the newest. A commit run with the run before it on its
    branch (``previous_on_branch``): the same, on the run's own branch,
    among the runs of lower id. Never the run itself; None when there is no
    such run.
    """
    rule = MASTER_TIP if run.is_pull_request else PREVIOUS_ON_BRANCH
    parameters: Dict[str, Any] = {'run_id': run.run_id, 'platform': run.platform}
    if not run.is_pull_request:
        parameters['branch'] = run.branch
    row = session.connection().execute(_base_statement(run.is_pull_request), parameters).first()
    return (None if row is None else _run_facts(row)), rule


@dataclass(frozen=True)
class ResultFilters:
    """Which regression tests of a run a list asks for, besides their status; None means any."""

    regression_id: Optional[int] = None
    category: Optional[str] = None
    tag: Optional[str] = None


# The tables as Core sees them: statements on them return plain rows, without the ORM's per-row work.
_tests = RegressionTest.__table__.c
_results = TestResult.__table__.c
_files = TestResultFile.__table__.c
_outputs = RegressionTestOutput.__table__.c
_variants = RegressionTestOutputFiles.__table__.c
_customized = CustomizedTest.__table__.c
_RUN = sa.bindparam('run_id', type_=sa.Integer)
_ONE = sa.bindparam('regression_id', type_=sa.Integer)


def _in_scope(customized: bool, category: bool, tag: bool) -> sa.ColumnElement:
    """Whether the ``regression_test`` row of a statement is in the scope of run ``:run_id`` and passes the filters.

    A customized run holds the tests listed for it; any other run every active
    test plus every test the run recorded anything for. Looked up per test
    by key, so that a statement about one test costs the same whatever the
    size of the run.
    """
    conditions: List[sa.ColumnElement[bool]]
    if customized:
        conditions = [_tests.id.in_(sa.select(_customized.regression_id).where(_customized.test_id == _RUN))]
    else:
        # Aliases: the statements join these tables too, and must not be correlated with them.
        result, reported = TestResult.__table__.alias('scope_result'), TestResultFile.__table__.alias('scope_file')
        conditions = [sa.or_(
            _tests.active == sa.true(),
            sa.exists().where(result.c.test_id == _RUN, result.c.regression_test_id == _tests.id),
            sa.exists().where(reported.c.test_id == _RUN, reported.c.regression_test_id == _tests.id),
        )]
    if category:
        conditions.append(_tests.id.in_(
            sa.select(regressionTestLinkTable.c.regression_id)
            .join(Category, Category.id == regressionTestLinkTable.c.category_id)
            .where(exactly(Category.name) == sa.bindparam('category', type_=sa.String))))
    if tag:
        tagged = RegressionTest.__table__.alias('tagged_test')
        conditions.append(_tests.id.in_(
            sa.select(tagged.c.id)
            .join(sample_tag_association, sample_tag_association.c.sample_id == tagged.c.sample_id)
            .join(Tag, Tag.id == sample_tag_association.c.tag_id)
            .where(exactly(Tag.name) == sa.bindparam('tag', type_=sa.String))))
    return sa.and_(*conditions)


def _test_columns(status_only: bool) -> Tuple[Any, ...]:
    """Select a regression test's row in ``TestRow``'s layout: the test, its result in the run, its expected code.

    Only the first ``STATUS_COLUMNS[0]`` columns ``status_only``.
    """
    columns = (_tests.id, _results.test_id, _results.exit_code, _results.expected_rc, _tests.expected_rc,
               _results.runtime)
    return columns[:STATUS_COLUMNS[0] if status_only else None]


def _reported(regression_id: Any, run: Any = _RUN) -> sa.ColumnElement[bool]:
    """Join an output (of the test ``regression_id``) to the run's ``test_result_file`` row for it, by key.

    The run ``:run_id``, or that of the column ``run``.
    """
    return sa.and_(_files.test_id == run, _files.regression_test_id == regression_id,
                   _files.regression_test_output_id == _outputs.id)


def _outputs_statement(*conditions: sa.ColumnElement[bool]) -> sa.Select:
    """Select outputs of the regression tests the ``conditions`` keep, with run ``:run_id``'s rows and variants.

    Columns in ``OutputRow``'s layout.
    """
    columns = (_outputs.id, _outputs.regression_id, _outputs.correct, sa.type_coerce(_outputs.ignore, sa.Integer),
               _files.test_id, _files.expected, _files.got, _variants.file_hashes, _outputs.correct_extension,
               _outputs.expected_filename)
    return (
        sa.select(*columns)
        .select_from(RegressionTestOutput.__table__)
        .join(RegressionTest.__table__, _tests.id == _outputs.regression_id)
        .outerjoin(TestResultFile.__table__, _reported(_outputs.regression_id))
        .outerjoin(RegressionTestOutputFiles.__table__, _variants.regression_test_output_id == _outputs.id)
        .where(*conditions)
        # Output-id order keeps an output's rows together. Over a whole run, read in that order (outputs first,
        # then their test), neither database sorts: MariaDB's planner would start from the tests and sort, unless
        # told. Over a page's tests (``load_outputs``), both sort those few rows, MariaDB fastest when told too.
        .order_by(_outputs.id)
        .prefix_with('STRAIGHT_JOIN', dialect='mysql')
        .prefix_with('STRAIGHT_JOIN', dialect='mariadb')
    )


def _tests_statement(in_scope: sa.ColumnElement[bool], one: bool, status_only: bool) -> sa.Select:
    """Select the regression tests ``in_scope`` (only ``:regression_id`` with ``one``) with their results, by id.

    Columns in ``TestRow``'s layout (the first ``STATUS_COLUMNS[0]`` of it ``status_only``).
    """
    return (
        sa.select(*_test_columns(status_only))
        .select_from(RegressionTest.__table__)
        .outerjoin(TestResult.__table__, sa.and_(_results.test_id == _RUN, _results.regression_test_id == _tests.id))
        .where(in_scope, *([_tests.id == _ONE] if one else []))
        .order_by(_tests.id)
    )


@functools.lru_cache(maxsize=None)
def _row_statements(customized: bool, one: bool, category: bool, tag: bool) -> Tuple[sa.Select, sa.Select]:
    """Build, once per shape, the two statements of ``load_rows``: tests with results, outputs with rows.

    Columns in the verdict service's ``TestRow`` and ``OutputRow`` layouts.
    ``ignore`` is read as the integer it is stored as: only its truth
    counts, and the Boolean type would convert it in Python, row by row.
    """
    in_scope = _in_scope(customized, category, tag)
    return (_tests_statement(in_scope, one, status_only=False),
            _outputs_statement(in_scope, *([_outputs.regression_id == _ONE] if one else [])))


def _summed_facts() -> sa.ColumnElement[int]:
    """Select the sum of ``verdicts.output_facts`` over a test's outputs, joined with their rows (0 without any).

    The rule of ``output_facts`` written as nested ``CASE``s (a condition
    that is NULL is not true: its ``ELSE`` applies), adding the same fields,
    text compared byte for byte (``exactly``), over the rows of a query that
    outer-joins each test to its outputs, then each output to its run's row
    (``_reported``), and groups them back by test. Cast to a 64-bit integer,
    which MariaDB would return as a decimal. ``tests/test_queries.py``
    proves it, test by test, equal to what ``verdicts.facts_by_test`` folds
    from the output rows, over generated runs, on SQLite and on MariaDB
    (``tests/test_queries_over_runs.py``, over many runs at once).
    """
    ignored = sa.type_coerce(_outputs.ignore, sa.Integer) != 0  # NULL: not true, so counted (not ignored)
    unreported = _files.test_id.is_(None)
    variant = RegressionTestOutputFiles.__table__.alias('variant')
    # The reported hash is the baseline's (``got`` NULL), its row's ``expected``, or an accepted variant.
    acceptable = sa.or_(_files.got.is_(None), exactly(_files.got) == _files.expected,
                        sa.exists().where(variant.c.regression_test_output_id == _outputs.id,
                                          exactly(variant.c.file_hashes) == _files.got))
    has_baseline = sa.or_(sa.and_(_outputs.correct.isnot(None), exactly(_outputs.correct) != ''),
                          sa.and_(~unreported, sa.or_(_files.expected.is_(None), exactly(_files.expected) != '')))

    def field(value: int) -> sa.ColumnElement[int]:
        return sa.literal_column(str(value), sa.BigInteger)

    # An output that counts: COUNTS, plus REPORTED (and DIFFERS when not acceptable) with a row, plus BASELESS.
    differs = sa.case((acceptable, field(0)), else_=field(DIFFERS))
    reported = sa.case((unreported, field(0)), else_=field(REPORTED) + differs)
    baseless = sa.case((has_baseline, field(0)), else_=field(BASELESS))
    facts = sa.case((sa.or_(_outputs.id.is_(None), ignored), field(0)), else_=field(COUNTS) + reported + baseless)
    return sa.cast(sa.func.sum(facts), sa.BigInteger)


@functools.lru_cache(maxsize=None)
def _status_statement(customized: bool, category: bool, tag: bool, all_columns: bool) -> sa.Select:
    """Build, once per shape, the statement of ``load_status_rows``: tests with results, and their outputs' facts.

    The columns of ``TestRow`` (its first ``STATUS_COLUMNS[0]`` unless
    ``all_columns``), then the sum of ``verdicts.output_facts`` over the
    test's outputs in run ``:run_id`` (``_summed_facts``): what the status
    needs, without reading a row per output and accepted variant. One pass
    over the tests and their outputs, grouped by every test column (which any
    SQL mode accepts).
    """
    return _summing_facts(
        _tests_statement(_in_scope(customized, category, tag), one=False, status_only=not all_columns), _RUN,
        _test_columns(status_only=not all_columns))


def _summing_facts(tests: sa.Select, run: Any, grouped: Iterable[Any]) -> sa.Select:
    """Add the sum of each test's outputs' facts in ``run`` (``_summed_facts``) to a select of tests.

    Each test beside its outputs and the run's rows for them, grouped back
    into one row per test by the ``grouped`` columns.
    """
    return (
        tests.add_columns(_summed_facts())
        .outerjoin(RegressionTestOutput.__table__, _outputs.regression_id == _tests.id)
        .outerjoin(TestResultFile.__table__, _reported(_tests.id, run=run))
        .group_by(*grouped)
    )


@dataclass(frozen=True)
class RunRows:
    """A run's regression tests and their outputs, as plain rows in the verdict service's layouts.

    ``tests`` in ``verdicts.TestRow``'s layout, in id order; ``outputs`` in
    ``verdicts.OutputRow``'s, in output-id order, one row per accepted
    variant. Loaded ``status_only`` (``load_rows_of_runs``), both hold just
    the columns the status needs; otherwise every column.
    """

    tests: Sequence[Any]
    outputs: Sequence[Any]


@dataclass(frozen=True)
class StatusRows:
    """A run's regression tests, and what their statuses need of their outputs, as the database summed it.

    ``tests`` in ``verdicts.TestRow``'s layout, in id order (its first
    ``STATUS_COLUMNS[0]`` columns only, unless loaded with ``all_columns``);
    ``facts``: each test's sum of ``verdicts.output_facts`` over its outputs,
    by regression id (0 for a test without outputs that count), for
    ``verdicts.statuses`` and ``verdicts.tally``.
    """

    tests: Sequence[Any]
    facts: Dict[int, int]


_UNPROCESSED: Dict[Tuple[Any, str], bool] = {}


def _unprocessed(statement: Union[sa.Select, sa.CompoundSelect], dialect: sa.Dialect) -> bool:
    """Whether the driver's values of every column of ``statement`` are what SQLAlchemy would return."""
    key = (statement, dialect.name)
    if key not in _UNPROCESSED:
        _UNPROCESSED[key] = all(column.type.dialect_impl(dialect).result_processor(dialect, None) is None
                                for column in statement.selected_columns)
    return _UNPROCESSED[key]


def _plain_rows(connection: sa.Connection, statement: Union[sa.Select, sa.CompoundSelect],
                parameters: Dict[str, Any]) -> Sequence[Sequence[Any]]:
    """Run ``statement``; return its rows as tuples.

    The columns here are integers and text, which the dialects hand over as
    the driver gives them: the rows are read from the driver's cursor, as
    tuples, without SQLAlchemy's work per row (the statement still goes
    through SQLAlchemy: compiled, cached, seen by its events).
    """
    result = connection.execute(statement, parameters)
    # Straight from the cursor only when SQLAlchemy would hand the values on unchanged and has read none ahead.
    if not _unprocessed(statement, connection.dialect) or type(result.cursor_strategy) is not CursorFetchStrategy:
        return result.all()
    rows = result.cursor.fetchall()
    result.close()
    return cast(Sequence[Sequence[Any]], rows)


def _parameters(run: RunFacts, filters: ResultFilters) -> Dict[str, Any]:
    parameters = {'run_id': run.run_id, 'regression_id': filters.regression_id, 'category': filters.category,
                  'tag': filters.tag}
    return {name: value for name, value in parameters.items() if value is not None}


def load_rows(session: DbSession, run: RunFacts, filters: ResultFilters = ResultFilters(),
              outputs: bool = True) -> RunRows:
    """Load the run's regression tests in scope that pass ``filters``, and their outputs (two statements).

    ``records`` makes the verdict service's records of some of them (the
    statuses, ``verdicts.facts_by_test`` and ``verdicts.statuses``, come from
    them too, but ``load_status_rows`` reads less). Without ``outputs``, the
    tests only (one statement): ``load_outputs`` then loads the outputs of
    those that are needed.
    """
    tests_statement, outputs_statement = _row_statements(
        run.customized, filters.regression_id is not None, filters.category is not None, filters.tag is not None)
    parameters = _parameters(run, filters)
    connection = session.connection()
    tests = _plain_rows(connection, tests_statement, parameters)
    if not tests or not outputs:
        return RunRows(tests=tests, outputs=[])
    return RunRows(tests=tests, outputs=_plain_rows(connection, outputs_statement, parameters))


def load_status_rows(session: DbSession, run: RunFacts, filters: ResultFilters = ResultFilters(),
                     all_columns: bool = False) -> StatusRows:
    """Load the run's regression tests in scope that pass ``filters``, with their outputs' facts (one statement).

    What a whole run's statuses need (``verdicts.statuses``, ``verdicts.tally``),
    in one row per test: the database sums each test's outputs' facts
    (``_status_statement``). The tests with ``all_columns`` too, so that a
    page of them can be sorted and made records of (with ``load_outputs``).
    A whole run's: ``filters`` by category or tag only.
    """
    if filters.regression_id is not None:
        raise ValueError('load_status_rows reads a whole run: no regression_id filter')
    parameters = _parameters(run, filters)
    rows = _plain_rows(session.connection(), _status_statement(
        run.customized, filters.category is not None, filters.tag is not None, all_columns), parameters)
    return _status_rows(rows, first=0, width=len(_test_columns(status_only=not all_columns)))


def _status_rows(rows: Sequence[Sequence[Any]], first: int, width: int) -> StatusRows:
    """Split rows of a status statement: the test's ``width`` columns from ``first`` on, then its facts."""
    return StatusRows(tests=[row[first:first + width] for row in rows],
                      facts={row[first]: row[first + width] for row in rows})


_PAGE_TESTS: sa.BindParameter[List[int]] = sa.bindparam('page', expanding=True)


@functools.lru_cache(maxsize=None)
def _outputs_of_tests_statement() -> sa.Select:
    """Build, once, the statement of ``load_outputs``."""
    return _outputs_statement(_outputs.regression_id.in_(_PAGE_TESTS))


def load_outputs(session: DbSession, run: RunFacts, regression_ids: Iterable[int]) -> List[Any]:
    """Load the outputs of some of a run's regression tests, with the run's rows and accepted variants.

    One statement, as many rows as those tests have (a page of results
    needs its own tests' outputs, not the whole run's). Every column, in
    ``OutputRow``'s layout and output-id order, as ``load_rows`` gives them;
    the tests are taken to be in the run's scope (``load_rows`` or
    ``load_status_rows`` said so).
    """
    ids = sorted(set(regression_ids))
    if not ids:
        return []
    return list(_plain_rows(session.connection(), _outputs_of_tests_statement(), {'run_id': run.run_id, 'page': ids}))


#: The orders of a run's results: by regression test id, or by runtime; ``-`` for descending.
RESULT_ORDERS = ('id', '-id', 'runtime', '-runtime')


def order_results(tests: Sequence[Any], regression_ids: Iterable[int], sort: str) -> List[int]:
    """Order the regression tests ``regression_ids`` of a run by ``sort`` (one of ``RESULT_ORDERS``).

    ``tests``: the run's rows loaded with every column (``TestRow``'s
    layout), which give each test's runtime: a result's, None without one
    (as ``runtime_ms`` says). Tests without a runtime come last either way;
    ties by id, ascending.
    """
    ordered = sorted(regression_ids, reverse=sort == '-id')
    if sort in ('runtime', '-runtime'):
        runtime = {test[0]: test[5] if test[1] is not None else None for test in tests}
        sign = -1 if sort == '-runtime' else 1
        # Stable: the ids stay ascending within one runtime.
        ordered.sort(key=lambda rid: (runtime[rid] is None, sign * (runtime[rid] or 0)))
    return ordered


def records(rows: RunRows, regression_ids: Optional[Iterable[int]] = None) -> List[RegressionTestRecord]:
    """Make the verdict service's records of the tests ``regression_ids`` (default: all), in id order.

    From rows with every column of ``TestRow`` and ``OutputRow``, the rows
    of one output next to each other (one per accepted variant), as every
    loader here gives them (``load_rows``, ``load_outputs``,
    ``load_rows_of_runs`` without ``status_only``).
    """
    tests, outputs = rows.tests, rows.outputs
    if regression_ids is not None:
        wanted = set(regression_ids)
        tests = [row for row in tests if row[0] in wanted]
        outputs = [row for row in outputs if row[1] in wanted]
    # Positional: a page makes a few hundred of these, and keywords would double the time each takes.
    outputs_of: Dict[int, List[Output]] = defaultdict(list)
    files_of: Dict[int, List[ResultFile]] = defaultdict(list)
    for output_id, group in itertools.groupby(outputs, operator.itemgetter(0)):
        rows_of_output = list(group)
        _, regression_id, correct, ignore, row_of, expected, got, _, extension, filename = rows_of_output[0]
        # Output(output_id, correct, extension, ignore, variants, filename)
        outputs_of[regression_id].append(Output(
            output_id, correct, extension or '', None if ignore is None else bool(ignore),
            tuple([row[7] for row in rows_of_output if row[7] is not None]), filename))
        if row_of is not None:
            # expected is never NULL in the platform's schema: passed on as it is, as the status saw it.
            files_of[regression_id].append(ResultFile(output_id, cast(str, expected), got))
    # RegressionTestRecord(regression_id, expected_rc, result, outputs, files); Result(exit_code, expected_rc, runtime)
    return [
        RegressionTestRecord(
            regression_id, expected_rc,
            Result(exit_code, result_expected_rc, runtime) if result_of is not None else None,
            tuple(outputs_of.get(regression_id, ())), tuple(files_of.get(regression_id, ())))
        for regression_id, result_of, exit_code, result_expected_rc, expected_rc, runtime in tests
    ]


def load_records(session: DbSession, run: RunFacts,
                 filters: ResultFilters = ResultFilters()) -> List[RegressionTestRecord]:
    """Load the run's regression tests in scope that pass ``filters``, in id order (two statements)."""
    return records(load_rows(session, run, filters))


# --- Many runs at once: a page of the run list, the two runs of a comparison, a history --------------------------

# The runs of ``load_rows_of_runs``: the customized ones, the others (their scopes differ), all of them; and the
# regression tests in scope of any of them.
_LISTED_RUNS: sa.BindParameter[List[int]] = sa.bindparam('listed_runs', expanding=True)
_OTHER_RUNS: sa.BindParameter[List[int]] = sa.bindparam('other_runs', expanding=True)
_ALL_RUNS: sa.BindParameter[List[int]] = sa.bindparam('runs', expanding=True)
_SCOPE_TESTS: sa.BindParameter[List[int]] = sa.bindparam('tests', expanding=True)


def _tests_of_runs_parts(listed: bool, other: bool, one: bool,
                         status_only: bool) -> List[Tuple[sa.Select, Any]]:
    """Select each run's tests in scope, with results: a part for each kind of run given, and its run column.

    Rows of the run's id, then the columns of ``load_rows``' tests (the same
    layout). A part for the customized runs ``:listed_runs``, read from
    their lists (each listed test once), and one for the other runs
    ``:other_runs``, each run beside every test, which keeps a test that is
    active, or has a result (the join's), or that the run reported an
    output for (looked up by key, per run and test, only for the others).
    """
    # The first column labelled, for the order of the union.
    key, *rest = _test_columns(status_only)
    columns = (key.label('row_key'), *rest)
    only_one = [_tests.id == _ONE] if one else []
    parts = []
    if listed:
        lists = (sa.select(_customized.test_id, _customized.regression_id).distinct()
                 .where(_customized.test_id.in_(_LISTED_RUNS)).subquery('listed'))
        parts.append((
            sa.select(lists.c.test_id.label('run_id'), *columns)
            .select_from(lists.join(RegressionTest.__table__, _tests.id == lists.c.regression_id)
                         .outerjoin(TestResult.__table__, sa.and_(_results.test_id == lists.c.test_id,
                                                                  _results.regression_test_id == _tests.id)))
            .where(*only_one), lists.c.test_id))
    if other:
        run, reported = Test.__table__.alias('scope_run'), TestResultFile.__table__.alias('scope_file')
        parts.append((
            sa.select(run.c.id.label('run_id'), *columns)
            .select_from(run.join(RegressionTest.__table__, sa.true())
                         .outerjoin(TestResult.__table__, sa.and_(_results.test_id == run.c.id,
                                                                  _results.regression_test_id == _tests.id)))
            .where(run.c.id.in_(_OTHER_RUNS), *only_one, sa.or_(
                _tests.active == sa.true(), _results.test_id.isnot(None),
                # The runs again: MariaDB may read the subquery's rows ahead, those of these runs only then.
                sa.exists().where(reported.c.test_id.in_(_OTHER_RUNS), reported.c.test_id == run.c.id,
                                  reported.c.regression_test_id == _tests.id))), run.c.id))
    return parts


def _by_run_and_test(parts: Iterable[sa.Select]) -> sa.CompoundSelect:
    return sa.union_all(*parts).order_by(sa.literal_column('run_id'), sa.literal_column('row_key'))


@functools.lru_cache(maxsize=None)
def _tests_of_runs_statement(listed: bool, other: bool, one: bool, status_only: bool) -> sa.CompoundSelect:
    """Build, once per shape, the first statement of ``load_rows_of_runs``: each run's tests in scope, with results.

    Rows of the run's id, then the columns of ``load_rows``' tests (the same
    layout), by run, then by test (``_tests_of_runs_parts``; a part without
    runs is left out).
    """
    return _by_run_and_test(part for part, _ in _tests_of_runs_parts(listed, other, one, status_only))


@functools.lru_cache(maxsize=None)
def _status_of_runs_statement(listed: bool, other: bool) -> sa.CompoundSelect:
    """Build, once per shape, the statement of ``load_status_rows_of_runs``: each run's tests and their facts.

    Rows of the run's id, the first ``STATUS_COLUMNS[0]`` columns of
    ``TestRow``, then the sum of the test's outputs' facts in that run
    (``_summed_facts``), by run, then by test: each part of
    ``_tests_of_runs_parts``, its tests beside their outputs and the run's
    rows for them, grouped back into one row per run and test, as
    ``_status_statement`` does for one run.
    """
    return _by_run_and_test(_summing_facts(part, run, (run, *_test_columns(status_only=True)))
                            for part, run in _tests_of_runs_parts(listed, other, one=False, status_only=True))


@functools.lru_cache(maxsize=None)
def _outputs_of_runs_statement(one: bool, status_only: bool) -> sa.CompoundSelect:
    """Build, once per shape, the second statement of ``load_rows_of_runs``: outputs once, then the runs' rows.

    Both in ``load_rows``' output layout. The outputs of the tests ``:tests``
    with their accepted variants, once for all runs, their row's columns
    NULL; then every ``test_result_file`` row of the runs ``:runs`` (of
    test ``:regression_id`` only, with ``one``), only its own columns set:
    its output and test ids, the run's id, ``expected`` and ``got``. Each
    run's rows are put together in Python: reading each output again for
    each run would cost the database, and the driver, a join and a row per
    run and output.
    """
    width = STATUS_COLUMNS[1] if status_only else None
    none = sa.null()
    variant_of = _variants.regression_test_output_id
    outputs = (
        sa.select(*(_outputs.id, _outputs.regression_id, _outputs.correct, sa.type_coerce(_outputs.ignore, sa.Integer),
                    none, none, none, _variants.file_hashes, _outputs.correct_extension,
                    _outputs.expected_filename)[:width])
        .select_from(RegressionTestOutput.__table__.outerjoin(RegressionTestOutputFiles.__table__,
                                                              variant_of == _outputs.id))
        .where(_outputs.regression_id == _ONE if one else _outputs.regression_id.in_(_SCOPE_TESTS)))
    files = (
        sa.select(*(_files.regression_test_output_id, _files.regression_test_id, none, none, _files.test_id,
                    _files.expected, _files.got, none, none, none)[:width])
        .where(_files.test_id.in_(_ALL_RUNS), *([_files.regression_test_id == _ONE] if one else [])))
    return sa.union_all(outputs, files)


def load_rows_of_runs(session: DbSession, runs: Sequence[RunFacts], regression_id: Optional[int] = None,
                      status_only: bool = False) -> Dict[int, RunRows]:
    """Load the regression tests in scope of each run and their outputs, for many runs at once (two statements).

    Returns, by run id, for every run given, the rows that ``load_rows``
    gives for that run alone with ``ResultFilters(regression_id=regression_id)``,
    in the same layouts and order, in lists (the outputs too); ``status_only``,
    only their first ``STATUS_COLUMNS`` (what ``verdicts.facts_by_test`` and the
    status need). One statement when no run has a test in scope, none for
    no runs. The runs are those stored: the id of no stored run has no rows.
    """
    run_ids = sorted({run.run_id for run in runs})
    if not run_ids:
        return {}
    listed = [run.run_id for run in runs if run.customized]
    other = [run.run_id for run in runs if not run.customized]
    parameters: Dict[str, Any] = {'listed_runs': listed, 'other_runs': other}
    if regression_id is not None:
        parameters['regression_id'] = regression_id
    connection = session.connection()
    statement = _tests_of_runs_statement(bool(listed), bool(other), regression_id is not None, status_only)
    tests_of = {run_id: [row[1:] for row in rows] for run_id, rows in itertools.groupby(
        _plain_rows(connection, statement, parameters), operator.itemgetter(0))}
    scope_of = {run_id: {test[0] for test in tests} for run_id, tests in tests_of.items()}
    if not tests_of:
        return {run_id: RunRows(tests=[], outputs=[]) for run_id in run_ids}
    parameters.update(runs=sorted(tests_of), tests=sorted(set().union(*scope_of.values())))
    outputs: List[Sequence[Any]] = []
    reported: Dict[int, Dict[int, Sequence[Any]]] = defaultdict(dict)
    for row in _plain_rows(connection, _outputs_of_runs_statement(regression_id is not None, status_only),
                           parameters):
        if row[4] is None:
            outputs.append(row)
        else:
            reported[row[4]][row[0]] = row
    # Stable: an output's rows, one per accepted variant, stay in the order read, as in load_rows.
    outputs.sort(key=operator.itemgetter(0))
    return {run_id: RunRows(tests=tests_of.get(run_id, []),
                            outputs=_outputs_of_run(outputs, scope_of.get(run_id, set()), reported.get(run_id, {})))
            for run_id in run_ids}


def _outputs_of_run(outputs: List[Sequence[Any]], scope: Set[int],
                    reported: Dict[int, Sequence[Any]]) -> List[Sequence[Any]]:
    """Put together one run's output rows: the outputs of its tests in scope, each with the run's row for it.

    A row counts for an output when it names that output of that test, as
    the join of ``load_rows`` has it.
    """
    row_of = reported.get
    return [output if (row := row_of(output[0])) is None or row[1] != output[1]
            else (*output[:4], row[4], row[5], row[6], *output[7:])
            for output in outputs if output[1] in scope]


def load_status_rows_of_runs(session: DbSession, runs: Sequence[RunFacts]) -> Dict[int, StatusRows]:
    """Load what each run's statuses need, for many runs at once (one statement; none for no runs).

    Returns, by run id, for every run given, what ``load_status_rows`` gives
    for that run alone: its tests in scope (the first ``STATUS_COLUMNS[0]``
    columns), each with the sum of its outputs' facts, summed by the
    database (``_status_of_runs_statement``). The runs are those stored: the
    id of no stored run has no rows.
    """
    run_ids = sorted({run.run_id for run in runs})
    if not run_ids:
        return {}
    listed = [run.run_id for run in runs if run.customized]
    other = [run.run_id for run in runs if not run.customized]
    rows_of: Dict[int, List[Sequence[Any]]] = {run_id: [] for run_id in run_ids}
    for row in _plain_rows(session.connection(), _status_of_runs_statement(bool(listed), bool(other)),
                           {'listed_runs': listed, 'other_runs': other}):
        rows_of[row[0]].append(row)
    return {run_id: _status_rows(rows, first=1, width=STATUS_COLUMNS[0]) for run_id, rows in rows_of.items()}


@functools.lru_cache(maxsize=None)
def _descriptions_statement() -> sa.CompoundSelect:
    """Build, once, the statement of ``load_descriptions``: tests ``:ids`` with their categories, then their tags.

    Rows of (regression id, sample id, command, kind, name). Kind
    ``category``: a row per link of the test, or one when it has none, with
    the category's name (None without a link, or when the link's category
    is gone or has no name). Kind ``tag``: a row per tag of the test's
    sample, with no sample or command.
    """
    ids: sa.BindParameter[int] = sa.bindparam('ids', expanding=True)
    link, tagging, tag, category = (regressionTestLinkTable.c, sample_tag_association.c, Tag.__table__.c,
                                    Category.__table__.c)
    none = sa.null()
    return sa.union_all(
        sa.select(_tests.id, _tests.sample_id, _tests.command, sa.literal('category').label('kind'), category.name)
        .select_from(RegressionTest.__table__)
        .outerjoin(regressionTestLinkTable, link.regression_id == _tests.id)
        .outerjoin(Category.__table__, category.id == link.category_id)
        .where(_tests.id.in_(ids)),
        sa.select(_tests.id, sa.cast(none, sa.Integer), sa.cast(none, sa.Text), sa.literal('tag'), tag.name)
        .select_from(RegressionTest.__table__)
        .join(sample_tag_association, tagging.sample_id == _tests.sample_id)
        .join(Tag.__table__, tag.id == tagging.tag_id)
        .where(_tests.id.in_(ids)),
    )


def load_descriptions(session: DbSession, regression_ids: Iterable[int]) -> Dict[int, Description]:
    """Load the sample, command, sorted categories (and the first of them) and sorted tags of regression tests.

    In one statement.

    Names are ordered here, by code point, not by the database: a MariaDB
    collation would put "alpha" before "Beta", SQLite the other way round.
    """
    ids = sorted(set(regression_ids))
    if not ids:
        return {}
    rows = _plain_rows(session.connection(), _descriptions_statement(), {'ids': ids})
    tests: Dict[int, Tuple[int, Optional[str]]] = {}
    category_names: Dict[int, List[str]] = defaultdict(list)
    tag_names: Dict[int, List[str]] = defaultdict(list)
    for rid, sample_id, command, kind, name in rows:
        if kind == 'category':
            tests[rid] = (sample_id, command)
        if name is not None:
            (category_names if kind == 'category' else tag_names)[rid].append(name)
    described = {}
    for rid, (sample_id, command) in tests.items():
        # A link stored twice names its category once (the link table has no primary key).
        categories = tuple(sorted(set(category_names.get(rid, ()))))
        tags = tuple(sorted(tag_names.get(rid, ())))
        # Description(regression_id, sample_id, command, category, tags, categories)
        described[rid] = Description(rid, sample_id, command or '', categories[0] if categories else None, tags,
                                     categories)
    return described


@dataclass(frozen=True)
class OutputFacts:
    """One expected output of a regression test in a run's scope, and the run's row for it, if any."""

    output: Output
    row: Optional[ResultFile]


@functools.lru_cache(maxsize=None)
def _output_statement(customized: bool) -> sa.Select:
    """Build, once per kind of run, the statement of ``load_output``: one test of ``:run_id``, one of its outputs."""
    return (
        sa.select(_tests.id.label('test_id'), _outputs.id.label('output_id'), _outputs.correct,
                  _outputs.correct_extension, _outputs.ignore, _outputs.expected_filename,
                  _files.test_id.label('row_of'), _files.expected, _files.got, _variants.file_hashes)
        .select_from(RegressionTest.__table__)
        .outerjoin(RegressionTestOutput.__table__, sa.and_(
            _outputs.regression_id == _tests.id, _outputs.id == sa.bindparam('output_id', type_=sa.Integer)))
        .outerjoin(TestResultFile.__table__, _reported(_tests.id))
        .outerjoin(RegressionTestOutputFiles.__table__, _variants.regression_test_output_id == _outputs.id)
        .where(_in_scope(customized, False, False), _tests.id == _ONE)
        .order_by(_variants.id)
    )


def load_output(session: DbSession, run: RunFacts, regression_id: int,
                output_id: int) -> Tuple[bool, Optional[OutputFacts]]:
    """Load one output of a regression test for a run (one statement).

    Returns whether the regression test is in the run's scope, and the
    output with its row; None when the test has no such output, or it is
    ignored (ignored outputs are not compared, and are no outputs of the test
    for the API, as for the verdicts).
    """
    rows = session.execute(_output_statement(run.customized), {
        'run_id': run.run_id, 'regression_id': regression_id, 'output_id': output_id}).all()
    if not rows:
        return False, None
    first = rows[0]
    if first.output_id is None or first.ignore:
        return True, None
    output = Output(output_id=first.output_id, correct=first.correct, extension=first.correct_extension or '',
                    ignore=first.ignore, variants=tuple(row.file_hashes for row in rows if row.file_hashes is not None),
                    filename=first.expected_filename)
    row = (ResultFile(output_id=first.output_id, expected=first.expected, got=first.got)
           if first.row_of is not None else None)
    return True, OutputFacts(output=output, row=row)
