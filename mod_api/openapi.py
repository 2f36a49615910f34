"""The OpenAPI 3 document of the API, generated from the marshmallow schemas by apispec.

It is the one description of the API: the schemas that dump the responses
and load the parameters are the ones described here, and the tests validate
every response they receive against this document.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple, Type

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from mod_api import docs, schemas
from mod_api.auth import RUNS_READ

TITLE = 'sample-platform results API'
#: Examples of every JSON answer, real answers of the demo: written by ``python scripts/openapi_examples.py``.
EXAMPLES = Path(__file__).resolve().with_name('openapi_examples.json')

# Every answer under the API carries these.
_RATE_HEADERS = {
    'X-RateLimit-Limit': {'description': 'Maximum requests allowed in the current window',
                          'schema': {'type': 'integer'}, 'required': True},
    'X-RateLimit-Remaining': {'description': 'Requests remaining in the current window',
                              'schema': {'type': 'integer'}, 'required': True},
    'X-RateLimit-Reset': {'description': 'Unix timestamp when the rate limit window resets',
                          'schema': {'type': 'integer'}, 'required': True},
    'X-Request-Id': {'description': 'The request\'s id, named in the API\'s log lines: the X-Request-Id the '
                                    'client sent when it is 1 to 128 of A-Z a-z 0-9 . _ : - + = / @, else a new one.',
                     'schema': {'type': 'string', 'minLength': 1, 'maxLength': 128}, 'required': True},
}
_CACHE_HEADERS = {
    'ETag': {'description': 'Strong validator of the body; send it back in If-None-Match.',
             'schema': {'type': 'string'}, 'required': True},
    'Cache-Control': {'description': '"private, max-age=60" once the run is finished, else "private, no-cache".',
                      'schema': {'type': 'string'}, 'required': True},
}
# Every page of a list carries this.
_LINK_HEADER = {'Link': {
    'description': 'RFC 8288 links to the list\'s next, prev, first and last page (absolute URLs: the request\'s own, '
                   'only offset changed); next is left out on the last page, prev on the first. The same as '
                   'pagination.links.',
    'schema': {'type': 'string'}, 'required': True}}
_ERRORS = {
    '400': 'A path or query parameter is invalid; details name it and what it accepts.',
    '401': 'Missing, expired, or invalid bearer token',
    '403': 'The token lacks the scope the endpoint needs.',
    '404': 'Resource not found',
    '405': 'Method not allowed; the Allow header lists the allowed ones.',
    '412': 'If-Match names no current representation of the resource (details.etag is the current one); no '
           'quota is spent.',
    '429': 'Too many requests. Retry after the indicated number of seconds.',
    '500': 'Unexpected server error',
    '503': 'The database is not answering (service_unavailable, with Retry-After; no quota is spent), or the API '
           'is not configured (api_not_configured).',
}
# Path ids as the seed contract gives them: no maximum (an id of no row is a 404, whatever its size), and a
# minimum of 1 except for the summary's run_id, which has none there.
_ID = {'type': 'integer', 'minimum': 1}
_ANY_ID = {'type': 'integer'}


def _error(status: str) -> Dict[str, Any]:
    headers: Dict[str, Any] = dict(_RATE_HEADERS)
    if status == '429':
        headers['Retry-After'] = {'description': 'Seconds to wait before retrying', 'schema': {'type': 'integer'}}
    if status == '503':
        headers['Retry-After'] = {'description': 'Seconds to wait before retrying, while the database is not '
                                                 'answering', 'schema': {'type': 'integer'}}
    if status == '412':
        headers.update(_CACHE_HEADERS)
    if status in ('401', '403'):
        headers['WWW-Authenticate'] = {'description': 'The Bearer challenge (RFC 6750).',
                                       'schema': {'type': 'string'}}
    if status == '405':
        headers['Allow'] = {'description': 'Methods the URL accepts.', 'schema': {'type': 'string'}}
    return {'description': _ERRORS[status], 'headers': headers,
            'content': {'application/json': {'schema': 'Error'}}}


def _operation(summary: str, description: str, ok: str, body: Type[Schema],
               path_ids: Tuple[str, ...] = (), query: Type[Schema] | None = None, any_run_id: bool = False,
               errors: Tuple[str, ...] = ('400', '401', '403', '404', '405', '412', '429', '500', '503'),
               links: Dict[str, Any] | None = None, paged: bool = False) -> Dict[str, Any]:
    parameters: List[Dict[str, Any]] = [
        {'in': 'path', 'name': name, 'required': True, 'schema': dict(_ANY_ID if any_run_id else _ID),
         'description': {'run_id': 'Numeric run ID',
                         'sample_id': 'Numeric sample or regression result ID: the regression test\'s id (a '
                                      'run holds one result per regression test)',
                         'regression_id': 'Numeric regression test ID'}[name]}
        for name in path_ids]
    if query is not None:
        parameters.append({'in': 'query', 'schema': query})
    responses: Dict[str, Any] = {
        '200': {'description': ok, 'headers': {**_RATE_HEADERS, **_CACHE_HEADERS, **(_LINK_HEADER if paged else {})},
                'content': {'application/json': {'schema': body}}},
        '304': {'description': 'Not modified: the If-None-Match validator still holds.',
                'headers': {**_RATE_HEADERS, **_CACHE_HEADERS}},
    }
    responses.update({status: _error(status) for status in errors})
    if links:
        responses['200']['links'] = links
    get = {'summary': summary, 'description': description, 'parameters': parameters, 'responses': responses,
           'security': [{'bearerAuth': [RUNS_READ]}]}
    # apispec expands each operation's parameters in place: each gets its own copy.
    return {'get': get, 'head': _head(copy.deepcopy(get)), 'options': _preflight(list(path_ids))}


def _head(get: Dict[str, Any]) -> Dict[str, Any]:
    """HEAD: the GET's answers without their bodies."""
    responses = {status: {key: value for key, value in answer.items() if key != 'content'}
                 for status, answer in get['responses'].items()}
    return {**get, 'summary': f'{get["summary"]} (headers only)', 'responses': responses}


