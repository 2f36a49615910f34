"""Why a result failed: one output's diff with its baseline, the output's files, and the run's CI log.

Routes, thin as those of ``routes.py``: each reads its parameters, asks the
queries for the output's row (one statement), finds the files
(``result_files``), compares them (``diffs``) and dumps a schema. Files are
streamed, never read whole; the diff reads a file only up to
``API_DIFF_MAX_BYTES``.

``sample_id`` in a path is the regression test's id, as everywhere in the API.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, cast

from flask import Response, g, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.wsgi import wrap_file

from mod_api import links, queries
from mod_api.auth import RUNS_READ, token_required
from mod_api.diffs import LineDiff, Text, line_diff, read_text, unified_diff
from mod_api.errors import ApiError, not_found
from mod_api.responses import conditional, conditional_json, validated
from mod_api.result_files import (Located, Missing, Side, log_file,
                                  open_located, output_sides, read_at_most)
from mod_api.routes import get_route, run_or_404
from mod_api.schemas import (DiffQuerySchema, NoQuerySchema, OutputPathSchema,
                             RunPathSchema, dump_output_diff, parse_path,
                             parse_query, storable_id)
from mod_api.settings import current as current_settings
from mod_api.verdicts import OutputStatus, output_status, run_state

#: Extensions served as text (CCExtractor's subtitle and text formats); the last part of the extension counts.
TEXT_EXTENSIONS = frozenset({
    '.srt', '.ssa', '.ass', '.vtt', '.webvtt', '.smi', '.sami', '.ttxt', '.txt', '.xml', '.dfxp', '.ttml', '.scc',
    '.ccd', '.mcc', '.g608', '.sbv', '.json', '.csv', '.log'})
IMAGE_TYPES = {'.png': 'image/png', '.bmp': 'image/bmp', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
               '.gif': 'image/gif'}
TEXT_TYPE = 'text/plain; charset=utf-8'
#: A hash names the same content for ever: a finished run's files may be kept as long as a cache likes.
FOREVER = 'private, max-age=31536000, immutable'
REVALIDATE = 'private, no-cache'
DIFF_TYPES = ('application/json', 'text/x-diff', 'text/plain')


def _output_path(run_id: str, sample_id: str, output_id: str) -> Tuple[int, int, int]:
    path = parse_path(OutputPathSchema, {'run_id': run_id, 'sample_id': sample_id, 'output_id': output_id})
    return path['run_id'], path['sample_id'], path['output_id']


def _output_or_404(run_id: int, regression_id: int, output_id: int) -> Tuple[queries.RunFacts, queries.OutputFacts]:
    run = run_or_404(run_id)
    if not storable_id(regression_id):
        raise not_found('sample', regression_id, run_id=run_id)
    # An output id no row can have is looked up as 0 (no row has it), so that the test's scope is still checked.
    in_scope, facts = queries.load_output(g.db, run, regression_id, output_id if storable_id(output_id) else 0)
    if not in_scope:
        raise not_found('sample', regression_id, run_id=run_id)
    if facts is None:
        raise not_found('output', output_id, run_id=run_id, sample_id=regression_id)
    return run, facts


# The diff --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """What comparing the two sides of an output found."""

    reason: Optional[str]  # why the lines were not compared; None when they were
    identical: Optional[bool]
    binary: Optional[bool]
    expected: Optional[Text] = None
    actual: Optional[Text] = None


def compare(expected: Side, actual: Side, max_bytes: int) -> Comparison:
    """Compare the two sides of an output, reading each file only when it has at most ``max_bytes``."""
    if actual.reason is Missing.got_null or (expected.hash is not None and expected.hash == actual.hash):
        return Comparison('identical', True, None)
    if expected.file is None or actual.file is None:
        return Comparison('unavailable', None, None)
    try:
        data = read_at_most(expected.file, max_bytes), read_at_most(actual.file, max_bytes)
    except FileNotFoundError:  # removed since it was found
        return Comparison('unavailable', None, None)
    if data[0] is None or data[1] is None:
        return Comparison('too_large', None, None)
    texts = read_text(data[0]), read_text(data[1])
    if texts[0] is None or texts[1] is None:
        return Comparison('binary', data[0] == data[1], True)
    return Comparison(None, data[0] == data[1], False, texts[0], texts[1])


_SIDE_NAMES = {'expected': 'the baseline', 'actual': 'the actual output'}


def _why(name: str, side: Side, finished: bool) -> str:
    what = _SIDE_NAMES[name]
    reason = side.reason
    if reason is Missing.no_row:
        return f'{what} was {"never" if finished else "not yet"} reported (no test_result_file row)'
    if reason is Missing.no_baseline:
        return f'{what} has no hash: the output has no baseline'
    if reason is Missing.not_a_hash:
        return f'{what} is stored under a value that is no sha256'
    if reason is Missing.bad_extension:
        return f'the output\'s extension is not one the API reads files with, so {what} is not looked up'
    if reason is Missing.outside_root:
        return f'{what}, {side.filename}, is a link out of the results folder (refused)'
    if reason is Missing.no_results_root:
        return 'no results folder is configured (API_RESULTS_ROOT, or the host\'s SAMPLE_REPOSITORY)'
    if reason is Missing.got_null:
        return f'{what} is the baseline\'s file (got is NULL), and that is not on disk'
    return f'{what}, {side.filename}, is not on disk'


def describe(comparison: Comparison, diff: Optional[LineDiff], expected: Side, actual: Side, status: OutputStatus,
             finished: bool, max_bytes: int, max_lines: int) -> str:
    """Say in one sentence what the diff found, or why there is none."""
    if comparison.reason == 'identical':
        if actual.reason is Missing.got_null:
            return ('Identical to its baseline: got is NULL, so no file of its own was stored, and the actual side '
                    'is the baseline\'s file.')
        return 'Identical to its baseline: both have the same hash.'
    if comparison.reason == 'unavailable':
        missing = [_why(name, side, finished) for name, side in (('expected', expected), ('actual', actual))
                   if side.file is None]
        text = '; '.join(missing) or 'a file was removed while it was read'
        return f'Not diffed: {text[0].lower()}{text[1:]}.'
    sizes = f'{expected.file.size if expected.file else "?"} and {actual.file.size if actual.file else "?"} bytes'
    if comparison.reason == 'too_large':
        return f'Not diffed: the files have {sizes}, above the limit of {max_bytes} bytes (API_DIFF_MAX_BYTES).'
    if comparison.reason == 'binary':
        same = 'are identical' if comparison.identical else 'differ'
        return f'Binary files ({sizes}) {same}; no line diff.'
    if diff is None or comparison.expected is None or comparison.actual is None:
        return 'Not diffed.'  # not reached: a comparison without a reason has both texts, and is diffed
    if not diff.hunk_count:
        return 'The files are identical byte for byte, though their hashes differ.'
    text = (f'{diff.removed_lines} line{"s" if diff.removed_lines != 1 else ""} removed and {diff.added_lines} '
            f'added, in {diff.hunk_count} hunk{"s" if diff.hunk_count != 1 else ""}.')
    if _only_line_ends_differ(comparison.expected, comparison.actual):
        text += (f' Only line endings differ ({comparison.expected.line_endings.upper()} in the baseline, '
                 f'{comparison.actual.line_endings.upper()} in the output).')
    if status is OutputStatus.match:
        text += ' The output matches an accepted variant of its baseline.'
    if diff.truncated:
        text += f' Only the first {max_lines} lines are listed (API_DIFF_MAX_LINES).'
    return text


def _only_line_ends_differ(expected: Text, actual: Text) -> bool:
    if len(expected.lines) != len(actual.lines):
        return False
    return all(old.rstrip(b'\r\n') == new.rstrip(b'\r\n') for old, new in zip(expected.lines, actual.lines))


def _side(side: Side, text: Optional[Text]) -> Dict[str, Any]:
    return {'hash': side.hash, 'filename': side.filename, 'size_bytes': side.file.size if side.file else None,
            'available': side.available, 'reason': side.reason.value if side.reason else None,
            'encoding': text.encoding if text else None, 'line_endings': text.line_endings if text else None}


def _hunks(diff: Optional[LineDiff]) -> List[Dict[str, Any]]:
    if diff is None:
        return []
    hunks = []
    for hunk in diff.hunks:
        lines = []
        for line in hunk.lines:
            item: Dict[str, Any] = {'kind': line.kind.value}
            if line.expected_line is not None:
                item['expected_line'] = line.expected_line
            if line.actual_line is not None:
                item['actual_line'] = line.actual_line
            item['text'] = line.text
            item['eol'] = line.eol
            lines.append(item)
        hunks.append({'expected_start': hunk.expected_start, 'expected_lines': hunk.expected_lines,
                      'actual_start': hunk.actual_start, 'actual_lines': hunk.actual_lines, 'lines': lines})
    return hunks


def _charset(comparison: Comparison) -> Optional[str]:
    encodings = {text.encoding for text in (comparison.expected, comparison.actual) if text is not None}
    if encodings == {'cp1252'}:
        return 'windows-1252'
    return 'utf-8' if encodings <= {'utf-8'} else None


@get_route('/runs/<run_id>/samples/<sample_id>/outputs/<output_id>/diff')
@token_required(RUNS_READ)
def output_diff(run_id: str, sample_id: str, output_id: str) -> Response:
    """How one output of a regression test in a run differs from its baseline: JSON, or a unified diff."""
    path = _output_path(run_id, sample_id, output_id)
    context = parse_query(DiffQuerySchema, request.args)['context']
    run, facts = _output_or_404(*path)
    regression_id = path[1]
    settings = current_settings()
    finished = run_state(run.last_status).finished
    expected, actual = output_sides(settings.results_root, facts.output, facts.row)
    comparison = compare(expected, actual, settings.diff_max_bytes)
    wanted = request.accept_mimetypes.best_match(DIFF_TYPES, default=DIFF_TYPES[0])
    status = output_status(facts.output, facts.row)

    if wanted != 'application/json':
        body, charset = b'', _charset(comparison)
        if comparison.expected is not None and comparison.actual is not None:
            body = unified_diff(comparison.expected, comparison.actual, f'expected/{expected.filename}',
                                f'actual/{actual.filename}', context)
        if not body:  # no hunk to show: one line says why, as diff(1) says "Binary files ... differ"
            no_hunks = LineDiff(0, 0, 0, (), False) if comparison.reason is None else None
            message = describe(comparison, no_hunks, expected, actual, status, finished, settings.diff_max_bytes,
                               settings.diff_max_lines)
            if comparison.reason == 'binary':
                message = f'Binary files expected/{expected.filename} and actual/{actual.filename} differ'
            body, charset = f'{message}\n'.encode(), 'utf-8'
        return _conditional_text(body, wanted + (f'; charset={charset}' if charset else ''), finished)

    diff = None
    if comparison.expected is not None and comparison.actual is not None:
        diff = line_diff(comparison.expected, comparison.actual, context, settings.diff_max_lines)
    answer = {
        'run_id': run.run_id, 'regression_id': regression_id, 'output_id': facts.output.output_id,
        'status': status.value, 'identical': comparison.identical, 'binary': comparison.binary,
        'diffed': diff is not None, 'reason': comparison.reason,
        'message': describe(comparison, diff, expected, actual, status, finished, settings.diff_max_bytes,
                            settings.diff_max_lines),
        'context': context,
        'expected': _side(expected, comparison.expected), 'actual': _side(actual, comparison.actual),
        'summary': {'added_lines': diff.added_lines if diff else 0, 'removed_lines': diff.removed_lines if diff else 0,
                    'hunks': diff.hunk_count if diff else 0},
        'truncated': diff.truncated if diff else False,
        'links': links.RunLinks(run.run_id).output_links(regression_id, facts.output.output_id, expected.hash,
                                                         actual.hash),
    }
    response = conditional_json(dump_output_diff(answer, _hunks(diff)), finished)
    response.vary.add('Accept')
    return response


def _conditional_text(body: bytes, content_type: str, finished: bool) -> Response:
    """Answer text with a strong ETag of its body, or its preconditions' answer; cached as JSON answers are."""
    response = conditional(Response(body, content_type=content_type),
                           'private, max-age=60' if finished else REVALIDATE)
    response.vary.add('Accept')
    return response


