"""The demo's results read true (demo.py): each message agrees with the output statuses it names.

The demo's completed run holds every status of a finished run; its results
are what a newcomer reads first, so a message that contradicts its outputs
shows there first (regression 7 once said its output "differs from its
baseline" while that output had none).
"""

import sys

import pytest

from demo import seed
from mod_auth.models import User
from run import db
from tests.conftest import Api, mint


@pytest.fixture
def demo(app, client, factory, tmp_path):
    """An API client on the seeded demo, and the ids it gives."""
    with app.app_context():
        app.config['SAMPLE_REPOSITORY'] = str(tmp_path)
        ids = seed(db.session())
    api = Api(client)
    api.headers['Authorization'] = f'Bearer {mint(app, factory, factory.session.get(User, ids["account"]))}'
    return api, ids


def results(api, run_id):
    """The run's results by the demo's number of their regression test (its id where ids start at 1).

    The database gives the ids (MariaDB does not reuse the ones earlier tests took); the demo makes its tests in
    order, so their order of ids is the demo's.
    """
    return {number: item for number, item in enumerate(api.get(f'/runs/{run_id}/samples').json['data'], start=1)}


def test_regression_7_says_its_output_has_no_baseline(demo):
    api, ids = demo
    result = results(api, ids['completed_run'])[7]
    assert result['status'] == 'fail'
    assert [output['status'] for output in result['outputs']] == ['missing_expected']
    output_id = result['outputs'][0]['output_id']
    assert result['result_message'] == f'Output {output_id} (.srt) has no baseline to compare with.'
    assert 'differs' not in result['result_message']


def test_every_message_of_the_demo(demo):
    api, ids = demo
    by_test = results(api, ids['completed_run'])
    outputs = {rid: [(o['output_id'], o['status']) for o in item['outputs']] for rid, item in by_test.items()}
    messages = {rid: item['result_message'] for rid, item in by_test.items()}
    segfault = ' (SIGSEGV)' if sys.platform.startswith('linux') else ''  # names off Linux: see verdicts.py
    assert messages == {
        1: 'Its output matches its baseline.',
        2: 'Its output matches its baseline (1 through an accepted variant).',
        3: f'Exit code -11{segfault}, expected 0.',
        4: f'Output {outputs[4][1][0]} (.xml) differs from its baseline.',
        5: 'No output produced; 1 output expected.',
        6: f'Output {outputs[6][1][0]} (.xml) was not produced; 1 of 2 outputs reported.',
        7: f'Output {outputs[7][0][0]} (.srt) has no baseline to compare with.',
        8: 'Not run: the run completed without running it, and it expects no output.',
        9: 'Its output matches its baseline.',
    }
    assert [status for _, status in outputs[4]] == ['match', 'diff_mismatch']
    assert [status for _, status in outputs[6]] == ['match', 'missing_output']


def test_the_demo_names_all_categories_and_every_output_file(demo):
    api, ids = demo
    by_test = results(api, ids['completed_run'])
    assert (by_test[1]['category'], by_test[1]['categories']) == ('DVB', ['DVB', 'General'])
    assert 'category' not in by_test[7] and by_test[7]['categories'] == []
    assert [o['filename'] for o in by_test[4]['outputs']] == ['out0.srt', 'out1.xml']
    # The filter matches any of a test's categories, and each item shows them all.
    general = api.get(f'/runs/{ids["completed_run"]}/samples?category=General').json['data']
    assert [item['regression_id'] for item in general] == [by_test[number]['regression_id'] for number in (1, 2, 8)]
    assert all('General' in item['categories'] for item in general)


def test_the_demo_summaries_name_the_state_as_the_run_list_does(demo):
    api, _ = demo
    states = {run['run_id']: run['state'] for run in api.get('/runs?limit=100').json['data']}
    for run_id, state in states.items():
        summary = api.get(f'/runs/{run_id}/summary').json
        assert summary['state'] == summary['status'] == state
