"""The OpenAPI document (issue 5): served without a token, valid, complete, with the spec's limits.

``GET /api/v1/openapi.json`` is the one description of the API. Every answer
the test suite gets through ``Api`` is validated against it (``Api.check`` in
``conftest``); the tests here show that the document is the one served, that
it covers every route, error and limit, and that the check really refuses
answers the document does not describe.
"""

import json
from typing import Any, Dict, Iterator

import pytest
from flask import Response
from openapi_core import OpenAPI
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder

from mod_api import openapi
from mod_api.docs import ASSETS
from run import create_app, db
from tests.conftest import Api, app_config
from tests.factories import sha

PREFIX = '/api/v1'
# The API about itself (tag meta): no token needed.
META_PATHS = ('/', '/openapi.json', '/docs', '/docs/{asset}')
RATE_HEADERS = ('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset')
STATUSES = ['pass', 'fail', 'skipped', 'missing_output', 'running', 'not_started']
OUTPUT_STATUSES = ['match', 'diff_mismatch', 'missing_output', 'missing_expected']
ERROR = {'$ref': '#/components/schemas/Error'}


@pytest.fixture
def document() -> Dict[str, Any]:
    """The document the test suite validates against (built once per session)."""
    return Api.described(PREFIX)[0]


def schema(document: Dict[str, Any], name: str) -> Dict[str, Any]:
    """A component schema."""
    return document['components']['schemas'][name]


def operations(document: Dict[str, Any]) -> Iterator[Any]:
    """Every (path, method, operation) of the document."""
    for path, item in document['paths'].items():
        for method, operation in item.items():
            yield path, method, operation


class ServedDocumentTests:
    """The document at ``/openapi.json``: no token needed, valid, and still rate-limited."""

    def test_served_without_a_token_and_valid(self, anonymous, document):
        response = anonymous.get('/openapi.json')
        assert response.status_code == 200
        assert response.mimetype == 'application/json'
        served = response.json
        # The very document the suite checks every answer against.
        assert served == document == openapi.build(PREFIX)
        assert served['openapi'].startswith('3.')
        validate(served)
        OpenAPI.from_dict(served)  # openapi-core validates the document too
        assert served['servers'] == [{'url': PREFIX}]

    def test_a_token_changes_nothing(self, api, anonymous):
        assert api.get('/openapi.json').json == anonymous.get('/openapi.json').json

    @pytest.mark.parametrize('token', [False, True], ids=['without-token', 'with-token'])
    def test_rate_limit_headers(self, anonymous, api, token):
        client = api if token else anonymous
        first = client.get('/openapi.json')
        assert all(first.headers[name].isdigit() for name in RATE_HEADERS)
        if not token:
            assert first.headers['X-RateLimit-Limit'] == '30'  # the unauthenticated default, per address
        second = client.get('/openapi.json')
        assert second.headers['X-RateLimit-Limit'] == first.headers['X-RateLimit-Limit']
        assert int(second.headers['X-RateLimit-Remaining']) == int(first.headers['X-RateLimit-Remaining']) - 1

    def test_counted_with_every_request_without_a_token(self, app, database_uri):
        limited = create_app(app_config(database_uri, API_RATELIMIT_UNAUTHENTICATED='3 per minute'))
        try:
            anonymous = Api(limited.test_client())
            assert anonymous.get('/openapi.json').headers['X-RateLimit-Remaining'] == '2'
            assert anonymous.get('/runs/1/summary').status_code == 401
            assert anonymous.get('/openapi.json').headers['X-RateLimit-Remaining'] == '0'
            refused = anonymous.get('/openapi.json')
            assert refused.status_code == 429
            assert refused.json['code'] == 'rate_limited'
            assert int(refused.headers['Retry-After']) >= 1
        finally:
            with limited.app_context():
                db.session.remove()
                db.engine.dispose()


