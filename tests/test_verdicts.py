"""The verdict service on plain values: the decision tables of ``classification.md``, no database, no Flask.

Each table below is the document's table written as test cases, one row per
situation, in the document's order; the id names the line that decides.
"""

import datetime
import hashlib
import re
import sys

import pytest

from mod_api.verdicts import (LINE_STATUS, MAX_LISTED_OUTPUTS,
                              MAX_MESSAGE_LENGTH, SIGNAL_NAMES, Output,
                              OutputStatus, RegressionTestRecord, Result,
                              ResultFile, RunState, Status, classify, count,
                              crashed, decide, duration_ms, output_facts,
                              run_state, signal_names, triggered_by)


def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


# Hashes as the platform stores them: lower-case sha256 hex.
BASE = _sha('baseline')
OTHER = _sha('something else')
VARIANT = _sha('accepted variant')
OLD = _sha('baseline when the run started')

QUEUED, PREPARING, TESTING = RunState.queued, RunState.preparation, RunState.testing
COMPLETED, CANCELED = RunState.completed, RunState.canceled

OK = Result(exit_code=0, expected_rc=0, runtime=1500)
CRASH = Result(exit_code=3, expected_rc=0, runtime=20)


def out(output_id, correct=BASE, variants=(), ignore=False, extension='.srt'):
    """An expected output of the regression test."""
    return Output(output_id=output_id, correct=correct, extension=extension, ignore=ignore, variants=tuple(variants))


def row(output_id, got=None, expected=BASE):
    """A ``test_result_file`` row: ``got`` None means identical to ``expected``."""
    return ResultFile(output_id=output_id, expected=expected, got=got)


def judge(state, result, outputs, rows, expected_rc=0, platform='linux'):
    """The verdict on regression test 1 in a run in ``state`` on ``platform``."""
    record = RegressionTestRecord(regression_id=1, expected_rc=expected_rc, result=result, outputs=tuple(outputs),
                                  files=tuple(rows))
    return classify(record, state, platform=platform)


