"""The bytes of a JSON body: orjson's, equal to what the standard library writes, whatever the payload holds.

``responses.json_body`` writes every answer's body with orjson, for speed.
The promise is that the bytes are those of ``json.dumps`` with
``ensure_ascii=False`` and no spaces: over generated payloads of every kind
of value the API's bodies hold (any text, control characters and characters
beyond the BMP included, integers of any size, nested lists and objects in
a given key order), the two must agree byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mod_api.responses import json_body, json_response


def stdlib(payload: object) -> bytes:
    return (json.dumps(payload, ensure_ascii=False, separators=(',', ':')) + '\n').encode()


SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-2 ** 63, max_value=2 ** 64 - 1),  # what orjson writes itself
    st.integers(),  # beyond 64 bits, the standard library's
    st.text(),  # every code point but lone surrogates, which no UTF-8 body can hold
    st.text(alphabet=st.characters(max_codepoint=0x20)),  # control characters, which both escape
    st.sampled_from(['\u2028\u2029', '\x7f', '"\\/', '\U0001F600', 'é']),
)
PAYLOADS = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(), inner, max_size=5)), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(PAYLOADS)
def test_the_body_is_the_standard_librarys_bytes(payload):
    assert json_body(payload) == stdlib(payload)


@pytest.mark.parametrize('payload', [
    {'code': 'not_found', 'details': {'id': 9 ** 40}},  # an id beyond 64 bits, echoed by a 404
    [-(2 ** 64), 2 ** 64],
])
def test_an_integer_beyond_64_bits_is_written_too(payload):
    assert json_body(payload) == stdlib(payload)
    assert json.loads(json_body(payload)) == payload


def test_keys_keep_their_order(app):
    with app.test_request_context():
        response = json_response({'z': 1, 'a': 2, 'm': [{'b': None, 'a': True}]}, status=201)
    assert response.status_code == 201
    assert response.mimetype == 'application/json'
    assert response.get_data() == b'{"z":1,"a":2,"m":[{"b":null,"a":true}]}\n'


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize('value', [datetime.datetime(2026, 12, 1, 12, 0), datetime.date(2026, 12, 1), Point(1)])
def test_what_is_no_json_is_refused(value):
    """A value no schema should leave in a payload fails loudly, as with the standard library, rather than as text."""
    with pytest.raises(TypeError):
        stdlib({'value': value})
    with pytest.raises(TypeError):
        json_body({'value': value})