# Files --------------------------------------------------------------------------------------------------------------

def content_type(extension: str) -> str:
    """Return the Content-Type of an output file from its extension's last part: text, an image, or bytes."""
    last = os.path.splitext(extension)[1].lower() or extension.lower()
    if last in TEXT_EXTENSIONS:
        return TEXT_TYPE
    return IMAGE_TYPES.get(last, 'application/octet-stream')


# A Range of a suffix of no byte (``bytes=-0``), which werkzeug would read as the whole file (``bytes=0-``): no
# byte of any file is in it (RFC 9110 14.1.1).
_NO_BYTE = re.compile(r'\A\s*bytes\s*=\s*-0+\s*\Z', re.IGNORECASE)
# The headers of the preconditions ``responses.validated`` answers, and If-Range, decided here.
_DECIDED = ('HTTP_IF_MATCH', 'HTTP_IF_NONE_MATCH', 'HTTP_IF_MODIFIED_SINCE', 'HTTP_IF_UNMODIFIED_SINCE',
            'HTTP_IF_RANGE')


def _ranges_only(environ: Dict[str, Any], etag: str) -> Dict[str, Any]:
    """Return the request as werkzeug's range handling should see it: its ``Range`` if it applies, no precondition.

    The preconditions are answered already. The ``Range`` is dropped (the
    whole file is sent) when ``If-Range`` is not the file's strong ETag,
    quoted, exactly (RFC 9110 13.1.5: a weak tag or a date never holds, the
    API sends no ``Last-Modified``), and when it is of another unit than
    bytes, of several ranges, or no valid range at all: RFC 9110 (14.2) lets
    a server ignore such a header, as it must for a unit it does not know;
    werkzeug would answer 416.
    """
    seen = {key: value for key, value in environ.items() if key not in _DECIDED}
    asked = parse_range_header(environ.get('HTTP_RANGE'))
    if_range = environ.get('HTTP_IF_RANGE')
    served = asked is not None and asked.units == 'bytes' and len(asked.ranges) == 1
    if not served or (if_range is not None and if_range.strip() != f'"{etag}"'):
        seen.pop('HTTP_RANGE', None)
    return seen