class CoverageTests:
    """Every route, parameter and error of the blueprint is in the document."""

    def test_every_route_of_the_blueprint(self, app, document):
        routes = {}
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith(PREFIX + '/') and rule.endpoint != 'mod_api.unknown_url':
                path = rule.rule[len(PREFIX):].replace('<', '{').replace('>', '}')
                routes[path] = sorted(method.lower() for method in rule.methods)
        assert routes, 'no route of the blueprint found'
        assert {path: sorted(item) for path, item in document['paths'].items()} == routes

    def test_every_operation_has_a_unique_operation_id_and_a_tag(self, document):
        ids = [operation['operationId'] for _, _, operation in operations(document)]
        assert len(ids) == len(set(ids)), sorted(name for name in ids if ids.count(name) > 1)
        tags = [tag['name'] for tag in document['tags']]
        assert tags == ['runs', 'results', 'outputs', 'comparison', 'history', 'meta']
        assert all(tag['description'] for tag in document['tags'])
        for path, method, operation in operations(document):
            assert len(operation['tags']) == 1 and operation['tags'][0] in tags, (path, method)
            get = document['paths'][path]['get']
            suffix = {'get': '', 'head': 'Headers', 'options': 'Preflight'}[method]
            assert operation['operationId'] == get['operationId'] + suffix, (path, method)
            assert operation['tags'] == get['tags'], (path, method)
        used = {operation['tags'][0] for _, _, operation in operations(document)}
        assert used == set(tags), 'a tag without operations'

    @pytest.mark.parametrize('path, operation_id, tag', [
        ('/runs', 'ListRuns', 'runs'), ('/runs/{run_id}/samples/{sample_id}', 'GetRegressionResult', 'results'),
        ('/runs/{run_id}/samples/{sample_id}/outputs/{output_id}/diff', 'GetOutputDiff', 'outputs'),
        ('/runs/{run_id}/log', 'GetRunLog', 'outputs'), ('/runs/{run_id}/comparison', 'CompareRun', 'comparison'),
        ('/regression-tests/{regression_id}/history', 'GetRegressionTestHistory', 'history'),
        ('/', 'GetApiIndex', 'meta'), ('/openapi.json', 'GetOpenApiDocument', 'meta'), ('/docs', 'GetApiDocs', 'meta'),
    ])
    def test_operation_names(self, document, path, operation_id, tag):
        item = document['paths'][path]
        assert [item[method]['operationId'] for method in ('get', 'head', 'options')] == [
            operation_id, f'{operation_id}Headers', f'{operation_id}Preflight']
        assert item['get']['tags'] == [tag]

    def test_links_name_operations_of_the_document(self, document):
        ids = {operation['operationId'] for _, _, operation in operations(document)}
        for path, method, operation in operations(document):
            for name, link in operation['responses'].get('200', {}).get('links', {}).items():
                assert link['operationId'] in ids, (path, method, name)

    def test_path_parameters(self, document):
        for path, method, operation in operations(document):
            names = [name.strip('{}') for name in path.split('/') if name.startswith('{')]
            in_path = [parameter for parameter in operation.get('parameters', []) if parameter['in'] == 'path']
            assert [parameter['name'] for parameter in in_path] == names, path
            for parameter in in_path:
                assert parameter['required'] is True
                # The seed contract's: no maximum anywhere, and no minimum for the summary's run_id. A preflight
                # answers for any value (the request it precedes checks it).
                expected: Dict[str, Any] = {'type': 'integer'}
                if method == 'options':
                    expected = {'type': 'string'}
                elif path == '/docs/{asset}':  # a file of the docs page, by name
                    expected = {'type': 'string', 'enum': list(ASSETS)}
                elif path != '/runs/{run_id}/summary':
                    expected['minimum'] = 1
                assert parameter['schema'] == expected, (path, method)

    @pytest.mark.parametrize('path, listed', [('/runs', '/runs'), ('/runs/{run_id}/samples', '/runs/1/samples')])
    def test_query_parameters_are_the_ones_the_api_takes(self, api, factory, document, path, listed):
        run = factory.run()
        factory.commit()
        documented = {parameter['name']: parameter for parameter in document['paths'][path]['get']['parameters']
                      if parameter['in'] == 'query'}
        refused = api.get(listed.replace('/1/', f'/{run.id}/') + '?unknown=1')
        assert refused.status_code == 400
        assert set(refused.json['details']['allowed']) == set(documented)
        assert documented['limit']['schema'] == {'type': 'integer', 'default': 20, 'minimum': 1, 'maximum': 100}
        assert documented['offset']['schema']['minimum'] == 0
        assert documented['offset']['schema']['default'] == 0

    def test_query_parameter_values(self, document):
        runs = {p['name']: p['schema'] for p in document['paths']['/runs']['get']['parameters']}
        # Several values, comma-separated: a pattern of the allowed ones.
        states = '(queued|preparation|testing|completed|canceled)'
        assert runs['state'] == {'type': 'string', 'pattern': f'^{states}(,{states})*$'}
        assert runs['platform'] == {'type': 'string', 'pattern': '^(linux|windows)(,(linux|windows))*$'}
        assert runs['commit']['pattern'] == '^[0-9a-fA-F]{7,64}$'
        assert runs['pr']['minimum'] == 1
        assert runs['sort']['enum'] == ['id', '-id', 'started_at', '-started_at']
        assert runs['started_after'] == runs['started_before'] == {
            'type': 'string', 'anyOf': [{'format': 'date-time'}, {'format': 'date'}]}
        samples = {p['name']: p['schema'] for p in document['paths']['/runs/{run_id}/samples']['get']['parameters']}
        statuses = '(' + '|'.join(STATUSES) + ')'
        assert samples['status'] == {'type': 'string', 'pattern': f'^{statuses}(,{statuses})*$'}
        assert samples['sort']['enum'] == ['id', '-id', 'runtime', '-runtime']

    @pytest.mark.parametrize('path', [
        '/runs', '/runs/{run_id}', '/runs/{run_id}/summary', '/runs/{run_id}/samples',
        '/runs/{run_id}/samples/{sample_id}',
        '/openapi.json', '/',
    ])
    def test_each_operation_documents_its_answers(self, document, path):
        operation = document['paths'][path]['get']
        responses = operation['responses']
        assert set(responses['200']['content']) == {'application/json'}
        expected = {'429', '500', '405'}
        if operation.get('security', [{}]) != []:
            expected |= {'401', '403'}
        if '{' in path:
            expected.add('404')
        assert expected <= set(responses), sorted(expected - set(responses))
        for status in expected:
            assert responses[status]['content'] == {'application/json': {'schema': ERROR}}, status
        for status, answer in responses.items():
            assert set(RATE_HEADERS) <= set(answer.get('headers', {})), status
        assert set(responses['429']['headers']) >= {'Retry-After'}
        assert responses['429']['headers']['Retry-After']['schema'] == {'type': 'integer'}

    def test_the_documents_own_405_is_described(self, anonymous):
        assert anonymous.open('/openapi.json', 'POST').status_code == 405

    def test_run_derived_answers_document_the_validators(self, document):
        for path, method, operation in operations(document):
            if method == 'options':
                continue
            responses = operation['responses']
            assert {'ETag', 'Cache-Control'} <= set(responses['200']['headers']), path
            assert '304' in responses and 'content' not in responses['304'], path
            assert {'ETag', 'Cache-Control'} <= set(responses['304']['headers']), path

    def test_security(self, document):
        assert document['components']['securitySchemes']['bearerAuth'] == {
            'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT'}
        for path, method, operation in operations(document):
            # The API's answers about itself and CORS preflights need no token.
            expected = [] if path in META_PATHS or method == 'options' else [{'bearerAuth': ['runs:read']}]
            assert operation['security'] == expected, path


