"""The comparison service on plain values: what happened to each test between a base run and this run.

The first table is the rules of ``comparison.kind`` (``docs/verdicts.md``,
"Relative verdicts"), one row per rule, in the order they apply; the second
shows which rule wins when several could. Then ``sides`` on rows in the
verdict service's layouts, and the order and counts of ``compare``.
"""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mod_api.comparison import (KIND_ORDER, Kind, Side, compare, counts, kind,
                                sides)
from mod_api.verdicts import RunState, Status, facts_by_test, statuses


def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


BASE, OTHER, VARIANT = _sha('baseline'), _sha('something else'), _sha('accepted variant')
PASS, FAIL, MISSING = Status.passed, Status.fail, Status.missing_output
SKIPPED, RUNNING, NOT_STARTED = Status.skipped, Status.running, Status.not_started
COMPLETED = RunState.completed


def side(status, exit_code=0, produced=((1, BASE),), ran=True):
    """One test in one run: by default it exited with 0 and produced the baseline for output 1."""
    return Side(status=status, exit_code=exit_code, produced=tuple(produced), ran=ran)


NEVER_RAN = dict(exit_code=None, produced=((1, None),), ran=False)


DIFFERENT = ((1, OTHER),)
NOTHING = ((1, None),)

# The rules of ``kind``: the first one that applies decides.
KIND_TABLE = [
    #            here                             base                             kind
    pytest.param(side(PASS),                      None,                            'no_reference',
                 id='rule-1-not-in-the-base'),
    pytest.param(side(FAIL),                      None,                            'no_reference',
                 id='rule-1-failing-not-in-the-base'),
    pytest.param(side(SKIPPED),                   side(PASS),                      'not_comparable',
                 id='rule-2-skipped-here'),
    pytest.param(side(PASS),                      side(MISSING, **NEVER_RAN),      'no_reference',
                 id='rule-2b-the-base-never-ran-it'),
    pytest.param(side(FAIL),                      side(MISSING, **NEVER_RAN),      'no_reference',
                 id='rule-2b-failing-the-base-never-ran-it'),
    pytest.param(side(PASS),                      side(SKIPPED),                   'not_comparable',
                 id='rule-2-skipped-in-the-base'),
    pytest.param(side(RUNNING),                   side(FAIL),                      'not_comparable',
                 id='rule-2-running-here'),
    pytest.param(side(FAIL),                      side(NOT_STARTED),               'not_comparable',
                 id='rule-2-not-started-in-the-base'),
    pytest.param(side(FAIL, 0, DIFFERENT),        side(PASS),                      'broken_here',
                 id='rule-3-fails-here'),
    pytest.param(side(MISSING, 0, NOTHING),       side(PASS),                      'broken_here',
                 id='rule-3-missing-output-here'),
    pytest.param(side(PASS),                      side(FAIL, 0, DIFFERENT),        'fixed_here',
                 id='rule-4-failed-in-the-base'),
    pytest.param(side(PASS),                      side(MISSING, 3, NOTHING),       'fixed_here',
                 id='rule-4-missing-output-in-the-base'),
    pytest.param(side(PASS),                      side(PASS),                      'unchanged_pass',
                 id='rule-5-passes-on-both'),
    pytest.param(side(PASS, 0, ((1, VARIANT),)),  side(PASS),                      'unchanged_pass',
                 id='rule-5-passes-through-a-variant-on-one-side'),
    pytest.param(side(FAIL, 0, DIFFERENT),        side(FAIL, 0, DIFFERENT),        'failing_identically',
                 id='rule-6-same-code-same-hashes'),
    pytest.param(side(FAIL, 3),                   side(FAIL, 3),                   'failing_identically',
                 id='rule-6-same-crash'),
    pytest.param(side(MISSING, 0, NOTHING),       side(MISSING, 0, NOTHING),       'failing_identically',
                 id='rule-6-missing-output-on-both'),
    pytest.param(side(FAIL, None, ()),            side(FAIL, None, ()),            'failing_identically',
                 id='rule-6-no-result-no-outputs-on-both'),
    pytest.param(side(FAIL, 0, DIFFERENT),        side(FAIL, 0, ((1, VARIANT),)),  'failing_differently',
                 id='rule-7-hashes-differ'),
    pytest.param(side(FAIL, 3, DIFFERENT),        side(FAIL, 0, DIFFERENT),        'failing_differently',
                 id='rule-7-exit-code-differs-outputs-same'),
    pytest.param(side(FAIL, None, DIFFERENT),     side(FAIL, 0, DIFFERENT),        'failing_differently',
                 id='rule-7-no-result-against-exit-code-0'),
    pytest.param(side(MISSING, 0, NOTHING),       side(FAIL, 0, DIFFERENT),        'failing_differently',
                 id='rule-7-missing-output-against-a-difference'),
    pytest.param(side(FAIL, 0, ((1, OTHER), (2, None))), side(FAIL, 0, DIFFERENT), 'failing_differently',
                 id='rule-7-another-output-counts-on-one-side'),
]


