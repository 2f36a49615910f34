"""CORS in a real browser (issue 5): a web frontend on another origin reads a run's summary, or is refused.

The API runs for real on a free localhost port, in a thread, allowing one
origin (``API_CORS_ORIGINS``). A tiny page, served from another localhost
port, fetches the summary with a bearer token and writes into its DOM what
the browser let it see: the counts and the exposed headers, or the error.
Headless Chromium (Debian's ``/usr/bin/chromium``, driven by playwright; no
browser is downloaded) loads the page from the allowed origin, then from
origins that are not allowed. Without that Chromium the tests skip, except
when ``CI`` is set: CI installs it, so there they fail.
"""

from __future__ import annotations

import json
import os
import pathlib
import threading
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Tuple)

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from run import create_app, db
from tests.conftest import app_config, mint
from tests.factories import Factory, sha

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync']
WAIT_MS = 15000  # every wait on the browser, in milliseconds
HOST = '127.0.0.1'

# The headers a frontend needs, exposed by the API's CORS setup, and one the API sends but does not expose.
READ_HEADERS = ('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'ETag',
                'Access-Control-Allow-Origin')

pytestmark = pytest.mark.browser

# The frontend: one fetch, and what the browser let it read (or the error) as JSON in #result.
PAGE = """<!doctype html>
<meta charset="utf-8">
<title>a frontend of the results API</title>
<pre id="result"></pre>
<script>
const settings = %(settings)s;
const result = document.getElementById('result');
function show(what) {
  result.textContent = JSON.stringify(what);
  result.dataset.done = 'yes';
}
fetch(settings.api + '/api/v1/runs/' + settings.run + '/summary',
      {headers: {Authorization: 'Bearer ' + settings.token}})
  .then(async (response) => {
    const headers = {};
    for (const name of settings.headers) {
      headers[name] = response.headers.get(name);
    }
    show({outcome: 'answered', status: response.status, body: await response.json(), headers: headers});
  })
  .catch((error) => show({outcome: 'failed', error: error.name + ': ' + error.message}));
</script>
"""


# --- servers in threads --------------------------------------------------------------------------------------------

@dataclass
class Exchange:
    """One request the API server answered, as the server saw it."""

    method: str
    path: str
    origin: Optional[str]
    authorized: bool
    status: int = 0
    headers: Dict[str, str] = field(default_factory=dict)


