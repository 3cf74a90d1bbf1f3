"""Property: no sequence of exchanges ever yields more than the root grant, or longer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from proctor.errors import Forbidden, InvalidInput
from proctor.identity import SigningKeys, TokenService, narrowing_refusal
from proctor.model import ActionClass, Capabilities
from proctor.store import Database
from tests.identity.conftest import ISSUER

PATTERNS = [
    "*", "files.*", "files.read", "files.write", "files.r*", "files.?ead", "mail.*",
    "mail.send", "db.query", "db.*", "search",
]  # fmt: skip
#: Literal names to probe grants with: every one a pattern above could match, and others.
NAMES = [
    "files.read", "files.write", "files.rm", "files.xead", "files.", "mail.send",
    "mail.read", "db.query", "db.drop", "search", "searches", "other", "files.read.all",
]  # fmt: skip
AGENTS = [f"agent-{n}" for n in range(6)]

capabilities = st.builds(
    Capabilities,
    actions=st.frozensets(st.sampled_from(list(ActionClass))),
    tools=st.lists(st.sampled_from(PATTERNS), max_size=4, unique=True).map(tuple),
)
step = st.tuples(
    st.integers(min_value=0, max_value=10),  # which earlier token to exchange
    st.sampled_from(AGENTS),
    st.one_of(st.none(), capabilities),
    st.one_of(st.none(), st.integers(min_value=1, max_value=3 * 3600).map(
        lambda s: timedelta(seconds=s)
    )),
)  # fmt: skip


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenService]:
    path: Path = tmp_path_factory.mktemp("properties") / "s.db"
    database = Database.open(path)
    yield TokenService(database, SigningKeys(database), issuer=ISSUER)
    database.dispose()


def within(granted: Capabilities, held: Capabilities) -> bool:
    """``held`` grants nothing ``granted`` does not, judged by behaviour on real names."""
    if not held.actions <= granted.actions:
        return False
    return all(granted.grants_tool(name) for name in NAMES if held.grants_tool(name))


@settings(max_examples=150, deadline=None)
@given(root_caps=capabilities, steps=st.lists(step, max_size=8))
def test_exchanges_never_widen_or_extend_the_root_grant(
    service: TokenService, root_caps: Capabilities, steps: list[tuple[int, str, object, object]]
) -> None:
    root = service.issue(
        agent_id=AGENTS[0], task_id="task_p", requester="alice", capabilities=root_caps,
        ttl=timedelta(hours=1),
    )  # fmt: skip
    tokens = [root]
    for pick, target, wanted, ttl in steps:
        subject = tokens[pick % len(tokens)]
        try:
            child = service.exchange(
                subject.token,
                to_agent_id=target,
                capabilities=wanted,
                ttl=ttl,  # type: ignore[arg-type]
            )
        except (Forbidden, InvalidInput) as refused:
            event(f"refused: {getattr(refused, 'code', 'invalid_input')}")
            continue
        event(f"delegated at depth {len(tokens)}")
        held = service.verify(child.token)
        assert within(root_caps, held.capabilities)
        assert within(subject.claims.capabilities, held.capabilities)
        assert held.expires_at <= root.claims.expires_at
        assert held.expires_at <= subject.claims.expires_at
        assert held.chain[: len(subject.claims.chain)] == subject.claims.chain
        assert held.task_id == "task_p"
        assert held.requester == "alice"
        tokens.append(child)


@given(granted=capabilities, requested=capabilities)
def test_the_narrowing_rule_accepts_only_what_it_can_prove(
    granted: Capabilities, requested: Capabilities
) -> None:
    if narrowing_refusal(granted, requested) is None:
        assert within(granted, requested)


@given(granted=capabilities)
def test_a_grant_is_always_within_itself(granted: Capabilities) -> None:
    assert narrowing_refusal(granted, granted) is None
