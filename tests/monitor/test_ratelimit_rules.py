"""Rate-limit declarations: the compact and mapping forms, validation, round trips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proctor.errors import InvalidInput
from proctor.monitor import (
    RateLimitRule,
    Scope,
    format_rate_limit,
    parse_rate_limit,
    parse_rate_limits,
    rate_limit_from_mapping,
)


def rule(**fields: object) -> RateLimitRule:
    values: dict[str, object] = {
        "tool": "forum.post",
        "limit": 5,
        "period": timedelta(hours=1),
        "per": Scope.AGENT,
    }
    values.update(fields)
    return RateLimitRule(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("forum.post: 5/hour per agent", rule()),
        (
            "*: 600/minute per task",
            rule(tool="*", limit=600, period=timedelta(minutes=1), per="task"),
        ),
        (
            "repo.*: 20/10min per requester",
            rule(tool="repo.*", limit=20, period=timedelta(minutes=10), per="requester"),
        ),
        ("100/second per agent", rule(tool="*", limit=100, period=timedelta(seconds=1))),
        ("forum.post: 3/30s per tool", rule(limit=3, period=timedelta(seconds=30), per="tool")),
        ("forum.post: 3/2h per global", rule(limit=3, period=timedelta(hours=2), per="global")),
        ("forum.post: 5 / Hour  PER  Agent", rule()),
        ("forum.post: 5/day per agent burst 2", rule(period=timedelta(days=1), burst=2)),
        ("mcp:github/*: 5/hour per agent", rule(tool="mcp:github/*")),
    ],
)
def test_the_compact_form_reads_as_written(text: str, expected: RateLimitRule) -> None:
    assert parse_rate_limit(text) == expected


def test_a_rule_without_a_tool_covers_every_tool_and_its_id_is_its_text() -> None:
    parsed = parse_rate_limit("100/second per agent")
    assert parsed.tool == "*"
    assert parsed.id == "*: 100/second per agent"
    assert parse_rate_limit("forum.post: 5/hour per agent burst 5").id == (
        "forum.post: 5/hour per agent"
    )


def test_the_mapping_form_says_the_same() -> None:
    assert rate_limit_from_mapping({"tool": "forum.post", "limit": "5/hour", "per": "agent"}) == (
        rule()
    )
    assert rate_limit_from_mapping(
        {"tool": "forum.post", "limit": 5, "period": "hour", "per": "agent", "burst": 2}
    ) == rule(burst=2)
    assert rate_limit_from_mapping({"limit": "100/s", "per": "agent"}).tool == "*"
    assert rate_limit_from_mapping({"limit": "1/day", "per": "task", "id": "daily"}).id == "daily"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"tool": "forum.post", "limit": "5/hour"}, "'per'"),
        ({"tool": "forum.post", "per": "agent"}, "'limit'"),
        ({"limit": "5/hour", "per": "agent", "scope": "agent"}, "unknown rate limit keys"),
        ({"limit": 5, "per": "agent"}, "needs a 'period'"),
        ({"limit": "5/hour", "period": "hour", "per": "agent"}, "only with a numeric"),
        ({"limit": True, "period": "hour", "per": "agent"}, "neither"),
        ({"limit": "5/hour", "per": "team"}, "unknown scope 'team'"),
        ({"limit": "5/hour", "per": "agent", "burst": "2"}, "burst"),
        ({"limit": "5/hour", "per": "agent", "burst": 6}, "burst"),
        ({"limit": "5/hour", "per": "agent", "tool": "forum post"}, "tool pattern"),
        ({"limit": "5/hour", "per": "agent", "id": 3}, "id"),
    ],
)
def test_a_bad_mapping_is_refused_naming_what_is_wrong(data: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidInput) as error:
        rate_limit_from_mapping(data)
    assert error.value.code == "invalid_rate_limit"
    assert named in error.value.message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("forum.post: five/hour per agent", "limit 'five' is not a whole number"),
        ("forum.post: 5/fortnight per agent", "unknown period unit 'fortnight'"),
        ("forum.post: 5/hour per team", "unknown scope 'team'"),
        ("forum.post: 5/hour", "missing 'per SCOPE'"),
        ("forum.post: 5 per agent", "LIMIT/PERIOD"),
        ("forum.post: 0/hour per agent", "between 1 and"),
        ("forum.post: 5/0min per agent", "zero"),
        ("forum.post: 5/2d per agent", "between 1 second and 1 day"),
        ("forum.post: 5/hour per agent please", "unexpected 'please'"),
        ("forum.post: 5/hour per agent burst many", "burst 'many'"),
        ("forum.post: 5/hour per agent burst 9", "burst"),
        (": 5/hour per agent", "nothing before ':'"),
        ("forum.post:", "nothing after the tool"),
        ("forum post: 5/hour per agent", "tool pattern 'forum post'"),
        ("   ", "a line of text"),
    ],
)
def test_junk_is_refused_naming_what_is_wrong(text: str, named: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_rate_limit(text)
    assert error.value.code == "invalid_rate_limit"
    assert named in error.value.message


@pytest.mark.parametrize(
    "fields",
    [
        {"limit": 0},
        {"limit": 1_000_001},
        {"limit": True},
        {"period": timedelta(milliseconds=500)},
        {"period": timedelta(seconds=1, milliseconds=500)},
        {"period": timedelta(days=1, seconds=1)},
        {"per": "team"},
        {"burst": 0},
        {"burst": 6},
        {"tool": ""},
        {"id": "bad\nid"},
    ],
)
def test_a_rule_out_of_range_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as error:
        rule(**fields)
    assert error.value.code == "invalid_rate_limit"


def test_a_list_of_declarations_names_the_bad_entry_and_refuses_repeats() -> None:
    rules = parse_rate_limits(["forum.post: 5/hour per agent", {"limit": "1/s", "per": "task"}])
    assert [r.tool for r in rules] == ["forum.post", "*"]
    with pytest.raises(InvalidInput, match=r"#2: .*unknown scope"):
        parse_rate_limits(["forum.post: 5/hour per agent", "1/s per nobody"])
    with pytest.raises(InvalidInput, match="#2 repeats #1"):
        parse_rate_limits(["forum.post: 5/hour per agent", "forum.post: 5/60min per agent"])


tool_patterns = st.from_regex(r"[A-Za-z0-9_*?][A-Za-z0-9_.:/*?-]{0,30}", fullmatch=True)
rules = st.builds(
    lambda tool, limit, seconds, per, data: RateLimitRule(
        tool=tool,
        limit=limit,
        period=timedelta(seconds=seconds),
        per=per,
        burst=data.draw(st.integers(1, limit)),
    ),
    tool_patterns,
    st.integers(1, 1_000_000),
    st.integers(1, 86_400),
    st.sampled_from(Scope),
    st.data(),
)


@given(rules)
def test_formatting_a_rule_and_parsing_it_back_gives_the_same_rule(original: RateLimitRule) -> None:
    text = format_rate_limit(original)
    assert parse_rate_limit(text) == original
    assert (
        rate_limit_from_mapping(
            {
                "tool": original.tool,
                "limit": f"{original.limit}/{text.split('/')[-1].split()[0]}",
                "per": original.per.value,
                "burst": original.allowance,
            }
        )
        == original
    )


junk_words = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(
    lambda word: word.strip() == word and " " not in word and "/" not in word and ":" not in word
)


@given(junk_words.filter(lambda w: not (w.isascii() and w.isdigit())))
def test_any_junk_limit_is_named(word: str) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        parse_rate_limit(f"forum.post: {word}/hour per agent")


@given(junk_words.filter(lambda w: w.lower() not in {s.value for s in Scope}))
def test_any_junk_scope_is_named(word: str) -> None:
    with pytest.raises(InvalidInput, match="scope"):
        parse_rate_limit(f"forum.post: 5/hour per {word}")


@given(st.text(max_size=60))
def test_arbitrary_text_parses_to_a_valid_rule_or_is_refused_with_our_code(text: str) -> None:
    refusal: InvalidInput | None = None
    try:
        parsed = parse_rate_limit(text)
    except InvalidInput as error:
        refusal = error
    if refusal is None:
        assert parse_rate_limit(format_rate_limit(parsed)) == parsed
    else:
        assert refusal.code == "invalid_rate_limit"
        assert refusal.message.startswith(("rate limit", "a rate limit"))
