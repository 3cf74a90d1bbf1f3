# ruff: noqa: RUF001, RUF003 - the look-alike characters are what these tests are about.
"""One spelling per value: normalization per kind, and that it is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proctor.provenance import ValueKind, normalize
from proctor.provenance._fold import fold
from proctor.provenance._normalize import identifier_of_folded


@pytest.mark.parametrize(
    ("kind", "spellings", "canonical"),
    [
        (
            ValueKind.EMAIL,
            [
                "Attacker@Evil-Corp.COM",
                " attacker@evil-corp.com. ",
                "mailto:attacker@evil-corp.com",
                "<attacker@EVIL-CORP.com>",
                "attacker@evil-corp.com.",
            ],
            "attacker@evil-corp.com",
        ),
        (
            ValueKind.URL,
            [
                "https://evil-corp.com/pay/",
                "http://www.evil-corp.com/pay",
                "HTTPS://EVIL-CORP.COM:443/pay#now",
                "https://evil-corp.com/%70%61%79",
                "https://evil-corp.com/%2570ay",
                "https://evil-corp.com//pay/./",
                "https://trusted.example@evil-corp.com/pay",
                "evil-corp.com/x/../pay",
            ],
            "evil-corp.com/pay",
        ),
        (ValueKind.URL, ["https://evil-corp.com:8443/"], "evil-corp.com:8443"),
        (
            ValueKind.DOMAIN,
            ["WWW.Evil-Corp.com.", "evil-corp.com", "www.www.evil-corp.com"],
            "evil-corp.com",
        ),
        (ValueKind.DOMAIN, ["xn--bcher-kva.example", "BÜCHER.example"], "bücher.example"),
        (
            ValueKind.IBAN,
            [
                "DE89 3704 0044 0532 0130 00",
                "de89370400440532013000",
                "DE89-3704-0044-0532-0130-00",
            ],
            "de89370400440532013000",
        ),
        (ValueKind.ACCOUNT, ["1234 5678 90", "1234-5678-90", "1234.5678.90"], "1234567890"),
        (
            ValueKind.PHONE,
            ["+49 30 1234567", "0049 (30) 123-4567", "+49 (0)30 1234567", "tel:+49301234567"],
            "49301234567",
        ),
        (
            ValueKind.PATH,
            ["/etc/passwd", "//etc//passwd/", "/etc/./ssh/../passwd", "file:///etc/passwd"],
            "/etc/passwd",
        ),
        (
            ValueKind.PATH,
            ["C:\\Users\\Bob\\Secret.txt", "c:/users/bob/secret.txt"],
            "c:/users/bob/secret.txt",
        ),
        (ValueKind.USER, ["@Alice", "user:alice", "alice", " ALICE "], "alice"),
        (ValueKind.GROUP, ["group:eng-all", "@eng-all", "Eng-All"], "eng-all"),
        (
            ValueKind.AMOUNT,
            ["1,250.00 EUR", "€ 1.250,00", "1250", "EUR 1250.0", "1 250,00 €", "$1,250"],
            "1250",
        ),
        (ValueKind.AMOUNT, ["12.50 EUR", "12,5", "€12.50"], "12.5"),
        (
            ValueKind.IDENTIFIER,
            ["`INV-2024-0042`", "inv-2024-0042", '"INV-2024-0042"'],
            "inv-2024-0042",
        ),
        (ValueKind.TEXT, ["Hello,   World!", "hello world", "HELLO\nworld."], "hello world"),
    ],
)
def test_every_spelling_of_a_value_normalizes_the_same(
    kind: ValueKind, spellings: list[str], canonical: str
) -> None:
    assert {normalize(kind, spelling) for spelling in spellings} == {canonical}


def test_folding_removes_invisible_and_maps_look_alikes() -> None:
    spoofed = "\u0430tt\u0430cker@\u0435vil-c\u043erp.com"  # Cyrillic а, е, о
    hidden = "att\u200backer@evil\u200d-corp\u2060.com\u202e"
    wide = "ａｔｔａｃｋｅｒ＠ｅｖｉｌ－ｃｏｒｐ．ｃｏｍ"
    for spelling in (spoofed, hidden, wide):
        assert normalize(ValueKind.EMAIL, spelling) == "attacker@evil-corp.com"


def test_non_ascii_digits_fold_to_ascii() -> None:
    assert normalize(ValueKind.ACCOUNT, "١٢٣٤٥٦٧٨") == "12345678"


_SAMPLES = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[A-Za-z0-9._%+-]{1,12}@[A-Za-z0-9-]{1,10}\.[a-z]{2,4}", fullmatch=True),
    st.from_regex(
        r"(https?://)?(www\.)?[a-z0-9-]{1,10}\.[a-z]{2,3}(/[%a-zA-Z0-9._~-]{0,8}){0,3}/?",
        fullmatch=True,
    ),
    st.from_regex(r"[+0(]{0,2}[0-9 ()./-]{4,20}", fullmatch=True),
    st.from_regex(
        r"[$€]? ?-?[0-9]{1,4}([.,' ][0-9]{3})*([.,][0-9]{1,3})? ?(EUR|usd)?", fullmatch=True
    ),
    st.from_regex(r"[~./\\]{0,3}([A-Za-z0-9.]{0,5}[/\\]){0,4}", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(list(ValueKind)), text=_SAMPLES)
def test_normalization_is_idempotent_for_every_kind(kind: ValueKind, text: str) -> None:
    once = normalize(kind, text)
    assert normalize(kind, once) == once


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_the_identifier_shortcut_for_folded_text_agrees_with_normalize(text: str) -> None:
    folded = fold(text)
    assert identifier_of_folded(folded) == normalize(ValueKind.IDENTIFIER, folded)
