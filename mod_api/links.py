"""Links: the API's own URLs and the platform's pages, all absolute, and the links between a list's pages.

The API's URLs are written from its absolute root (``url_for`` with
``_external``: the scheme and host the host app sees, through its
``ProxyFix`` when it has one). The platform's pages are at the address set in
``API_PLATFORM_URL``, else at the scheme, host and root of the request
itself; the API's URLs too, under ``API_PLATFORM_URL`` when it is set.
Behind nginx the platform's ``ProxyFix`` trusts only ``X-Forwarded-For``, so
the request's scheme is ``http``: set ``API_PLATFORM_URL`` there for
``https`` links.

URLs are written from one root per request rather than with ``url_for``
for each: a page of 100 results links 1,600 of them (up to 12,400 with 20
outputs each). A run's URLs, and its results', all come from ``RunLinks``.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional
from urllib.parse import quote, urlencode

from flask import request, url_for

from mod_api.settings import current as current_settings

_ROOT = 'mod_api.links.root'

#: The relations of a list's ``Link`` header and of its ``pagination.links``, in the order the header gives them.
PAGE_RELATIONS = ('next', 'prev', 'first', 'last')


def api_root() -> str:
    """Return the absolute URL the API is mounted at (``http://host/api/v1``), once per request.

    Under ``API_PLATFORM_URL`` when it is set (the platform's public address:
    behind nginx, the request itself says ``http``), else the request's.
    """
    root = request.environ.get(_ROOT)
    if root is None:
        configured = current_settings().platform_url
        if configured:
            root = configured + api_path()[len(request.script_root):]
        else:
            root = url_for('mod_api.runs', _external=True)[:-len('/runs')]
        request.environ[_ROOT] = root
    return str(root)


def api_path() -> str:
    """Return the path the API is mounted at (``/api/v1``): for what must stay on the request's own origin.

    The OpenAPI document's server and the docs page's files are named by
    path, so that a browser reads them from the origin it is on (the docs
    page's Content-Security-Policy allows no other).
    """
    return str(url_for('mod_api.runs')[:-len('/runs')])


def index_links() -> Dict[str, str]:
    """Return the links of the API's index: itself, the OpenAPI document, the docs page (absolute URLs)."""
    root = api_root()
    return {'self': f'{root}/', 'openapi': f'{root}/openapi.json', 'docs': f'{root}/docs'}


def platform_url() -> str:
    """Return the address of the platform's pages, without a trailing slash."""
    return current_settings().platform_url or request.url_root.rstrip('/')


class RunLinks:
    """The URLs of one run and of its results, from the roots read once (the API's, the platform's)."""

    def __init__(self, run_id: int) -> None:
        """Read the API's root and the platform's address (of the current request) for run ``run_id``."""
        api, platform = api_root(), platform_url()
        self.run_id = run_id
        self.run = f'{api}/runs/{run_id}'  # the API's URL of the run
        self.html = f'{platform}/test/{run_id}'  # the platform's page (its results are rows of it)
        self._tests = f'{api}/regression-tests'
        self._diff_html = f'{platform}/test/diff/{run_id}'

    def links(self) -> Dict[str, str]:
        """Link the run to itself and to what the API says about it: summary, results, comparison, CI log."""
        run = self.run
        return {'self': run, 'summary': f'{run}/summary', 'samples': f'{run}/samples',
                'comparison': f'{run}/comparison', 'log': f'{run}/log'}

    def summary_links(self) -> Dict[str, str]:
        """Link the run's summary to itself, its run, and the results it counts."""
        return {'self': f'{self.run}/summary', 'run': self.run, 'samples': f'{self.run}/samples'}

    def result_url(self, regression_id: int) -> str:
        """Return the API's URL of a regression test's result in the run."""
        return f'{self.run}/samples/{regression_id}'

    def history_url(self, regression_id: int) -> str:
        """Return the API's URL of a regression test's history."""
        return f'{self._tests}/{regression_id}/history'

    def result_links(self, regression_id: int) -> Dict[str, str]:
        """Link a result to itself, its run, and the test's history."""
        return {'self': self.result_url(regression_id), 'run': self.run, 'history': self.history_url(regression_id)}

    def output_links(self, regression_id: int, output_id: int, expected_hash: Optional[str],
                     actual_hash: Optional[str]) -> Dict[str, Optional[str]]:
        """Link an output's own answer (its diff), its files, its result, and the platform's diff page.

        A file's link is null when the output has no such file (no valid hash
        for it); the platform's page only when the actual output differs from
        the baseline's hash (its page fails for an output stored as identical).
        """
        result = self.result_url(regression_id)
        base = f'{result}/outputs/{output_id}'
        differs = expected_hash is not None and actual_hash is not None and expected_hash != actual_hash
        return {
            'self': f'{base}/diff',
            'diff': f'{base}/diff',
            'expected': f'{base}/expected' if expected_hash is not None else None,
            'actual': f'{base}/actual' if actual_hash is not None else None,
            'result': result,
            'diff_html': f'{self._diff_html}/{regression_id}/{output_id}' if differs else None,
        }


def page_offsets(limit: int, offset: int, total: int) -> Dict[str, Optional[int]]:
    """Return the offset of the next, previous, first and last page of a list (None: there is no such page).

    Pages are ``limit`` items on a grid from offset 0: the last one starts at
    the last multiple of ``limit`` below ``total`` (0 for an empty list).
    ``next`` follows the page when items are left after it; ``prev`` goes
    ``limit`` back from any offset but 0, never beyond the last page (from
    an offset past the end it leads back into the list).
    """
    last = (total - 1) // limit * limit if total > 0 else 0
    return {'next': offset + limit if offset + limit < total else None,
            'prev': max(0, min(offset - limit, last)) if offset > 0 else None,
            'first': 0, 'last': last}


def page_links(limit: int, offset: int, total: int) -> Dict[str, Optional[str]]:
    """Return the absolute URLs of a list's next, previous, first and last page (None: no such page).

    Each is the request's own URL with its query as given (same filters,
    sort and limit, in the same order), only ``offset`` set to the page's.
    """
    own = url_for(str(request.endpoint), **(request.view_args or {}))
    base = api_root() + own[len(api_path()):]
    kept = [(name, value) for name, value in request.args.items(multi=True) if name != 'offset']

    def url(page: Optional[int]) -> Optional[str]:
        if page is None:
            return None
        # Commas and colons kept as they are (status=fail,missing_output; a time), all else quoted.
        return f'{base}?{urlencode([*kept, ("offset", str(page))], quote_via=quote, safe=",:")}'
    return {relation: url(page) for relation, page in page_offsets(limit, offset, total).items()}


def link_header(links: Mapping[str, Optional[str]]) -> str:
    """Write a list's page links as an RFC 8288 ``Link`` header, leaving out the relations that do not apply."""
    return ', '.join(f'<{links[relation]}>; rel="{relation}"' for relation in PAGE_RELATIONS
                     if links.get(relation) is not None)
