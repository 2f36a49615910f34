"""Why a result failed, over HTTP (issue 11): an output's diff, its files, the run's log, and the links to them.

Rows come from the factory; files are written into a results folder of the
test's own, laid out as the platform lays out its ``SAMPLE_REPOSITORY``
(``TestResults/<sha256><extension>``, ``LogFiles/<run id>.txt``). Every answer
goes through ``Api``, so each is checked against the OpenAPI document too.
"""

import dataclasses
import hashlib
import os
import shutil
import subprocess
from typing import Optional

import pytest

from mod_api import settings
from mod_test.models import TestStatus
from tests.conftest import API_ROOT, path_of
from tests.factories import sha

PATCH = shutil.which('patch')
COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
TESTING = (TestStatus.preparation, TestStatus.testing)

BASELINE = (b'1\n00:00:01,000 --> 00:00:02,500\nThe quick brown fox\n\n'
            b'2\n00:00:03,000 --> 00:00:04,000\njumps over the lazy dog.\n\n'
            b'3\n00:00:05,000 --> 00:00:06,000\nThe end.\n')
DIFFERENT = BASELINE.replace(b'lazy dog', b'sleepy cat')
VARIANT = BASELINE.replace(b'The end.', b'THE END')
PNG = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00'
JSON_TYPE = 'application/json'


def digest(content: bytes) -> str:
    """The sha256 the platform names a file by."""
    return hashlib.sha256(content).hexdigest()


class Repository:
    """A results folder laid out as the platform's SAMPLE_REPOSITORY."""

    def __init__(self, root) -> None:
        self.root = root
        (root / 'TestResults').mkdir(parents=True)
        (root / 'LogFiles').mkdir()

    def put(self, content: bytes, extension: str = '.srt') -> str:
        """Store a result file; return its hash."""
        name = digest(content)
        (self.root / 'TestResults' / f'{name}{extension}').write_bytes(content)
        return name

    def log(self, run_id: int, content: bytes) -> None:
        """Store a run's CI log."""
        (self.root / 'LogFiles' / f'{run_id}.txt').write_bytes(content)


def configure(app, **changes) -> None:
    """Change the API's checked settings of ``app`` (made when it was built)."""
    app.extensions['mod_api'] = dataclasses.replace(app.extensions['mod_api'], **changes)


@pytest.fixture
def repository(app, tmp_path) -> Repository:
    """The app's results folder (API_RESULTS_ROOT), empty at first."""
    repository = Repository(tmp_path / 'repository')
    configure(app, results_root=str(repository.root))
    return repository


NO_ROW = object()


def one_output(factory, baseline: Optional[str], got=None, expected: Optional[str] = None, extension: str = '.srt',
               states=COMPLETED, variants=(), others: int = 0):
    """A run with one regression test whose (first) output has ``baseline``; ``got`` NO_ROW: not reported.

    ``others`` more outputs are reported as identical, so that the test has rows.
    """
    test = factory.regression_test(outputs=0)
    output = factory.output(test, correct=baseline or '', extension=extension)
    extra = [factory.output(test) for _ in range(others)]
    for variant in variants:
        factory.variant(output, variant)
    run = factory.run(states)
    factory.result(run, test)
    if got is not NO_ROW:
        factory.reported(run, test, output, got=got, expected=expected)
    for other in extra:
        factory.reported(run, test, other)
    factory.commit()
    return run, test, output


def base(run, test, output) -> str:
    """The API's path of one output."""
    return f'/runs/{run.id}/samples/{test.id}/outputs/{output.id}'


def get(api, path: str, status: int = 200, **headers):
    """GET a path, checking the status; return the response."""
    response = api.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def diff(api, run, test, output, query: str = '', status: int = 200):
    """The JSON diff of one output."""
    response = get(api, base(run, test, output) + '/diff' + query, status)
    assert response.mimetype == JSON_TYPE
    return response.json


