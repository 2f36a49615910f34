"""``GET /regression-tests/{regression_id}/history`` over HTTP: entries, streak, flips, filters, window, cost.

The rules are those of ``docs/verdicts.md`` ("Since when a test fails"), read
here from runs built with the factory.
"""

import pytest

from mod_test.models import TestPlatform, TestStatus, TestType
from run import create_app, db
from tests.conftest import API_ROOT, Api, app_config, counted, get_json
from tests.factories import sha

TESTING = (TestStatus.preparation, TestStatus.testing)
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
CANCELED = (TestStatus.preparation, TestStatus.canceled)

WRONG = sha('a wrong output')
OTHER_WRONG = sha('another wrong output')

ENTRY_KEYS = ['run_id', 'platform', 'type', 'branch', 'pr_number', 'commit', 'finished_at', 'status', 'message',
              'output_changed', 'links', 'html_url']


def history(api, test, query=''):
    """The history of ``test``, a page of 100 unless the query says otherwise."""
    return get_json(api, f'/regression-tests/{test.id}/history?limit=100{"&" + query if query else ""}')


def iso(moment):
    return moment.isoformat() + 'Z'


class EntryTests:
    """Entries newest first, finished runs holding the test only, with the run's fields."""

    def test_entries_newest_first_with_run_fields(self, api, factory, runs):
        test = factory.regression_test()
        first = runs.with_result(test, 'pass')
        second = runs.with_result(test, WRONG, test_type=TestType.pull_request, pr_nr=12, branch='feature',
                                  platform=TestPlatform.windows)
        factory.commit()
        body = history(api, test)
        assert body['regression_id'] == test.id and body['sample_id'] == test.sample_id
        assert body['window'] == 200
        assert [entry['run_id'] for entry in body['data']] == [second.id, first.id]
        newest, oldest = body['data']
        assert list(newest) == ENTRY_KEYS
        assert newest == {
            'run_id': second.id, 'platform': 'windows', 'type': 'pull_request', 'branch': 'feature',
            'pr_number': 12, 'commit': second.commit, 'finished_at': iso(second.finished), 'status': 'fail',
            'message': newest['message'], 'output_changed': True,
            'links': {'self': f'{API_ROOT}/runs/{second.id}/samples/{test.id}',
                      'result': f'{API_ROOT}/runs/{second.id}/samples/{test.id}',
                      'run': f'{API_ROOT}/runs/{second.id}'},
            'html_url': f'http://localhost/test/{second.id}'}
        assert newest['message']
        assert (oldest['type'], oldest['pr_number'], oldest['platform'], oldest['branch']) == \
            ('commit', None, 'linux', 'master')
        assert (oldest['status'], oldest['output_changed']) == ('pass', None)

    def test_only_finished_runs(self, api, factory, runs):
        test = factory.regression_test()
        completed = runs.with_result(test, 'pass')
        canceled = runs.with_result(test, None, CANCELED)
        runs.with_result(test, 'pass', TESTING)
        runs.with_result(test, None, ())  # queued
        factory.commit()
        body = history(api, test)
        assert [(entry['run_id'], entry['status']) for entry in body['data']] == [
            (canceled.id, 'skipped'), (completed.id, 'pass')]
        assert body['pagination']['total'] == 2

    def test_only_runs_holding_the_test(self, api, factory, runs):
        test, other = factory.regression_test(), factory.regression_test()
        holding = runs.with_result(test, 'pass')
        runs.run(customized=[other])  # a customized run without it
        missed = runs.run()  # a completed run that never ran it: it is in its scope, missing_output
        factory.commit()
        body = history(api, test)
        assert [(entry['run_id'], entry['status']) for entry in body['data']] == [
            (missed.id, 'missing_output'), (holding.id, 'pass')]

    def test_a_test_in_no_run(self, api, factory, runs):
        test = factory.regression_test(active=False)
        runs.run()
        factory.commit()
        body = history(api, test)
        assert body['data'] == [] and body['pagination']['total'] == 0
        assert (body['streak'], body['last_pass'], body['flips']) == (None, None, 0)

    def test_output_changed(self, api, factory, runs):
        test = factory.regression_test()
        oldest = runs.with_result(test, 'pass')
        wrong = runs.with_result(test, WRONG)
        same = runs.with_result(test, WRONG)
        other = runs.with_result(test, OTHER_WRONG)
        fixed = runs.with_result(test, 'pass')
        factory.commit()
        changed = {entry['run_id']: entry['output_changed'] for entry in history(api, test)['data']}
        assert changed == {fixed.id: True, other.id: True, same.id: False, wrong.id: True, oldest.id: None}

    def test_output_changed_is_null_next_to_a_run_that_reported_nothing(self, api, factory, runs):
        test = factory.regression_test()
        before = runs.with_result(test, 'pass')
        skipped = runs.with_result(test, None, CANCELED)
        after = runs.with_result(test, 'pass')
        factory.commit()
        changed = [(entry['run_id'], entry['output_changed']) for entry in history(api, test)['data']]
        assert changed == [(after.id, None), (skipped.id, None), (before.id, None)]