# "Status of one regression test in a run": first matching line wins.
STATUS_TABLE = [
    #            run state  result  outputs                              rows                          status
    pytest.param(QUEUED,    None,   [out(1)],                            [],                           'not_started',
                 id='line-1-queued'),
    pytest.param(PREPARING, None,   [out(1), out(2)],                    [],                           'not_started',
                 id='line-1-preparing'),
    pytest.param(QUEUED,    None,   [],                                  [],                           'not_started',
                 id='line-1-queued-no-outputs'),
    pytest.param(TESTING,   None,   [out(1)],                            [],                           'not_started',
                 id='line-2-testing'),
    pytest.param(TESTING,   None,   [],                                  [],                           'not_started',
                 id='line-2-testing-no-outputs'),
    pytest.param(TESTING,   None,   [out(1), out(2)],                    [row(1)],                     'running',
                 id='line-3-testing-some-rows'),
    pytest.param(PREPARING, None,   [out(1)],                            [row(1, got=OTHER)],          'running',
                 id='line-3-preparing-row-differs'),
    pytest.param(QUEUED,    None,   [out(1)],                            [row(1)],                     'running',
                 id='line-3-queued-with-rows'),
    pytest.param(CANCELED,  None,   [out(1)],                            [],                           'skipped',
                 id='line-4-canceled-with-outputs'),
    pytest.param(CANCELED,  None,   [],                                  [],                           'skipped',
                 id='line-4-canceled-no-outputs'),
    pytest.param(COMPLETED, None,   [],                                  [],                           'skipped',
                 id='line-5-completed-no-outputs'),
    pytest.param(COMPLETED, None,   [out(1, ignore=True)],               [],                           'skipped',
                 id='line-5-only-ignored-outputs'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [],                           'missing_output',
                 id='line-6-result-no-rows'),
    pytest.param(COMPLETED, None,   [out(1), out(2)],                    [],                           'missing_output',
                 id='line-6-no-result-no-rows-completed'),
    pytest.param(TESTING,   OK,     [out(1)],                            [],                           'missing_output',
                 id='line-6-result-no-rows-run-testing'),
    pytest.param(CANCELED,  OK,     [out(1)],                            [],                           'missing_output',
                 id='line-6-result-no-rows-run-canceled'),
    pytest.param(COMPLETED, OK,     [out(1, correct=None)],              [],                           'missing_output',
                 id='line-6-no-rows-no-baseline'),
    pytest.param(COMPLETED, CRASH,  [out(1)],                            [row(1)],                     'fail',
                 id='line-7-exit-code-differs'),
    pytest.param(COMPLETED, Result(None, 0), [out(1)],                   [row(1)],                     'fail',
                 id='line-7-null-exit-code-differs-from-0'),
    pytest.param(COMPLETED, Result(0, None), [out(1)],                   [row(1)],                     'fail',
                 id='line-7-0-differs-from-null-expected'),
    pytest.param(COMPLETED, Result(None, None), [out(1)],                [row(1)],                     'pass',
                 id='line-7-null-equals-null'),
    pytest.param(COMPLETED, Result(1, 0), [],                            [],                           'fail',
                 id='line-7-no-outputs'),
    pytest.param(TESTING,   CRASH,  [out(1)],                            [row(1)],                     'fail',
                 id='line-7-run-still-testing'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [row(1, got=OTHER)],          'fail',
                 id='line-8-got-differs'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [row(1, got='')],             'fail',
                 id='line-8-got-empty-string-is-set'),
    pytest.param(COMPLETED, OK,     [out(1, variants=[VARIANT])],        [row(1, got=VARIANT)],        'pass',
                 id='line-8-got-equals-variant'),
    pytest.param(COMPLETED, OK,     [out(1, variants=[OTHER, VARIANT])], [row(1, got=VARIANT)],        'pass',
                 id='line-8-got-equals-second-variant'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [row(1, got=BASE)],           'pass',
                 id='line-8-got-equals-expected'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [row(1, got=OLD, expected=OLD)], 'pass',
                 id='line-8-got-equals-row-expected-not-correct'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [row(1, got=BASE, expected=OLD)], 'fail',
                 id='line-8-correct-is-not-an-acceptable-hash'),
    pytest.param(COMPLETED, OK,     [out(1, variants=[VARIANT])],        [row(1, got=VARIANT.upper())], 'fail',
                 id='line-8-upper-case-lookalike-of-variant'),
    pytest.param(COMPLETED, OK,     [out(1)],                            [row(1, got=BASE.upper())],   'fail',
                 id='line-8-upper-case-lookalike-of-expected'),
    pytest.param(COMPLETED, OK,     [out(1), out(2)],                    [row(1), row(2, got=OTHER)],  'fail',
                 id='line-8-second-output-differs'),
    pytest.param(COMPLETED, None,   [out(1)],                            [row(1, got=OTHER)],          'fail',
                 id='line-8-rows-without-result'),
    pytest.param(COMPLETED, OK,     [out(1), out(2)],                    [row(1)],                     'fail',
                 id='line-9-one-output-not-reported'),
    pytest.param(CANCELED,  None,   [out(1), out(2), out(3)],            [row(2)],                     'fail',
                 id='line-9-canceled-rows-without-result'),
    pytest.param(COMPLETED, OK,     [out(1, correct='')],                [row(1, expected='')],        'fail',
                 id='line-10-correct-empty'),
    pytest.param(COMPLETED, OK,     [out(1, correct=None)],              [row(1, expected='')],        'fail',
                 id='line-10-correct-null'),
    pytest.param(COMPLETED, OK,     [out(1), out(2, correct=None)],      [row(1), row(2, expected='')], 'fail',
                 id='line-10-one-of-two-outputs'),
    pytest.param(COMPLETED, OK,     [out(1, correct=None)],              [row(1)],                     'pass',
                 id='line-10-row-expected-is-a-baseline'),
    pytest.param(COMPLETED, OK,     [out(1, correct='')],                [row(1)],                     'pass',
                 id='line-10-correct-empty-row-expected-set'),
    pytest.param(COMPLETED, OK,     [out(1), out(2)],                    [row(1), row(2)],             'pass',
                 id='line-11-all-outputs-match'),
    pytest.param(COMPLETED, OK,     [],                                  [],                           'pass',
                 id='line-11-no-outputs'),
    pytest.param(COMPLETED, None,   [out(1)],                            [row(1)],                     'pass',
                 id='line-11-rows-without-result'),
    pytest.param(COMPLETED, OK,     [out(1, correct='test1')],           [row(1, expected='test1')],   'pass',
                 id='line-11-demo-baseline-name'),
]


