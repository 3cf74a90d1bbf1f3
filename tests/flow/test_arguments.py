"""Argument-aware rules: the catalog declares which arguments policies may read and
their types; Cedar policies then judge them (an amount threshold on spend)."""

from __future__ import annotations

import pytest

from proctor.admin import Admin
from proctor.gateway import Gateway
from proctor.model import ActionClass, Agent, Capabilities, Label, Outcome, Tool
from proctor.policy import InvalidPolicies
from tests.conftest import ensure_person
from tests.flow.conftest import check, policy_ids, start_task

REFUND_LIMIT = """
@id("hold-large-refunds")
@outcome("approval")
@approver("agent_owner")
@reason("refunds above 1000 need the support team lead")
forbid (principal, action == Action::"spend", resource)
when { context.args has amount && context.args.amount > 1000 }
unless { context.approved };

@id("deny-refunds-in-unknown-currency")
@reason("refunds are paid in EUR or USD only")
forbid (principal, action == Action::"spend", resource)
when { context.args has currency && !(["EUR", "USD"].contains(context.args.currency)) };
"""

REFUND = Tool(
    "payments.refund",
    ActionClass.SPEND,
    Label.CONFIDENTIAL,
    targets=("account",),
    policy_arguments=(("amount", "long"), ("currency", "string")),
)


@pytest.fixture
def token(admin: Admin) -> str:
    ensure_person(admin, "dana", clearance=Label.CONFIDENTIAL)
    admin.put_agent(Agent("support", "Support bot", "support-team"), actor="t")
    admin.put_tool(REFUND, actor="t")
    admin.put_policy("refunds", REFUND_LIMIT, actor="t")
    caps = Capabilities(actions=frozenset({ActionClass.SPEND}))
    return start_task(admin, "support", caps, purpose="Refund order 1182")[1]


def refund(gateway: Gateway, token: str, amount: object, currency: str = "EUR") -> object:
    return check(
        gateway, token, "payments.refund", account="acct-1182", amount=amount, currency=currency
    )


def test_a_small_refund_runs(gateway: Gateway, token: str) -> None:
    decision = refund(gateway, token, 50)
    assert decision.outcome is Outcome.ALLOW, decision.explain()


def test_a_large_refund_waits_for_the_agents_owner(gateway: Gateway, token: str) -> None:
    decision = refund(gateway, token, 5000)
    assert decision.outcome is Outcome.REQUIRE_APPROVAL
    assert policy_ids(decision) == ["hold-large-refunds"]


def test_an_unknown_currency_is_denied(gateway: Gateway, token: str) -> None:
    decision = refund(gateway, token, 50, currency="BTC")
    assert decision.outcome is Outcome.DENY
    assert policy_ids(decision) == ["deny-refunds-in-unknown-currency"]


@pytest.mark.parametrize("amount", ["5000", 12.5, True, None, [5000], 2**70])
def test_an_argument_of_the_wrong_type_is_refused_not_skipped(
    gateway: Gateway, token: str, amount: object
) -> None:
    """A string "5000" must not slip past ``amount > 1000`` by failing to compare."""
    decision = refund(gateway, token, amount)
    assert decision.outcome is Outcome.DENY
    assert decision.code == "invalid_input"
    assert decision.reasons


def test_a_policy_over_an_undeclared_argument_is_refused(admin: Admin, token: str) -> None:
    text = 'forbid (principal, action, resource) when { context.args.iban == "x" };'
    with pytest.raises(InvalidPolicies):
        admin.put_policy("iban", text, actor="t")


def test_changing_a_declared_type_that_policies_use_is_refused(admin: Admin, token: str) -> None:
    changed = Tool(
        REFUND.name,
        REFUND.action_class,
        REFUND.label,
        policy_arguments=(("amount", "string"), ("currency", "string")),
    )
    with pytest.raises(InvalidPolicies) as raised:
        admin.put_tool(changed, actor="t")
    assert "refunds:" in str(raised.value)
    assert admin.runtime.inventory.snapshot.tools[REFUND.name].policy_arguments == (
        REFUND.policy_arguments
    )
