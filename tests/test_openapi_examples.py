"""The examples of the OpenAPI document (issue 13, item 7): real answers of the demo, current, and valid.

``mod_api/openapi_examples.json`` is written by ``scripts/openapi_examples.py``
from the demo's answers; the document shows each as the example of its
operation's 200. These tests make the script again, in memory, and fail while
the committed file differs (an answer changed and the examples were not
regenerated), and check each example against the schema it illustrates.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, Tuple

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from mod_api import openapi
from scripts import openapi_examples
from tests.conftest import Api

REGENERATE = f'run ".venv/bin/{openapi_examples.COMMAND}" and commit mod_api/openapi_examples.json'


@pytest.fixture(scope='module')
def generated() -> Dict[str, Any]:
    """What the script writes today (the demo seeded once for the module)."""
    return openapi_examples.generate()


def json_answers(document: Dict[str, Any]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """Every (operationId, JSON content of its 200) of the document."""
    for item in document['paths'].values():
        content = item['get']['responses']['200'].get('content', {})
        if 'application/json' in content:
            yield item['get']['operationId'], content['application/json']


def test_the_committed_examples_are_what_the_demo_answers(generated):
    committed = openapi.EXAMPLES.read_text(encoding='utf-8')
    assert committed == openapi_examples.render(generated), f'the examples are out of date: {REGENERATE}'


def test_the_script_makes_the_same_examples_every_time(generated):
    assert openapi_examples.generate() == generated


def test_every_json_answer_of_the_document_has_its_example():
    document = Api.described()[0]
    missing = [operation_id for operation_id, content in json_answers(document) if 'example' not in content]
    assert missing == [], f'no example for {missing}: add its request to scripts/openapi_examples.py, then {REGENERATE}'
    stray = set(openapi.examples()) - {operation_id for operation_id, _ in json_answers(document)}
    assert stray == set(), f'examples of no operation: {sorted(stray)}; {REGENERATE}'


def test_every_example_is_valid_against_the_schema_it_illustrates():
    document = Api.described()[0]
    for operation_id, content in json_answers(document):
        # The component schemas travel with each schema, so that its $refs resolve.
        schema = {**content['schema'], 'components': document['components']}
        errors = [f'{"/".join(map(str, error.absolute_path))}: {error.message}' for error in
                  OAS30Validator(schema, format_checker=oas30_format_checker).iter_errors(content['example'])]
        assert errors == [], f'the example of {operation_id} is invalid: {errors[:5]}; {REGENERATE}'


def test_an_invalid_example_would_be_caught():
    document = Api.described()[0]
    content = document['paths']['/runs/{run_id}/summary']['get']['responses']['200']['content']['application/json']
    schema = {**content['schema'], 'components': document['components']}
    broken = {**content['example'], 'pass_count': 'many'}
    assert not OAS30Validator(schema, format_checker=oas30_format_checker).is_valid(broken)


def test_the_served_document_carries_the_committed_examples(client):
    served = Api(client).get('/openapi.json').json
    examples = json.loads(openapi.EXAMPLES.read_text(encoding='utf-8'))['examples']
    assert {operation_id: content['example'] for operation_id, content in json_answers(served)} == examples
    # The examples are of the 200 only: the HEAD and error answers have none.
    head = served['paths']['/runs']['head']['responses']['200']
    assert 'content' not in head


def test_the_examples_are_taken_from_the_demo(generated):
    examples = generated['examples']
    assert examples['GetRunSummary']['run_id'] == 1
    assert examples['GetRegressionResult']['status'] == 'fail'
    assert examples['GetOutputDiff']['status'] == 'diff_mismatch' and examples['GetOutputDiff']['hunks']
    pagination = examples['ListRuns']['pagination']
    assert (pagination['limit'], pagination['offset'], pagination['total']) == (2, 0, 7)
    # Links as the real platform's would be: under its address (API_PLATFORM_URL).
    assert examples['GetRun']['links']['self'] == f'{openapi_examples.PLATFORM_URL}/api/v1/runs/1'
    assert examples['GetApiIndex']['resources'][0]['operation_id'] == 'GetApiIndex'
    assert set(examples['GetOpenApiDocument']) == set(openapi_examples.DOCUMENT_KEYS)
