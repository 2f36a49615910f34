"""mod_api's relative answers inside the real platform: comparison, history, since when, counts on runs.

The world's completed run (linux, a commit on master) and its completed pull
request (windows, #42) have the same regression tests; the canceled run is a
linux commit run of another branch. The platform's own enum columns, its
MariaDB database and its models serve every statement here.
"""

from __future__ import annotations

from typing import Any, Dict

from conftest import Api
from test_api_in_platform import COMPLETED, body


def _kinds(answer: Dict[str, Any]) -> Dict[int, str]:
    return {item['regression_id']: item['kind'] for item in answer['data']}


class ComparisonTests:
    """``GET /runs/{id}/comparison`` with the platform's base rules and an explicit base."""

    def test_no_base_for_the_first_run_of_a_branch(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs/{world["runs"]["completed"]}/comparison'))
        assert answer['base'] == {'run_id': None, 'rule': 'previous_on_branch', 'reason': (
            'No completed earlier commit run on branch master for linux: every test is no_reference.')}
        assert set(_kinds(answer).values()) == {'no_reference'}
        assert answer['counts']['no_reference'] == answer['pagination']['total'] == len(COMPLETED)

    def test_no_master_run_on_the_pull_requests_platform(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs/{world["runs"]["pull_request"]}/comparison'))
        assert (answer['base']['run_id'], answer['base']['rule']) == (None, 'master_tip')

    def test_the_pull_request_against_the_completed_run(self, api: Api, world: Dict[str, Any]) -> None:
        runs, tests = world['runs'], world['tests']
        answer = body(api.get(f'/runs/{runs["pull_request"]}/comparison?base={runs["completed"]}'))
        assert answer['base']['rule'] == 'given' and answer['base']['run_id'] == runs['completed']
        kinds = _kinds(answer)
        # The pull request recorded nothing: each test is missing_output there, without an exit code (skipped
        # without outputs); every failure of the base had one.
        for name, (status, _, _) in COMPLETED.items():
            expected = ('not_comparable' if name == 'skipped' else 'broken_here' if status == 'pass'
                        else 'failing_differently')
            assert kinds[tests[name]] == expected, name
        assert [item['kind'] for item in answer['data']][:3] == ['broken_here'] * 3  # broken ones first
        only = body(api.get(f'/runs/{runs["pull_request"]}/comparison?base={runs["completed"]}&kind=broken_here'))
        assert only['pagination']['total'] == answer['counts']['broken_here'] == 3

    def test_a_run_compared_with_itself(self, api: Api, world: Dict[str, Any]) -> None:
        run_id = world['runs']['completed']
        kinds = set(_kinds(body(api.get(f'/runs/{run_id}/comparison?base={run_id}'))).values())
        assert kinds <= {'unchanged_pass', 'failing_identically', 'not_comparable'}

    def test_an_unknown_base_is_a_json_404(self, api: Api, world: Dict[str, Any]) -> None:
        answer = body(api.get(f'/runs/{world["runs"]["completed"]}/comparison?base=2000000000'), 404)
        assert answer['details'] == {'resource': 'run', 'id': 2000000000}


class HistoryTests:
    """``GET /regression-tests/{id}/history`` over the platform's finished runs."""

    def test_the_crash_in_the_linux_runs(self, api: Api, world: Dict[str, Any]) -> None:
        runs = world['runs']
        answer = body(api.get(f'/regression-tests/{world["tests"]["crash"]}/history?platform=linux'))
        # Newest first: the canceled run (skipped there), then the completed one; unfinished runs left out.
        assert [(entry['run_id'], entry['status']) for entry in answer['data']] == [
            (runs['canceled'], 'skipped'), (runs['completed'], 'fail')]
        assert answer['streak'] == {'status': 'fail', 'since_run_id': runs['completed'],
                                    'since': answer['data'][1]['finished_at'], 'runs': 1}
        assert (answer['last_pass'], answer['flips']) == (None, 0)

    def test_filters_and_unknown_tests(self, api: Api, world: Dict[str, Any]) -> None:
        test_id = world['tests']['pass']
        answer = body(api.get(f'/regression-tests/{test_id}/history?pr=42'))
        assert [(entry['run_id'], entry['status'], entry['pr_number']) for entry in answer['data']] == [
            (world['runs']['pull_request'], 'missing_output', 42)]
        assert body(api.get('/regression-tests/2000000000/history'), 404)['details']['resource'] == 'regression_test'
        assert body(api.get(f'/regression-tests/{test_id}/history?platform=mac'), 400)['code'] == 'invalid_parameter'


class SinceWhenAndCountsTests:
    """A result's failing_since and last_passed_in; every run's counts and conclusion."""

    def test_a_failure_of_the_first_run_fails_since_that_run(self, api: Api, world: Dict[str, Any]) -> None:
        run_id = world['runs']['completed']
        crash = body(api.get(f'/runs/{run_id}/samples/{world["tests"]["crash"]}'))
        assert crash['failing_since']['run_id'] == run_id and crash['last_passed_in'] is None
        passed = body(api.get(f'/runs/{run_id}/samples/{world["tests"]["pass"]}'))
        assert (passed['failing_since'], passed['last_passed_in']) == (None, None)

    def test_the_counts_of_every_run_are_its_summary(self, api: Api, world: Dict[str, Any]) -> None:
        conclusions = {'completed': 'fail', 'testing': 'in_progress', 'queued': 'in_progress',
                       'canceled': 'canceled', 'pull_request': 'fail'}
        listed = {item['run_id']: item for item in body(api.get('/runs?limit=100'))['data']}
        for name, run_id in world['runs'].items():
            summary = body(api.get(f'/runs/{run_id}/summary'))
            counts = {key: summary[key] for key in listed[run_id]['counts']}
            assert listed[run_id]['counts'] == counts, name
            assert listed[run_id]['conclusion'] == conclusions[name], name
            detail = body(api.get(f'/runs/{run_id}'))
            assert (detail['counts'], detail['conclusion']) == (counts, conclusions[name]), name
