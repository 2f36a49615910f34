"""The queries module on the database: what it loads decides as the stored rows say, in two statements.

Runs generated as in ``test_verdicts_properties`` are stored, then read back
the ways the endpoints read them: the summary's tests and their outputs'
facts as the database sums them (``load_status_rows``, and over many runs
``load_status_rows_of_runs``), the results list's
rows and the records made of them, a page's outputs, and the detail's lookup
of one test by key. Each must decide exactly as ``classify`` does on the
generated records, over the run's scope (customized or not, active, inactive
and NULL tests), on SQLite and on MariaDB: hashes that differ only in case or
by a trailing space stay different, as the database stores them. The facts
the database sums (``output_facts`` written in SQL) must be, test by test,
those ``verdicts.facts_by_test`` folds from the output rows, for a test with
hundreds of outputs too.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Dict, List

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database import Base
from mod_api import queries
from mod_api.verdicts import (STATUS_COLUMNS, Output, RegressionTestRecord,
                              Result, ResultFile, RunState, Status, classify,
                              count, facts_by_test, statuses, tally, unpack)
from mod_customized.models import CustomizedTest
from mod_regression.models import (Category, InputType, OutputType,
                                   RegressionTest, RegressionTestOutput,
                                   RegressionTestOutputFiles,
                                   regressionTestLinkTable)
from mod_test.models import TestResult, TestResultFile, TestStatus
from tests.test_verdicts_properties import run_records

ON_MARIADB = os.environ.get('TEST_DATABASE_URI', '').startswith(('mysql', 'mariadb'))

PROGRESS = {
    RunState.queued: (), RunState.preparation: (TestStatus.preparation,),
    RunState.testing: (TestStatus.preparation, TestStatus.testing),
    RunState.completed: (TestStatus.preparation, TestStatus.testing, TestStatus.completed),
    RunState.canceled: (TestStatus.preparation, TestStatus.canceled),
}


def _nullable(model: Any, column: str) -> bool:
    return bool(model.__table__.c[column].nullable)


def storable(made: List[RegressionTestRecord]) -> List[RegressionTestRecord]:
    """The records as this host's columns can store them: NULL only where a column takes it (0 instead)."""
    def value(model: Any, column: str, given: Any) -> Any:
        return 0 if given is None and not _nullable(model, column) else given

    stored = []
    for record in made:
        result = record.result
        if result is not None:
            result = Result(exit_code=value(TestResult, 'exit_code', result.exit_code),
                            expected_rc=value(TestResult, 'expected_rc', result.expected_rc),
                            runtime=value(TestResult, 'runtime', result.runtime))
        stored.append(record._replace(result=result,
                                      expected_rc=value(RegressionTest, 'expected_rc', record.expected_rc)))
    return stored


def store(factory: Any, made: List[RegressionTestRecord], state: RunState, active: Dict[int, Any],
          listed: Any, null_variants: bool) -> int:
    """Store a run of these records (a customized run of ``listed`` unless None); return its id."""
    session = factory.session
    for table in reversed(Base.metadata.sorted_tables):  # what earlier examples stored
        session.execute(table.delete())
    sample = factory.sample()
    run = factory.run(PROGRESS[state])
    tests, outputs, variants, results, files = [], [], [], [], []
    for record in made:
        tests.append({'id': record.regression_id, 'sample_id': sample.id, 'command': f'-test {record.regression_id}',
                      'input_type': InputType.file, 'output_type': OutputType.file, 'expected_rc': record.expected_rc,
                      'active': active[record.regression_id], 'description': 'generated'})
        for output in record.outputs:
            outputs.append({'id': output.output_id, 'regression_id': record.regression_id, 'correct': output.correct,
                            'correct_extension': output.extension, 'expected_filename': output.filename,
                            'ignore': output.ignore})
            variants.extend({'regression_test_output_id': output.output_id, 'file_hashes': variant}
                            for variant in output.variants)
            if null_variants and _nullable(RegressionTestOutputFiles, 'file_hashes'):
                variants.append({'regression_test_output_id': output.output_id, 'file_hashes': None})
        if record.result is not None:
            results.append({'test_id': run.id, 'regression_test_id': record.regression_id, **{
                field: getattr(record.result, field) for field in ('exit_code', 'expected_rc', 'runtime')}})
        files.extend({'test_id': run.id, 'regression_test_id': record.regression_id,
                      'regression_test_output_id': row.output_id, 'expected': row.expected, 'got': row.got}
                     for row in record.files)
    if ON_MARIADB:  # stray rows name no stored output
        session.execute(sa.text('SET FOREIGN_KEY_CHECKS = 0'))
    # Into the tables, not through the ORM: its bulk insert would put a column's default in place of a None.
    for model, rows in ((RegressionTest, tests), (RegressionTestOutput, outputs),
                        (RegressionTestOutputFiles, variants), (TestResult, results), (TestResultFile, files)):
        if rows:
            session.execute(sa.insert(model.__table__), rows)
    if ON_MARIADB:
        session.execute(sa.text('SET FOREIGN_KEY_CHECKS = 1'))
    if listed is not None:
        session.execute(sa.insert(CustomizedTest.__table__),
                        [{'test_id': run.id, 'regression_id': rid} for rid in listed])
    factory.commit()
    return run.id