@pytest.mark.parametrize('here, base, expected', KIND_TABLE)
def test_kind(here, base, expected):
    assert kind(here, base) is Kind(expected)


# Where several rules could apply, the first wins.
PRECEDENCE_TABLE = [
    #            here                             base                             kind
    pytest.param(side(SKIPPED),                   None,                            'no_reference',
                 id='rule-1-before-rule-2'),
    pytest.param(side(SKIPPED),                   side(FAIL),                      'not_comparable',
                 id='rule-2-before-rule-4-skipped-here'),
    pytest.param(side(FAIL),                      side(SKIPPED),                   'not_comparable',
                 id='rule-2-before-rule-3-skipped-in-the-base'),
    pytest.param(side(FAIL),                      side(SKIPPED, **NEVER_RAN),      'not_comparable',
                 id='rule-2-before-rule-2b-canceled-before-it-ran'),
    pytest.param(side(SKIPPED, None, ()),         side(SKIPPED, None, ()),         'not_comparable',
                 id='rule-2-before-rule-6-identical-skips'),
    pytest.param(side(MISSING, 3, NOTHING),       side(PASS),                      'broken_here',
                 id='rule-3-missing-output-is-failing'),
    pytest.param(side(PASS, 0, DIFFERENT),        side(PASS),                      'unchanged_pass',
                 id='rule-5-hashes-do-not-matter-when-both-pass'),
]


@pytest.mark.parametrize('here, base, expected', PRECEDENCE_TABLE)
def test_first_rule_that_applies_wins(here, base, expected):
    assert kind(here, base) is Kind(expected)


# --- sides, from rows in the verdict service's layouts ---------------------------------------------------------

RUN = 7


def result(regression_id, exit_code=0, expected_rc=0):
    """A ``TestRow`` (first four columns) of a test that finished in the run."""
    return (regression_id, RUN, exit_code, expected_rc)


def no_result(regression_id):
    """A ``TestRow`` of a test that has no result in the run."""
    return (regression_id, None, None, None)


def output(output_id, regression_id, got=None, reported=True, ignore=0, variant=None, correct=BASE, expected=BASE):
    """An ``OutputRow`` (first eight columns); ``got`` None with ``reported``: identical to ``expected``."""
    if not reported:
        return (output_id, regression_id, correct, ignore, None, None, None, variant)
    return (output_id, regression_id, correct, ignore, RUN, expected, got, variant)