@pytest.mark.parametrize('state, result, outputs, rows, status', STATUS_TABLE)
def test_status_of_a_regression_test(state, result, outputs, rows, status):
    assert judge(state, result, outputs, rows).status is Status(status)


# First match wins: the line that decides shows in the status, or in what the message names.
PRECEDENCE_TABLE = [
    #            run state  result  outputs                          rows                          status / message
    pytest.param(TESTING,   None,   [out(1)],                        [row(1, got=OTHER)],          'running', None,
                 id='line-3-before-line-8'),
    pytest.param(TESTING,   None,   [out(1), out(2)],                [row(2)],                     'running', None,
                 id='line-3-before-line-9'),
    pytest.param(TESTING,   None,   [out(1, correct=None)],          [row(1, expected='')],        'running', None,
                 id='line-3-before-line-10'),
    pytest.param(TESTING,   None,   [out(1)],                        [],                           'not_started', None,
                 id='line-2-before-line-6'),
    pytest.param(CANCELED,  None,   [out(1)],                        [],                           'skipped', None,
                 id='line-4-before-line-6'),
    pytest.param(COMPLETED, CRASH,  [out(1)],                        [],                           'missing_output',
                 None, id='line-6-before-line-7-crash-without-output'),
    pytest.param(COMPLETED, CRASH,  [out(7)],                        [row(7, got=OTHER)],          'fail',
                 'Exit code 3, expected 0.', id='line-7-before-line-8'),
    pytest.param(COMPLETED, CRASH,  [out(7), out(9)],                [row(7)],                     'fail',
                 'Exit code 3, expected 0.', id='line-7-before-line-9'),
    pytest.param(COMPLETED, OK,     [out(7), out(9)],                [row(7, got=OTHER)],          'fail', 'Output 7',
                 id='line-8-before-line-9'),
    pytest.param(COMPLETED, OK,     [out(7, correct=None), out(9)],  [row(7, got=OTHER, expected='')], 'fail',
                 'Output 7', id='line-8-before-line-9-got-set-without-baseline'),
    pytest.param(COMPLETED, OK,     [out(7, correct=None), out(9)],  [row(7, expected=''), row(9, got=OTHER)], 'fail',
                 'Output 9', id='line-8-before-line-10'),
    pytest.param(COMPLETED, OK,     [out(7, correct=None), out(9)],  [row(7, expected='')],        'fail', 'Output 9',
                 id='line-9-before-line-10'),
]


@pytest.mark.parametrize('state, result, outputs, rows, status, names', PRECEDENCE_TABLE)
def test_first_matching_line_wins(state, result, outputs, rows, status, names):
    verdict = judge(state, result, outputs, rows)
    assert verdict.status is Status(status)
    if names is not None:
        assert names in verdict.message
        for other in {'Output 7', 'Output 9'} - {names}:
            assert other not in verdict.message


def decided_by(state, result, outputs, rows):
    """The line of the decision table (``decide``) that decides, from the outputs' facts as ``classify`` finds them."""
    row_of = {row.output_id: row for row in rows}
    facts = 0
    for o in outputs:
        row = row_of.get(o.output_id)
        facts += output_facts(o.ignore, o.correct, row is not None, row and row.expected, row and row.got, o.variants)
    has_result = result is not None
    return decide(state, has_result, crashed(has_result, result and result.exit_code, result and result.expected_rc),
                  facts)


@pytest.mark.parametrize('state, result, outputs, rows, status', STATUS_TABLE)
def test_the_line_a_case_is_named_after_decides_it(request, state, result, outputs, rows, status):
    # A case named after a line that gives another status shows that the line does not apply (line 11 decides).
    named = int(request.node.callspec.id.split('-')[1])
    line = decided_by(state, result, outputs, rows)
    assert LINE_STATUS[line] is Status(status)
    assert line == (named if LINE_STATUS[named] is Status(status) else 11)


@pytest.mark.parametrize('state, result, outputs, rows, status, names', PRECEDENCE_TABLE)
def test_the_first_line_a_precedence_case_names_decides_it(request, state, result, outputs, rows, status, names):
    assert decided_by(state, result, outputs, rows) == int(request.node.callspec.id.split('-')[1])


def test_crash_without_output_is_missing_output_and_still_a_crash():
    verdict = judge(COMPLETED, CRASH, [out(1)], [])
    assert verdict.status is Status.missing_output
    assert verdict.crashed is True
    assert {'3', '0'} <= set(re.findall(r'-?[0-9]+', verdict.message))  # the exit code and the expected one


