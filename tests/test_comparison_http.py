"""``GET /runs/{run_id}/comparison`` over HTTP: every kind, every base rule, scope, order, counts, pages, cost.

The rules are those of ``docs/verdicts.md`` ("What a run did to one test"),
here read from rows built with the factory and answered as JSON.
"""

import datetime

import pytest

from mod_test.models import TestPlatform, TestStatus, TestType
from tests.conftest import API_ROOT, counted, get_json
from tests.factories import T0, sha

TESTING = (TestStatus.preparation, TestStatus.testing)
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
CANCELED = (TestStatus.preparation, TestStatus.canceled)

WRONG = sha('a wrong output')
OTHER_WRONG = sha('another wrong output')

KINDS = ['broken_here', 'fixed_here', 'failing_differently', 'failing_identically', 'no_reference',
         'not_comparable', 'unchanged_pass']


def compare(api, run, query=''):
    """The comparison of ``run`` (a page of 100 unless the query says otherwise)."""
    return get_json(api, f'/runs/{run.id}/comparison?limit=100{"&" + query if query else ""}')


def kinds(body):
    """Regression id to kind, of a comparison's page."""
    return {item['regression_id']: item['kind'] for item in body['data']}


def passed(factory, run, test):
    """The test matched every baseline in ``run``."""
    factory.finished(run, test)


def failed(factory, run, test, got=WRONG, exit_code=0):
    """The test ran in ``run``, produced ``got`` for every output (None: its baseline), exited with ``exit_code``."""
    for output in factory.outputs(test):
        factory.reported(run, test, output, got=got)
    factory.result(run, test, exit_code=exit_code)


def invalid_parameter(api, path, parameter):
    """Check that ``path`` answers 400 ``invalid_parameter`` naming ``parameter``."""
    body = get_json(api, path, status=400)
    assert body['code'] == 'invalid_parameter'
    assert body['details']['parameter'] == parameter
    assert parameter in body['message']


