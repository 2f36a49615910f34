"""The answers the schemas module builds by hand are what the schemas would dump.

``dump_regression_result`` builds a result without calling its schema (a
page of results is the bulk of a list's time). Over generated verdicts and
descriptions (strings and lists longer than the spec allows, NULLs, every
status), the schema's own dump of the answer must be the answer itself, so
the hand-built dict and the schema cannot drift apart.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mod_api.links import RunLinks
from mod_api.queries import Description
from mod_api.schemas import RegressionResultSchema, dump_regression_result
from mod_api.verdicts import OutputStatus, OutputVerdict, Status, Verdict

HASHES = [None, hashlib.sha256(b'a').hexdigest(), hashlib.sha256(b'b').hexdigest()]
# Short, and around and beyond the spec's limits (500 for a message or command, 100 a category, 50 a tag).
# A description's category is drawn apart from its categories: the dump copies both, whatever they hold.
TEXT = st.one_of(st.text(max_size=10), st.text(min_size=45, max_size=110), st.text(min_size=495, max_size=700))


@st.composite
def verdicts(draw: Any) -> Verdict:
    """A verdict with up to 25 outputs (the spec lists 20) and a message of up to 700 characters (it allows 500)."""
    outputs = tuple(OutputVerdict(output_id=index, status=draw(st.sampled_from(list(OutputStatus))),
                                  expected_hash=draw(st.sampled_from(HASHES)),
                                  actual_hash=draw(st.sampled_from(HASHES)),
                                  filename=draw(st.one_of(st.none(), TEXT)))
                    for index in range(1, draw(st.integers(0, 25)) + 1))
    codes = st.one_of(st.none(), st.integers(-2 ** 31, 2 ** 31 - 1))
    return Verdict(regression_id=draw(st.integers(1, 2 ** 31 - 1)), status=draw(st.sampled_from(list(Status))),
                   message=draw(TEXT), crashed=draw(st.booleans()),
                   runtime_ms=draw(st.one_of(st.none(), st.integers(0, 2 ** 31 - 1))),
                   exit_code=draw(codes), expected_exit_code=draw(codes), outputs=outputs)


descriptions = st.builds(
    Description, regression_id=st.integers(1, 100), sample_id=st.integers(1, 2 ** 31 - 1), command=TEXT,
    category=st.one_of(st.none(), TEXT), tags=st.lists(TEXT, max_size=60).map(tuple),
    categories=st.lists(TEXT, max_size=60).map(tuple))


# The app only gives the links their URLs: the same app for every example is what the health check warns of.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verdict=verdicts(), description=descriptions, run_id=st.integers(1, 2 ** 31 - 1))
def test_a_built_result_is_what_its_schema_dumps(app: Flask, verdict: Verdict, description: Description,
                                                 run_id: int) -> None:
    with app.test_request_context():
        built = dump_regression_result(RunLinks(run_id), verdict, description)
    dumped = RegressionResultSchema().dump(built)
    assert dumped == built and list(dumped) == list(built)  # the same keys in the same (the spec's) order
    assert RegressionResultSchema().validate(built) == {}
    # The cuts themselves: the spec's limits, never more.
    assert len(built['outputs']) == min(20, len(verdict.outputs))
    assert len(built['tags']) == min(50, len(description.tags))
    assert built['categories'] == [name[:100] for name in description.categories[:50]]
    assert built['result_message'] == verdict.message[:500]
    assert built['command'] == description.command[:500]
    assert ('category' in built) == (description.category is not None)


def test_a_result_without_category_has_no_category_key(app: Flask) -> None:
    verdict = Verdict(regression_id=3, status=Status.passed, message='ok', crashed=False, runtime_ms=None,
                      exit_code=0, expected_exit_code=0)
    with app.test_request_context():
        built = dump_regression_result(RunLinks(1), verdict, Description(regression_id=3, sample_id=4, command='-x',
                                                                         category=None))
    assert 'category' not in built and built['categories'] == built['tags'] == built['outputs'] == []