def rebuild(expected: bytes, body) -> bytes:
    """Apply a JSON diff's hunks to ``expected`` (UTF-8 here), checking its context and removed lines."""
    lines = expected.split(b'\n')
    lines = [line + b'\n' for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    out, position = [], 0
    for hunk in body['hunks']:
        first = hunk['expected_start'] - 1 if hunk['expected_lines'] else hunk['expected_start']
        out.extend(lines[position:first])
        position = first
        for line in hunk['lines']:
            raw = (line['text'] + line['eol']).encode()
            if line['kind'] == 'added':
                out.append(raw)
                continue
            assert lines[position] == raw and line['expected_line'] == position + 1
            position += 1
            if line['kind'] == 'context':
                out.append(raw)
    return b''.join(out + lines[position:])


class OutputStatusTests:
    """Every output status of classification.md, through the diff."""

    def test_diff_mismatch(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        body = diff(api, run, test, output)
        assert (body['status'], body['identical'], body['binary'], body['diffed'], body['reason']) == (
            'diff_mismatch', False, False, True, None)
        assert body['summary'] == {'added_lines': 1, 'removed_lines': 1, 'hunks': 1}
        assert body['message'] == '1 line removed and 1 added, in 1 hunk.'
        assert rebuild(BASELINE, body) == DIFFERENT and body['truncated'] is False
        assert [(line['kind'], line['text']) for line in body['hunks'][0]['lines'] if line['kind'] != 'context'] == [
            ('removed', 'jumps over the lazy dog.'), ('added', 'jumps over the sleepy cat.')]
        for side, content in (('expected', BASELINE), ('actual', DIFFERENT)):
            assert body[side] == {'hash': digest(content), 'filename': f'{digest(content)}.srt',
                                  'size_bytes': len(content), 'available': True, 'reason': None,
                                  'encoding': 'utf-8', 'line_endings': 'lf'}
        assert (body['run_id'], body['regression_id'], body['output_id'], body['context']) == (
            run.id, test.id, output.id, 3)

    def test_match_got_null_is_identical_and_no_error(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=None)
        body = diff(api, run, test, output)
        assert (body['status'], body['identical'], body['diffed'], body['reason'], body['hunks']) == (
            'match', True, False, 'identical', [])
        assert body['actual'] == {**body['expected'], 'reason': 'got_null'}
        assert body['actual']['available'] is True and body['actual']['size_bytes'] == len(BASELINE)
        assert 'got is NULL' in body['message'] and 'baseline\'s file' in body['message']

    def test_match_got_equal_to_expected(self, api, factory, repository):
        name = repository.put(BASELINE)
        run, test, output = one_output(factory, name, got=name)
        body = diff(api, run, test, output)
        assert (body['status'], body['identical'], body['reason'], body['actual']['reason']) == (
            'match', True, 'identical', None)
        assert body['message'] == 'Identical to its baseline: both have the same hash.'

    def test_match_through_an_accepted_variant_is_diffed(self, api, factory, repository):
        variant = repository.put(VARIANT)
        run, test, output = one_output(factory, repository.put(BASELINE), got=variant, variants=[variant])
        body = diff(api, run, test, output)
        assert (body['status'], body['identical'], body['diffed']) == ('match', False, True)
        assert rebuild(BASELINE, body) == VARIANT
        assert body['message'].endswith('The output matches an accepted variant of its baseline.')

    def test_missing_output(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=NO_ROW, others=1)
        body = diff(api, run, test, output)
        assert (body['status'], body['identical'], body['diffed'], body['reason']) == (
            'missing_output', None, False, 'unavailable')
        assert body['actual'] == {'hash': None, 'filename': None, 'size_bytes': None, 'available': False,
                                  'reason': 'no_row', 'encoding': None, 'line_endings': None}
        assert body['expected']['available'] is True
        assert body['message'] == 'Not diffed: the actual output was never reported (no test_result_file row).'
        assert body['links']['actual'] is None and body['links']['diff_html'] is None

    def test_missing_output_while_the_run_is_testing(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=NO_ROW, states=TESTING)
        body = diff(api, run, test, output)
        assert body['status'] == 'missing_output' and 'not yet reported' in body['message']

    def test_missing_expected(self, api, factory, repository):
        run, test, output = one_output(factory, None, got=repository.put(DIFFERENT), expected='')
        body = diff(api, run, test, output)
        assert (body['status'], body['reason'], body['expected']['reason']) == (
            'missing_expected', 'unavailable', 'no_baseline')
        assert body['actual']['available'] is True
        assert body['message'] == 'Not diffed: the baseline has no hash: the output has no baseline.'


class UnavailableSideTests:
    """A side that cannot be read is said to be missing, and why: never an error."""

    def test_baseline_not_on_disk(self, api, factory, repository):
        run, test, output = one_output(factory, digest(b'gone'), got=repository.put(DIFFERENT))
        body = diff(api, run, test, output)
        assert (body['reason'], body['expected']['reason'], body['expected']['available']) == (
            'unavailable', 'not_on_disk', False)
        assert body['expected']['hash'] == digest(b'gone') and body['expected']['size_bytes'] is None
        assert body['message'] == f'Not diffed: the baseline, {digest(b"gone")}.srt, is not on disk.'

    def test_actual_output_not_on_disk(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=digest(b'gone'))
        body = diff(api, run, test, output)
        assert (body['actual']['reason'], body['actual']['available']) == ('not_on_disk', False)

    def test_both_missing(self, api, factory, repository):
        run, test, output = one_output(factory, digest(b'gone'), got=digest(b'also gone'))
        message = diff(api, run, test, output)['message']
        assert message.count('is not on disk') == 2 and '; ' in message

    def test_got_null_and_the_baseline_not_on_disk(self, api, factory, repository):
        run, test, output = one_output(factory, digest(b'gone'), got=None)
        body = diff(api, run, test, output)
        assert (body['identical'], body['reason']) == (True, 'identical')
        assert (body['actual']['available'], body['actual']['reason']) == (False, 'got_null')
        assert body['expected']['reason'] == 'not_on_disk'

    @pytest.mark.parametrize('baseline, got, side, reason', [
        ('test1', 'test2', 'expected', 'not_a_hash'),  # the platform's demo data holds names, not hashes
        (None, 'error', 'actual', 'not_a_hash'),
    ])
    def test_values_that_are_no_hashes(self, api, factory, repository, baseline, got, side, reason):
        run, test, output = one_output(factory, baseline or repository.put(BASELINE), got=got)
        body = diff(api, run, test, output)
        assert (body[side]['hash'], body[side]['reason'], body['reason']) == (None, reason, 'unavailable')

    def test_no_results_folder(self, app, api, factory):
        configure(app, results_root=None)
        run, test, output = one_output(factory, sha('a'), got=sha('b'))
        body = diff(api, run, test, output)
        assert body['expected']['reason'] == body['actual']['reason'] == 'no_results_root'
        assert 'API_RESULTS_ROOT' in body['message']


class ContentTests:
    """Encodings, binary files, line endings, empty and huge files."""

    def test_cp1252_and_utf_8(self, api, factory, repository):
        old, new = 'Ça va? «Oui»\n'.encode('cp1252'), 'Ça va? «Non»\n'.encode()
        run, test, output = one_output(factory, repository.put(old), got=repository.put(new))
        body = diff(api, run, test, output)
        assert (body['expected']['encoding'], body['actual']['encoding']) == ('cp1252', 'utf-8')
        assert [line['text'] for line in body['hunks'][0]['lines']] == ['Ça va? «Oui»', 'Ça va? «Non»']
        text = get(api, base(run, test, output) + '/diff', Accept='text/x-diff')
        assert text.headers['Content-Type'] == 'text/x-diff'  # two encodings: no one charset to name
        assert old in text.get_data() and new in text.get_data()

    def test_cp1252_on_both_sides(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put('é\n'.encode('cp1252')),
                                       got=repository.put('è\n'.encode('cp1252')))
        text = get(api, base(run, test, output) + '/diff', Accept='text/x-diff')
        assert text.headers['Content-Type'] == 'text/x-diff; charset=windows-1252'

    def test_binary(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(PNG, '.png'), got=repository.put(PNG + b'\x01', '.png'),
                                       extension='.png')
        body = diff(api, run, test, output)
        assert (body['binary'], body['diffed'], body['reason'], body['hunks'], body['identical']) == (
            True, False, 'binary', [], False)
        assert body['message'] == f'Binary files ({len(PNG)} and {len(PNG) + 1} bytes) differ; no line diff.'
        assert body['expected']['encoding'] is None and body['expected']['available'] is True
        text = get(api, base(run, test, output) + '/diff', Accept='text/x-diff').get_data()
        other = digest(PNG + bytes([1]))
        assert text == f'Binary files expected/{digest(PNG)}.png and actual/{other}.png differ\n'.encode()

    def test_one_binary_side(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(b'\x00' + BASELINE))
        assert diff(api, run, test, output)['reason'] == 'binary'

    def test_line_endings_only(self, api, factory, repository):
        crlf = BASELINE.replace(b'\n', b'\r\n')
        run, test, output = one_output(factory, repository.put(crlf), got=repository.put(BASELINE))
        body = diff(api, run, test, output)
        assert (body['expected']['line_endings'], body['actual']['line_endings']) == ('crlf', 'lf')
        assert body['message'].endswith('Only line endings differ (CRLF in the baseline, LF in the output).')
        assert {line['eol'] for line in body['hunks'][0]['lines'] if line['kind'] == 'removed'} == {'\r\n'}

    def test_empty_files(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(b''), got=repository.put(b'new\n'))
        body = diff(api, run, test, output)
        assert body['expected']['size_bytes'] == 0 and body['expected']['line_endings'] == 'none'
        [hunk] = body['hunks']
        assert (hunk['expected_start'], hunk['expected_lines'], hunk['actual_start'], hunk['actual_lines']) == (
            0, 0, 1, 1)
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(b''))
        body = diff(api, run, test, output)
        assert body['summary']['removed_lines'] == BASELINE.count(b'\n') and rebuild(BASELINE, body) == b''

    def test_no_final_line_end(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(BASELINE[:-1]))
        body = diff(api, run, test, output)
        assert body['hunks'][0]['lines'][-1] == {'kind': 'added', 'actual_line': 11, 'text': 'The end.', 'eol': ''}
        assert rebuild(BASELINE, body) == BASELINE[:-1]

    def test_files_above_the_limit_are_not_diffed(self, app, api, factory, repository):
        configure(app, diff_max_bytes=len(BASELINE) - 1)
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        body = diff(api, run, test, output)
        assert (body['diffed'], body['reason'], body['binary'], body['hunks']) == (False, 'too_large', None, [])
        assert body['expected']['size_bytes'] == len(BASELINE) and body['expected']['available'] is True
        assert body['message'] == (f'Not diffed: the files have {len(BASELINE)} and {len(DIFFERENT)} bytes, above '
                                   f'the limit of {len(BASELINE) - 1} bytes (API_DIFF_MAX_BYTES).')
        text = get(api, base(run, test, output) + '/diff', Accept='text/plain').get_data(as_text=True)
        assert text == body['message'] + '\n'
        # Still downloadable, whole.
        assert get(api, base(run, test, output) + '/expected').get_data() == BASELINE

    def test_the_line_limit_truncates_the_hunks_not_the_counts(self, app, api, factory, repository):
        configure(app, diff_max_lines=4)
        many = b''.join(b'line %d\n' % n for n in range(100))
        run, test, output = one_output(factory, repository.put(many), got=repository.put(many.replace(b'0\n', b'0!\n')))
        body = diff(api, run, test, output, '?context=0')
        assert body['truncated'] is True and sum(len(hunk['lines']) for hunk in body['hunks']) == 4
        assert body['summary'] == {'added_lines': 10, 'removed_lines': 10, 'hunks': 10}
        assert body['message'].endswith('Only the first 4 lines are listed (API_DIFF_MAX_LINES).')
        unified = get(api, base(run, test, output) + '/diff?context=0', Accept='text/x-diff').get_data()
        assert unified.count(b'\n@@ ') == 10  # the unified diff is never cut


class UnifiedDiffTests:
    """``Accept: text/x-diff`` or ``text/plain``: a standard unified diff, for less or patch."""

    @pytest.mark.parametrize('accept', ['text/x-diff', 'text/plain', 'text/*', 'text/x-diff, application/json;q=0.5'])
    def test_negotiated(self, api, factory, repository, accept):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = get(api, base(run, test, output) + '/diff', Accept=accept)
        assert response.mimetype in ('text/x-diff', 'text/plain')
        assert response.headers['Content-Type'].endswith('; charset=utf-8')
        body = response.get_data()
        assert body.startswith(f'--- expected/{digest(BASELINE)}.srt\n+++ actual/{digest(DIFFERENT)}.srt\n'
                               f'@@ -4,7 +4,7 @@\n'.encode())
        assert b'\n-jumps over the lazy dog.\n+jumps over the sleepy cat.\n' in body
        assert 'Accept' in response.headers['Vary']

    @pytest.mark.parametrize('accept', ['*/*', 'application/json', 'image/png', None])
    def test_json_otherwise(self, api, factory, repository, accept):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        headers = {'Accept': accept} if accept else {}
        response = get(api, base(run, test, output) + '/diff', **headers)
        assert response.mimetype == JSON_TYPE and 'Accept' in response.headers['Vary']

    @pytest.mark.skipif(PATCH is None, reason='no patch binary')
    @pytest.mark.parametrize('context', [0, 3, 20])
    def test_patch_applies_it(self, api, factory, repository, tmp_path, context):
        old = BASELINE.replace(b'\n', b'\r\n') + b'no end'
        new = old.replace(b'The quick', b'A quick').replace(b'no end', b'no end either')
        run, test, output = one_output(factory, repository.put(old), got=repository.put(new))
        body = get(api, base(run, test, output) + f'/diff?context={context}', Accept='text/x-diff').get_data()
        (tmp_path / 'baseline.srt').write_bytes(old)
        (tmp_path / 'diff').write_bytes(body)
        done = subprocess.run([PATCH, '--quiet', '-o', str(tmp_path / 'patched'), str(tmp_path / 'baseline.srt'),
                               str(tmp_path / 'diff')], capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / 'patched').read_bytes() == new

    def test_without_hunks_one_line_says_why(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=None)
        text = get(api, base(run, test, output) + '/diff', Accept='text/x-diff').get_data(as_text=True)
        assert text == diff(api, run, test, output)['message'] + '\n' and text.startswith('Identical')
        run, test, output = one_output(factory, repository.put(BASELINE), got=NO_ROW, others=1)
        text = get(api, base(run, test, output) + '/diff', Accept='text/x-diff').get_data(as_text=True)
        assert text == 'Not diffed: the actual output was never reported (no test_result_file row).\n'

    @pytest.mark.parametrize('accept', ['text/x-diff', JSON_TYPE])
    def test_validators(self, api, factory, repository, accept):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        first = get(api, base(run, test, output) + '/diff', Accept=accept)
        assert first.headers['Cache-Control'] == 'private, max-age=60'
        again = get(api, base(run, test, output) + '/diff', 304, Accept=accept,
                    **{'If-None-Match': first.headers['ETag']})
        assert again.get_data() == b'' and again.headers['ETag'] == first.headers['ETag']
        assert int(again.headers['X-RateLimit-Remaining']) == int(first.headers['X-RateLimit-Remaining'])

    def test_a_run_in_progress_is_revalidated(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT),
                                       states=TESTING)
        assert get(api, base(run, test, output) + '/diff').headers['Cache-Control'] == 'private, no-cache'