class KindTests:
    """Each kind of the decision table, from real rows of a run and its base."""

    def build(self, factory):
        """A base and a run (the next commit on master) with one test of every kind; the tests by kind."""
        tests = {name: factory.regression_test() for name in (
            'broken_here', 'fixed_here', 'differently_exit', 'differently_hash', 'failing_identically',
            'unchanged_pass', 'no_reference')}
        base = factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        passed(factory, base, tests['broken_here'])
        failed(factory, run, tests['broken_here'])
        failed(factory, base, tests['fixed_here'])
        passed(factory, run, tests['fixed_here'])
        failed(factory, base, tests['differently_exit'], got=None, exit_code=3)
        failed(factory, run, tests['differently_exit'], got=None, exit_code=5)
        failed(factory, base, tests['differently_hash'], got=WRONG)
        failed(factory, run, tests['differently_hash'], got=OTHER_WRONG)
        failed(factory, base, tests['failing_identically'], got=WRONG)
        failed(factory, run, tests['failing_identically'], got=WRONG)
        passed(factory, base, tests['unchanged_pass'])
        passed(factory, run, tests['unchanged_pass'])
        # Not in the base's scope: inactive, and recorded in the run only.
        tests['no_reference'].active = False
        passed(factory, run, tests['no_reference'])
        factory.commit()
        return base, run, tests

    def test_every_kind_end_to_end(self, api, factory):
        base, run, tests = self.build(factory)
        body = compare(api, run)
        assert body['run_id'] == run.id
        assert body['base']['run_id'] == base.id and body['base']['rule'] == 'previous_on_branch'
        expected = {'broken_here': 'broken_here', 'fixed_here': 'fixed_here',
                    'differently_exit': 'failing_differently', 'differently_hash': 'failing_differently',
                    'failing_identically': 'failing_identically', 'unchanged_pass': 'unchanged_pass',
                    'no_reference': 'no_reference'}
        assert kinds(body) == {tests[name].id: kind for name, kind in expected.items()}

    def test_items_carry_both_sides(self, api, factory):
        base, run, tests = self.build(factory)
        items = {item['regression_id']: item for item in compare(api, run)['data']}
        broken = items[tests['broken_here'].id]
        assert (broken['status'], broken['base_status']) == ('fail', 'pass')
        assert broken['message'] and broken['base_message']
        result = f'{API_ROOT}/runs/{run.id}/samples/{tests["broken_here"].id}'
        assert broken['links'] == {
            'self': result, 'result': result,
            'base_result': f'{API_ROOT}/runs/{base.id}/samples/{tests["broken_here"].id}',
            'history': f'{API_ROOT}/regression-tests/{tests["broken_here"].id}/history'}
        assert broken['html_url'] == f'http://localhost/test/{run.id}'
        missing = items[tests['no_reference'].id]
        assert (missing['status'], missing['base_status'], missing['base_message']) == ('pass', None, None)
        assert missing['links']['base_result'] is None
        crashed = items[tests['differently_exit'].id]
        assert '5' in crashed['message'] and '3' in crashed['base_message']

    def test_missing_output_fails_like_fail(self, api, factory):
        test = factory.regression_test()
        base = factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        passed(factory, base, test)
        factory.result(run, test)  # a result, no output reported: missing_output
        factory.commit()
        item = compare(api, run)['data'][0]
        assert (item['kind'], item['status'], item['base_status']) == ('broken_here', 'missing_output', 'pass')

    def test_not_comparable_when_the_base_skipped_it(self, api, factory):
        test = factory.regression_test()
        base = factory.run(CANCELED)
        run = factory.run(COMPLETED)
        passed(factory, run, test)
        factory.commit()
        item = compare(api, run, f'base={base.id}')['data'][0]
        assert (item['kind'], item['status'], item['base_status']) == ('not_comparable', 'pass', 'skipped')

    def test_not_comparable_while_the_run_is_running(self, api, factory):
        running, waiting = factory.regression_test(outputs=2), factory.regression_test()
        base = factory.run(COMPLETED)
        passed(factory, base, running)
        passed(factory, base, waiting)
        run = factory.run(TESTING)
        factory.reported(run, running, factory.outputs(running)[0])  # one of two outputs so far
        factory.commit()
        items = {item['regression_id']: item for item in compare(api, run)['data']}
        assert (items[running.id]['kind'], items[running.id]['status']) == ('not_comparable', 'running')
        assert (items[waiting.id]['kind'], items[waiting.id]['status']) == ('not_comparable', 'not_started')


