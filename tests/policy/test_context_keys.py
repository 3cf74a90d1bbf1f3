"""Only the context attributes (and fields of them) loaded policies read go to Cedar;
any use of ``context`` that is not a plain attribute read sends them all (never fewer
than a policy needs)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from proctor.policy import default_documents
from proctor.policy._facts import _pruned, context_keys

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


@given(st.lists(st.tuples(NAMES, st.sampled_from(["dot", "has", "index"])), max_size=8))
def test_every_plain_read_is_found(uses: list[tuple[str, str]]) -> None:
    forms = {"dot": "context.{}.x == 1", "has": "context has {}", "index": 'context["{}"]'}
    text = " && ".join(forms[form].format(name) for name, form in uses) or "true"
    shape = context_keys([f"permit (principal, action, resource) when {{ {text} }};"])
    assert shape is not None
    assert set(shape) == {name for name, _ in uses}


FIELD_FORMS = {
    "dot": "context.{}.{} == 1",
    "has": "context.{} has {}",
    "index": 'context["{}"]["{}"] == 1',
    "mixed": 'context.{}["{}"] == 1',
}


@given(st.lists(st.tuples(NAMES, NAMES, st.sampled_from(sorted(FIELD_FORMS))), max_size=8))
def test_every_field_read_is_kept(uses: list[tuple[str, str, str]]) -> None:
    text = " && ".join(FIELD_FORMS[form].format(a, b) for a, b, form in uses) or "true"
    shape = context_keys([f"permit (principal, action, resource) when {{ {text} }};"])
    assert shape is not None
    for attribute, field_name, _ in uses:
        read = shape[attribute]
        assert read is not None
        assert field_name in read


@given(NAMES, NAMES)
def test_a_record_read_whole_anywhere_is_sent_whole(attribute: str, field_name: str) -> None:
    texts = [
        f"permit (principal, action, resource) when {{ context.{attribute}.{field_name} }};",
        f"forbid (principal, action, resource) when {{ context.{attribute} == {{}} }};",
    ]
    for order in (texts, texts[::-1]):
        assert context_keys(order) == {attribute: None}


def test_pruning_keeps_what_is_read_and_drops_the_rest() -> None:
    shape = context_keys(
        [
            "permit (principal, action, resource) when { context.task.grants_tool };",
            'forbid (principal, action, resource) when { context has session && context["call"] };',
        ]
    )
    assert shape is not None
    context = {
        "task": {"grants_tool": True, "purpose": "long text"},
        "session": {"label": "secret"},
        "call": {"audience": "public", "widens_access": False},
        "monitor": {"anomaly_score": 0.5},
    }
    assert _pruned(context, shape) == {
        "task": {"grants_tool": True},
        "session": {},
        "call": {"audience": "public", "widens_access": False},
    }


@given(st.sampled_from(["context == {}", "context", "(context).a", "context .. a"]))
def test_a_use_it_does_not_recognise_sends_everything(use: str) -> None:
    assert context_keys(["permit (principal, action, resource) when { context.a };", use]) is None


def test_the_default_policies_leave_out_what_they_do_not_read() -> None:
    keys = context_keys(document.text for document in default_documents())
    assert keys is not None
    assert "monitor" not in keys
    assert {"task", "approved", "session"} <= set(keys)
    task_fields = keys["task"]
    # The task's id and requester are for reasons (rendered by Proctor), not conditions.
    assert task_fields is not None
    assert "grants_action" in task_fields
    assert "id" not in task_fields
    assert "requester" not in task_fields