def _preflight(path_ids: List[str]) -> Dict[str, Any]:
    """OPTIONS: a CORS preflight, answered without a token and never charged to a quota.

    It answers for any URL the path takes, whatever its parameters hold (a
    browser would show a refused preflight as a CORS failure, hiding the
    API's answer): the request it precedes checks them, and says why.
    """
    headers = {**_RATE_HEADERS, 'Allow': {'description': 'Methods the URL accepts.', 'schema': {'type': 'string'},
                                          'required': True}}
    parameters = [{'in': 'path', 'name': name, 'required': True, 'schema': {'type': 'string'},
                   'description': 'Any value: the request the preflight precedes checks it.'} for name in path_ids]
    return {'summary': 'CORS preflight', 'security': [], 'parameters': parameters,
            'responses': {'200': {'description': 'The methods the URL accepts; with CORS headers for '
                                                 'configured origins.', 'headers': headers}}}


def _links(run_id: str, *operations: str) -> Dict[str, Any]:
    """Link an answer that names a run to the operations about that run (for stateful clients)."""
    return {name: {'operationId': name, 'parameters': {'run_id': run_id}} for name in operations}


#: The tags of the operations, in the order a reader meets them.
TAGS = [
    {'name': 'runs', 'description': 'CI runs of the platform: the list, one run, its pass/fail summary.'},
    {'name': 'results', 'description': 'The result of each regression test in a run, with its outputs.'},
    {'name': 'outputs', 'description': 'Why a result failed: an output\'s diff with its baseline, both files, and '
                                       'the run\'s CI log.'},
    {'name': 'comparison', 'description': 'A run beside a base run: what it broke, fixed, or left as it was.'},
    {'name': 'history', 'description': 'A regression test over the finished runs: streaks, last pass, flips.'},
    {'name': 'meta', 'description': 'The API about itself: its index, this document, and the page to read it on. '
                                    'No token needed.'},
]
#: Each path's operationId (its GET's; HEAD adds "Headers", OPTIONS "Preflight") and tag.
OPERATIONS = {
    '/': ('GetApiIndex', 'meta'),
    '/runs': ('ListRuns', 'runs'),
    '/runs/{run_id}': ('GetRun', 'runs'),
    '/runs/{run_id}/summary': ('GetRunSummary', 'runs'),
    '/runs/{run_id}/samples': ('ListRegressionResults', 'results'),
    '/runs/{run_id}/samples/{sample_id}': ('GetRegressionResult', 'results'),
    '/runs/{run_id}/comparison': ('CompareRun', 'comparison'),
    '/regression-tests/{regression_id}/history': ('GetRegressionTestHistory', 'history'),
    '/openapi.json': ('GetOpenApiDocument', 'meta'),
    '/docs': ('GetApiDocs', 'meta'),
    '/docs/{asset}': ('GetApiDocsFile', 'meta'),
    '/runs/{run_id}/samples/{sample_id}/outputs/{output_id}/diff': ('GetOutputDiff', 'outputs'),
    '/runs/{run_id}/samples/{sample_id}/outputs/{output_id}/expected': ('GetExpectedFile', 'outputs'),
    '/runs/{run_id}/samples/{sample_id}/outputs/{output_id}/actual': ('GetActualFile', 'outputs'),
    '/runs/{run_id}/log': ('GetRunLog', 'outputs'),
}