class SummaryTests:
    """The streak, the last pass and the flips, over every entry (not only the page's)."""

    def test_streak_across_skipped_entries(self, api, factory, runs):
        test = factory.regression_test()
        passing = runs.with_result(test, 'pass')
        first_failure = runs.with_result(test, WRONG)
        runs.with_result(test, None, CANCELED)
        runs.with_result(test, OTHER_WRONG)
        runs.with_result(test, None, CANCELED)
        factory.commit()
        body = get_json(api, f'/regression-tests/{test.id}/history?limit=1')
        assert body['streak'] == {'status': 'fail', 'since_run_id': first_failure.id,
                                  'since': iso(first_failure.finished), 'runs': 2}
        assert body['last_pass'] == {'run_id': passing.id, 'at': iso(passing.finished)}
        assert body['flips'] == 1
        assert len(body['data']) == 1 and body['pagination']['total'] == 5

    def test_passing_streak_and_flips(self, api, factory, runs):
        test = factory.regression_test()
        for outcome in ('pass', WRONG, 'pass', WRONG, None):
            runs.with_result(test, outcome)  # None: a completed run without a result, missing_output
        since = runs.with_result(test, 'pass')
        runs.with_result(test, None, CANCELED)
        last = runs.with_result(test, 'pass')
        factory.commit()
        body = history(api, test)
        assert body['streak'] == {'status': 'pass', 'since_run_id': since.id, 'since': iso(since.finished),
                                  'runs': 2}
        assert body['last_pass'] == {'run_id': last.id, 'at': iso(last.finished)}
        assert body['flips'] == 4  # pass, fail, pass, fail (missing_output too), pass

    def test_no_outcome_at_all(self, api, factory, runs):
        test = factory.regression_test()
        runs.with_result(test, None, CANCELED)
        factory.commit()
        body = history(api, test)
        assert (body['streak'], body['last_pass'], body['flips']) == (None, None, 0)
        assert [entry['status'] for entry in body['data']] == ['skipped']


class FilterTests:
    """platform, branch and pr narrow the runs; the summary follows them."""

    def build(self, factory, runs):
        test = factory.regression_test()
        made = {
            'linux master': runs.with_result(test, 'pass'),
            'windows master': runs.with_result(test, WRONG, platform=TestPlatform.windows),
            'linux dev': runs.with_result(test, WRONG, branch='dev'),
            'pr 5': runs.with_result(test, WRONG, test_type=TestType.pull_request, pr_nr=5, branch='dev'),
            'pr 6': runs.with_result(test, 'pass', test_type=TestType.pull_request, pr_nr=6, branch='master'),
        }
        factory.commit()
        return test, made

    def ids(self, body):
        return [entry['run_id'] for entry in body['data']]

    def test_filters(self, api, factory, runs):
        test, made = self.build(factory, runs)
        assert self.ids(history(api, test, 'platform=windows')) == [made['windows master'].id]
        assert self.ids(history(api, test, 'branch=dev')) == [made['pr 5'].id, made['linux dev'].id]
        assert self.ids(history(api, test, 'branch=master&platform=linux')) == [
            made['pr 6'].id, made['linux master'].id]
        assert self.ids(history(api, test, 'pr=5')) == [made['pr 5'].id]
        assert self.ids(history(api, test, 'pr=7')) == []
        assert self.ids(history(api, test, 'branch=Dev')) == []

    def test_the_summary_follows_the_filters(self, api, factory, runs):
        test, made = self.build(factory, runs)
        body = history(api, test, 'branch=dev')
        assert body['streak']['status'] == 'fail' and body['streak']['runs'] == 2
        assert body['last_pass'] is None and body['flips'] == 0
        assert history(api, test)['flips'] == 2  # pass, fail, fail, fail, pass

    @pytest.mark.parametrize('query, parameter', [
        ('platform=mac', 'platform'), ('platform=Linux', 'platform'), ('branch=', 'branch'),
        ('branch=' + 'b' * 256, 'branch'), ('pr=0', 'pr'), ('pr=abc', 'pr'), ('pr=-1', 'pr'),
        ('limit=0', 'limit'), ('limit=101', 'limit'), ('offset=-1', 'offset'), ('state=completed', 'state'),
        ('platform=linux&platform=windows', 'platform')])
    def test_invalid_filter(self, api, factory, query, parameter):
        test = factory.regression_test()
        factory.commit()
        body = get_json(api, f'/regression-tests/{test.id}/history?{query}', status=400)
        assert body['code'] == 'invalid_parameter'
        assert body['details']['parameter'] == parameter and body['details']['in'] == 'query'


