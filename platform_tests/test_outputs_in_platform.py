"""Outputs inside the real platform: its SAMPLE_REPOSITORY layout, a diff, a file, a log, and its own diff page.

The files are written where the platform's config says (``SAMPLE_REPOSITORY``:
``TestResults/<hash><extension>``, ``LogFiles/<run id>.txt``), for rows of
``platform_world``, and removed afterwards. The API must find them there
without any setting of its own, and the platform's own diff page, linked from
the API, must read the same files.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List

import pytest
from conftest import Api

BASELINE = b'1\n00:00:01,000 --> 00:00:02,000\nThe quick brown fox\n\n2\n00:00:03,000 --> 00:00:04,000\nEnd.\n'
ACTUAL = BASELINE.replace(b'brown fox', b'red fox')
LOG = b''.join(b'line %d of the CI log\n' % n for n in range(1000)) + b'Exit code -11\n'


@pytest.fixture
def files(platform_app: Any, world: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    """The completed run's files: the 'diff' test's baseline and actual output, the 'pass' test's baseline, a log."""
    root = platform_app.config['SAMPLE_REPOSITORY']
    sha = world['sha']
    written: List[str] = []

    def write(folder: str, name: str, content: bytes) -> None:
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        path = os.path.join(root, folder, name)
        assert not os.path.exists(path), path
        with open(path, 'wb') as stored:
            stored.write(content)
        written.append(path)

    # platform_world's rows hold stand-in hashes: the files are stored under them, as the worker would have.
    write('TestResults', f'{sha("baseline diff 0")}.srt', BASELINE)
    write('TestResults', f'{sha("something else")}.srt', ACTUAL)
    write('TestResults', f'{sha("baseline pass 0")}.srt', BASELINE)
    write('LogFiles', f'{world["runs"]["completed"]}.txt', LOG)
    yield {'run': world['runs']['completed'], 'diff': (world['tests']['diff'], world['outputs']['diff'][0]),
           'pass': (world['tests']['pass'], world['outputs']['pass'][0])}
    for path in written:
        os.remove(path)


def test_a_diff_in_the_platforms_layout(api: Api, files: Dict[str, Any]) -> None:
    regression_id, output_id = files['diff']
    path = f'/runs/{files["run"]}/samples/{regression_id}/outputs/{output_id}/diff'
    answer = api.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    body = answer.get_json()
    assert (body['status'], body['diffed'], body['expected']['available'], body['actual']['available']) == (
        'diff_mismatch', True, True, True)
    changed = [(line['kind'], line['text']) for hunk in body['hunks'] for line in hunk['lines']
               if line['kind'] != 'context']
    assert changed == [('removed', 'The quick brown fox'), ('added', 'The quick red fox')]
    unified = api.get(path, headers={'Accept': 'text/x-diff'})
    assert unified.status_code == 200 and b'\n-The quick brown fox\n+The quick red fox\n' in unified.get_data()


def test_the_files_and_the_log(api: Api, files: Dict[str, Any]) -> None:
    regression_id, output_id = files['pass']
    base = f'/runs/{files["run"]}/samples/{regression_id}/outputs/{output_id}'
    expected = api.get(base + '/expected')
    assert (expected.status_code, expected.get_data()) == (200, BASELINE)
    assert expected.headers['Content-Type'] == 'text/plain; charset=utf-8'
    actual = api.get(base + '/actual', headers={'Range': 'bytes=0-1'})  # got is NULL: the baseline's file
    assert (actual.status_code, actual.get_data()) == (206, BASELINE[:2])
    log = api.get(f'/runs/{files["run"]}/log', headers={'Range': 'bytes=-14'})
    assert (log.status_code, log.get_data()) == (206, b'Exit code -11\n')
    none = api.get(f'/runs/{files["run"]}/samples/{regression_id}/outputs/{output_id}/diff')
    assert none.get_json()['reason'] == 'identical'


def test_the_links_lead_to_the_platforms_own_diff_page(api: Api, client: Any, files: Dict[str, Any]) -> None:
    regression_id, output_id = files['diff']
    detail = api.get(f'/runs/{files["run"]}/samples/{regression_id}').get_json()
    [output] = [o for o in detail['outputs'] if o['output_id'] == output_id]
    result = f'http://localhost/api/v1/runs/{files["run"]}/samples/{regression_id}'
    assert output['links']['diff'] == output['links']['self'] == f'{result}/outputs/{output_id}/diff'
    assert detail['links']['self'] == output['links']['result'] == result
    assert detail['html_url'] == f'http://localhost/test/{files["run"]}'
    page = output['links']['diff_html']
    assert page.endswith(f'/test/diff/{files["run"]}/{regression_id}/{output_id}')
    # The platform's page reads the very files the API found (it answers its own page's XHR).
    answer = client.get(page[page.index('/test/diff/'):], headers={'X-Requested-With': 'XMLHttpRequest'})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert 'red' in answer.get_data(as_text=True)
