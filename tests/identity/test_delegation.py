"""Token exchange: each hop is recorded and can only narrow what it received."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proctor.errors import Forbidden, InvalidInput, Unauthorized
from proctor.identity import TokenService
from proctor.model import ActionClass, AgentStatus, Capabilities
from tests.identity.conftest import ISSUER, READ_FILES, Setup, segments

READ = frozenset({ActionClass.READ})


def refused(setup: Setup, token: str, code: str, **options: object) -> None:
    options.setdefault("to_agent_id", "agent-b")
    with pytest.raises(Forbidden) as raised:
        setup.service.exchange(token, **options)  # type: ignore[arg-type]
    assert raised.value.code == code, raised.value.message


def test_exchange_hands_the_task_to_another_agent(setup: Setup) -> None:
    root = setup.issue()
    child = setup.service.exchange(
        root, to_agent_id="agent-b", capabilities=Capabilities(READ, ("files.read",))
    )
    credential = setup.service.verify(child.token)
    parent = setup.service.verify(root)
    assert credential.agent_id == "agent-b"
    assert credential.task_id == parent.task_id
    assert credential.requester == parent.requester
    assert credential.chain == ("alice", "agent-a", "agent-b")
    assert credential.parent_jti == parent.jti
    assert credential.depth == 1
    assert credential.capabilities == Capabilities(READ, ("files.read",))


def test_act_claim_nests_the_latest_delegator_outermost(setup: Setup) -> None:
    """RFC 8693 §4.1: the outermost act is the current actor, nested ones came before."""
    b = setup.service.exchange(setup.issue(), to_agent_id="agent-b").token
    c = setup.service.exchange(b, to_agent_id="agent-c").token
    _, claims, _ = segments(c)
    assert claims["sub"] == "agent-c"
    assert claims["act"] == {"sub": "agent-b", "act": {"sub": "agent-a"}}
    assert [link["sub"] for link in claims["ancestors"]] == ["agent-a", "agent-b"]
    assert setup.service.verify(c).chain == ("alice", "agent-a", "agent-b", "agent-c")


def test_exchange_without_capabilities_keeps_the_subjects(setup: Setup) -> None:
    child = setup.service.exchange(setup.issue(), to_agent_id="agent-b")
    assert child.claims.capabilities == READ_FILES


def test_default_lifetime_is_clamped_to_the_subjects_expiry(setup: Setup) -> None:
    root = setup.issue(ttl=timedelta(minutes=2))
    child = setup.service.exchange(root, to_agent_id="agent-b")
    assert child.claims.expires_at == setup.service.verify(root).expires_at


def test_the_right_to_deliver_is_inherited_and_can_be_withheld(setup: Setup) -> None:
    root = setup.issue(may_deliver=True)
    assert setup.service.verify(root).may_deliver
    inherited = setup.service.exchange(root, to_agent_id="agent-b")
    assert inherited.claims.may_deliver
    withheld = setup.service.exchange(root, to_agent_id="agent-c", may_deliver=False)
    assert not setup.service.verify(withheld.token).may_deliver


def test_the_right_to_deliver_cannot_be_granted_by_a_delegator_without_it(
    setup: Setup,
) -> None:
    root = setup.issue()
    assert not setup.service.verify(root).may_deliver
    refused(setup, root, "delegation_widens_capabilities", may_deliver=True)
    narrowed = setup.service.exchange(
        setup.issue(may_deliver=True), to_agent_id="agent-b", may_deliver=False
    ).token
    refused(
        setup, narrowed, "delegation_widens_capabilities", to_agent_id="agent-c", may_deliver=True
    )


def test_identical_and_literal_patterns_are_narrower(setup: Setup) -> None:
    wanted = Capabilities(READ, ("files.*", "files.read", "search"))
    child = setup.service.exchange(setup.issue(), to_agent_id="agent-b", capabilities=wanted)
    assert child.claims.capabilities == wanted


def test_empty_capabilities_are_narrower(setup: Setup) -> None:
    child = setup.service.exchange(
        setup.issue(), to_agent_id="agent-b", capabilities=Capabilities()
    )
    assert child.claims.capabilities.describe() == "nothing"


def test_extra_action_class_widens(setup: Setup) -> None:
    wanted = Capabilities(frozenset({ActionClass.READ, ActionClass.PUBLISH}), ())
    refused(setup, setup.issue(), "delegation_widens_capabilities", capabilities=wanted)


@pytest.mark.parametrize("pattern", ["*", "files.*.*", "mail.send", "files.r*", "search*", "?"])
def test_pattern_not_provably_covered_widens(setup: Setup, pattern: str) -> None:
    """``files.r*`` is narrower than ``files.*`` in fact, but only identity or a literal
    name is accepted as proof."""
    wanted = Capabilities(READ, (pattern,))
    refused(setup, setup.issue(), "delegation_widens_capabilities", capabilities=wanted)


def test_later_expiry_than_the_subject_is_refused(setup: Setup) -> None:
    root = setup.issue(ttl=timedelta(minutes=5))
    refused(setup, root, "delegation_extends_expiry", ttl=timedelta(minutes=6))


def test_lifetime_over_the_maximum_is_refused_in_exchange(setup: Setup) -> None:
    with pytest.raises(InvalidInput) as raised:
        setup.service.exchange(setup.issue(), to_agent_id="agent-b", ttl=timedelta(days=2))
    assert raised.value.code == "token_ttl_invalid"


def test_fifth_hop_is_too_deep(setup: Setup) -> None:
    token = setup.issue(agent_id="agent-0")
    for hop in range(1, 5):
        token = setup.service.exchange(token, to_agent_id=f"agent-{hop}").token
    assert setup.service.verify(token).depth == 4
    refused(setup, token, "delegation_too_deep", to_agent_id="agent-5")


def test_max_depth_is_chosen_per_exchange(setup: Setup) -> None:
    refused(setup, setup.issue(), "delegation_too_deep", max_depth=0)


def test_max_depth_above_the_hard_limit_is_refused(setup: Setup) -> None:
    with pytest.raises(InvalidInput):
        setup.service.exchange(setup.issue(), to_agent_id="agent-b", max_depth=9)


def test_delegation_to_self_is_refused(setup: Setup) -> None:
    refused(setup, setup.issue(), "delegation_to_self", to_agent_id="agent-a")


def test_delegation_back_up_the_chain_is_refused(setup: Setup) -> None:
    b = setup.service.exchange(setup.issue(), to_agent_id="agent-b").token
    refused(setup, b, "delegation_cycle", to_agent_id="agent-a")


def test_delegation_to_unknown_or_inactive_agents_is_refused(setup: Setup) -> None:
    statuses = {"agent-a": AgentStatus.ACTIVE, "agent-s": AgentStatus.SUSPENDED}
    service = TokenService(
        setup.database,
        setup.keys,
        issuer=ISSUER,
        revocations=setup.revocations,
        agent_status=statuses.get,
        clock=setup.clock,
    )
    token = service.issue(agent_id="agent-a", task_id="t", requester="r", capabilities=READ_FILES)
    for target, code in [
        ("agent-ghost", "delegation_to_unknown_agent"),
        ("agent-s", "delegation_to_inactive_agent"),
    ]:
        with pytest.raises(Forbidden) as raised:
            service.exchange(token.token, to_agent_id=target)
        assert raised.value.code == code


def test_exchange_needs_a_valid_subject_token(setup: Setup) -> None:
    token = setup.issue(ttl=timedelta(minutes=1))
    setup.clock.advance(timedelta(minutes=2))
    with pytest.raises(Unauthorized) as raised:
        setup.service.exchange(token, to_agent_id="agent-b")
    assert raised.value.code == "token_expired"


def test_child_is_refused_once_its_parent_is_revoked(setup: Setup) -> None:
    root = setup.issue()
    child = setup.service.exchange(root, to_agent_id="agent-b").token
    grandchild = setup.service.exchange(child, to_agent_id="agent-c").token
    setup.service.revoke(setup.service.verify(root), "task cancelled", "alice")
    for token in (root, child, grandchild):
        with pytest.raises(Unauthorized) as raised:
            setup.service.verify(token)
        assert raised.value.code == "token_revoked"


def test_revoking_a_child_leaves_its_parent_valid(setup: Setup) -> None:
    root = setup.issue()
    child = setup.service.exchange(root, to_agent_id="agent-b").token
    setup.service.revoke(setup.service.verify(child), "misbehaving", "alice")
    assert setup.service.verify(root).agent_id == "agent-a"
    with pytest.raises(Unauthorized):
        setup.service.exchange(child, to_agent_id="agent-c")


def test_suspending_an_agent_kills_its_tokens_and_those_delegated_through_it(
    setup: Setup,
) -> None:
    a = setup.issue()
    b = setup.service.exchange(a, to_agent_id="agent-b").token
    c = setup.service.exchange(b, to_agent_id="agent-c").token
    setup.revocations.revoke_all_for_agent("agent-b", "suspended", "security-oncall")
    assert setup.service.verify(a).agent_id == "agent-a"
    for token in (b, c):
        with pytest.raises(Unauthorized) as raised:
            setup.service.verify(token)
        assert raised.value.code == "token_revoked"


def test_suspending_the_root_agent_cascades_to_every_hop(setup: Setup) -> None:
    a = setup.issue()
    b = setup.service.exchange(a, to_agent_id="agent-b").token
    setup.revocations.revoke_all_for_agent("agent-a", "suspended", "security-oncall")
    for token in (a, b):
        with pytest.raises(Unauthorized):
            setup.service.verify(token)


def test_tokens_issued_after_an_agent_revocation_work(setup: Setup) -> None:
    setup.revocations.revoke_all_for_agent("agent-a", "rotated", "ops")
    setup.clock.advance(timedelta(seconds=1))
    token = setup.issue()
    child = setup.service.exchange(token, to_agent_id="agent-b").token
    assert setup.service.verify(child).chain == ("alice", "agent-a", "agent-b")