#: The OpenAPI link from a list whose items are regression tests of the run (results, comparison) to the first
#: item's result.
_FIRST_ITEMS_RESULT = {'GetRegressionResult': {'operationId': 'GetRegressionResult', 'parameters': {
    'run_id': '$request.path.run_id', 'sample_id': '$response.body#/data/0/regression_id'}}}

_METHOD_SUFFIXES = {'get': '', 'head': 'Headers', 'options': 'Preflight'}

# The answers about the API itself change only with the API: revalidated, never about a run.
_META_CACHE_HEADERS = {
    'ETag': {'description': 'Strong validator of the body; send it back in If-None-Match.',
             'schema': {'type': 'string'}, 'required': True},
    'Cache-Control': {'description': '"private, no-cache": revalidate (it changes only with the API itself).',
                      'schema': {'type': 'string'}, 'required': True},
}
_META_ERRORS = ('400', '405', '412', '429', '500', '503')


def _meta_operation(summary: str, description: str, ok: str, content: Dict[str, Any],
                    headers: Dict[str, Any] | None = None, parameters: List[Dict[str, Any]] | None = None,
                    errors: Tuple[str, ...] = _META_ERRORS) -> Dict[str, Any]:
    """Describe an operation about the API itself: no token, counted as any request without one."""
    answer_headers = {**_RATE_HEADERS, **_META_CACHE_HEADERS, **(headers or {})}
    get = {'summary': summary, 'description': description, 'security': [], 'parameters': parameters or [],
           'responses': {'200': {'description': ok, 'headers': answer_headers, 'content': content},
                         '304': {'description': 'Not modified: the If-None-Match validator still holds.',
                                 'headers': {**_RATE_HEADERS, **_META_CACHE_HEADERS}},
                         **{status: _error(status) for status in errors}}}
    names = [parameter['name'] for parameter in parameters or [] if parameter['in'] == 'path']
    return {'get': get, 'head': _head(copy.deepcopy(get)), 'options': _preflight(names)}


def _meta_paths(spec: APISpec) -> None:
    spec.path('/', operations=_meta_operation(
        'Index of the API',
        'What the API offers: its name and version, where this document and its docs page are, and one entry per '
        'path of this document (made from it).', 'The index',
        {'application/json': {'schema': schemas.ApiIndexSchema}}))


def _document_paths(spec: APISpec) -> None:
    spec.path('/openapi.json', operations=_meta_operation(
        'This document', 'The OpenAPI document of the API, generated from its schemas.', 'The OpenAPI document',
        {'application/json': {'schema': {'type': 'object'}}}))
    spec.path('/docs', operations=_meta_operation(
        'The docs page', 'This document rendered by Swagger UI (from the flask-swagger-ui package), served by the '
        'API itself: no other site is asked for anything.', 'The page',
        {'text/html': {'schema': {'type': 'string'}}},
        headers={'Content-Security-Policy': {'description': f'What the page may load: {docs.CONTENT_SECURITY_POLICY}',
                                             'schema': {'type': 'string'}, 'required': True}}))
    spec.path('/docs/{asset}', operations=_meta_operation(
        'A file of the docs page', 'Swagger UI\'s files and the page\'s script; any other name is a 404.',
        'The file',
        {media: {'schema': _BYTES} for media in sorted({kind.split(';')[0] for kind in docs.ASSETS.values()})},
        headers={'X-Content-Type-Options': {'description': 'nosniff', 'schema': {'type': 'string'}}},
        parameters=[{'in': 'path', 'name': 'asset', 'required': True, 'description': 'The file\'s name.',
                     'schema': {'type': 'string', 'enum': list(docs.ASSETS)}}],
        errors=('400', '404', '405', '412', '429', '500', '503')))


