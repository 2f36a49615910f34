"""The relative fields of existing answers: a result's ``failing_since`` and ``last_passed_in``, a run's counts.

``GET /runs/{run_id}/samples/{sample_id}`` says since which run a failing test
fails, over the earlier finished runs of the same line; ``GET /runs`` and
``GET /runs/{run_id}`` carry the counts of the run's summary and a conclusion.
"""

from mod_test.models import TestPlatform, TestStatus, TestType
from tests.conftest import get_json
from tests.factories import sha

QUEUED = ()
TESTING = (TestStatus.preparation, TestStatus.testing)
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
CANCELED = (TestStatus.preparation, TestStatus.canceled)

WRONG = sha('a wrong output')

COUNT_KEYS = ['total_samples', 'pass_count', 'fail_count', 'skipped_count', 'missing_output_count', 'error_count',
              'running_count', 'not_started_count']


def point(run):
    """A run as ``failing_since`` and ``last_passed_in`` name it."""
    return {'run_id': run.id, 'at': None if run.finished is None else run.finished.isoformat() + 'Z'}


def relative(api, run, test):
    """``failing_since`` and ``last_passed_in`` of ``test`` in ``run``."""
    body = get_json(api, f'/runs/{run.id}/samples/{test.id}')
    return body['failing_since'], body['last_passed_in']


class FailingSinceTests:
    """Since when a test fails, and where it last passed, over the earlier finished runs of its line."""

    def test_since_the_oldest_failure_of_the_streak(self, api, factory, runs):
        test = factory.regression_test()
        passing = runs.with_result(test, 'pass')
        first = runs.with_result(test, WRONG)
        runs.with_result(test, WRONG)
        current = runs.with_result(test, WRONG)
        factory.commit()
        assert relative(api, current, test) == (point(first), point(passing))

    def test_through_skipped_entries(self, api, factory, runs):
        test = factory.regression_test()
        passing = runs.with_result(test, 'pass')
        runs.with_result(test, None, CANCELED)  # skipped: passed over
        first = runs.with_result(test, WRONG)
        runs.with_result(test, None, CANCELED)
        current = runs.with_result(test, WRONG)
        factory.commit()
        assert relative(api, current, test) == (point(first), point(passing))

    def test_the_run_itself_when_the_one_before_passed(self, api, factory, runs):
        test = factory.regression_test()
        runs.with_result(test, WRONG)
        passing = runs.with_result(test, 'pass')
        runs.with_result(test, None, CANCELED)
        current = runs.with_result(test, WRONG)
        factory.commit()
        assert relative(api, current, test) == (point(current), point(passing))

    def test_the_run_itself_without_earlier_runs(self, api, factory, runs):
        test = factory.regression_test()
        current = runs.with_result(test, WRONG)
        factory.commit()
        assert relative(api, current, test) == (point(current), None)

    def test_null_when_passing(self, api, factory, runs):
        test = factory.regression_test()
        passing = runs.with_result(test, 'pass')
        runs.with_result(test, WRONG)
        current = runs.with_result(test, 'pass')
        factory.commit()
        assert relative(api, current, test) == (None, point(passing))

    def test_missing_output_fails_too(self, api, factory, runs):
        test = factory.regression_test()
        first = runs.with_result(test, None)  # completed, never ran it: missing_output
        current = runs.with_result(test, WRONG)
        factory.commit()
        assert relative(api, current, test) == (point(first), None)

    def test_unfinished_and_later_runs_are_ignored(self, api, factory, runs):
        test = factory.regression_test()
        passing = runs.with_result(test, 'pass')
        runs.with_result(test, WRONG, TESTING)
        runs.with_result(test, None, QUEUED)
        current = runs.with_result(test, WRONG)
        runs.with_result(test, WRONG)
        runs.with_result(test, 'pass')
        factory.commit()
        assert relative(api, current, test) == (point(current), point(passing))

    def test_a_commit_run_follows_its_platform_and_branch_only(self, api, factory, runs):
        test = factory.regression_test()
        passing = runs.with_result(test, 'pass', branch='dev')
        first = runs.with_result(test, WRONG, branch='dev')
        runs.with_result(test, 'pass', branch='dev', platform=TestPlatform.windows)
        runs.with_result(test, 'pass', branch='master')
        runs.with_result(test, 'pass', branch='dev', test_type=TestType.pull_request, pr_nr=3)
        current = runs.with_result(test, WRONG, branch='dev')
        factory.commit()
        assert relative(api, current, test) == (point(first), point(passing))

    def test_a_pull_request_run_follows_its_pull_request_only(self, api, factory, runs):
        test = factory.regression_test()
        pr = {'test_type': TestType.pull_request, 'pr_nr': 8, 'branch': 'feature'}
        passing = runs.with_result(test, 'pass', **pr)
        first = runs.with_result(test, WRONG, **pr)
        runs.with_result(test, 'pass')  # master
        runs.with_result(test, 'pass', test_type=TestType.pull_request, pr_nr=9, branch='feature')
        runs.with_result(test, 'pass', branch='feature')  # a commit on the same branch
        runs.with_result(test, 'pass', **{**pr, 'platform': TestPlatform.windows})
        current = runs.with_result(test, WRONG, **pr)
        factory.commit()
        assert relative(api, current, test) == (point(first), point(passing))

    def test_a_running_run_has_no_finish_time(self, api, factory, runs):
        test = factory.regression_test()
        runs.with_result(test, 'pass')
        current = runs.with_result(test, None, TESTING)
        factory.result(current, test)  # a result, no output yet: missing_output, even while testing
        factory.commit()
        since, _ = relative(api, current, test)
        assert since == {'run_id': current.id, 'at': None}

    def test_the_list_leaves_them_out(self, api, factory, runs):
        test = factory.regression_test()
        current = runs.with_result(test, WRONG)
        factory.commit()
        item = get_json(api, f'/runs/{current.id}/samples')['data'][0]
        assert 'failing_since' not in item and 'last_passed_in' not in item