class BaseRuleTests:
    """Which run is the base: master's tip for a pull request, the one before for a commit, or the one given."""

    def pull_request(self, factory, **kwargs):
        return factory.run(COMPLETED, test_type=TestType.pull_request, pr_nr=7, branch='feature', **kwargs)

    def test_pull_request_against_the_tip_of_master(self, api, factory):
        factory.regression_test()
        tip = factory.run(COMPLETED)
        factory.run(COMPLETED, platform=TestPlatform.windows)  # another platform's
        factory.run(TESTING)  # unfinished
        factory.run(COMPLETED, test_type=TestType.pull_request, pr_nr=3, branch='master')  # a pull request's
        factory.run(COMPLETED, branch='dev')  # another branch's
        run = self.pull_request(factory)
        factory.commit()
        base = compare(api, run)['base']
        assert base == {'run_id': tip.id, 'rule': 'master_tip',
                        'reason': f'Run {tip.id}, the commit run on branch master for linux completed last: the '
                                  'base the platform compares pull requests with.'}

    def test_the_tip_is_the_one_completed_last(self, api, factory):
        factory.regression_test()
        late = factory.run(TESTING)
        early = factory.run(COMPLETED)
        run = self.pull_request(factory)
        newer = factory.run(COMPLETED)  # a master run after the pull request's own counts too
        factory.commit()
        assert compare(api, run)['base']['run_id'] == newer.id
        # The run of lowest id completes last: it is the tip now.
        factory.progress(late, TestStatus.completed, T0 + datetime.timedelta(hours=1))
        factory.commit()
        assert compare(api, run)['base']['run_id'] == late.id
        assert early.id < newer.id

    def test_pull_request_on_windows_takes_windows_master(self, api, factory):
        factory.regression_test()
        factory.run(COMPLETED)
        windows = factory.run(COMPLETED, platform=TestPlatform.windows)
        factory.run(COMPLETED)
        run = self.pull_request(factory, platform=TestPlatform.windows)
        factory.commit()
        assert compare(api, run)['base']['run_id'] == windows.id

    def test_commit_against_the_previous_on_its_branch(self, api, factory):
        factory.regression_test()
        factory.run(COMPLETED, branch='dev')
        previous = factory.run(COMPLETED, branch='dev')
        factory.run(COMPLETED, branch='dev', platform=TestPlatform.windows)
        factory.run(COMPLETED, branch='master')
        factory.run(COMPLETED, branch='dev', test_type=TestType.pull_request, pr_nr=4)
        factory.run(TESTING, branch='dev')
        run = factory.run(COMPLETED, branch='dev')
        factory.run(COMPLETED, branch='dev')  # later: never the base
        factory.commit()
        assert compare(api, run)['base'] == {
            'run_id': previous.id, 'rule': 'previous_on_branch',
            'reason': f'Run {previous.id}, the earlier commit run on branch dev for linux completed last.'}

    def test_no_base(self, api, factory):
        tests = [factory.regression_test() for _ in range(3)]
        factory.run(COMPLETED, branch='other')
        run = factory.run(COMPLETED, branch='dev')
        passed(factory, run, tests[0])
        failed(factory, run, tests[1])
        factory.commit()
        body = compare(api, run)
        assert body['base'] == {'run_id': None, 'rule': 'previous_on_branch',
                                'reason': 'No completed earlier commit run on branch dev for linux: every test is '
                                          'no_reference.'}
        assert set(kinds(body).values()) == {'no_reference'} and len(body['data']) == 3
        assert all(item['base_status'] is None and item['links']['base_result'] is None for item in body['data'])
        assert body['counts']['no_reference'] == 3

    def test_no_tip_of_master_for_a_pull_request(self, api, factory):
        factory.regression_test()
        factory.run(TESTING)
        run = self.pull_request(factory)
        factory.commit()
        base = compare(api, run)['base']
        assert base == {'run_id': None, 'rule': 'master_tip',
                        'reason': 'No completed commit run on branch master for linux: every test is no_reference.'}

    def test_given_base(self, api, factory):
        test = factory.regression_test()
        given = factory.run(COMPLETED, platform=TestPlatform.windows, branch='elsewhere')
        factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        passed(factory, given, test)
        failed(factory, run, test)
        factory.commit()
        body = compare(api, run, f'base={given.id}')
        assert body['base'] == {'run_id': given.id, 'rule': 'given',
                                'reason': f'Run {given.id}, given as the base parameter.'}
        assert kinds(body) == {test.id: 'broken_here'}

    def test_unknown_base(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        body = get_json(api, f'/runs/{run.id}/comparison?base={run.id + 100}', status=404)
        assert body['code'] == 'not_found'
        assert body['details'] == {'resource': 'run', 'id': run.id + 100}

    def test_unknown_run(self, api, factory):
        body = get_json(api, '/runs/12345/comparison', status=404)
        assert body['details'] == {'resource': 'run', 'id': 12345}

    def test_the_run_against_itself(self, api, factory):
        good, bad, crashed = factory.regression_test(), factory.regression_test(), factory.regression_test()
        run = factory.run(COMPLETED)
        passed(factory, run, good)
        failed(factory, run, bad)
        failed(factory, run, crashed, got=None, exit_code=9)
        factory.commit()
        body = compare(api, run, f'base={run.id}')
        assert body['base']['run_id'] == run.id
        assert kinds(body) == {bad.id: 'failing_identically', crashed.id: 'failing_identically',
                               good.id: 'unchanged_pass'}


class ScopeTests:
    """Only the run's own tests are listed; the base holds what its own scope holds."""

    def test_a_test_only_the_base_recorded_is_not_listed(self, api, factory):
        kept, dropped = factory.regression_test(), factory.regression_test()
        base = factory.run(COMPLETED)
        passed(factory, base, kept)
        passed(factory, base, dropped)
        dropped.active = False  # deactivated between the runs
        run = factory.run(COMPLETED)
        passed(factory, run, kept)
        factory.commit()
        body = compare(api, run)
        assert kinds(body) == {kept.id: 'unchanged_pass'}
        assert sum(body['counts'].values()) == 1

    def test_a_deactivated_test_recorded_on_both_sides_is_compared(self, api, factory):
        test = factory.regression_test()
        base = factory.run(COMPLETED)
        passed(factory, base, test)
        test.active = False
        run = factory.run(COMPLETED)
        failed(factory, run, test)
        factory.commit()
        assert kinds(compare(api, run)) == {test.id: 'broken_here'}

    def test_a_test_added_after_the_base_is_no_reference(self, api, factory):
        # Scope is "active, or recorded": the base, completed, is judged missing_output on the new active test,
        # but it never ran it (no result, no row): nothing to compare with.
        base = factory.run(COMPLETED)
        added = factory.regression_test()
        run = factory.run(COMPLETED)
        passed(factory, run, added)
        factory.commit()
        item = compare(api, run)['data'][0]
        expected = (added.id, 'missing_output', 'no_reference')
        assert (item['regression_id'], item['base_status'], item['kind']) == expected
        assert compare(api, run)['base']['run_id'] == base.id

    def test_a_base_that_ran_a_test_without_output_is_a_reference(self, api, factory):
        test = factory.regression_test()
        base = factory.run(COMPLETED)
        factory.result(base, test, exit_code=0)  # ran, reported no output: missing_output, a verdict
        run = factory.run(COMPLETED)
        passed(factory, run, test)
        factory.commit()
        item = compare(api, run)['data'][0]
        assert (item['base_status'], item['kind']) == ('missing_output', 'fixed_here')

    def test_a_customized_base(self, api, factory):
        listed, unlisted = factory.regression_test(), factory.regression_test()
        base = factory.run(COMPLETED, customized=[listed])
        passed(factory, base, listed)
        run = factory.run(COMPLETED)
        passed(factory, run, listed)
        passed(factory, run, unlisted)
        factory.commit()
        assert kinds(compare(api, run)) == {listed.id: 'unchanged_pass', unlisted.id: 'no_reference'}

    def test_a_customized_run(self, api, factory):
        listed, unlisted = factory.regression_test(), factory.regression_test()
        base = factory.run(COMPLETED)
        passed(factory, base, listed)
        failed(factory, base, unlisted)
        run = factory.run(COMPLETED, customized=[listed])
        failed(factory, run, listed)
        factory.commit()
        body = compare(api, run)
        assert body['base']['run_id'] == base.id
        assert kinds(body) == {listed.id: 'broken_here'}
        assert sum(body['counts'].values()) == 1


class OrderCountsPagesTests:
    """The reader's order, counts over the whole run, the kind filter and pages."""

    def build(self, factory):
        """Two tests of every kind, made in an order unlike the answer's, in a run still testing; base and run."""
        base = factory.run(COMPLETED)
        run = factory.run(TESTING)
        sides = {'broken_here': ('fail', 'pass'), 'fixed_here': ('pass', 'fail'),
                 'failing_differently': ('fail', 'other'), 'failing_identically': ('fail', 'fail'),
                 'no_reference': ('pass', None), 'not_comparable': (None, 'pass'),
                 'unchanged_pass': ('pass', 'pass')}
        for _ in range(2):
            for kind in reversed(KINDS):
                test = factory.regression_test()
                here, there = sides[kind]
                if here == 'pass':
                    passed(factory, run, test)
                elif here == 'fail':
                    failed(factory, run, test)
                # here None: not started yet in the run
                if there == 'pass':
                    passed(factory, base, test)
                elif there == 'fail':
                    failed(factory, base, test)
                elif there == 'other':
                    failed(factory, base, test, got=OTHER_WRONG)
                else:  # out of the base's scope: inactive, never recorded there
                    test.active = False
        factory.commit()
        return base, run

    def test_order_and_counts(self, api, factory):
        base, run = self.build(factory)
        body = compare(api, run, f'base={base.id}')
        order = [item['regression_id'] for item in body['data']]
        kinds_in_order = [item['kind'] for item in body['data']]
        assert kinds_in_order == sorted(kinds_in_order, key=KINDS.index)
        for kind in KINDS:
            ids = [rid for rid, k in zip(order, kinds_in_order) if k == kind]
            assert ids == sorted(ids), kind
        assert list(body['counts']) == KINDS
        assert sum(body['counts'].values()) == len(order) == 14
        assert body['counts'] == {kind: 2 for kind in KINDS}

    def test_every_kind_in_order(self, api, factory):
        tests = {kind: factory.regression_test() for kind in reversed(KINDS)}
        base = factory.run(COMPLETED)
        run = factory.run(TESTING)
        failed(factory, run, tests['broken_here'])
        passed(factory, base, tests['broken_here'])
        passed(factory, run, tests['fixed_here'])
        failed(factory, base, tests['fixed_here'])
        failed(factory, run, tests['failing_differently'])
        failed(factory, base, tests['failing_differently'], got=OTHER_WRONG)
        failed(factory, run, tests['failing_identically'])
        failed(factory, base, tests['failing_identically'])
        tests['no_reference'].active = False
        passed(factory, run, tests['no_reference'])
        passed(factory, base, tests['not_comparable'])  # not started in the run, still testing
        passed(factory, run, tests['unchanged_pass'])
        passed(factory, base, tests['unchanged_pass'])
        factory.commit()
        body = compare(api, run)
        assert body['base']['run_id'] == base.id
        assert [(item['regression_id'], item['kind']) for item in body['data']] == [
            (tests[kind].id, kind) for kind in KINDS]
        assert body['counts'] == {kind: 1 for kind in KINDS}

    def test_kind_filter_keeps_the_counts(self, api, factory):
        base, run = self.build(factory)
        whole = compare(api, run, f'base={base.id}')
        for kind in KINDS:
            body = compare(api, run, f'base={base.id}&kind={kind}')
            assert body['counts'] == whole['counts'], kind
            assert [item['kind'] for item in body['data']] == [kind] * whole['counts'][kind]
            assert body['pagination']['total'] == whole['counts'][kind]

    def test_pages(self, api, factory):
        base, run = self.build(factory)
        whole = compare(api, run, f'base={base.id}')['data']
        seen = []
        for offset in range(0, 16, 3):
            body = get_json(api, f'/runs/{run.id}/comparison?base={base.id}&limit=3&offset={offset}')
            assert counted(body['pagination']) == {'limit': 3, 'offset': offset, 'total': 14}
            seen += body['data']
        assert seen == whole
        body = get_json(api, f'/runs/{run.id}/comparison?base={base.id}&kind=fixed_here&limit=1&offset=1')
        assert counted(body['pagination']) == {'limit': 1, 'offset': 1, 'total': 2}
        assert [item['regression_id'] for item in body['data']] == [
            item['regression_id'] for item in whole if item['kind'] == 'fixed_here'][1:]
        assert get_json(api, f'/runs/{run.id}/comparison?base={base.id}&offset=100')['data'] == []

    @pytest.mark.parametrize('query, parameter', [
        ('kind=broken', 'kind'), ('kind=BROKEN_HERE', 'kind'), ('kind=', 'kind'), ('kind=a&kind=b', 'kind'),
        ('base=abc', 'base'), ('base=0', 'base'), ('base=-1', 'base'), ('base=%2B3', 'base'),
        ('base=99999999999', 'base'), ('limit=0', 'limit'), ('limit=101', 'limit'), ('limit=x', 'limit'),
        ('offset=-1', 'offset'), ('status=pass', 'status')])
    def test_invalid_parameter(self, api, factory, query, parameter):
        run = factory.run(COMPLETED)
        factory.commit()
        invalid_parameter(api, f'/runs/{run.id}/comparison?{query}', parameter)


class CachingTests:
    """A strong ETag, 304 on a match, and a minute of caching only when both runs are finished."""

    def test_etag_and_304(self, api, factory):
        test = factory.regression_test()
        base = factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        passed(factory, base, test)
        failed(factory, run, test)
        factory.commit()
        first = api.get(f'/runs/{run.id}/comparison')
        etag = first.headers['ETag']
        assert etag.startswith('"') and not etag.startswith('W/')
        again = api.get(f'/runs/{run.id}/comparison', headers={'If-None-Match': etag})
        assert again.status_code == 304 and again.get_data() == b''
        assert again.headers['ETag'] == etag
        # Another base, another answer.
        other = api.get(f'/runs/{run.id}/comparison?base={run.id}', headers={'If-None-Match': etag})
        assert other.status_code == 200 and other.headers['ETag'] != etag

    def test_cache_control(self, api, factory):
        factory.regression_test()
        base = factory.run(COMPLETED)
        unfinished_base = factory.run(TESTING)
        run = factory.run(COMPLETED)
        running = factory.run(TESTING)
        canceled = factory.run(CANCELED)
        factory.commit()
        for path, expected in [
                (f'/runs/{run.id}/comparison', 'private, max-age=60'),
                (f'/runs/{run.id}/comparison?base={base.id}', 'private, max-age=60'),
                (f'/runs/{run.id}/comparison?base={canceled.id}', 'private, max-age=60'),
                (f'/runs/{run.id}/comparison?base={unfinished_base.id}', 'private, no-cache'),
                (f'/runs/{running.id}/comparison', 'private, no-cache'),
                (f'/runs/{running.id}/comparison?base={base.id}', 'private, no-cache')]:
            response = api.get(path)
            assert response.status_code == 200, path
            assert response.headers['Cache-Control'] == expected, path

    def test_cache_control_without_a_base(self, api, factory):
        run = factory.run(COMPLETED, branch='alone')
        factory.commit()
        response = api.get(f'/runs/{run.id}/comparison')
        assert response.json['base']['run_id'] is None
        assert response.headers['Cache-Control'] == 'private, max-age=60'


class CostTests:
    """As many statements for a run of 10 tests as of 200."""

    QUERIES = ['', 'limit=1', 'kind=unchanged_pass', 'kind=broken_here&limit=5&offset=1']

    def measure(self, api, statements, run, base):
        counts = {}
        for query in self.QUERIES + [f'base={base.id}']:
            with statements() as seen:
                get_json(api, f'/runs/{run.id}/comparison?{query}')
            counts[query] = len(seen)
        return counts

    def test_fixed_statement_count(self, api, factory, statements):
        base = factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        sample = factory.sample()
        factory.many_finished(base, 5, 'small-base', sample=sample)
        factory.many_finished(run, 5, 'small-run', sample=sample, crash_every=3)
        factory.commit()
        get_json(api, f'/runs/{run.id}/summary')  # the token's first use is recorded once: not counted
        assert compare(api, run)['pagination']['total'] == 10
        small = self.measure(api, statements, run, base)

        factory.many_finished(base, 95, 'large-base', sample=sample)
        factory.many_finished(run, 95, 'large-run', sample=sample, crash_every=3)
        factory.commit()
        assert compare(api, run)['pagination']['total'] == 200
        large = self.measure(api, statements, run, base)
        assert small == large
        # The token, the run, the base, each run's tests and outputs.
        assert max(small.values()) <= 7, small