class ContextParameterTests:
    """``context``: 0 to 20, default 3; anything else is refused as the lists refuse their parameters."""

    @pytest.mark.parametrize('query, context', [('', 3), ('?context=0', 0), ('?context=20', 20), ('?context=07', 7)])
    def test_accepted(self, api, factory, repository, query, context):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        body = diff(api, run, test, output, query)
        assert body['context'] == context
        assert sum(line['kind'] == 'context' for line in body['hunks'][0]['lines']) <= 2 * context

    @pytest.mark.parametrize('query, parameter', [
        ('?context=21', 'context'), ('?context=-1', 'context'), ('?context=abc', 'context'), ('?context=', 'context'),
        ('?context=1&context=2', 'context'), ('?lines=3', 'lines'), ('?context=+3', 'context'),
    ])
    def test_refused(self, api, factory, repository, query, parameter):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        body = diff(api, run, test, output, query, status=400)
        assert body['code'] == 'invalid_parameter' and body['details']['parameter'] == parameter
        if query.startswith('?context=') and '&' not in query:
            assert (body['details']['minimum'], body['details']['maximum']) == (0, 20)
        if parameter == 'lines':
            assert body['details']['allowed'] == ['context']


class NotFoundTests:
    """Unknown runs, tests out of the run's scope, outputs of other tests or ignored: 404 JSON."""

    def test_unknown_run(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE))
        for suffix in ('/diff', '/expected', '/actual'):
            body = get(api, f'/runs/{run.id + 1}/samples/{test.id}/outputs/{output.id}{suffix}', 404).json
            assert body['details'] == {'resource': 'run', 'id': run.id + 1}
        assert get(api, f'/runs/{run.id + 1}/log', 404).json['details'] == {'resource': 'run', 'id': run.id + 1}

    def test_a_test_out_of_the_runs_scope(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE))
        other = factory.regression_test()
        custom = factory.run(customized=[other])
        factory.commit()
        body = get(api, f'/runs/{custom.id}/samples/{test.id}/outputs/{output.id}/diff', 404).json
        assert body['details'] == {'resource': 'sample', 'id': test.id, 'run_id': custom.id}

    def test_an_output_of_another_test_or_ignored(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE))
        other = factory.regression_test()
        ignored = factory.output(test, ignore=True)
        factory.commit()
        for wrong in (factory.outputs(other)[0].id, ignored.id, 2147483647):
            body = get(api, f'/runs/{run.id}/samples/{test.id}/outputs/{wrong}/diff', 404).json
            assert body['details'] == {'resource': 'output', 'id': wrong, 'run_id': run.id, 'sample_id': test.id}
            assert body['message'] == f'Output {wrong} not found in run {run.id}.'

    @pytest.mark.parametrize('path', ['/runs/1/samples/x/outputs/1/actual', '/runs/1/samples/1/outputs/+1/diff',
                                      '/runs/y/log'])
    def test_bad_ids(self, api, path):
        assert get(api, path, 400).json['code'] == 'invalid_parameter'

    def test_ids_no_row_can_have_are_404s(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE))
        factory.commit()
        for wrong in (0, 2147483648, 10 ** 30):
            body = get(api, f'/runs/{run.id}/samples/{test.id}/outputs/{wrong}/diff', 404).json
            assert body['details'] == {'resource': 'output', 'id': wrong, 'run_id': run.id, 'sample_id': test.id}
            body = get(api, f'/runs/{run.id}/samples/{wrong}/outputs/{output.id}/expected', 404).json
            assert body['details'] == {'resource': 'sample', 'id': wrong, 'run_id': run.id}
            assert get(api, f'/runs/{wrong}/log', 404).json['details'] == {'resource': 'run', 'id': wrong}

    def test_the_log_refuses_unknown_query_parameters(self, api, factory):
        run = factory.run()
        factory.commit()
        assert get(api, f'/runs/{run.id}/log?tail=10', 400).json['details']['parameter'] == 'tail'