class CountsTests:
    """A run's counts in the list and the detail are its summary's; the conclusion follows them."""

    def shapes(self, factory):
        """Runs of different shapes: passing, failing, running, canceled, queued, customized, crashed; by name."""
        tests = [factory.regression_test() for _ in range(4)]
        two = factory.regression_test(outputs=2)
        made = {}
        made['pass'] = run = factory.run(COMPLETED)
        for test in tests + [two]:
            factory.finished(run, test)
        made['fail'] = run = factory.run(COMPLETED)
        factory.finished(run, tests[0])
        factory.finished(run, tests[1], exit_code=4)
        factory.reported(run, tests[2], factory.outputs(tests[2])[0], got=WRONG)
        factory.result(run, tests[2])
        factory.result(run, tests[3])  # missing_output
        made['in_progress'] = run = factory.run(TESTING)
        factory.finished(run, tests[0])
        factory.reported(run, two, factory.outputs(two)[0])  # running
        made['canceled'] = run = factory.run(CANCELED)
        factory.finished(run, tests[0])
        made['queued'] = factory.run(QUEUED)
        made['customized'] = run = factory.run(COMPLETED, customized=[tests[0], two])
        factory.finished(run, tests[0])
        factory.finished(run, tests[1])  # recorded, yet outside the list: not counted
        made['missing_only'] = factory.run(COMPLETED, customized=[two])
        factory.commit()
        return made

    EXPECTED = {'pass': 'pass', 'fail': 'fail', 'in_progress': 'in_progress', 'canceled': 'canceled',
                'queued': 'in_progress', 'customized': 'fail', 'missing_only': 'fail'}

    def test_conclusions(self, api, factory):
        made = self.shapes(factory)
        listed = {item['run_id']: item for item in get_json(api, '/runs?limit=100')['data']}
        for name, run in made.items():
            assert listed[run.id]['conclusion'] == self.EXPECTED[name], name
            assert get_json(api, f'/runs/{run.id}')['conclusion'] == self.EXPECTED[name], name

    def test_counts_are_the_summarys(self, api, factory):
        made = self.shapes(factory)
        listed = {item['run_id']: item for item in get_json(api, '/runs?limit=100')['data']}
        for name, run in made.items():
            summary = get_json(api, f'/runs/{run.id}/summary')
            expected = {key: summary[key] for key in COUNT_KEYS}
            assert list(listed[run.id]['counts']) == COUNT_KEYS, name
            assert listed[run.id]['counts'] == expected, name
            assert get_json(api, f'/runs/{run.id}')['counts'] == expected, name

    def test_counts_by_shape(self, api, factory):
        made = self.shapes(factory)
        counts = {name: get_json(api, f'/runs/{run.id}')['counts'] for name, run in made.items()}
        assert counts['pass'] == {**dict.fromkeys(COUNT_KEYS, 0), 'total_samples': 5, 'pass_count': 5}
        assert counts['fail'] == {**dict.fromkeys(COUNT_KEYS, 0), 'total_samples': 5, 'pass_count': 1,
                                  'fail_count': 2, 'missing_output_count': 2, 'error_count': 1}
        assert counts['in_progress'] == {**dict.fromkeys(COUNT_KEYS, 0), 'total_samples': 5, 'pass_count': 1,
                                         'running_count': 1, 'not_started_count': 3}
        assert counts['canceled'] == {**dict.fromkeys(COUNT_KEYS, 0), 'total_samples': 5, 'pass_count': 1,
                                      'skipped_count': 4}
        assert counts['customized'] == {**dict.fromkeys(COUNT_KEYS, 0), 'total_samples': 2, 'pass_count': 1,
                                        'missing_output_count': 1}

    def test_filtered_list_keeps_the_counts(self, api, factory):
        made = self.shapes(factory)
        item = get_json(api, '/runs?state=canceled')['data'][0]
        assert item['run_id'] == made['canceled'].id and item['conclusion'] == 'canceled'
        assert item['counts']['skipped_count'] == 4

    def test_list_cost_does_not_grow_with_the_runs(self, api, factory, statements):
        tests = [factory.regression_test() for _ in range(3)]

        def add_runs(count):
            for index in range(count):
                run = factory.run(COMPLETED if index % 3 else TESTING,
                                  customized=tests[:2] if index % 4 == 0 else ())
                for test in tests[:1 + index % 3]:
                    factory.finished(run, test, exit_code=index % 2)
            factory.commit()

        def measure():
            counts = {}
            for query in ('', 'limit=100', 'state=completed', 'limit=1'):
                with statements() as seen:
                    get_json(api, f'/runs?{query}')
                counts[query] = len(seen)
            return counts

        add_runs(2)
        assert get_json(api, '/runs')['pagination']['total'] == 2  # the token's first use: not counted
        small = measure()
        add_runs(18)
        assert get_json(api, '/runs?limit=100')['pagination']['total'] == 20
        large = measure()
        assert small == large