# Each example empties the tables before it stores its run: the function-scoped fixtures are safe to share.
GENERATED = settings(max_examples=200, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@GENERATED
@given(made=run_records(max_tests=5), state=st.sampled_from(list(RunState)), data=st.data())
def test_loaded_rows_decide_as_the_stored_records(factory, made, state, data):
    made = storable(made)
    ids = [r.regression_id for r in made]
    active = {rid: data.draw(st.sampled_from([True, False, None]), label=f'active {rid}') for rid in ids}
    listed = data.draw(st.none() | st.lists(st.sampled_from(ids), unique=True, min_size=1) if ids else st.none(),
                       label='customized')
    run_id = store(factory, made, state, active, listed, data.draw(st.booleans(), label='NULL variant rows'))
    page = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]), label='page')
    session = factory.session
    run = queries.load_run(session, run_id)
    assert run is not None and run.customized is (listed is not None)

    def in_scope(record: RegressionTestRecord) -> bool:
        if listed is not None:
            return record.regression_id in listed
        return active[record.regression_id] is True or record.result is not None or bool(record.files)

    scope = [r for r in made if in_scope(r)]
    verdicts = [classify(r, state, platform='linux') for r in scope]

    seen: List[str] = []

    def record_statement(*args: Any) -> None:
        seen.append(args[2])

    engine = session.get_bind()
    sa.event.listen(engine, 'before_cursor_execute', record_statement)
    try:
        summary_rows = queries.load_status_rows(session, run)
        counts = tally(state, summary_rows.tests, summary_rows.facts)
        assert len(seen) == 1
        listed_rows = queries.load_status_rows(session, run, all_columns=True)
        rows = queries.load_rows(session, run)
        listed_statuses = list(statuses(state, listed_rows.tests, listed_rows.facts))
        loaded = [classify(r, state, platform='linux') for r in queries.records(rows)]
        details = {r.regression_id: [classify(d, state, platform='linux') for d in queries.load_records(
            session, run, queries.ResultFilters(regression_id=r.regression_id))] for r in made}
        # A page of results: the tests alone, then the page's own outputs; an empty page reads none.
        tests_only = queries.load_rows(session, run, outputs=False)
        page_outputs = queries.load_outputs(session, run, page)
        before_empty = len(seen)
        assert queries.load_outputs(session, run, []) == [] and len(seen) == before_empty
        paged = queries.records(queries.RunRows(tests_only.tests, page_outputs), page)
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record_statement)
    of_runs = queries.load_status_rows_of_runs(session, [run])[run_id]  # the run list's statement, over this run

    expected = count(verdicts)
    assert (counts.total, counts.crashed) == (expected.total, expected.crashed)
    assert {s: counts[s] for s in Status} == {s: expected[s] for s in Status}
    assert listed_statuses == [(v.regression_id, v.status, v.crashed) for v in verdicts]
    # The database's counts are the Python rule's, test by test (0 for a test without outputs that count); the
    # tests' rows are the same either way.
    folded = facts_by_test(rows.outputs)
    assert summary_rows.facts == listed_rows.facts == {test[0]: folded.get(test[0], 0) for test in rows.tests}
    assert [tuple(t) for t in listed_rows.tests] == [tuple(t) for t in rows.tests]
    assert [tuple(t) for t in summary_rows.tests] == [tuple(t)[:STATUS_COLUMNS[0]] for t in rows.tests]
    assert ([tuple(t) for t in of_runs.tests], of_runs.facts) == ([tuple(t) for t in summary_rows.tests],
                                                                  summary_rows.facts)
    assert loaded == verdicts
    assert list(tests_only.tests) == list(rows.tests) and not tests_only.outputs
    # The page's outputs only, and for its tests in scope the very rows of the whole run's (variants in any order).
    assert {output[1] for output in page_outputs} <= set(page)
    in_page = {test[0] for test in rows.tests} & set(page)
    assert Counter(tuple(output) for output in page_outputs if output[1] in in_page) == \
        Counter(tuple(output) for output in rows.outputs if output[1] in in_page)
    assert [classify(r, state, platform='linux') for r in paged] == [v for v in verdicts if v.regression_id in page]
    assert details == {r.regression_id: [classify(r, state, platform='linux')] if in_scope(r) else [] for r in made}


