#!/usr/bin/env python3
"""Write ``mod_api/openapi_examples.json``: an example of each JSON answer of the API, as the demo answers it.

    .venv/bin/python scripts/openapi_examples.py           # rewrite the file
    .venv/bin/python scripts/openapi_examples.py --check   # exit 1, changing nothing, if it is out of date

The OpenAPI document (``mod_api/openapi.py``) shows these bodies as the
``example`` of each operation's 200; it reads them from the file, never from
a database. They are made here: the demo (``demo.seed``, as ``python run.py``
seeds it) goes into a temporary SQLite database, its result files into a
temporary folder, and each endpoint is asked through Flask's test client.
The answers are the same on every run (the demo's times and ids are fixed,
every ``API_*`` setting is its default, the secret is fixed, and headers such
as ETags are not kept). The document's own example keeps only its opening
keys (the whole document cannot be an example inside itself).

Run it after changing what an answer holds; ``tests/test_openapi_examples.py``
fails while the committed file differs from what this prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's modules, not an installed copy
    sys.path.insert(0, str(ROOT))

from mod_api import openapi, settings  # noqa: E402
from run import create_app, db, reset_demo_database  # noqa: E402

#: Where the examples' links to the platform's pages point: the real platform's address.
PLATFORM_URL = 'https://sampleplatform.ccextractor.org'
PREFIX = '/api/v1'
SECRET = 'openapi-examples-secret-of-at-least-32-bytes'
COMMAND = 'python scripts/openapi_examples.py'
#: The opening keys of the document that its own example keeps.
DOCUMENT_KEYS = ('openapi', 'info', 'servers', 'tags')


def requests(ids: Dict[str, int]) -> List[Tuple[str, str]]:
    """Return, for each operation with a JSON answer, the demo's request whose answer is its example."""
    run, failing = ids['completed_run'], ids['failing_test']
    return [
        ('GetApiIndex', '/'),
        ('ListRuns', '/runs?limit=2'),
        ('GetRun', f'/runs/{run}'),
        ('GetRunSummary', f'/runs/{run}/summary'),
        ('ListRegressionResults', f'/runs/{run}/samples?status=fail&limit=2'),
        ('GetRegressionResult', f'/runs/{run}/samples/{failing}'),
        ('CompareRun', f'/runs/{ids["pull_request_run"]}/comparison?limit=3'),
        ('GetRegressionTestHistory', f'/regression-tests/{ids["crashing_test"]}/history?platform=linux&branch=master'
                                     '&limit=3'),
        ('GetOpenApiDocument', '/openapi.json'),
        ('GetOutputDiff', f'/runs/{run}/samples/{failing}/outputs/{ids["differing_output"]}/diff?context=1'),
    ]


def _config(folder: str) -> Dict[str, Any]:
    # Every API_* setting at its default, whatever the environment says, so that the answers are the same anywhere.
    return {**settings.DEFAULTS, 'TESTING': True, 'DATABASE_URI': f'sqlite:///{os.path.join(folder, "demo.sqlite")}',
            'SAMPLE_REPOSITORY': os.path.join(folder, 'repository'), 'API_JWT_SECRET': SECRET,
            'API_PLATFORM_URL': PLATFORM_URL, 'API_RATELIMIT_ENABLED': False, 'API_LOG_HANDLER': False}


def generate() -> Dict[str, Any]:
    """Seed the demo into a temporary database, ask each endpoint, and return the file's content."""
    examples: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix='openapi-examples-') as folder:
        app = create_app(_config(folder))
        try:
            ids, token = reset_demo_database(app)
            client = app.test_client()
            for operation_id, path in requests(ids):
                response = client.get(PREFIX + path, base_url=PLATFORM_URL,
                                      headers={'Authorization': f'Bearer {token}'})
                if response.status_code != 200 or response.mimetype != 'application/json':
                    raise RuntimeError(f'GET {path} answered {response.status_code} {response.mimetype}: '
                                       f'{response.get_data(as_text=True)[:300]}')
                body = response.get_json()
                if operation_id == 'GetOpenApiDocument':
                    body = {key: body[key] for key in DOCUMENT_KEYS}
                examples[operation_id] = body
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return {'generated_by': COMMAND, 'examples': examples}


def render(content: Dict[str, Any]) -> str:
    """Return the file's text: one JSON document, keys in the answers' own order."""
    return json.dumps(content, indent=1, ensure_ascii=False) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Rewrite the examples (or, with ``--check``, say whether they are up to date)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='change nothing; exit 1 if the file is out of date')
    options = parser.parse_args(argv)
    text = render(generate())
    current = openapi.EXAMPLES.read_text(encoding='utf-8') if openapi.EXAMPLES.exists() else ''
    if options.check:
        if current != text:
            print(f'{openapi.EXAMPLES.relative_to(ROOT)} is out of date: run {COMMAND}', file=sys.stderr)
            return 1
        print(f'{openapi.EXAMPLES.relative_to(ROOT)} is up to date.')
        return 0
    openapi.EXAMPLES.write_text(text, encoding='utf-8')
    print(f'{"unchanged" if current == text else "wrote"} {openapi.EXAMPLES.relative_to(ROOT)} '
          f'({len(text.encode())} bytes, {len(json.loads(text)["examples"])} examples)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