def _stream(located: Located, etag: Optional[str], mimetype: str, cache_control: str, filename: str,
            missing: ApiError) -> Response:
    """Stream a file with ranges (206, 416) and conditional requests (304, 412), never reading it whole.

    Without ``etag``, one is made of the file's size and modification time.
    An empty file is sent whole whatever the ``Range`` (RFC 9110 14.2 lets a
    server ignore one).
    """
    try:
        handle = open_located(located)
    except FileNotFoundError:
        raise missing from None
    found = os.fstat(handle.fileno())
    etag = etag or f'{found.st_mtime_ns:x}-{found.st_size:x}'
    response = validated(Response(wrap_file(request.environ, handle), direct_passthrough=True, content_type=mimetype),
                         etag, cache_control)
    if response.status_code != 200:  # the preconditions' answer
        return response
    response.content_length = found.st_size
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Content-Disposition'] = f'inline; filename="{filename}"'
    seen = _ranges_only(request.environ, etag)
    try:
        if found.st_size and _NO_BYTE.match(seen.get('HTTP_RANGE', '')):
            raise RequestedRangeNotSatisfiable(found.st_size)
        return cast(Response, response.make_conditional(seen, accept_ranges=True, complete_length=found.st_size))
    except RequestedRangeNotSatisfiable:
        response.close()
        raise ApiError(416, f'Range not satisfiable: the file has {found.st_size} bytes.',
                       {'size_bytes': found.st_size, 'range': request.headers.get('Range', '')[:100]},
                       code='range_not_satisfiable', headers={'Content-Range': f'bytes */{found.st_size}'}) from None


