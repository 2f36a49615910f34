"""The index of the API (issue 13, item 6): ``GET /api/v1/``, made from the OpenAPI document.

No token needed; counted as the document is (to a valid token's account,
else to the address); validated against the document like every answer.
"""

from __future__ import annotations

import pytest

from mod_api import openapi

PREFIX = '/api/v1'
ROOT = 'http://localhost/api/v1'  # the test client's, as the API's links give it


def test_the_index_says_what_the_api_offers(anonymous):
    response = anonymous.get('/')
    assert (response.status_code, response.mimetype) == (200, 'application/json')
    index = response.json
    document = anonymous.get('/openapi.json').json
    assert (index['name'], index['version']) == (document['info']['title'], document['info']['version'])
    assert index['links'] == {'self': f'{ROOT}/', 'openapi': f'{ROOT}/openapi.json', 'docs': f'{ROOT}/docs'}
    # One entry per path of the document, in its order, made from it: no second list to keep.
    assert [entry['path'] for entry in index['resources']] == [PREFIX + path for path in document['paths']]
    for entry in index['resources']:
        get = document['paths'][entry['path'][len(PREFIX):]]['get']
        assert (entry['operation_id'], entry['summary'], entry['tag']) == (
            get['operationId'], get['summary'], get['tags'][0])
    assert {'path': f'{PREFIX}/runs/{{run_id}}/summary', 'operation_id': 'GetRunSummary',
            'summary': 'Get pass/fail summary for a run', 'tag': 'runs'} in index['resources']


def test_the_links_of_the_index_answer(anonymous):
    index = anonymous.get('/').json
    for link in index['links'].values():
        assert link.startswith(ROOT + '/'), link
        assert anonymous.get(link[len(ROOT):]).status_code == 200, link


def test_the_index_is_described_in_the_document(anonymous):
    document = anonymous.get('/openapi.json').json
    assert document['paths']['/']['get']['operationId'] == 'GetApiIndex'
    assert document['paths']['/']['get']['security'] == []
    assert openapi.resources(document) == anonymous.get('/').json['resources']


def test_a_token_changes_nothing(api, anonymous):
    assert api.get('/').json == anonymous.get('/').json


def test_revalidation(anonymous):
    first = anonymous.get('/')
    assert first.headers['Cache-Control'] == 'private, no-cache'
    etag = first.headers['ETag']
    again = anonymous.get('/', headers={'If-None-Match': etag})
    assert (again.status_code, again.get_data()) == (304, b'')
    assert again.headers['X-RateLimit-Remaining'] == first.headers['X-RateLimit-Remaining']  # a 304 costs nothing
    assert anonymous.get('/', headers={'If-Match': '"other"'}).status_code == 412


def test_counted_as_the_document_is(anonymous, api):
    first, second = anonymous.get('/'), anonymous.get('/openapi.json')
    assert first.headers['X-RateLimit-Limit'] == '30'  # per address, without a token
    assert int(second.headers['X-RateLimit-Remaining']) == int(first.headers['X-RateLimit-Remaining']) - 1
    assert api.get('/').headers['X-RateLimit-Limit'] == '120'  # a valid token's account


def test_unknown_query_parameters_are_refused(anonymous):
    response = anonymous.get('/?verbose=1')
    assert (response.status_code, response.json['code']) == (400, 'invalid_parameter')


@pytest.mark.parametrize('path', [PREFIX, PREFIX + '/'])
def test_with_or_without_the_slash_and_no_redirect(client, path):
    response = client.get(path)
    assert response.status_code == 200 and 'Location' not in response.headers
    assert response.json['links']['docs'] == f'{ROOT}/docs'


def test_a_preflight_and_head(anonymous):
    preflight = anonymous.open('/', 'OPTIONS')
    assert (preflight.status_code, preflight.headers['Allow']) == (200, 'GET, HEAD, OPTIONS')
    head = anonymous.open('/', 'HEAD')
    assert (head.status_code, head.get_data()) == (200, b'')