# "Status of one output": first matching line wins. expected_hash: the row's expected, else correct;
# actual_hash: got when set, the row's expected when got is NULL, null without a row.
OUTPUT_TABLE = [
    #            output                           row                                status              expected actual
    pytest.param(out(1, correct=''),              None,                              'missing_expected', None, None,
                 id='missing-expected-correct-empty-no-row'),
    pytest.param(out(1, correct=None),            None,                              'missing_expected', None, None,
                 id='missing-expected-correct-null-no-row'),
    pytest.param(out(1, correct=None),            row(1, expected=''),               'missing_expected', None, None,
                 id='missing-expected-row-expected-empty'),
    pytest.param(out(1, correct=''),              row(1, got=OTHER, expected=''),    'missing_expected', None, OTHER,
                 id='missing-expected-before-diff-mismatch'),
    pytest.param(out(1),                          row(1),                            'match', BASE, BASE,
                 id='match-got-null'),
    pytest.param(out(1),                          row(1, got=BASE),                  'match', BASE, BASE,
                 id='match-got-equals-expected'),
    pytest.param(out(1),                          row(1, expected=OLD),              'match', OLD, OLD,
                 id='match-hashes-from-the-row-not-correct'),
    pytest.param(out(1, variants=[VARIANT]),      row(1, got=VARIANT),               'match', BASE, VARIANT,
                 id='match-got-equals-variant'),
    pytest.param(out(1, correct=None),            row(1),                            'match', BASE, BASE,
                 id='match-row-expected-is-the-baseline'),
    pytest.param(out(1),                          row(1, got=OTHER),                 'diff_mismatch', BASE, OTHER,
                 id='diff-mismatch'),
    pytest.param(out(1),                          row(1, got=''),                    'diff_mismatch', BASE, None,
                 id='diff-mismatch-got-empty-string'),
    pytest.param(out(1, variants=[VARIANT]),      row(1, got=VARIANT.upper()),       'diff_mismatch', BASE,
                 VARIANT.upper(), id='diff-mismatch-upper-case-lookalike'),
    pytest.param(out(1),                          row(1, got='error'),               'diff_mismatch', BASE, None,
                 id='diff-mismatch-got-not-a-hash'),
    pytest.param(out(1),                          None,                              'missing_output', BASE, None,
                 id='missing-output-expected-is-correct'),
    pytest.param(out(1, correct='test1'),         None,                              'missing_output', None, None,
                 id='missing-output-correct-not-a-hash'),
    pytest.param(out(1, correct='test1'),         row(1, expected='test1'),          'match', None, None,
                 id='match-demo-names-are-not-hashes'),
]


@pytest.mark.parametrize('output, result_row, status, expected_hash, actual_hash', OUTPUT_TABLE)
def test_status_of_one_output(output, result_row, status, expected_hash, actual_hash):
    # A completed run with a result: the outputs are always listed.
    verdict = judge(COMPLETED, OK, [output], [] if result_row is None else [result_row])
    listed = verdict.outputs
    assert len(listed) == 1
    assert listed[0].output_id == 1
    assert listed[0].status is OutputStatus(status)
    assert listed[0].expected_hash == expected_hash
    assert listed[0].actual_hash == actual_hash


@pytest.mark.parametrize('value, shown', [
    pytest.param(BASE, BASE, id='lower-case-hex'),
    pytest.param(BASE.upper(), BASE.upper(), id='upper-case-hex'),
    pytest.param(BASE[:63], None, id='63-characters'),
    pytest.param(BASE + '0', None, id='65-characters'),
    pytest.param(BASE + '\n', None, id='trailing-newline'),
    pytest.param(' ' + BASE[1:], None, id='leading-space'),
    pytest.param('g' * 64, None, id='not-hexadecimal'),
    pytest.param('test1', None, id='demo-name'),
    pytest.param('', None, id='empty'),
])
def test_hashes_are_passed_through_only_when_64_hexadecimal_characters(value, shown):
    no_row = judge(COMPLETED, OK, [out(1, correct=value)], []).outputs[0]
    reported = judge(COMPLETED, OK, [out(1)], [row(1, got=value)]).outputs[0]
    identical = judge(COMPLETED, OK, [out(1)], [row(1, expected=value)]).outputs[0]
    assert no_row.expected_hash == shown
    assert reported.actual_hash == shown
    assert (identical.expected_hash, identical.actual_hash) == (shown, shown)