def test_descriptions_give_every_category_once_by_code_point(factory):
    """``load_descriptions``: all of a test's category names, sorted as Python sorts, a link stored twice once."""
    test = factory.regression_test(categories=('Teletext', 'alpha', 'Beta'))
    link = factory.session.execute(sa.select(regressionTestLinkTable)
                                   .where(regressionTestLinkTable.c.regression_id == test.id)).first()
    factory.session.execute(sa.insert(regressionTestLinkTable).values(**link._mapping))  # the table has no key
    nameless = Category(name=None, description='')
    factory.session.add(nameless)
    factory.session.flush()
    factory.session.execute(sa.insert(regressionTestLinkTable).values(regression_id=test.id, category_id=nameless.id))
    bare = factory.regression_test()
    factory.commit()

    described = queries.load_descriptions(factory.session, [test.id, bare.id])
    assert described[test.id].categories == ('Beta', 'Teletext', 'alpha')
    assert described[test.id].category == 'Beta'
    assert (described[bare.id].categories, described[bare.id].category) == ((), None)


def test_descriptions_keep_each_tests_sample_and_command_beside_its_tags(factory):
    """Tag rows carry no sample or command: a test's own row gives them, with or without categories."""
    tagged = factory.regression_test(tags=('zeta', 'Alpha'), command='-out=srt')
    both = factory.regression_test(categories=('DVB',), tags=('x',), command='-out=ttxt')
    factory.commit()

    described = queries.load_descriptions(factory.session, [tagged.id, both.id])
    assert described[tagged.id] == queries.Description(tagged.id, tagged.sample_id, '-out=srt', None, ('Alpha', 'zeta'))
    assert described[both.id] == queries.Description(both.id, both.sample_id, '-out=ttxt', 'DVB', ('x',), ('DVB',))


def test_the_status_statement_is_valid_under_only_full_group_by(factory):
    """MySQL's default SQL mode, which a platform's server may run: every column a status row groups by is named.

    The run list's statement too, for a customized run and for another.
    """
    made = [RegressionTestRecord(regression_id=1, result=Result(exit_code=0, expected_rc=0, runtime=5),
                                 outputs=(Output(output_id=1, correct='a'), Output(output_id=2, correct='b')),
                                 files=(ResultFile(output_id=1, expected='a', got='c'),)),
            RegressionTestRecord(regression_id=2, result=Result(exit_code=0, expected_rc=0))]
    session = factory.session
    for listed in (None, [1, 2]):
        run_id = store(factory, made, RunState.completed, {1: True, 2: True}, listed, null_variants=False)
        run = queries.load_run(session, run_id)
        assert run is not None and run.customized is (listed is not None)
        if ON_MARIADB:  # on this connection only, and as it was afterwards
            mode = session.execute(sa.text('SELECT @@SESSION.sql_mode')).scalar_one()
            session.execute(sa.text("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ONLY_FULL_GROUP_BY')"))
        try:
            loaded = [queries.load_status_rows(session, run, all_columns=all_columns) for all_columns in (False, True)]
            loaded.append(queries.load_status_rows_of_runs(session, [run])[run_id])
            for rows in loaded:
                assert [(rid, status) for rid, status, _ in statuses(RunState.completed, rows.tests, rows.facts)] == [
                    (1, Status.fail), (2, Status.passed)]
        finally:
            if ON_MARIADB:
                session.execute(sa.text('SET SESSION sql_mode = :mode'), {'mode': mode})


def test_the_summed_facts_stay_exact_for_a_test_with_many_outputs(factory):
    """The database sums a test's facts in a 64-bit integer: 300 outputs, each reported, differing and baseless."""
    many = 300
    made = [RegressionTestRecord(
        regression_id=1, result=Result(exit_code=0, expected_rc=0, runtime=5),
        outputs=tuple(Output(output_id=i, correct='') for i in range(1, many + 1)),
        files=tuple(ResultFile(output_id=i, expected='', got=f'other {i}') for i in range(1, many + 1)))]
    run_id = store(factory, made, RunState.completed, {1: True}, None, null_variants=False)
    run = queries.load_run(factory.session, run_id)
    assert run is not None
    rows = queries.load_status_rows(factory.session, run)
    assert rows.facts == facts_by_test(queries.load_rows(factory.session, run).outputs)
    assert unpack(rows.facts[1]) == (many, many, many, many)
    assert list(statuses(RunState.completed, rows.tests, rows.facts)) == [(1, Status.fail, False)]