class SpecLimitsTests:
    """The limits, enums and descriptions of the spec appear in the document."""

    def test_regression_result(self, document):
        result = schema(document, 'RegressionResult')
        fields = result['properties']
        assert {'run_id', 'sample_id', 'regression_id', 'status'} <= set(result['required'])
        assert result['additionalProperties'] is False
        for name in ('run_id', 'sample_id', 'regression_id'):
            assert (fields[name]['type'], fields[name]['minimum']) == ('integer', 1), name
        assert fields['command'] == {'type': 'string', 'maxLength': 500}
        assert (fields['category']['type'], fields['category']['maxLength']) == ('string', 100)
        assert 'category' not in result['required'] and 'nullable' not in fields['category']
        assert 'categories' in result['required']
        assert (fields['categories']['type'], fields['categories']['maxItems']) == ('array', 50)
        assert fields['categories']['items'] == {'type': 'string', 'maxLength': 100}
        assert fields['status']['enum'] == STATUSES
        assert fields['status']['description'].startswith('Computed from TestResult, TestResultFile')
        assert (fields['runtime_ms']['minimum'], fields['runtime_ms']['nullable']) == (0, True)
        assert fields['exit_code']['nullable'] is fields['expected_exit_code']['nullable'] is True
        assert (fields['result_message']['maxLength'], fields['result_message']['nullable']) == (500, True)
        assert (fields['tags']['maxItems'], fields['tags']['items']) == (50, {'type': 'string', 'maxLength': 50})
        assert fields['outputs']['maxItems'] == 20
        assert fields['outputs']['items'] == {'$ref': '#/components/schemas/Output'}
        assert 'got=null in the DB means output matched expected' in fields['outputs']['description']

    def test_output(self, document):
        output = schema(document, 'Output')
        fields = output['properties']
        assert set(output['required']) == {'output_id', 'status'}
        assert fields['output_id']['minimum'] == 1
        assert fields['status']['enum'] == OUTPUT_STATUSES
        for name in ('expected_hash', 'actual_hash'):
            assert fields[name] == {'type': 'string', 'pattern': '^[a-fA-F0-9]{64}$', 'nullable': True}, name

    def test_error(self, document):
        error = schema(document, 'Error')
        assert set(error['required']) == {'code', 'message', 'details'}
        assert error['properties']['code']['maxLength'] == 100
        assert error['properties']['message']['maxLength'] == 500
        assert error['properties']['details']['type'] == 'object'
        details = error['properties']['details']['description']
        assert details.startswith('Structured context for the error. Always an object, never null.')

    def test_summary(self, document):
        summary = schema(document, 'RunSummary')
        spec_fields = ['run_id', 'total_samples', 'pass_count', 'fail_count', 'skipped_count',
                       'missing_output_count', 'error_count', 'duration_ms', 'triggered_by']
        assert list(summary['properties'])[:len(spec_fields)] == spec_fields
        assert set(spec_fields) <= set(summary['required'])
        assert summary['properties']['duration_ms']['nullable'] is True
        assert summary['properties']['triggered_by']['nullable'] is True
        assert 'NOT derived from test.failed' in summary['properties']['fail_count']['description']
        operation = document['paths']['/runs/{run_id}/summary']['get']
        assert operation['summary'] == 'Get pass/fail summary for a run'
        assert operation['description'].startswith('fail_count is computed from TestResult rows, not from '
                                                   'test.failed.')

    def test_runs_and_pages(self, document):
        run = schema(document, 'Run')['properties']
        assert run['run_id']['minimum'] == 1
        assert run['state']['enum'] == ['queued', 'preparation', 'testing', 'completed', 'canceled']
        assert run['type']['enum'] == ['commit', 'pull_request']
        for name in ('started_at', 'finished_at'):
            assert (run[name]['format'], run[name]['nullable']) == ('date-time', True)
        assert run['pr_number']['nullable'] is True
        pagination = schema(document, 'Pagination')['properties']
        assert (pagination['limit']['minimum'], pagination['limit']['maximum']) == (1, 100)
        assert pagination['offset']['minimum'] == pagination['total']['minimum'] == 0

    def test_the_spec_descriptions_of_answers(self, document):
        responses = document['paths']['/runs/{run_id}/samples/{sample_id}']['get']['responses']
        assert responses['401']['description'] == 'Missing, expired, or invalid bearer token'
        assert responses['404']['description'] == 'Resource not found'
        assert responses['429']['description'] == 'Too many requests. Retry after the indicated number of seconds.'
        assert responses['429']['headers']['Retry-After']['description'] == 'Seconds to wait before retrying'
        reset = responses['429']['headers']['X-RateLimit-Reset']['description']
        assert reset == 'Unix timestamp when the rate limit window resets'
        parameters = {p['name']: p for p in document['paths']['/runs/{run_id}']['get']['parameters']}
        assert parameters['run_id']['description'] == 'Numeric run ID'