class PageTests:
    """Pages of the entries; the total is the number of entries."""

    def test_pages(self, api, factory, runs):
        test = factory.regression_test()
        made = [runs.with_result(test, 'pass' if index % 3 else WRONG) for index in range(7)]
        factory.commit()
        whole = history(api, test)['data']
        assert [entry['run_id'] for entry in whole] == [run.id for run in reversed(made)]
        seen = []
        for offset in (0, 3, 6):
            body = get_json(api, f'/regression-tests/{test.id}/history?limit=3&offset={offset}')
            assert counted(body['pagination']) == {'limit': 3, 'offset': offset, 'total': 7}
            seen += body['data']
        assert seen == whole
        assert get_json(api, f'/regression-tests/{test.id}/history?offset=50')['data'] == []


@pytest.fixture
def small_window(app, api, database_uri):
    """The API with ``API_HISTORY_WINDOW`` 3, as the same maintainer; depends on ``app``, which empties the tables."""
    narrow = create_app(app_config(database_uri, API_HISTORY_WINDOW=3))
    client = Api(narrow.test_client())
    client.headers = dict(api.headers)
    yield client
    with narrow.app_context():
        db.session.remove()
        db.engine.dispose()


class WindowTests:
    """At most the newest ``API_HISTORY_WINDOW`` finished runs matching the filters are read."""

    def test_window(self, small_window, factory, runs):
        test, other = factory.regression_test(), factory.regression_test()
        old_pass = runs.with_result(test, 'pass')
        made = [runs.with_result(test, WRONG) for _ in range(3)]
        runs.run(TESTING)  # unfinished: not counted in the window
        factory.commit()
        body = history(small_window, test)
        assert body['window'] == 3
        assert [entry['run_id'] for entry in body['data']] == [run.id for run in reversed(made)]
        assert body['pagination']['total'] == 3
        # Beyond the window: the pass is not seen.
        assert body['last_pass'] is None and body['flips'] == 0
        assert body['streak']['runs'] == 3 and body['streak']['since_run_id'] == made[0].id
        assert body['data'][-1]['output_changed'] is None
        # The filters choose the runs first, then the window applies.
        runs.with_result(test, 'pass', branch='dev')
        runs.run(customized=[other])  # a newer run without the test still takes a place in the window
        factory.commit()
        assert [entry['run_id'] for entry in history(small_window, test, 'branch=master')['data']] == [
            made[2].id, made[1].id]
        assert old_pass.id < made[0].id


class ErrorTests:
    """404 for a regression test that does not exist, 400 for an id that is not a number."""

    @pytest.mark.parametrize('regression_id', ['999999', '0', '-5', '2147483648', '9' * 30])
    def test_unknown_regression_test(self, api, factory, regression_id):
        factory.regression_test()
        factory.commit()
        body = get_json(api, f'/regression-tests/{regression_id}/history', status=404)
        assert body['code'] == 'not_found'
        assert body['details']['resource'] == 'regression_test'

    def test_the_404_names_the_id(self, api):
        body = get_json(api, '/regression-tests/4242/history', status=404)
        assert body['details'] == {'resource': 'regression_test', 'id': 4242}

    @pytest.mark.parametrize('regression_id', ['abc', '1.0', '+3'])
    def test_not_a_number(self, api, regression_id):
        body = get_json(api, f'/regression-tests/{regression_id}/history', status=400)
        assert body['details']['parameter'] == 'regression_id'

    def test_needs_a_token(self, api, factory):
        test = factory.regression_test()
        factory.commit()
        api.headers.pop('Authorization')
        assert api.get(f'/regression-tests/{test.id}/history').status_code == 401

    def test_always_revalidated(self, api, factory, runs):
        test = factory.regression_test()
        runs.with_result(test, 'pass')
        factory.commit()
        first = api.get(f'/regression-tests/{test.id}/history')
        assert first.headers['Cache-Control'] == 'private, no-cache'
        again = api.get(f'/regression-tests/{test.id}/history', headers={'If-None-Match': first.headers['ETag']})
        assert again.status_code == 304
        runs.with_result(test, WRONG)
        factory.commit()
        changed = api.get(f'/regression-tests/{test.id}/history', headers={'If-None-Match': first.headers['ETag']})
        assert changed.status_code == 200


class CostTests:
    """As many statements for 3 runs as for 30."""

    def measure(self, api, statements, test):
        counts = {}
        for query in ('', 'limit=1', 'platform=linux&branch=master', 'offset=2'):
            with statements() as seen:
                get_json(api, f'/regression-tests/{test.id}/history?{query}')
            counts[query] = len(seen)
        return counts

    def test_fixed_statement_count(self, api, factory, statements, runs):
        test = factory.regression_test(outputs=2)
        for index in range(3):
            runs.with_result(test, 'pass' if index % 2 else WRONG)
        factory.commit()
        assert history(api, test)['pagination']['total'] == 3  # the token's first use is recorded: not counted
        small = self.measure(api, statements, test)
        for index in range(27):
            runs.with_result(test, 'pass' if index % 2 else WRONG, states=CANCELED if index % 5 == 0 else COMPLETED)
        factory.commit()
        assert history(api, test)['pagination']['total'] == 30
        large = self.measure(api, statements, test)
        assert small == large
        # The token, the descriptions, the runs, their tests and outputs.
        assert max(small.values()) <= 5, small
