"""The docs page (issue 13, item 7): ``GET /api/v1/docs``, Swagger UI from a package, served by the API itself.

Over HTTP here: the page, its files, their types and caching, the page's
Content-Security-Policy, and JSON 404s for names that are no file of it. The
page really rendering the document in a browser: ``tests/test_browser.py``.
"""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from mod_api import docs

PREFIX = '/api/v1'


def test_the_page_needs_no_token_and_names_only_the_apis_own_files(anonymous):
    response = anonymous.get('/docs')
    assert (response.status_code, response.content_type) == (200, 'text/html; charset=utf-8')
    page = response.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    # Every file comes from the API (no CDN, nothing of any other site): the page works offline.
    for source in sources:
        assert source.startswith(f'{PREFIX}/'), source
        assert anonymous.get(source[len(PREFIX):]).status_code == 200, source
    assert f'data-document="{PREFIX}/openapi.json"' in page
    # No inline script: every script is a file, so the policy can forbid inline ones.
    assert re.findall(r'<script[^>]*>([^<]*)</script>', page) == ['', '']


def test_the_page_has_a_strict_content_security_policy(anonymous):
    response = anonymous.get('/docs')
    policy = dict(part.strip().split(' ', 1) for part in response.headers['Content-Security-Policy'].split(';'))
    assert policy['default-src'] == "'none'"
    assert policy['script-src'] == "'self'"
    assert "'unsafe-inline'" not in response.headers['Content-Security-Policy']
    assert "'unsafe-eval'" not in response.headers['Content-Security-Policy']
    assert policy['frame-ancestors'] == "'none'"
    assert response.headers['X-Content-Type-Options'] == 'nosniff'


@pytest.mark.parametrize('name, media_type', [
    ('swagger-ui-bundle.js', 'text/javascript'), ('swagger-ui.css', 'text/css'), ('index.css', 'text/css'),
    ('favicon-32x32.png', 'image/png'), ('docs.js', 'text/javascript'),
])
def test_each_file_of_the_page(anonymous, name, media_type):
    response = anonymous.get(f'/docs/{name}')
    assert (response.status_code, response.mimetype) == (200, media_type)
    assert response.headers['X-Content-Type-Options'] == 'nosniff'
    assert response.headers['Cache-Control'] == docs.ASSET_CACHE
    folder = os.path.dirname(docs.__file__) if name in docs.OWN_FILES else docs.swagger_ui_folder()
    with open(os.path.join(folder, name), 'rb') as file:
        assert response.get_data() == file.read()
    assert response.headers['ETag'] == f'"{hashlib.sha256(response.get_data()).hexdigest()[:40]}"'


def test_swagger_ui_comes_from_the_package(anonymous):
    folder = docs.swagger_ui_folder()
    assert folder.replace(os.sep, '/').endswith('flask_swagger_ui/dist')
    with open(os.path.join(folder, 'VERSION'), encoding='utf-8') as file:
        version = file.read().strip()
    assert version.startswith('v5.')
    bundle = anonymous.get('/docs/swagger-ui-bundle.js').get_data(as_text=True)
    assert 'SwaggerUIBundle' in bundle


def test_a_file_is_revalidated_at_no_cost(anonymous):
    first = anonymous.get('/docs/swagger-ui.css')
    again = anonymous.get('/docs/swagger-ui.css', headers={'If-None-Match': first.headers['ETag']})
    assert (again.status_code, again.get_data()) == (304, b'')
    assert again.headers['X-RateLimit-Remaining'] == first.headers['X-RateLimit-Remaining']


@pytest.mark.parametrize('name', ['nope.js', 'oauth2-redirect.html', 'VERSION', 'LICENSE', '__init__.py',
                                  'docs.py', 'openapi_examples.json'])
def test_any_other_name_is_a_json_404(anonymous, name):
    response = anonymous.get(f'/docs/{name}')
    assert (response.status_code, response.mimetype) == (404, 'application/json')
    assert response.json['code'] == 'not_found'
    assert response.json['details']['resource'] == 'docs_asset'


@pytest.mark.parametrize('path', ['/docs/', '/docs/a/b.js', '/docs/..%2Fdocs.py', '/docs/../openapi.json/x'])
def test_paths_below_the_page_that_are_no_file_are_json_404s(anonymous, path):
    response = anonymous.get(path)
    assert (response.status_code, response.mimetype) == (404, 'application/json')


def test_counted_as_the_document_is(anonymous, api):
    first = anonymous.get('/docs')
    second = anonymous.get('/docs/docs.js')
    assert first.headers['X-RateLimit-Limit'] == '30'
    assert int(second.headers['X-RateLimit-Remaining']) == int(first.headers['X-RateLimit-Remaining']) - 1
    assert api.get('/docs').headers['X-RateLimit-Limit'] == '120'


def test_methods(anonymous):
    assert anonymous.open('/docs', 'POST').status_code == 405
    assert anonymous.open('/docs/docs.js', 'DELETE').headers['Allow'] == 'GET, HEAD, OPTIONS'
    head = anonymous.open('/docs', 'HEAD')
    assert (head.status_code, head.get_data()) == (200, b'')
    assert anonymous.get('/docs?x=1').status_code == 400


def test_the_page_is_described(anonymous):
    document = anonymous.get('/openapi.json').json
    page = document['paths']['/docs']['get']
    assert (page['operationId'], page['tags'], page['security']) == ('GetApiDocs', ['meta'], [])
    assert set(page['responses']['200']['content']) == {'text/html'}
    files = document['paths']['/docs/{asset}']['get']
    assert files['parameters'][0]['schema']['enum'] == list(docs.ASSETS)