def answer(path: str, status: int, body: Any = None, method: str = 'GET', **headers: str) -> Response:
    """A made-up answer of the API to ``method path``, as ``Api.check`` sees a real one."""
    rate = {'X-RateLimit-Limit': '120', 'X-RateLimit-Remaining': '119', 'X-RateLimit-Reset': '1795329701',
            'X-Request-Id': 'made-up'}
    if status in (200, 304) and path != '/openapi.json':
        rate.update({'ETag': '"a"', 'Cache-Control': 'private, max-age=60'})
    response = Response(b'' if body is None else json.dumps(body), status=status, mimetype='application/json',
                        headers={**rate, **headers})
    response.request = EnvironBuilder(path=PREFIX + path, method=method).get_request()  # type: ignore[attr-defined]
    return response


def without_header(response: Response, name: str) -> Response:
    """``response`` without its header ``name``."""
    del response.headers[name]
    return response


def without(body: Dict[str, Any], key: str) -> Dict[str, Any]:
    """A copy of ``body`` without ``key``."""
    return {name: value for name, value in body.items() if name != key}


SUMMARY = {'run_id': 1, 'total_samples': 1, 'pass_count': 1, 'fail_count': 0, 'skipped_count': 0,
           'missing_output_count': 0, 'error_count': 0, 'duration_ms': 600000, 'triggered_by': None,
           'status': 'completed', 'state': 'completed', 'running_count': 0, 'not_started_count': 0,
           'links': {'self': 'http://localhost/api/v1/runs/1/summary', 'run': 'http://localhost/api/v1/runs/1',
                     'samples': 'http://localhost/api/v1/runs/1/samples'}}