class IgnoredOutputsAndStrayRowsTests:
    """Ignored outputs and rows that belong to no listed output are disregarded everywhere."""

    def test_ignored_output_that_differs_does_not_count(self):
        verdict = judge(COMPLETED, OK, [out(1), out(2, ignore=True)], [row(1), row(2, got=OTHER)])
        assert verdict.status is Status.passed
        assert [o.output_id for o in verdict.outputs] == [1]

    def test_ignored_output_without_row_does_not_count(self):
        verdict = judge(COMPLETED, OK, [out(1), out(2, ignore=True)], [row(1)])
        assert verdict.status is Status.passed

    def test_ignore_null_counts_as_not_ignored(self):
        verdict = judge(COMPLETED, OK, [out(1), out(2, ignore=None)], [row(1)])
        assert verdict.status is Status.fail
        assert [(o.output_id, o.status) for o in verdict.outputs] == [(1, OutputStatus.match),
                                                                      (2, OutputStatus.missing_output)]

    @pytest.mark.parametrize('stray', [
        pytest.param(row(-1, got='error', expected=''), id='placeholder-output-id-minus-1'),
        pytest.param(row(2, got=OTHER), id='row-of-an-ignored-output'),
        pytest.param(row(99, got=OTHER), id='row-of-another-tests-output'),
    ])
    def test_stray_row_is_never_judged_nor_listed(self, stray):
        outputs = [out(1), out(2, ignore=True)]
        verdict = judge(COMPLETED, OK, outputs, [row(1), stray])
        assert verdict.status is Status.passed
        assert [o.output_id for o in verdict.outputs] == [1]
        # Alone, a stray row is no row at all: lines 2 and 6 still apply.
        assert judge(TESTING, None, outputs, [stray]).status is Status.not_started
        assert judge(COMPLETED, OK, outputs, [stray]).status is Status.missing_output

    def test_only_ignored_outputs_with_their_rows_pass(self):
        verdict = judge(COMPLETED, OK, [out(1, ignore=True)], [row(1, got=OTHER)])
        assert verdict.status is Status.passed
        assert verdict.outputs == ()


class ListedOutputsTests:
    """The detail's ``outputs``: output-id order, at most 20, none while nothing is decided."""

    def test_listed_in_output_id_order(self):
        verdict = judge(COMPLETED, OK, [out(5), out(2), out(9)], [row(9), row(2), row(5)])
        assert [o.output_id for o in verdict.outputs] == [2, 5, 9]

    def test_at_most_20_listed_but_all_judged(self):
        ids = list(range(30, 0, -1))
        rows = [row(i) for i in ids if i != 25] + [row(25, got=OTHER)]
        verdict = judge(COMPLETED, OK, [out(i) for i in ids], rows)
        assert MAX_LISTED_OUTPUTS == 20
        assert [o.output_id for o in verdict.outputs] == list(range(1, 21))
        assert all(o.status is OutputStatus.match for o in verdict.outputs)
        assert verdict.status is Status.fail  # output 25, not listed, differs

    @pytest.mark.parametrize('state, result, rows, status', [
        pytest.param(QUEUED, None, [], Status.not_started, id='not-started'),
        pytest.param(TESTING, None, [row(1)], Status.running, id='running'),
        pytest.param(CANCELED, None, [], Status.skipped, id='skipped'),
    ])
    def test_empty_while_undecided(self, state, result, rows, status):
        verdict = judge(state, result, [out(1), out(2)], rows)
        assert verdict.status is status
        assert verdict.outputs == ()

    @pytest.mark.parametrize('result, rows, status', [
        pytest.param(OK, [], Status.missing_output, id='missing-output'),
        pytest.param(CRASH, [row(1), row(2)], Status.fail, id='fail'),
        pytest.param(OK, [row(1), row(2)], Status.passed, id='pass'),
    ])
    def test_listed_once_decided(self, result, rows, status):
        verdict = judge(COMPLETED, result, [out(1), out(2)], rows)
        assert verdict.status is status
        assert [o.output_id for o in verdict.outputs] == [1, 2]


LONG = '.' + 'x' * 1000