def _output_file(which: str, run_id: str, sample_id: str, output_id: str) -> Response:
    path = _output_path(run_id, sample_id, output_id)
    run, facts = _output_or_404(*path)
    expected, actual = output_sides(current_settings().results_root, facts.output, facts.row)
    side = expected if which == 'expected' else actual
    details = {'resource': 'file', 'side': which, 'run_id': run.run_id, 'sample_id': path[1],
               'output_id': facts.output.output_id}
    if side.file is None or side.hash is None or side.filename is None:
        reason = side.reason.value if side.reason else Missing.not_on_disk.value
        raise ApiError(404, f'No {which} file for output {facts.output.output_id}: '
                            f'{_why(which, side, run_state(run.last_status).finished)}.',
                       {**details, 'reason': reason})
    gone = ApiError(404, f'The {which} file of output {facts.output.output_id} is no longer on disk.',
                    {**details, 'reason': Missing.not_on_disk.value})
    # The content of a hash never changes; which hash a run's output has can, until the run is finished.
    cache = FOREVER if run_state(run.last_status).finished else REVALIDATE
    return _stream(side.file, side.hash, content_type(facts.output.extension), cache, side.filename, gone)


@get_route('/runs/<run_id>/samples/<sample_id>/outputs/<output_id>/expected')
@token_required(RUNS_READ)
def output_expected(run_id: str, sample_id: str, output_id: str) -> Response:
    """Stream the baseline file of one output, as it was when the run ran, with ranges."""
    return _output_file('expected', run_id, sample_id, output_id)


@get_route('/runs/<run_id>/samples/<sample_id>/outputs/<output_id>/actual')
@token_required(RUNS_READ)
def output_actual(run_id: str, sample_id: str, output_id: str) -> Response:
    """Stream the actual output file (the baseline's when got is NULL: it was identical), with ranges."""
    return _output_file('actual', run_id, sample_id, output_id)


@get_route('/runs/<run_id>/log')
@token_required(RUNS_READ)
def run_log(run_id: str) -> Response:
    """Stream the run's CI log as text, with ranges: ``Range: bytes=-20000`` gives its end."""
    run = run_or_404(parse_path(RunPathSchema, {'run_id': run_id})['run_id'])
    parse_query(NoQuerySchema, request.args)
    located, missing = log_file(current_settings().results_root, run.run_id)
    details = {'resource': 'log', 'run_id': run.run_id}
    if located is None:
        reason = (missing or Missing.not_on_disk).value
        raise ApiError(404, f'Run {run.run_id} has no CI log.', {**details, 'reason': reason})
    gone = ApiError(404, f'Run {run.run_id} has no CI log.', {**details, 'reason': Missing.not_on_disk.value})
    return _stream(located, None, TEXT_TYPE, REVALIDATE, f'{run.run_id}.txt', gone)