class SidesTests:
    """``sides``: status from ``verdicts.statuses``, exit code from the result, the hashes each counted output gave."""

    def test_null_got_is_the_rows_expected_and_got_is_taken_when_set(self):
        made = sides(COMPLETED, [result(1)], [output(10, 1), output(11, 1, got=OTHER)])
        assert made == {1: Side(status=FAIL, exit_code=0, produced=((10, BASE), (11, OTHER)))}

    def test_an_unreported_output_produced_none(self):
        made = sides(COMPLETED, [result(1)], [output(10, 1), output(11, 1, reported=False)])
        assert made[1].produced == ((10, BASE), (11, None))
        assert made[1].status is FAIL

    def test_ignored_outputs_are_left_out(self):
        rows = [output(10, 1), output(11, 1, got=OTHER, ignore=1), output(12, 1, reported=False, ignore=True),
                output(13, 1, ignore=None)]
        made = sides(COMPLETED, [result(1)], rows)
        assert made[1] == Side(status=PASS, exit_code=0, produced=((10, BASE), (13, BASE)))

    def test_an_output_with_several_variants_is_one_output(self):
        rows = [output(10, 1, got=VARIANT, variant=OTHER), output(10, 1, got=VARIANT, variant=VARIANT),
                output(11, 1, reported=False, variant=OTHER), output(11, 1, reported=False, variant=VARIANT)]
        assert sides(COMPLETED, [result(1)], rows)[1].produced == ((10, VARIANT), (11, None))

    def test_exit_code_is_none_without_a_result(self):
        made = sides(COMPLETED, [no_result(1), result(2, exit_code=3)], [output(10, 1), output(20, 2)])
        assert (made[1].exit_code, made[1].status) == (None, PASS)
        assert (made[2].exit_code, made[2].status) == (3, FAIL)

    def test_a_test_without_outputs_produced_nothing(self):
        assert sides(COMPLETED, [result(1)], []) == {1: Side(status=PASS, exit_code=0, produced=())}

    def test_statuses_are_the_verdict_services(self):
        tests = [result(1), result(2, exit_code=3), no_result(3), no_result(4), result(5)]
        rows = [output(10, 1), output(20, 2), output(30, 3, reported=False), output(50, 5, got=OTHER),
                output(51, 5, reported=False)]
        for state in RunState:
            expected = {rid: status for rid, status, _ in statuses(state, tests, facts_by_test(rows))}
            assert {rid: each.status for rid, each in sides(state, tests, rows).items()} == expected

    def test_rows_may_be_read_once(self):
        tests = [result(1), result(2)]
        rows = [output(10, 1), output(20, 2, got=OTHER)]
        assert sides(COMPLETED, iter(tests), iter(rows)) == sides(COMPLETED, tests, rows)

    def test_whole_rows_will_do(self):
        tests = [result(1) + (0, 1500)]
        rows = [output(10, 1) + ('.srt', 'out.srt')]
        assert sides(COMPLETED, tests, rows) == {1: Side(status=PASS, exit_code=0, produced=((10, BASE),))}


class RowsCompareTests:
    """Two runs' rows, compared: what the hashes of ignored outputs and accepted variants do to the kind."""

    def test_an_ignored_outputs_hash_differing_does_not_matter(self):
        crash = [result(1, exit_code=3)]
        here = sides(COMPLETED, crash, [output(10, 1, got=OTHER), output(11, 1, got=OTHER, ignore=1)])
        base = sides(COMPLETED, crash, [output(10, 1, got=OTHER), output(11, 1, got=VARIANT, ignore=1)])
        assert compare(here, base) == [(1, Kind.failing_identically)]

    def test_a_pass_through_an_accepted_variant_is_a_pass(self):
        here = sides(COMPLETED, [result(1)], [output(10, 1, got=VARIANT, variant=VARIANT)])
        base = sides(COMPLETED, [result(1)], [output(10, 1, variant=VARIANT)])
        assert here[1].status is PASS
        assert compare(here, base) == [(1, Kind.unchanged_pass)]

    def test_the_same_wrong_output_with_the_same_code_fails_identically(self):
        rows = [output(10, 1, got=OTHER), output(11, 1, reported=False)]
        assert compare(sides(COMPLETED, [result(1)], rows), sides(COMPLETED, [result(1)], rows)) == [
            (1, Kind.failing_identically)]

    def test_a_canceled_base_that_skipped_the_test_is_not_comparable(self):
        here = sides(COMPLETED, [result(1)], [output(10, 1, got=OTHER)])
        base = sides(RunState.canceled, [no_result(1)], [output(10, 1, reported=False)])
        assert base[1].status is SKIPPED
        assert compare(here, base) == [(1, Kind.not_comparable)]


# --- compare and counts ----------------------------------------------------------------------------------------