class MessageTests:
    """``result_message``: one sentence naming the numbers that matter, at most 500 characters."""

    def test_exit_code(self):
        assert judge(COMPLETED, CRASH, [out(1)], [row(1)]).message == 'Exit code 3, expected 0.'

    def test_output_differs_from_baseline_and_variants(self):
        outputs = [out(12, variants=[VARIANT, OTHER])]
        message = judge(COMPLETED, OK, outputs, [row(12, got=_sha('new'))]).message
        assert message == 'Output 12 (.srt) differs from its baseline and its 2 accepted variants.'

    def test_no_output_produced(self):
        message = judge(COMPLETED, OK, [out(1), out(2)], []).message
        assert message == 'No output produced; 2 outputs expected.'

    def test_canceled_before_it_ran(self):
        assert judge(CANCELED, None, [out(1)], []).message == 'Not run: the run was canceled first.'

    def test_missing_output_among_present_ones_names_it(self):
        message = judge(COMPLETED, OK, [out(4), out(6)], [row(4)]).message
        assert 'Output 6' in message

    def test_output_without_baseline_names_it(self):
        message = judge(COMPLETED, OK, [out(4), out(6, correct='')], [row(4), row(6, expected='')]).message
        assert 'Output 6' in message and 'Output 4' not in message

    def test_differing_output_without_baseline_is_said_to_have_none(self):
        # The demo's regression 7: a produced file, an empty baseline; line 8 decides, the output is missing_expected.
        verdict = judge(COMPLETED, OK, [out(9, correct='')], [row(9, got=OTHER, expected='')])
        assert verdict.status is Status.fail
        assert [o.status for o in verdict.outputs] == [OutputStatus.missing_expected]
        assert verdict.message == 'Output 9 (.srt) has no baseline to compare with.'

    def test_differing_output_without_baseline_and_others_that_differ(self):
        outputs = [out(3, correct=''), out(5), out(7, variants=[VARIANT])]
        rows = [row(3, got=OTHER, expected=''), row(5, got=OTHER), row(7, got=OTHER)]
        verdict = judge(COMPLETED, OK, outputs, rows)
        assert [o.status for o in verdict.outputs] == [OutputStatus.missing_expected, OutputStatus.diff_mismatch,
                                                       OutputStatus.diff_mismatch]
        assert verdict.message == ('Output 3 (.srt) has no baseline to compare with; '
                                   'output 5 (.srt) differs from its baseline (2 outputs differ).')

    def test_only_outputs_with_a_baseline_are_counted_as_differing(self):
        outputs = [out(3), out(5, correct='')]
        verdict = judge(COMPLETED, OK, outputs, [row(3, got=OTHER), row(5, got=OTHER, expected='')])
        assert [o.status for o in verdict.outputs] == [OutputStatus.diff_mismatch, OutputStatus.missing_expected]
        assert verdict.message == 'Output 3 (.srt) differs from its baseline.'

    def test_unproduced_output_without_baseline_says_both(self):
        verdict = judge(COMPLETED, OK, [out(4), out(6, correct='')], [row(4)])
        assert verdict.status is Status.fail
        assert [o.status for o in verdict.outputs] == [OutputStatus.match, OutputStatus.missing_expected]
        assert verdict.message == 'Output 6 (.srt) was not produced and has no baseline; 1 of 2 outputs reported.'

    @pytest.mark.parametrize('outputs, rows, named', [
        pytest.param([out(1, extension=LONG), out(2)], [row(1, got=OTHER), row(2)], 'Output 1 (.xxx', id='line-8'),
        pytest.param([out(1), out(2, extension=LONG)], [row(1)], 'Output 2 (.xxx', id='line-9'),
        pytest.param([out(1), out(2, correct='', extension=LONG)], [row(1), row(2, expected='')], 'Output 2 (.xxx',
                     id='line-10'),
    ])
    def test_cut_to_500_characters(self, outputs, rows, named):
        # The extension alone is longer than the limit: the sentence is cut, not refused.
        message = judge(COMPLETED, OK, outputs, rows).message
        assert MAX_MESSAGE_LENGTH == 500
        assert len(message) == 500
        assert message.startswith(named)

    @pytest.mark.parametrize('state, result, rows', [
        pytest.param(QUEUED, None, [], id='not-started'),
        pytest.param(TESTING, None, [row(1)], id='running'),
        pytest.param(COMPLETED, None, [], id='skipped'),
        pytest.param(COMPLETED, OK, [row(1)], id='pass'),
    ])
    def test_every_status_has_a_message(self, state, result, rows):
        outputs = [out(1)] if rows else []
        message = judge(state, result, outputs, rows).message
        assert message and len(message) <= 500