class Served:
    """A WSGI app served on a free port of 127.0.0.1 by a threaded werkzeug server, in a daemon thread."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]]) -> None:
        self.server: BaseWSGIServer = make_server(HOST, 0, wsgi, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.1},
                                       name=f'served-{self.port}', daemon=True)
        self.thread.start()

    def url(self, host: str = HOST) -> str:
        """The server's origin, with ``host`` as the host name."""
        return f'http://{host}:{self.port}'

    def stop(self) -> None:
        """Stop serving, and close the socket."""
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def recorded(app: Flask, log: List[Exchange]) -> Callable[..., Iterable[bytes]]:
    """``app``, noting each request it answers in ``log``, with the status and headers it sent."""
    def wsgi(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        exchange = Exchange(environ['REQUEST_METHOD'], environ.get('PATH_INFO', ''), environ.get('HTTP_ORIGIN'),
                            'HTTP_AUTHORIZATION' in environ)
        log.append(exchange)

        def noting(status: str, headers: List[Tuple[str, str]], *args: Any) -> Any:
            exchange.status = int(status.split()[0])
            exchange.headers = dict(headers)
            return start_response(status, headers, *args)
        return app(environ, noting)
    return wsgi


def frontend(settings: Dict[str, Any]) -> Callable[..., Iterable[bytes]]:
    """The frontend's site: the page at ``/``, reading ``settings`` (filled in once the API is up)."""
    @Request.application
    def site(request: Request) -> Response:
        if request.path != '/':
            return Response('not here', status=404)
        return Response(PAGE % {'settings': json.dumps(settings)}, mimetype='text/html')
    return site


@dataclass
class Servers:
    """The running servers, the run the page asks about, and what the API server saw."""

    api: Served
    page: Served
    other_page: Served
    run_id: int
    exchanges: List[Exchange]

    def summary_exchanges(self) -> List[Exchange]:
        """The requests to the run's summary, in order."""
        return [e for e in self.exchanges if e.path == f'/api/v1/runs/{self.run_id}/summary']


def seed(factory: Factory) -> int:
    """A completed run of four regression tests: two pass, one fails, one reported nothing."""
    passing = [factory.regression_test(), factory.regression_test()]
    failing = factory.regression_test()
    factory.regression_test()  # in scope, but no result
    run = factory.run()
    for test in passing:
        factory.finished(run, test)
    for output in factory.outputs(failing):
        factory.reported(run, failing, output, got=sha('not the baseline'))
    factory.result(run, failing)
    factory.commit()
    return run.id


@pytest.fixture
def servers(app: Flask, factory: Factory, database_uri: str) -> Iterator[Servers]:
    """The API on its port, allowing the page's origin; the page on another port; a third port for the same page."""
    settings: Dict[str, Any] = {'headers': list(READ_HEADERS)}
    started: List[Served] = []
    api_app: Optional[Flask] = None
    try:
        page = Served(frontend(settings))
        started.append(page)
        other_page = Served(frontend(settings))
        started.append(other_page)
        api_app = create_app(app_config(database_uri, API_CORS_ORIGINS=page.url()))
        exchanges: List[Exchange] = []
        api = Served(recorded(api_app, exchanges))
        started.append(api)
        run_id = seed(factory)
        settings.update(api=api.url(), run=run_id, token=mint(app, factory))
        yield Servers(api, page, other_page, run_id, exchanges)
    finally:
        for server in reversed(started):
            server.stop()
        if api_app is not None:
            with api_app.app_context():
                db.session.remove()
                db.engine.dispose()


# --- the browser ---------------------------------------------------------------------------------------------------

def ci() -> bool:
    """Whether this is CI, where Chromium is installed and its absence is an error."""
    return os.environ.get('CI', '').strip().lower() not in ('', '0', 'false', 'no')


@pytest.fixture
def browser(tmp_path: pathlib.Path) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile; skipped without Chromium, unless in CI.

    Tests ask for it before ``servers``, so that a skip starts no server.
    """
    if not os.access(CHROMIUM, os.X_OK):
        message = f'{CHROMIUM} is missing (install it with: apt-get install chromium)'
        if ci():
            pytest.fail(f'{message}; CI is set, and CI installs it')
        pytest.skip(message)
    profile = tmp_path / 'chromium-profile'
    profile.mkdir()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            timeout=WAIT_MS)
        try:
            context.set_default_timeout(WAIT_MS)
            context.set_default_navigation_timeout(WAIT_MS)
            yield context
        finally:
            context.close()


def what_the_page_read(browser: BrowserContext, url: str) -> Dict[str, Any]:
    """Load the page at ``url`` and return what its script wrote once its fetch settled."""
    page = browser.new_page()
    try:
        page.goto(url, wait_until='domcontentloaded')
        result = page.wait_for_selector('#result[data-done]', state='attached', timeout=WAIT_MS)
        assert result is not None
        return dict(json.loads(result.text_content() or '{}'))
    finally:
        page.close()


# --- the tests -----------------------------------------------------------------------------------------------------

def test_a_frontend_on_an_allowed_origin_reads_the_summary_and_the_exposed_headers(browser, servers):
    read = what_the_page_read(browser, servers.page.url() + '/')

    assert read['outcome'] == 'answered', read
    assert read['status'] == 200
    body = read['body']
    assert body['run_id'] == servers.run_id
    assert (body['total_samples'], body['pass_count'], body['fail_count'], body['missing_output_count'],
            body['skipped_count'], body['error_count']) == (4, 2, 1, 1, 0, 0)

    # The browser asked first (the Authorization header needs a preflight), without the token.
    preflight, answered = servers.summary_exchanges()
    assert (preflight.method, preflight.origin, preflight.authorized) == ('OPTIONS', servers.page.url(), False)
    assert preflight.status == 200
    assert preflight.headers['Access-Control-Allow-Origin'] == servers.page.url()
    assert (answered.method, answered.origin, answered.authorized, answered.status) == (
        'GET', servers.page.url(), True, 200)

    # Exposed headers are readable, and as sent; the preflight consumed no quota.
    headers = read['headers']
    assert headers['X-RateLimit-Limit'] == '120'
    assert headers['X-RateLimit-Remaining'] == '119'
    assert headers['X-RateLimit-Reset'] == answered.headers['X-RateLimit-Reset']
    assert headers['ETag'] == answered.headers['ETag']
    assert headers['ETag'].startswith('"') and headers['ETag'].endswith('"')
    # A header sent but not exposed stays hidden: the browser really filters what the page reads.
    assert answered.headers['Access-Control-Allow-Origin'] == servers.page.url()
    assert headers['Access-Control-Allow-Origin'] is None


@pytest.mark.parametrize('origin', ['another port', 'another host name'])
def test_a_frontend_on_an_origin_not_allowed_is_refused_by_the_browser(browser, servers, origin):
    # Same page, same API: only the origin differs (127.0.0.1 on another port, or localhost on the allowed port).
    url = servers.other_page.url() if origin == 'another port' else servers.page.url('localhost')

    read = what_the_page_read(browser, url + '/')

    assert read['outcome'] == 'failed', read
    assert read['error'].startswith('TypeError: '), read
    # The API answered the preflight without allowing the origin, so the browser never sent the token.
    exchanges = servers.summary_exchanges()
    assert [(e.method, e.origin, e.authorized) for e in exchanges] == [('OPTIONS', url, False)]
    assert 'Access-Control-Allow-Origin' not in exchanges[0].headers


# --- the docs page -------------------------------------------------------------------------------------------------

@pytest.fixture
def docs_server(database_uri: str) -> Iterator[Tuple[Served, List[Exchange]]]:
    """The API on its port, for the docs page: no origin allowed (the page is the API's own), no token."""
    api_app = create_app(app_config(database_uri))
    exchanges: List[Exchange] = []
    served = Served(recorded(api_app, exchanges))
    try:
        yield served, exchanges
    finally:
        served.stop()
        with api_app.app_context():
            db.session.remove()
            db.engine.dispose()


# Every Content-Security-Policy violation of the page, as the browser reports them to it.
WATCH_POLICY = """
window.violations = [];
document.addEventListener('securitypolicyviolation',
                          (event) => window.violations.push(event.violatedDirective + ' ' + event.blockedURI));
"""


def test_the_docs_page_renders_the_document_offline_under_its_policy(browser, docs_server):
    served, exchanges = docs_server
    page = browser.new_page()
    asked: List[str] = []
    page.on('request', lambda request: asked.append(request.url))
    page.add_init_script(WATCH_POLICY)
    try:
        page.goto(served.url() + '/api/v1/docs', wait_until='domcontentloaded')
        # Swagger UI draws one block per operation, named by its tag and operationId.
        list_runs = page.wait_for_selector('#operations-runs-ListRuns', state='visible', timeout=WAIT_MS)
        assert list_runs is not None
        assert 'List runs' in (list_runs.text_content() or '')
        for operation in ('meta-GetApiIndex', 'outputs-GetOutputDiff', 'history-GetRegressionTestHistory'):
            page.wait_for_selector(f'#operations-{operation}', state='attached', timeout=WAIT_MS)
        # Opened, an operation shows its example: a real answer of the demo.
        page.click('#operations-runs-GetRunSummary .opblock-summary-control')
        page.wait_for_selector('#operations-runs-GetRunSummary .responses-wrapper .microlight', timeout=WAIT_MS)
        shown = page.text_content('#operations-runs-GetRunSummary .responses-wrapper') or ''
        assert '"total_samples": 9' in shown, shown[:500]
        violations = page.evaluate('window.violations')
    finally:
        page.close()
    assert violations == [], violations
    # Nothing from any other site: the page, Swagger UI's files and the document all came from the API.
    assert asked and all(url.startswith(served.url() + '/api/v1/') for url in asked), asked
    paths = {exchange.path: exchange.status for exchange in exchanges}
    assert paths['/api/v1/docs'] == paths['/api/v1/openapi.json'] == paths['/api/v1/docs/swagger-ui-bundle.js'] == 200
    assert all(status in (200, 304) for status in paths.values()), paths