def resources(document: Dict[str, Any]) -> List[Dict[str, str]]:
    """List the paths of ``document`` as the index gives them: the path with its prefix, operationId, summary, tag."""
    prefix = document['servers'][0]['url'].rstrip('/')
    return [{'path': prefix + path, 'operation_id': item['get']['operationId'], 'summary': item['get']['summary'],
             'tag': item['get']['tags'][0]} for path, item in document['paths'].items()]


def examples() -> Dict[str, Any]:
    """Return the committed example of each operation's JSON answer, by operationId."""
    return dict(json.loads(EXAMPLES.read_text(encoding='utf-8'))['examples'])


def _name_operations(built: Dict[str, Any], known: Dict[str, Any]) -> None:
    """Give every operation its operationId and tag, and each GET's JSON answer its example (when there is one)."""
    for path, item in built['paths'].items():
        if path not in OPERATIONS:
            raise KeyError(f'{path} has no operationId in mod_api/openapi.py OPERATIONS')
        operation_id, tag = OPERATIONS[path]
        for method, operation in item.items():
            operation['operationId'] = operation_id + _METHOD_SUFFIXES[method]
            operation['tags'] = [tag]
        item['head']['responses'].get('200', {}).pop('links', None)
        json_answer = item['get']['responses']['200'].get('content', {}).get('application/json')
        if json_answer is not None and operation_id in known:
            json_answer['example'] = known[operation_id]