# The standard signals' names on Linux, to check what ``signal`` gives on the machine the tests run on.
LINUX_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
                 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT',
                 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF',
                 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS']
ON_LINUX = sys.platform.startswith('linux')


class SignalTests:
    """A negative exit code -N names signal N, with Linux's names; nothing else is named."""

    @pytest.mark.skipif(not ON_LINUX, reason='off Linux no signal is named')
    def test_signal_module_gives_linux_names_for_1_to_31(self):
        assert SIGNAL_NAMES == dict(enumerate(LINUX_SIGNALS, start=1))

    @pytest.mark.skipif(ON_LINUX, reason='on Linux the names are checked above')
    def test_off_linux_no_signal_is_named(self):
        assert SIGNAL_NAMES == {}

    @pytest.mark.skipif(not ON_LINUX, reason='off Linux no signal is named')
    @pytest.mark.parametrize('exit_code, expected_rc, message', [
        pytest.param(-11, 0, 'Exit code -11 (SIGSEGV), expected 0.', id='segfault'),
        pytest.param(-6, 0, 'Exit code -6 (SIGABRT), expected 0.', id='abort'),
        pytest.param(-9, 0, 'Exit code -9 (SIGKILL), expected 0.', id='killed'),
        pytest.param(0, -15, 'Exit code 0, expected -15 (SIGTERM).', id='expected-a-signal'),
        pytest.param(-11, None, 'Exit code -11 (SIGSEGV), expected none recorded.', id='expected-null'),
    ])
    def test_negative_code_names_its_signal(self, exit_code, expected_rc, message):
        result = Result(exit_code=exit_code, expected_rc=expected_rc)
        assert judge(COMPLETED, result, [out(1)], [row(1)]).message == message

    @pytest.mark.parametrize('exit_code', [
        pytest.param(139, id='shell-128-plus-11'),  # a shell's way: not named, the workers' codes need not be one
        pytest.param(11, id='positive'),
        pytest.param(-32, id='no-standard-signal'),
        pytest.param(-34, id='real-time-signal'),
        pytest.param(-1073741819, id='windows-access-violation'),
        pytest.param(-2 ** 31, id='lowest-int'),
    ])
    def test_other_codes_are_numbers_alone(self, exit_code):
        message = judge(COMPLETED, Result(exit_code=exit_code, expected_rc=0), [out(1)], [row(1)]).message
        assert message == f'Exit code {exit_code}, expected 0.'

    @pytest.mark.parametrize('exit_code, expected_rc', [(-11, 0), (-1, 0), (0, -15), (-31, None)])
    def test_a_windows_run_names_no_signal(self, exit_code, expected_rc):
        # A Windows worker's small negative code is a program's own (exit(-1)), never a Linux signal.
        message = judge(COMPLETED, Result(exit_code=exit_code, expected_rc=expected_rc), [out(1)], [row(1)],
                        platform='windows').message
        expected = 'none recorded' if expected_rc is None else expected_rc
        assert message == f'Exit code {exit_code}, expected {expected}.'

    def test_only_linux_runs_have_signal_names(self):
        assert signal_names('windows') == {} and signal_names('linux') is SIGNAL_NAMES

    @pytest.mark.skipif(not ON_LINUX, reason='off Linux no signal is named')
    def test_a_crash_without_output_names_its_signal(self):
        message = judge(COMPLETED, Result(exit_code=-11, expected_rc=0), [out(1)], []).message
        assert message == 'No output produced (exit code -11 (SIGSEGV), expected 0); 1 output expected.'


class OtherFieldsTests:
    """``runtime_ms``, ``exit_code``, ``expected_exit_code`` and ``crashed``."""

    def test_from_the_result(self):
        verdict = judge(COMPLETED, Result(exit_code=2, expected_rc=2, runtime=1234), [], [], expected_rc=0)
        assert (verdict.runtime_ms, verdict.exit_code, verdict.expected_exit_code) == (1234, 2, 2)
        assert verdict.status is Status.passed  # the code expected when it ran, not the current one
        assert verdict.crashed is False

    def test_without_a_result(self):
        verdict = judge(TESTING, None, [out(1)], [], expected_rc=5)
        assert (verdict.runtime_ms, verdict.exit_code, verdict.expected_exit_code) == (None, None, 5)
        assert verdict.crashed is False

    def test_regression_id_is_kept(self):
        record = RegressionTestRecord(regression_id=77, result=OK)
        assert classify(record, COMPLETED, platform='linux').regression_id == 77


