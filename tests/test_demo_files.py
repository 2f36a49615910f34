"""The demo's result files (demo.py): real-looking files under the host's SAMPLE_REPOSITORY, and a diff of them.

``python run.py`` prints a curl line for the diff of the completed run's
differing output; this checks that it answers with a real diff, and that the
demo writes nothing outside its folder.
"""

import os

from demo import seed
from mod_auth.models import User
from run import db
from tests.conftest import Api, mint, path_of
from tests.test_outputs_http import configure


def test_the_demo_seeds_files_worth_a_diff(app, client, factory, tmp_path):
    repository = tmp_path / 'repository'
    configure(app, results_root=str(repository))
    with app.app_context():
        app.config['SAMPLE_REPOSITORY'] = str(repository)
        ids = seed(db.session())
    assert sorted(os.listdir(tmp_path)) == ['repository']
    assert sorted(os.listdir(repository)) == ['LogFiles', 'TestResults']
    stored = os.listdir(repository / 'TestResults')
    assert {os.path.splitext(name)[1] for name in stored} == {'.srt', '.xml', '.png'}
    assert sorted(os.listdir(repository / 'LogFiles')) == ['1.txt', '3.txt']

    api = Api(client)
    api.headers['Authorization'] = f'Bearer {mint(app, factory, factory.session.get(User, ids["account"]))}'
    path = f'/runs/{ids["completed_run"]}/samples/{ids["failing_test"]}/outputs/{ids["differing_output"]}/diff'
    body = api.get(path).json
    assert (body['status'], body['diffed'], body['summary']['hunks']) == ('diff_mismatch', True, 1)
    text = api.get(path, headers={'Accept': 'text/x-diff'}).get_data(as_text=True)
    assert text.startswith('--- expected/') and '\n-      <p begin="00:00:23.000" end="00:00:25.900">' in text

    detail = api.get(f'/runs/{ids["completed_run"]}/samples').json['data']
    statuses = {}
    for result in detail:
        for output in result['outputs']:
            answer = api.get(path_of(output['links']['diff'])).json
            statuses[(result['regression_id'], output['output_id'])] = (answer['status'], answer['reason'])
    assert ('match', None) in statuses.values()  # the accepted variant, diffed
    assert ('match', 'identical') in statuses.values()
    assert ('diff_mismatch', None) in statuses.values()
    spupng = [result for result in api.get('/runs/4/samples').json['data'] if '-out=spupng' in result['command']]
    binary = api.get(path_of(spupng[0]['outputs'][0]['links']['diff'])).json
    assert (binary['binary'], binary['reason']) == (True, 'binary')
    log = api.get(f'/runs/{ids["completed_run"]}/log', headers={'Range': 'bytes=-15'})
    assert (log.status_code, log.get_data()) == (206, b'Done: 9 tests.\n')


def test_the_demo_pull_request_breaks_fixes_and_fails_as_master_does(app, client, factory, tmp_path):
    with app.app_context():
        app.config['SAMPLE_REPOSITORY'] = str(tmp_path / 'repository')
        ids = seed(db.session())
    api = Api(client)
    api.headers['Authorization'] = f'Bearer {mint(app, factory, factory.session.get(User, ids["account"]))}'

    # The curl lines the demo prints: the pull request against the master run the platform would choose.
    comparison = api.get(f'/runs/{ids["pull_request_run"]}/comparison').json
    assert (comparison['base']['run_id'], comparison['base']['rule']) == (ids['master_run'], 'master_tip')
    assert all(comparison['counts'][kind] >= 1 for kind in (
        'broken_here', 'fixed_here', 'failing_identically', 'failing_differently', 'unchanged_pass'))
    assert comparison['data'][0]['kind'] == 'broken_here'
    history = api.get(f'/regression-tests/{ids["crashing_test"]}/history?platform=linux&branch=master').json
    assert [entry['run_id'] for entry in history['data']] == [ids['master_run'], ids['completed_run']]
    assert history['streak']['status'] == 'fail' and history['streak']['runs'] == 2
    assert history['data'][0]['output_changed'] is False
