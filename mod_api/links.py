"""Links: the API's own URLs, as paths (like every ``links`` entry), and the platform's pages, as absolute URLs.

The platform's pages are at the address set in ``API_PLATFORM_URL``, else at
the scheme, host and root of the request itself. Behind nginx the platform's
``ProxyFix`` trusts only ``X-Forwarded-For``, so the request's scheme is
``http``: set ``API_PLATFORM_URL`` there for ``https`` links.

URLs are written from one prefix per request rather than with ``url_for``
for each: a page of 100 results links up to 6,000 of them.
"""

from __future__ import annotations

from typing import Dict, Optional

from flask import request, url_for

from mod_api.settings import current as current_settings

_PREFIX = 'mod_api.links.prefix'


def api_prefix() -> str:
    """Return the path the API is mounted at (``/api/v1``), once per request."""
    prefix = request.environ.get(_PREFIX)
    if prefix is None:
        prefix = request.environ[_PREFIX] = url_for('mod_api.runs')[:-len('/runs')]
    return str(prefix)


def platform_url() -> str:
    """Return the address of the platform's pages, without a trailing slash."""
    return current_settings().platform_url or request.url_root.rstrip('/')


def run_html_url(run_id: int) -> str:
    """Return the platform's page of a run (its results are rows of it: the platform has no page of one result)."""
    return f'{platform_url()}/test/{run_id}'


def run_log(run_id: int) -> str:
    """Return the API's path of a run's CI log."""
    return f'{api_prefix()}/runs/{run_id}/log'


def output_path(run_id: int, regression_id: int, output_id: int) -> str:
    """Return the API's path of one output of a regression test in a run (its diff and files are under it)."""
    return f'{api_prefix()}/runs/{run_id}/samples/{regression_id}/outputs/{output_id}'


def output_links(run_id: int, regression_id: int, output_id: int, expected_hash: Optional[str],
                 actual_hash: Optional[str]) -> Dict[str, Optional[str]]:
    """Link an output's diff, its files, and the platform's diff page.

    A file's link is null when the output has no such file (no valid hash
    for it); the platform's page only when the actual output differs from
    the baseline's hash (its page fails for an output stored as identical).
    """
    base = output_path(run_id, regression_id, output_id)
    differs = expected_hash is not None and actual_hash is not None and expected_hash != actual_hash
    return {
        'diff': f'{base}/diff',
        'expected': f'{base}/expected' if expected_hash is not None else None,
        'actual': f'{base}/actual' if actual_hash is not None else None,
        'diff_html': f'{platform_url()}/test/diff/{run_id}/{regression_id}/{output_id}' if differs else None,
    }