class CountTests:
    """Counts of a run's verdicts: they add up to the total, and crashes are counted among them."""

    def test_counts_add_up_and_crashes_are_counted_twice(self):
        verdicts = [
            judge(COMPLETED, OK, [out(1)], [row(1)]),  # pass
            judge(COMPLETED, OK, [out(1)], [row(1)]),  # pass
            judge(COMPLETED, CRASH, [out(1)], [row(1)]),  # fail, crashed
            judge(COMPLETED, OK, [out(1)], [row(1, got=OTHER)]),  # fail
            judge(COMPLETED, CRASH, [out(1)], []),  # missing_output, crashed
            judge(COMPLETED, None, [], []),  # skipped
            judge(TESTING, None, [out(1)], [row(1)]),  # running
            judge(TESTING, None, [out(1)], []),  # not_started
        ]
        counts = count(verdicts)
        assert counts.total == 8
        assert {status: counts[status] for status in Status} == {
            Status.passed: 2, Status.fail: 2, Status.missing_output: 1, Status.skipped: 1, Status.running: 1,
            Status.not_started: 1}
        assert sum(counts[status] for status in Status) == counts.total
        assert counts.crashed == 2

    def test_no_verdicts(self):
        counts = count([])
        assert counts.total == 0 and counts.crashed == 0
        assert all(counts[status] == 0 for status in Status)

    def test_accepts_a_generator(self):
        counts = count(judge(COMPLETED, OK, [], []) for _ in range(3))
        assert (counts.total, counts[Status.passed]) == (3, 3)


T0 = datetime.datetime(2026, 11, 1, 12, 0, 0)


class DurationTests:
    """``duration_ms``: first to last progress row, rounded down, once the run finished."""

    @pytest.mark.parametrize('state', [COMPLETED, CANCELED])
    def test_rounded_down_once_finished(self, state):
        last = T0 + datetime.timedelta(seconds=61, microseconds=999_999)
        assert duration_ms(T0, last, state) == 61_999

    @pytest.mark.parametrize('state', [QUEUED, PREPARING, TESTING])
    def test_null_until_finished(self, state):
        assert duration_ms(T0, T0 + datetime.timedelta(minutes=5), state) is None

    def test_null_without_progress_rows(self):
        assert duration_ms(None, None, COMPLETED) is None

    def test_same_instant(self):
        assert duration_ms(T0, T0, COMPLETED) == 0


@pytest.mark.parametrize('account, is_pull_request, pr_nr, branch, shown', [
    pytest.param('alice', True, 5, 'master', 'alice', id='account-first'),
    pytest.param('alice', False, 0, 'master', 'alice', id='account-on-a-commit-run'),
    pytest.param(None, True, 7, 'feature', 'pull request #7', id='pull-request'),
    pytest.param(None, True, 0, 'master', None, id='pull-request-number-0'),
    pytest.param(None, True, -1, 'master', None, id='pull-request-negative-number'),
    pytest.param(None, True, None, 'master', None, id='pull-request-without-number'),
    pytest.param(None, False, 0, 'master', 'commit on master', id='commit-on-branch'),
    pytest.param(None, False, 0, '', None, id='commit-empty-branch'),
    pytest.param(None, False, 0, None, None, id='commit-null-branch'),
])
def test_triggered_by(account, is_pull_request, pr_nr, branch, shown):
    assert triggered_by(account, is_pull_request, pr_nr, branch) == shown


class RunStateTests:
    """The run's state from the status of its highest-id progress row."""

    def test_no_progress_row_is_queued(self):
        assert run_state(None) is RunState.queued

    @pytest.mark.parametrize('stored', ['preparation', 'testing', 'completed', 'canceled'])
    def test_stored_status_as_is(self, stored):
        assert run_state(stored).value == stored

    @pytest.mark.parametrize('state, finished', [
        (QUEUED, False), (PREPARING, False), (TESTING, False), (COMPLETED, True), (CANCELED, True)])
    def test_finished_when_completed_or_canceled(self, state, finished):
        assert state.finished is finished