def build(url_prefix: str) -> Dict[str, Any]:
    """Build the OpenAPI document of the API mounted at ``url_prefix``."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title=TITLE, version='1.0.0', openapi_version='3.0.3',
                   plugins=[plugin], servers=[{'url': url_prefix or '/'}], tags=TAGS,
                   info={'description': 'CI results of CCExtractor\'s sample-platform, as JSON. Every '
                                        'endpoint but those tagged meta (the index, this document and its '
                                        f'docs page) needs a bearer token with the scope {RUNS_READ}.'})
    plugin.map_to_openapi_type(schemas.DecimalInteger, fields.Integer)
    plugin.map_to_openapi_type(schemas.Choices, fields.String)
    plugin.map_to_openapi_type(schemas.Moment, fields.String)
    spec.components.security_scheme('bearerAuth', {'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT'})
    spec.components.schema('Error', schema=schemas.ErrorSchema)
    _meta_paths(spec)
    spec.path('/runs', operations=_operation(
        'List runs', 'Runs, newest first (or as sort says), filtered by platform, state, branch, commit prefix, '
        'pull request or start time.',
        'A page of runs', schemas.RunListSchema, query=schemas.RunListQuerySchema,
        errors=('400', '401', '403', '405', '412', '429', '500', '503'), paged=True,
        links=_links('$response.body#/data/0/run_id', 'GetRun', 'GetRunSummary', 'ListRegressionResults')))
    spec.path('/runs/{run_id}', operations=_operation(
        'Get a run', 'One run with its progress history.', 'The run', schemas.RunDetailSchema, ('run_id',),
        links=_links('$response.body#/run_id', 'GetRunSummary', 'ListRegressionResults')))
    spec.path('/runs/{run_id}/summary', operations=_operation(
        'Get pass/fail summary for a run',
        'fail_count is computed from TestResult rows, not from test.failed. test.failed only reflects whether '
        'the final progress status is canceled — it does not reflect regression test outcomes. Use this '
        'endpoint, not test.failed, to triage a run.', 'Run summary', schemas.RunSummarySchema, ('run_id',),
        any_run_id=True))
    spec.path('/runs/{run_id}/samples', operations=_operation(
        'List the regression results of a run',
        'Every regression test in the run\'s scope, in id order (or as sort says), each as the single-result '
        'endpoint gives it.',
        'A page of regression results', schemas.RegressionResultListSchema, ('run_id',),
        query=schemas.RegressionResultListQuerySchema, paged=True,
        links=_FIRST_ITEMS_RESULT))
    spec.path('/runs/{run_id}/samples/{sample_id}', operations=_operation(
        'Get full details for a regression test result in a run',
        'sample_id is the regression test\'s id; the response repeats it as regression_id and gives the media '
        'sample\'s id as sample_id. failing_since and last_passed_in follow the test over earlier finished runs '
        '(only here, not in lists).', 'Regression test result details', schemas.RegressionResultDetailSchema,
        ('run_id', 'sample_id')))
    spec.path('/runs/{run_id}/comparison', operations=_operation(
        'Compare a run with a base run',
        'Every regression test of the run\'s scope beside its result in a base run: what the run broke, fixed, '
        'failed the same way or differently. Without base, the base is the one the platform would choose: for a '
        'pull-request run the commit run on master of the same platform completed last, for a commit run the '
        'earlier commit run of its branch and platform completed last. The verdicts themselves stay absolute.',
        'The comparison', schemas.ComparisonSchema, ('run_id',), query=schemas.ComparisonQuerySchema, paged=True,
        links=_FIRST_ITEMS_RESULT))
    spec.path('/regression-tests/{regression_id}/history', operations=_operation(
        'Get the history of a regression test',
        'The test\'s status and message in each finished run (completed or canceled) whose scope holds it, newest '
        'first, among the newest API_HISTORY_WINDOW finished runs matching the filters; with its current streak, '
        'its last pass and how often it flipped between pass and fail.', 'The history', schemas.HistorySchema,
        ('regression_id',), query=schemas.HistoryQuerySchema, paged=True))
    _document_paths(spec)
    _output_paths(spec)
    built = spec.to_dict()
    _name_operations(built, examples())
    return built


# The outputs of a result (mod_api/outputs.py): its diff, its files, the run's log. --------------------------------

_OUTPUT_PARAMETERS = {
    'run_id': 'Numeric run ID',
    'sample_id': 'Numeric sample or regression result ID: the regression test\'s id',
    'output_id': 'Numeric output ID: one of the regression test\'s expected outputs (regression_test_output)',
}
_BYTES = {'type': 'string', 'format': 'binary'}
_FILE_CONTENT = {media: {'schema': _BYTES} for media in (
    'text/plain', 'image/png', 'image/bmp', 'image/jpeg', 'image/gif', 'application/octet-stream')}
_FILE_HEADERS = {
    'Accept-Ranges': {'description': 'bytes: byte ranges are served.', 'schema': {'type': 'string'}, 'required': True},
    'Content-Length': {'description': 'Bytes in the body.', 'schema': {'type': 'integer'}, 'required': True},
    'Content-Disposition': {'description': 'inline, with the stored file name.', 'schema': {'type': 'string'}},
    'X-Content-Type-Options': {'description': 'nosniff', 'schema': {'type': 'string'}},
}
_CONTENT_RANGE = {'Content-Range': {'description': 'bytes FIRST-LAST/LENGTH of the part sent.',
                                    'schema': {'type': 'string'}, 'required': True}}
_ERRORS_OF_A_PATH = ('400', '401', '403', '404', '405', '412', '429', '500', '503')


def _output_operation(summary: str, description: str, path_ids: Tuple[str, ...], ok: Dict[str, Any],
                      extra: Dict[str, Any], query: Type[Schema] | None = None) -> Dict[str, Any]:
    parameters: List[Dict[str, Any]] = [
        {'in': 'path', 'name': name, 'required': True, 'schema': _ID, 'description': _OUTPUT_PARAMETERS[name]}
        for name in path_ids]
    if query is not None:
        parameters.append({'in': 'query', 'schema': query})
    responses: Dict[str, Any] = {
        '200': ok,
        '304': {'description': 'Not modified: the If-None-Match validator still holds.',
                'headers': {**_RATE_HEADERS, **_CACHE_HEADERS}},
        **extra,
    }
    responses.update({status: _error(status) for status in _ERRORS_OF_A_PATH})
    get = {'summary': summary, 'description': description, 'parameters': parameters, 'responses': responses,
           'security': [{'bearerAuth': [RUNS_READ]}]}
    return {'get': get, 'head': _head(copy.deepcopy(get)), 'options': _preflight(list(path_ids))}


def _file_answers(what: str, cache: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Describe the 200, and the 206 and 416, of a streamed file."""
    headers: Dict[str, Any] = {**_RATE_HEADERS, **_CACHE_HEADERS, **_FILE_HEADERS}
    headers['Cache-Control'] = {**headers['Cache-Control'], 'description': cache}
    not_satisfiable = _error('404')
    not_satisfiable = {**not_satisfiable, 'description': 'The Range asks for no byte of the file '
                                                         '(code range_not_satisfiable; details.size_bytes). A Range '
                                                         'of another unit, of several ranges, or invalid, one of an '
                                                         'empty file, or one whose If-Range is not the strong ETag, '
                                                         'is ignored: the whole file is sent.',
                       'headers': {**not_satisfiable['headers'], 'Content-Range': {
                           'description': 'bytes */LENGTH', 'schema': {'type': 'string'}, 'required': True}}}
    return ({'description': what, 'headers': headers, 'content': _FILE_CONTENT},
            {'206': {'description': f'Part of it: the byte range asked for ({what.lower()}).',
                     'headers': {**headers, **_CONTENT_RANGE}, 'content': _FILE_CONTENT},
             '416': not_satisfiable})


