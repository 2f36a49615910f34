"""The docs page: the OpenAPI document rendered by Swagger UI, at ``/docs``, with no token and no CDN.

Swagger UI's own files come from the ``flask-swagger-ui`` package, which
ships Swagger UI's distribution (its ``dist`` folder) and follows each
Swagger UI release. Only those files are used, not the package's blueprint:
its page runs an inline script, and the API's page allows none (a strict
Content-Security-Policy). The page here is a shell naming the files, and
``docs.js`` beside this module points Swagger UI at the document.

The page and its files are served without a token and counted as the
document is: to a valid token's account, else to the client's address.
"""

from __future__ import annotations

import html
import importlib.util
import os
from typing import Dict, Tuple

from flask import Response, request

from mod_api import links
from mod_api.auth import account_if_any
from mod_api.blueprint import mod_api
from mod_api.errors import ApiError
from mod_api.limits import limited, preflight
from mod_api.responses import conditional
from mod_api.schemas import NoQuerySchema, parse_query

_JS, _CSS, _PNG = 'text/javascript; charset=utf-8', 'text/css; charset=utf-8', 'image/png'
#: The files the page loads, and their media types: Swagger UI's, then the page's own script.
SWAGGER_UI_FILES: Dict[str, str] = {'swagger-ui-bundle.js': _JS, 'swagger-ui.css': _CSS, 'index.css': _CSS,
                                    'favicon-32x32.png': _PNG, 'favicon-16x16.png': _PNG}
OWN_FILES: Dict[str, str] = {'docs.js': _JS}
ASSETS: Dict[str, str] = {**SWAGGER_UI_FILES, **OWN_FILES}
#: What the page may load and do: its own files and the document, nothing inline (Swagger UI's icons are data: URIs).
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
#: Swagger UI's files change only with the package: a day in a cache, then revalidated by ETag.
ASSET_CACHE = 'public, max-age=86400'
PAGE_CACHE = 'private, no-cache'

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sample-platform results API</title>
<link rel="stylesheet" href="{docs}/swagger-ui.css">
<link rel="stylesheet" href="{docs}/index.css">
<link rel="icon" type="image/png" sizes="32x32" href="{docs}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="{docs}/favicon-16x16.png">
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI document itself: <a href="{document}">{document}</a>.</noscript>
<div id="swagger-ui" data-document="{document}"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script src="{docs}/docs.js"></script>
</body>
</html>
"""


def swagger_ui_folder() -> str:
    """Return the folder of Swagger UI's files inside the installed ``flask-swagger-ui`` package."""
    spec = importlib.util.find_spec('flask_swagger_ui')
    if spec is None or spec.origin is None:
        raise RuntimeError('flask-swagger-ui is not installed (it is in requirements.txt)')
    return os.path.join(os.path.dirname(spec.origin), 'dist')


def _file_of(name: str) -> Tuple[str, str]:
    """Return the path and media type of the page's file ``name``, or raise its 404."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ApiError(404, f'The docs page has no file {name[:100]!r}.',
                       {'resource': 'docs_asset', 'name': name[:100], 'known': sorted(ASSETS)})
    folder = os.path.dirname(os.path.abspath(__file__)) if name in OWN_FILES else swagger_ui_folder()
    return os.path.join(folder, name), media_type


def _secured(response: Response) -> Response:
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@mod_api.route('/docs', methods=['GET', 'OPTIONS'], provide_automatic_options=False)
def docs_page() -> Response:
    """Serve the docs page: Swagger UI reading the OpenAPI document; no token needed."""
    if request.method == 'OPTIONS':
        return preflight()

    def answer() -> Response:
        parse_query(NoQuerySchema, request.args)
        prefix = links.api_path()
        page = _PAGE.format(docs=html.escape(f'{prefix}/docs'), document=html.escape(f'{prefix}/openapi.json'))
        response = conditional(Response(page, mimetype='text/html'), PAGE_CACHE)
        response.headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY
        response.headers['Referrer-Policy'] = 'no-referrer'
        return _secured(response)
    return limited(answer, account_if_any())


@mod_api.route('/docs/<asset>', methods=['GET', 'OPTIONS'], provide_automatic_options=False)
def docs_asset(asset: str) -> Response:
    """Serve one file of the docs page (Swagger UI's, or the page's script); any other name is a 404."""
    if request.method == 'OPTIONS':
        return preflight()

    def answer() -> Response:
        path, media_type = _file_of(asset)
        parse_query(NoQuerySchema, request.args)
        with open(path, 'rb') as file:
            body = file.read()
        return _secured(conditional(Response(body, content_type=media_type), ASSET_CACHE))
    return limited(answer, account_if_any())