class CompareTests:
    """``compare``: each test of this run once, in the reviewer's order; ``counts``: every kind, zeros included."""

    HERE = {9: side(PASS), 1: side(PASS), 4: side(FAIL, 0, DIFFERENT), 3: side(FAIL, 3), 8: side(SKIPPED),
            2: side(PASS), 6: side(FAIL, 0, DIFFERENT), 5: side(PASS)}
    BASE = {9: side(PASS), 1: side(PASS), 4: side(PASS), 3: side(FAIL, 3), 8: side(PASS), 6: side(FAIL),
            5: side(FAIL), 77: side(FAIL)}

    def test_kind_order_holds_every_kind_once(self):
        assert sorted(KIND_ORDER) == sorted(Kind)
        assert len(KIND_ORDER) == len(set(KIND_ORDER)) == len(Kind)
        assert KIND_ORDER == (Kind.broken_here, Kind.fixed_here, Kind.failing_differently, Kind.failing_identically,
                              Kind.no_reference, Kind.not_comparable, Kind.unchanged_pass)

    def test_ordered_by_kind_then_regression_id(self):
        assert compare(self.HERE, self.BASE) == [
            (4, Kind.broken_here), (5, Kind.fixed_here), (6, Kind.failing_differently), (3, Kind.failing_identically),
            (2, Kind.no_reference), (8, Kind.not_comparable), (1, Kind.unchanged_pass), (9, Kind.unchanged_pass)]

    def test_tests_only_the_base_holds_are_not_listed(self):
        assert 77 not in dict(compare(self.HERE, self.BASE))

    def test_counts_name_every_kind(self):
        assert counts(compare(self.HERE, self.BASE)) == {
            Kind.broken_here: 1, Kind.fixed_here: 1, Kind.failing_differently: 1, Kind.failing_identically: 1,
            Kind.no_reference: 1, Kind.not_comparable: 1, Kind.unchanged_pass: 2}
        assert list(counts(compare(self.HERE, self.BASE))) == list(KIND_ORDER)

    def test_counts_keep_zeros(self):
        assert counts([]) == {each: 0 for each in Kind}
        assert counts([(1, Kind.fixed_here)]) == {**{each: 0 for each in Kind}, Kind.fixed_here: 1}

    def test_no_base_run_at_all(self):
        compared = compare(self.HERE, None)
        assert compared == [(rid, Kind.no_reference) for rid in sorted(self.HERE)]
        assert counts(compared)[Kind.no_reference] == len(self.HERE)

    def test_an_empty_base_run(self):
        assert compare(self.HERE, {}) == compare(self.HERE, None)

    def test_an_empty_run(self):
        assert compare({}, self.BASE) == []


# --- properties over generated sides ---------------------------------------------------------------------------

HASHES = [BASE, OTHER, VARIANT, None]
sides_st = st.builds(
    Side, status=st.sampled_from(list(Status)), exit_code=st.sampled_from([None, 0, 1, 3]),
    produced=st.lists(st.tuples(st.integers(1, 3), st.sampled_from(HASHES)), max_size=3).map(tuple))

# What a kind is when the two sides swap places.
MIRROR = {Kind.broken_here: Kind.fixed_here, Kind.fixed_here: Kind.broken_here}


@given(a=sides_st, b=sides_st)
def test_kind_mirrors_when_the_sides_swap(a, b):
    # broken_here(a, b) iff fixed_here(b, a); every other kind stays what it is.
    forward = kind(a, b)
    assert forward is not Kind.no_reference
    assert kind(b, a) is MIRROR.get(forward, forward)


@given(a=sides_st)
def test_a_side_against_itself_never_changed(a):
    assert kind(a, a) in (Kind.unchanged_pass, Kind.failing_identically, Kind.not_comparable)


@given(here=st.dictionaries(st.integers(1, 50), sides_st, max_size=12),
       base=st.one_of(st.none(), st.dictionaries(st.integers(1, 50), sides_st, max_size=12)))
def test_compare_lists_each_test_of_the_run_once_in_order(here, base):
    compared = compare(here, base)
    assert sorted(rid for rid, _ in compared) == sorted(here)
    assert compared == sorted(compared, key=lambda pair: (KIND_ORDER.index(pair[1]), pair[0]))
    assert all(each is kind(here[rid], None if base is None else base.get(rid)) for rid, each in compared)
    assert sum(counts(compared).values()) == len(here)
