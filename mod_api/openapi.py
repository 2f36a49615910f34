"""The OpenAPI 3 document of the API, generated from the marshmallow schemas by apispec.

It is the one description of the API: the schemas that dump the responses
and load the parameters are the ones described here, and the tests validate
every response they receive against this document.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Tuple, Type

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from mod_api import schemas
from mod_api.auth import RUNS_READ

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
               links: Dict[str, Any] | None = None) -> Dict[str, Any]:
    parameters: List[Dict[str, Any]] = [
        {'in': 'path', 'name': name, 'required': True, 'schema': dict(_ANY_ID if any_run_id else _ID),
         'description': {'run_id': 'Numeric run ID',
                         'sample_id': 'Numeric sample or regression result ID: the regression test\'s id (a '
                                      'run holds one result per regression test)'}[name]}
        for name in path_ids]
    if query is not None:
        parameters.append({'in': 'query', 'schema': query})
    responses: Dict[str, Any] = {
        '200': {'description': ok, 'headers': {**_RATE_HEADERS, **_CACHE_HEADERS},
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


# The operationId of each GET, which the links name.
_OPERATION_IDS = {'/runs': 'ListRuns', '/runs/{run_id}': 'GetRun', '/runs/{run_id}/summary': 'GetRunSummary',
                  '/runs/{run_id}/samples': 'ListRegressionResults',
                  '/runs/{run_id}/samples/{sample_id}': 'GetRegressionResult', '/openapi.json': 'GetOpenApiDocument'}


def build(url_prefix: str) -> Dict[str, Any]:
    """Build the OpenAPI document of the API mounted at ``url_prefix``."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title='sample-platform results API', version='1.0.0', openapi_version='3.0.3',
                   plugins=[plugin], servers=[{'url': url_prefix or '/'}],
                   info={'description': 'CI results of CCExtractor\'s sample-platform, as JSON. Every '
                                        'endpoint but this document needs a bearer token with the scope '
                                        f'{RUNS_READ}.'})
    plugin.map_to_openapi_type(schemas.DecimalInteger, fields.Integer)
    spec.components.security_scheme('bearerAuth', {'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT'})
    spec.components.schema('Error', schema=schemas.ErrorSchema)
    spec.path('/runs', operations=_operation(
        'List runs', 'Runs, newest first, filtered by platform, state, branch, commit prefix or pull request.',
        'A page of runs', schemas.RunListSchema, query=schemas.RunListQuerySchema,
        errors=('400', '401', '403', '405', '412', '429', '500', '503'),
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
        'Every regression test in the run\'s scope, in id order, each as the single-result endpoint gives it.',
        'A page of regression results', schemas.RegressionResultListSchema, ('run_id',),
        query=schemas.RegressionResultListQuerySchema,
        links={'GetRegressionResult': {'operationId': 'GetRegressionResult', 'parameters': {
            'run_id': '$request.path.run_id', 'sample_id': '$response.body#/data/0/regression_id'}}}))
    spec.path('/runs/{run_id}/samples/{sample_id}', operations=_operation(
        'Get full details for a regression test result in a run',
        'sample_id is the regression test\'s id; the response repeats it as regression_id and gives the media '
        'sample\'s id as sample_id.', 'Regression test result details', schemas.RegressionResultSchema,
        ('run_id', 'sample_id')))
    document = {'summary': 'This document', 'security': [],
                'responses': {'200': {'description': 'The OpenAPI document', 'headers': _RATE_HEADERS,
                                      'content': {'application/json': {'schema': {'type': 'object'}}}},
                              '405': _error('405'), '429': _error('429'), '500': _error('500')}}
    spec.path('/openapi.json', operations={'get': document, 'head': _head(copy.deepcopy(document)),
                                           'options': _preflight([])})
    built = spec.to_dict()
    for path, operation_id in _OPERATION_IDS.items():
        built['paths'][path]['get']['operationId'] = operation_id
        built['paths'][path]['head']['operationId'] = f'{operation_id}Headers'
        built['paths'][path]['head']['responses'].get('200', {}).pop('links', None)
    return built