class FileTests:
    """``.../expected`` and ``.../actual``: the files, streamed, with HEAD, ranges, validators, types."""

    def test_both_files(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        for side, content in (('expected', BASELINE), ('actual', DIFFERENT)):
            response = get(api, base(run, test, output) + f'/{side}')
            assert response.get_data() == content
            assert response.headers['Content-Type'] == 'text/plain; charset=utf-8'
            assert response.headers['ETag'] == f'"{digest(content)}"'
            assert response.headers['Cache-Control'] == 'private, max-age=31536000, immutable'
            assert response.headers['Accept-Ranges'] == 'bytes'
            assert response.headers['Content-Length'] == str(len(content))
            assert response.headers['X-Content-Type-Options'] == 'nosniff'
            assert response.headers['Content-Disposition'] == f'inline; filename="{digest(content)}.srt"'

    def test_streamed_not_read_whole(self, client, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = client.get('/api/v1' + base(run, test, output) + '/expected', headers=api.headers, buffered=False)
        assert response.is_streamed and not isinstance(response.response, (list, bytes))
        assert b''.join(response.response) == BASELINE
        response.close()

    def test_got_null_serves_the_baselines_file(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=None)
        response = get(api, base(run, test, output) + '/actual')
        assert response.get_data() == BASELINE and response.headers['ETag'] == f'"{digest(BASELINE)}"'

    def test_head(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = api.open(base(run, test, output) + '/expected', 'HEAD')
        assert response.status_code == 200 and response.get_data() == b''
        assert response.headers['Content-Length'] == str(len(BASELINE))
        assert response.headers['ETag'] == f'"{digest(BASELINE)}"'

    @pytest.mark.parametrize('header, part, content_range', [
        ('bytes=0-4', BASELINE[:5], f'bytes 0-4/{len(BASELINE)}'),
        ('bytes=-9', BASELINE[-9:], f'bytes {len(BASELINE) - 9}-{len(BASELINE) - 1}/{len(BASELINE)}'),
        ('bytes=10-', BASELINE[10:], f'bytes 10-{len(BASELINE) - 1}/{len(BASELINE)}'),
        ('bytes=0-100000', BASELINE, f'bytes 0-{len(BASELINE) - 1}/{len(BASELINE)}'),
    ])
    def test_ranges(self, api, factory, repository, header, part, content_range):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = get(api, base(run, test, output) + '/expected', 206, Range=header)
        assert (response.get_data(), response.headers['Content-Range']) == (part, content_range)
        assert response.headers['Content-Length'] == str(len(part))
        head = api.open(base(run, test, output) + '/expected', 'HEAD', headers={'Range': header})
        assert (head.status_code, head.get_data(), head.headers['Content-Range']) == (206, b'', content_range)

    @pytest.mark.parametrize('header', [f'bytes={len(BASELINE)}-', 'bytes=500-600', 'bytes=-0', 'bytes = -000'])
    def test_unsatisfiable_ranges(self, api, factory, repository, header):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = get(api, base(run, test, output) + '/expected', 416, Range=header)
        assert response.json['code'] == 'range_not_satisfiable'
        assert response.json['details']['size_bytes'] == len(BASELINE)
        assert response.headers['Content-Range'] == f'bytes */{len(BASELINE)}'

    @pytest.mark.parametrize('if_range, status', [('{etag}', 206), (' {etag} ', 206), ('W/{etag}', 200),
                                                  ('{bare}', 200), ('"other"', 200),
                                                  ('Tue, 01 Dec 2026 10:00:00 GMT', 200)])
    def test_if_range_holds_only_for_the_quoted_strong_tag(self, api, factory, repository, if_range, status):
        """RFC 9110 13.1.5: a strong comparison; a date never holds (the API sends no Last-Modified)."""
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        path = base(run, test, output) + '/expected'
        etag = get(api, path).headers['ETag']
        header = if_range.format(etag=etag, bare=etag.strip('"'))
        response = get(api, path, status, Range='bytes=0-4', **{'If-Range': header})
        assert response.get_data() == (BASELINE[:5] if status == 206 else BASELINE)

    def test_a_suffix_of_no_byte_is_416_when_if_range_holds_too(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        path = base(run, test, output) + '/expected'
        etag = get(api, path).headers['ETag']
        assert get(api, path, 416, Range='bytes=-0', **{'If-Range': etag}).json['code'] == 'range_not_satisfiable'
        assert get(api, path, Range='bytes=-0', **{'If-Range': '"other"'}).get_data() == BASELINE

    @pytest.mark.parametrize('header', ['bytes=0-', 'bytes=0-0', 'bytes=-0', 'bytes=-5', 'bytes=3-'])
    def test_an_empty_file_is_sent_whole_whatever_the_range(self, api, factory, repository, header):
        run, test, output = one_output(factory, repository.put(b''), got=repository.put(DIFFERENT))
        response = get(api, base(run, test, output) + '/expected', Range=header)
        assert response.get_data() == b'' and 'Content-Range' not in response.headers

    @pytest.mark.parametrize('header', ['lines=0-1', 'items=0-1', 'bytes=5-1', 'bytes=abc', 'bytes=0-1,5-6', 'bytes='])
    def test_a_range_of_another_unit_several_or_invalid_is_ignored(self, api, factory, repository, header):
        """RFC 9110 14.2: a server must ignore a unit it does not know, and may ignore what it does not serve."""
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        repository.log(run.id, BASELINE)
        for path in (base(run, test, output) + '/expected', f'/runs/{run.id}/log'):
            response = get(api, path, Range=header)
            assert 'Content-Range' not in response.headers and response.headers['Accept-Ranges'] == 'bytes', path
        assert get(api, base(run, test, output) + '/expected', Range=header).get_data() == BASELINE

    def test_if_range_with_another_validator_gives_the_whole_file(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = get(api, base(run, test, output) + '/expected', Range='bytes=0-4', **{'If-Range': '"other"'})
        assert response.get_data() == BASELINE

    def test_not_modified(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        response = get(api, base(run, test, output) + '/actual', 304, **{'If-None-Match': f'"{digest(DIFFERENT)}"'})
        assert response.get_data() == b'' and response.headers['ETag'] == f'"{digest(DIFFERENT)}"'

    def test_a_run_in_progress_is_revalidated(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT),
                                       states=TESTING)
        assert get(api, base(run, test, output) + '/actual').headers['Cache-Control'] == 'private, no-cache'

    @pytest.mark.parametrize('extension, content_type', [
        ('.srt', 'text/plain; charset=utf-8'), ('.xml', 'text/plain; charset=utf-8'),
        ('.1.srt', 'text/plain; charset=utf-8'), ('.VTT', 'text/plain; charset=utf-8'),
        ('.png', 'image/png'), ('.bin', 'application/octet-stream'), ('.html', 'application/octet-stream'),
        ('', 'application/octet-stream'),
    ])
    def test_content_type_from_the_extension(self, api, factory, repository, extension, content_type):
        run, test, output = one_output(factory, repository.put(BASELINE, extension), got=None, extension=extension)
        assert get(api, base(run, test, output) + '/expected').headers['Content-Type'] == content_type

    @pytest.mark.parametrize('side, got, reason', [
        ('actual', NO_ROW, 'no_row'), ('actual', digest(b'gone'), 'not_on_disk'), ('actual', 'error', 'not_a_hash'),
        ('expected', None, 'not_on_disk'),
    ])
    def test_no_such_file(self, api, factory, repository, side, got, reason):
        baseline = repository.put(BASELINE) if side == 'actual' else digest(b'gone')
        run, test, output = one_output(factory, baseline, got=got, others=1 if got is NO_ROW else 0)
        body = get(api, base(run, test, output) + f'/{side}', 404).json
        assert body['code'] == 'not_found'
        assert body['details'] == {'resource': 'file', 'side': side, 'run_id': run.id, 'sample_id': test.id,
                                   'output_id': output.id, 'reason': reason}


class LogTests:
    """``GET /runs/{run_id}/log``: the CI log as text, with ranges; 404 when there is none."""

    LOG = b''.join(b'[%05d] building ccextractor\n' % n for n in range(2000)) + b'Exit code -11\n'

    def test_whole_and_its_end(self, api, factory, repository):
        run = factory.run()
        factory.commit()
        repository.log(run.id, self.LOG)
        whole = get(api, f'/runs/{run.id}/log')
        assert whole.get_data() == self.LOG and whole.headers['Content-Type'] == 'text/plain; charset=utf-8'
        assert whole.headers['Cache-Control'] == 'private, no-cache'
        end = get(api, f'/runs/{run.id}/log', 206, Range='bytes=-20000')
        assert end.get_data() == self.LOG[-20000:] and end.get_data().endswith(b'Exit code -11\n')
        assert end.headers['Content-Range'] == f'bytes {len(self.LOG) - 20000}-{len(self.LOG) - 1}/{len(self.LOG)}'
        assert get(api, f'/runs/{run.id}/log', 304, **{'If-None-Match': whole.headers['ETag']}).get_data() == b''

    def test_a_rewritten_log_has_another_validator(self, api, factory, repository):
        run = factory.run()
        factory.commit()
        repository.log(run.id, b'first\n')
        first = get(api, f'/runs/{run.id}/log').headers['ETag']
        repository.log(run.id, b'second, longer\n')
        assert get(api, f'/runs/{run.id}/log').headers['ETag'] != first

    def test_none(self, api, factory, repository):
        run = factory.run()
        factory.commit()
        body = get(api, f'/runs/{run.id}/log', 404).json
        assert body == {'code': 'not_found', 'message': f'Run {run.id} has no CI log.',
                        'details': {'resource': 'log', 'run_id': run.id, 'reason': 'not_on_disk'}}

    def test_the_run_detail_links_it(self, api, factory, repository):
        run = factory.run()
        factory.commit()
        repository.log(run.id, b'log\n')
        link = get(api, f'/runs/{run.id}').json['links']['log']
        assert link == f'{API_ROOT}/runs/{run.id}/log'
        assert get(api, path_of(link)).get_data() == b'log\n'


class PreconditionTests:
    """If-Match and If-None-Match on the files, the log and the text diff, as on every JSON answer (RFC 9110 13)."""

    @pytest.fixture
    def paths(self, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        repository.log(run.id, BASELINE)
        return [(base(run, test, output) + '/expected', {}), (base(run, test, output) + '/actual', {}),
                (f'/runs/{run.id}/log', {}), (base(run, test, output) + '/diff', {'Accept': 'text/x-diff'})]

    def test_if_match_of_any_or_the_current_representation_holds(self, api, paths):
        for path, headers in paths:
            whole = get(api, path, **headers)
            for header in ('*', whole.headers['ETag'], f'"other", {whole.headers["ETag"]}'):
                assert get(api, path, **headers, **{'If-Match': header}).get_data() == whole.get_data(), path

    @pytest.mark.parametrize('header', ['"other"', 'W/"{etag}"', '{etag}'])
    def test_if_match_of_another_is_412_without_the_body(self, api, paths, header):
        for path, headers in paths:
            etag = get(api, path, **headers).headers['ETag'].strip('"')
            response = get(api, path, 412, **headers, **{'If-Match': header.format(etag=etag)})
            assert response.mimetype == JSON_TYPE and response.json['code'] == 'precondition_failed', path
            assert response.json['details'] == {'header': 'If-Match', 'etag': f'"{etag}"'}
            assert response.headers['ETag'] == f'"{etag}"'
            assert response.headers['Cache-Control'] == 'no-store', path  # no file's year of caching for an error

    def test_if_none_match_is_304_only_for_the_quoted_current_tag(self, api, paths):
        for path, headers in paths:
            whole = get(api, path, **headers)
            assert get(api, path, 304, **headers, **{'If-None-Match': whole.headers['ETag']}).get_data() == b''
            assert get(api, path, 304, **headers, **{'If-None-Match': '*'}).headers['ETag'] == whole.headers['ETag']
            unquoted = whole.headers['ETag'].strip('"')
            assert get(api, path, **headers, **{'If-None-Match': unquoted}).get_data() == whole.get_data(), path

    def test_a_failed_if_match_wins_over_if_none_match_and_range(self, api, paths):
        for path, headers in paths:
            etag = get(api, path, **headers).headers['ETag']
            get(api, path, 412, **headers, **{'If-Match': '"other"', 'If-None-Match': etag, 'Range': 'bytes=0-1'})


class TraversalTests:
    """Crafted rows and links never reach a file outside the results folders."""

    SECRET = b'root:x:0:0:secret\n'

    @pytest.fixture
    def secret(self, repository):
        (repository.root.parent / 'secret.srt').write_bytes(self.SECRET)
        (repository.root / 'secret.srt').write_bytes(self.SECRET)
        return repository.root.parent / 'secret.srt'

    def everything(self, api, run, test, output):
        """Every answer about the output: none may hold the secret."""
        answers = [api.get(base(run, test, output) + suffix, headers=headers)
                   for suffix in ('/diff', '/expected', '/actual')
                   for headers in ({}, {'Accept': 'text/x-diff'})]
        for answer in answers:
            assert self.SECRET not in answer.get_data() and b'secret' not in answer.get_data()
        return answers

    @pytest.mark.parametrize('baseline, got, extension', [
        ('../secret', '../../secret', '.srt'),
        ('../../../../../../etc/passwd', '/etc/passwd', ''),
        (digest(b'x'), digest(b'y'), '/../../secret.srt'),
        (digest(b'x'), digest(b'y'), '.srt/../../../secret'),
        ('..', '.', '.srt'),
    ])
    def test_crafted_rows(self, api, factory, secret, baseline, got, extension):
        run, test, output = one_output(factory, baseline, got=got, extension=extension)
        answers = self.everything(api, run, test, output)
        body = answers[0].json
        assert body['reason'] == 'unavailable'
        assert {body['expected']['reason'], body['actual']['reason']} <= {'not_a_hash', 'bad_extension'}
        assert [answer.status_code for answer in answers[2:]] == [404] * 4

    def test_links_out_of_the_folder(self, api, factory, repository, secret):
        outside, inside = digest(b'outside'), digest(b'inside')
        os.symlink(secret, repository.root / 'TestResults' / f'{outside}.srt')
        os.symlink('../../secret.srt', repository.root / 'TestResults' / f'{inside}.srt')
        run, test, output = one_output(factory, outside, got=inside)
        answers = self.everything(api, run, test, output)
        body = answers[0].json
        assert body['expected']['reason'] == body['actual']['reason'] == 'outside_root'
        assert [answer.status_code for answer in answers[2:]] == [404] * 4
        assert answers[2].json['details']['reason'] == 'outside_root'

    def test_a_log_link_out_of_the_folder(self, api, factory, repository, secret):
        run = factory.run()
        factory.commit()
        os.symlink(secret, repository.root / 'LogFiles' / f'{run.id}.txt')
        body = get(api, f'/runs/{run.id}/log', 404).json
        assert body['details']['reason'] == 'outside_root'


class LinkTests:
    """Outputs link their diff, files and the platform's diff page; results and runs their platform page."""

    def test_the_detail_links_each_output(self, api, factory, repository):
        test = factory.regression_test(outputs=0)
        differing = factory.output(test, correct=repository.put(BASELINE))
        same = factory.output(test, correct=repository.put(VARIANT, '.xml'), extension='.xml')
        missing = factory.output(test)
        run = factory.run()
        factory.result(run, test)
        factory.reported(run, test, differing, got=repository.put(DIFFERENT))
        factory.reported(run, test, same)
        factory.commit()
        body = get(api, f'/runs/{run.id}/samples/{test.id}').json
        assert body['html_url'] == f'http://localhost/test/{run.id}'
        outputs = {output['output_id']: output for output in body['outputs']}
        result = f'{API_ROOT}/runs/{run.id}/samples/{test.id}'
        prefix = f'{result}/outputs'
        assert outputs[differing.id]['links'] == {
            'self': f'{prefix}/{differing.id}/diff', 'diff': f'{prefix}/{differing.id}/diff',
            'expected': f'{prefix}/{differing.id}/expected', 'actual': f'{prefix}/{differing.id}/actual',
            'result': result, 'diff_html': f'http://localhost/test/diff/{run.id}/{test.id}/{differing.id}'}
        assert outputs[same.id]['links']['diff_html'] is None and outputs[same.id]['links']['actual'] is not None
        assert outputs[missing.id]['links']['actual'] is None and outputs[missing.id]['links']['expected'] is not None
        assert [outputs[o.id]['filename'] for o in (differing, same, missing)] == ['out.srt', 'out.xml', 'out.srt']
        # Followed, each link answers.
        for output in body['outputs']:
            for name in ('diff', 'expected', 'actual'):
                link = output['links'][name]
                if link is not None:
                    expected = 404 if output['output_id'] == missing.id and name == 'expected' else 200
                    get(api, path_of(link), expected)
        assert get(api, path_of(outputs[differing.id]['links']['actual'])).get_data() == DIFFERENT
        assert get(api, path_of(outputs[differing.id]['links']['result'])).json['regression_id'] == test.id

    def test_the_list_links_them_too(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        [item] = get(api, f'/runs/{run.id}/samples').json['data']
        assert item['html_url'] == f'http://localhost/test/{run.id}'
        assert item['outputs'][0]['links']['diff'] == f'{API_ROOT}{base(run, test, output)}/diff'

    def test_a_null_filename(self, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=None)
        output.expected_filename = None
        factory.commit()
        assert get(api, f'/runs/{run.id}/samples/{test.id}').json['outputs'][0]['filename'] is None

    def test_the_platform_address_when_set(self, app, api, factory, repository):
        configure(app, platform_url='https://sampleplatform.ccextractor.org')
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        assert get(api, f'/runs/{run.id}').json['html_url'] == f'https://sampleplatform.ccextractor.org/test/{run.id}'
        assert get(api, '/runs').json['data'][0]['html_url'].startswith('https://sampleplatform.ccextractor.org/')
        links = diff(api, run, test, output)['links']
        assert links['diff_html'] == f'https://sampleplatform.ccextractor.org/test/diff/{run.id}/{test.id}/{output.id}'


class GuardTests:
    """Every new answer needs the token and counts against the quota, as the other routes do."""

    @pytest.mark.parametrize('suffix', ['/diff', '/expected', '/actual', None])
    def test_a_token_is_required(self, client, api, factory, repository, suffix):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        repository.log(run.id, b'log\n')
        path = '/api/v1' + (base(run, test, output) + suffix if suffix else f'/runs/{run.id}/log')
        refused = client.get(path)
        assert refused.status_code == 401 and refused.json['code'] == 'unauthorized'
        assert refused.headers['WWW-Authenticate'].startswith('Bearer ')
        accepted = client.get(path, headers=api.headers)
        assert accepted.status_code == 200
        for answer in (refused, accepted):
            assert all(answer.headers[name].isdigit() for name in ('X-RateLimit-Limit', 'X-RateLimit-Remaining'))

    def test_the_quota_is_spent_on_files_too(self, app, api, factory, repository):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT))
        answers = [api.get(base(run, test, output) + '/diff'), api.get(base(run, test, output) + '/expected'),
                   api.get(base(run, test, output) + '/actual', headers={'Range': 'bytes=0-1'})]
        remaining = [int(answer.headers['X-RateLimit-Remaining']) for answer in answers]
        assert remaining == [remaining[0], remaining[0] - 1, remaining[0] - 2]

    def test_a_fixed_number_of_statements(self, api, factory, repository, statements):
        run, test, output = one_output(factory, repository.put(BASELINE), got=repository.put(DIFFERENT),
                                       variants=[sha('v1'), sha('v2')])
        get(api, f'/runs/{run.id}/summary')  # the token's first use is recorded once: not counted
        for suffix in ('/diff', '/expected', '/actual'):
            with statements() as seen:
                get(api, base(run, test, output) + suffix)
            assert len(seen) == 3, (suffix, seen)  # the token, the run, the output with its row and variants
        with statements() as seen:
            get(api, f'/runs/{run.id}/log', 404)
        assert len(seen) == 2


class SettingsTests:
    """Where the files are, and the limits: API_* keys, the host's SAMPLE_REPOSITORY by default."""

    def test_defaults(self):
        checked = settings.load({'API_JWT_SECRET': 'x' * 40})
        assert (checked.results_root, checked.diff_max_bytes, checked.diff_max_lines, checked.platform_url) == (
            None, 4 * 1024 * 1024, 10000, None)

    def test_the_hosts_sample_repository(self):
        assert settings.load({'SAMPLE_REPOSITORY': '/srv/repository'}).results_root == '/srv/repository'
        assert settings.load({'SAMPLE_REPOSITORY': '/srv/repository',
                              'API_RESULTS_ROOT': '/mnt/results'}).results_root == '/mnt/results'

    def test_values_from_the_environment(self):
        checked = settings.load({'API_DIFF_MAX_BYTES': '100', 'API_DIFF_MAX_LINES': '5',
                                 'API_PLATFORM_URL': 'https://sp.example.org/'})
        assert (checked.diff_max_bytes, checked.diff_max_lines, checked.platform_url) == (
            100, 5, 'https://sp.example.org')

    @pytest.mark.parametrize('key, value', [
        ('API_DIFF_MAX_BYTES', '-1'), ('API_DIFF_MAX_BYTES', 'lots'), ('API_DIFF_MAX_LINES', '0'),
        ('API_PLATFORM_URL', 'sampleplatform.ccextractor.org'), ('API_PLATFORM_URL', 'https://x.org/?q=1'),
        ('API_PLATFORM_URL', 'javascript:alert(1)'),
    ])
    def test_bad_values_stop_the_host(self, key, value):
        with pytest.raises(RuntimeError, match=key):
            settings.load({key: value})

    def test_the_standalone_hosts_default_folder(self, app):
        assert app.config['SAMPLE_REPOSITORY'] == os.path.join(app.instance_path, 'repository')
