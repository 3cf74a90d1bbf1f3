"""Only the context attributes loaded policies read go to Cedar; any use of ``context``
that is not a plain attribute read sends them all (never fewer than a policy needs)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from proctor.policy import default_documents
from proctor.policy._facts import context_keys

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


@given(st.lists(st.tuples(NAMES, st.sampled_from(["dot", "has", "index"])), max_size=8))
def test_every_plain_read_is_found(uses: list[tuple[str, str]]) -> None:
    forms = {"dot": "context.{}.x == 1", "has": "context has {}", "index": 'context["{}"]'}
    text = " && ".join(forms[form].format(name) for name, form in uses) or "true"
    assert context_keys([f"permit (principal, action, resource) when {{ {text} }};"]) == {
        name for name, _ in uses
    }


@given(st.sampled_from(["context == {}", "context", "(context).a", "context .. a"]))
def test_a_use_it_does_not_recognise_sends_everything(use: str) -> None:
    assert context_keys(["permit (principal, action, resource) when { context.a };", use]) is None


def test_the_default_policies_leave_out_what_they_do_not_read() -> None:
    keys = context_keys(document.text for document in default_documents())
    assert keys is not None
    assert "monitor" not in keys
    assert {"task", "approved", "session"} <= keys