def _output_paths(spec: APISpec) -> None:
    output = '/runs/{run_id}/samples/{sample_id}/outputs/{output_id}'
    ids = ('run_id', 'sample_id', 'output_id')
    diff_ok = {
        'description': 'The diff: JSON by default; a unified diff (for patch) with Accept: text/x-diff or text/plain '
                       '(empty when identical; one line saying why when not diffed).',
        'headers': {**_RATE_HEADERS, **_CACHE_HEADERS,
                    'Vary': {'description': 'Accept: the answer depends on it.', 'schema': {'type': 'string'},
                             'required': True}},
        'content': {'application/json': {'schema': schemas.OutputDiffSchema},
                    'text/x-diff': {'schema': _BYTES},
                    'text/plain': {'schema': _BYTES}},
    }
    spec.path(f'{output}/diff', operations=_output_operation(
        'How an output differs from its baseline',
        'The baseline (the row\'s expected at the time of the run) against the actual output (got). Files are read '
        'as the platform reads them (UTF-8, else cp1252); a file with a NUL byte, or neither, is binary and gets '
        'no hunks; files above API_DIFF_MAX_BYTES are not diffed. When a side is missing the answer says which and '
        'why (not an error). Any output of the regression test in the run\'s scope, but ignored ones.',
        ids, diff_ok, {}, query=schemas.DiffQuerySchema))
    for side, what in (('expected', 'The baseline file, as it was when the run ran.'),
                       ('actual', 'The actual output file; the baseline\'s file when got is NULL (identical).')):
        ok, extra = _file_answers(what, f'"{_FOREVER}" once the run is finished (a hash names one content for ever), '
                                        'else "private, no-cache".')
        spec.path(f'{output}/{side}', operations=_output_operation(
            f'Download the {side} file of an output',
            f'{what} Streamed; HEAD and byte ranges (206, 416) supported; ETag is the content\'s sha256; '
            'Content-Type from the extension (subtitles and text: text/plain; charset=utf-8).', ids, ok, extra))
    ok, extra = _file_answers('The run\'s CI log.',
                              '"private, no-cache" (the log is replaced when a run is restarted).')
    ok['content'] = {'text/plain': {'schema': _BYTES}}
    extra['206']['content'] = ok['content']
    spec.path('/runs/{run_id}/log', operations=_output_operation(
        'Get the CI log of a run',
        'LogFiles/<run id>.txt of the platform, as text/plain; charset=utf-8, with byte ranges: '
        '"Range: bytes=-20000" gives its end. 404 when the run has none.', ('run_id',), ok, extra))


_FOREVER = 'private, max-age=31536000, immutable'