RESULT = {'run_id': 1, 'sample_id': 1, 'regression_id': 1, 'category': 'DVB', 'categories': ['DVB'],
          'command': '-out=srt',
          'status': 'pass', 'runtime_ms': 10, 'exit_code': 0, 'expected_exit_code': 0, 'result_message': 'ok',
          'tags': ['mpeg'], 'outputs': [{'output_id': 1, 'status': 'match', 'expected_hash': sha('a'),
                                         'actual_hash': sha('a')}],
          'failing_since': None, 'last_passed_in': {'run_id': 1, 'at': '2026-11-01T12:00:00Z'}}
NOT_FOUND = {'code': 'not_found', 'message': 'No such resource in the API.', 'details': {}}


class CheckTests:
    """``Api.check`` passes what the document describes and refuses anything else."""

    @pytest.mark.parametrize('made', [
        pytest.param(lambda: answer('/runs/1/summary', 200, SUMMARY, ETag='"a"'), id='summary'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, RESULT), id='result'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, {**RESULT, 'outputs': [
            {**RESULT['outputs'][0], 'actual_hash': None}]}), id='null-hash'),
        pytest.param(lambda: answer('/runs/1/summary', 304, ETag='"a"'), id='304'),
        pytest.param(lambda: answer('/runs/1/summary', 404, NOT_FOUND), id='404'),
        pytest.param(lambda: answer('/nowhere', 404, NOT_FOUND), id='unknown-url'),
        pytest.param(lambda: answer('/runs/1', 405, {**NOT_FOUND, 'code': 'method_not_allowed'}, 'DELETE',
                                    Allow='GET, HEAD, OPTIONS'), id='405'),
    ])
    def test_passes_what_is_described(self, made):
        Api.check(made())

    @pytest.mark.parametrize('made', [
        pytest.param(lambda: answer('/runs/1/summary', 418, NOT_FOUND), id='undocumented-status'),
        pytest.param(lambda: answer('/runs', 404, NOT_FOUND), id='404-without-an-id'),
        pytest.param(lambda: answer('/runs/1/summary', 200, {**SUMMARY, 'extra': 1}), id='extra-field'),
        pytest.param(lambda: answer('/runs/1/summary', 200, {**SUMMARY, 'pass_count': None}), id='null-count'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, {**RESULT, 'status': 'error'}), id='bad-enum'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, {**RESULT, 'command': 'x' * 501}), id='too-long'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, {**RESULT, 'tags': ['t'] * 51}), id='too-many-tags'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, {**RESULT, 'outputs': [
            {**RESULT['outputs'][0], 'actual_hash': 'error'}]}), id='hash-pattern'),
        pytest.param(lambda: answer('/runs/1/samples/1', 200, without(RESULT, 'status')), id='missing-field'),
        pytest.param(lambda: answer('/runs/1/summary', 304, SUMMARY), id='304-with-a-body'),
        pytest.param(lambda: answer('/runs/1/summary', 404, {'code': 'not_found', 'message': 'x'}),
                     id='error-without-details'),
        pytest.param(lambda: answer('/runs/1/summary', 401, {**NOT_FOUND, 'details': None}), id='null-details'),
        pytest.param(lambda: answer('/nowhere', 200, SUMMARY), id='unknown-url-200'),
        pytest.param(lambda: answer('/runs/1', 404, NOT_FOUND, 'POST'), id='unknown-method-404'),
        pytest.param(lambda: answer('/runs/1', 200, SUMMARY, 'PUT'), id='undocumented-method'),
        pytest.param(lambda: without_header(answer('/runs/1/summary', 200, SUMMARY), 'ETag'), id='missing-etag'),
        pytest.param(lambda: answer('/runs/1/summary', 200, SUMMARY, **{'X-RateLimit-Remaining': 'many'}),
                     id='header-type'),
        pytest.param(lambda: without_header(answer('/runs/1/summary', 200, SUMMARY), 'X-Request-Id'),
                     id='missing-request-id'),
    ])
    def test_refuses_anything_else(self, made):
        with pytest.raises(AssertionError):
            Api.check(made())

    def test_answers_of_a_text_type_are_refused(self):
        response = answer('/runs/1/summary', 200, SUMMARY)
        response.mimetype = 'text/html'
        with pytest.raises(AssertionError):
            Api.check(response)
