"""Property tests: the personal-key parser and authentication on arbitrary input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor.errors import Unauthorized
from proctor.people import People, Role, parse_person_key

# Any code point, lone surrogates included: what a raw header could decode to.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=120)
NEAR_KEYS = st.one_of(
    ANY_TEXT,
    ANY_TEXT.map(lambda tail: "ppk_" + tail),
    st.from_regex(r"ppk_[0-9a-fA-F]{14,18}\.[A-Za-z0-9_=+/.-]{40,46}", fullmatch=True),
    st.builds(lambda a, b: f"ppk_{a}.{b}", ANY_TEXT, ANY_TEXT),
)
WELL_FORMED = st.from_regex(r"ppk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}", fullmatch=True)
FUNCTION_FIXTURE = [HealthCheck.function_scoped_fixture]


@given(NEAR_KEYS)
def test_the_parser_only_ever_says_unauthorized(presented: str) -> None:
    try:
        key_id, secret = parse_person_key(presented)
    except Unauthorized as exc:
        code = exc.code
    else:
        assert presented == f"ppk_{key_id}.{secret}"
        assert len(key_id) == 16
        assert len(secret) == 43
        return
    assert code == "invalid_api_key"


@settings(suppress_health_check=FUNCTION_FIXTURE, max_examples=200)
@given(st.one_of(NEAR_KEYS, WELL_FORMED))
def test_authentication_refuses_anything_but_an_issued_key(people: People, presented: str) -> None:
    if people.find("dana") is None:
        people.add("dana", "Dana", [Role.ADMIN])
        people.create_key("dana")
    with pytest.raises(Unauthorized) as caught:
        people.authenticate(presented)
    assert caught.value.code == "invalid_api_key"


@settings(suppress_health_check=FUNCTION_FIXTURE, max_examples=25, deadline=None)
@given(
    st.text(min_size=1, max_size=40).filter(
        lambda name: name.strip() != "" and name.strip().isprintable()
    )
)
def test_issued_keys_parse_back_to_their_id(people: People, name: str) -> None:
    if people.find("dana") is None:
        people.add("dana", "Dana", [])
    key, plaintext = people.create_key("dana", name)
    assert parse_person_key(plaintext)[0] == key.id
    assert people.authenticate(plaintext)[1].id == key.id
