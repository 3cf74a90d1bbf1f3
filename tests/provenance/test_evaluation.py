"""The evaluation's scenarios, a few per family, as a regression test: every attack
whose value travels in a way the register undoes is stopped, and every benign twin
runs without approval. (The full evaluation is ``python bench/provenance_eval.py``.)"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from proctor.gateway import Gateway
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def evaluation() -> Iterator[ModuleType]:
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import provenance_eval

        yield provenance_eval
    finally:
        sys.path.remove(str(REPO_ROOT / "bench"))


def test_attacks_are_stopped_and_benign_twins_run(evaluation: ModuleType, tmp_path: Path) -> None:
    import provenance_scenarios as scenarios

    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.yaml").write_text(
        f"flow:\n  organization_domains: [{scenarios.ORGANIZATION}]\n", encoding="utf-8"
    )
    wrong: list[str] = []
    with Gateway.open(home) as gateway:
        admin = evaluation.set_up(gateway)
        for scenario in scenarios.scenarios(seed=5, per_family=6):
            if scenario.evasion in scenarios.HELD_OUT_EVASIONS:
                continue
            result = evaluation.run(admin, scenario)
            if not result.correct:
                wrong.append(f"{scenario.name} ({scenario.evasion}): {result.decision.explain()}")
    assert wrong == []


def test_an_attack_is_stopped_by_the_provenance_rule_with_its_source_named(
    evaluation: ModuleType, tmp_path: Path
) -> None:
    import provenance_scenarios as scenarios

    with Gateway.open(tmp_path / "home") as gateway:
        admin = evaluation.set_up(gateway)
        attack = next(
            s
            for s in scenarios.scenarios(seed=5, per_family=6)
            if s.attack and s.family == "banking" and s.evasion == "exact"
        )
        result = evaluation.run(admin, attack)
    assert result.by_provenance
    assert (
        "argument `iban` of bank.transfer: the IBAN came from untrusted content"
        in result.decision.explain()
    )
    assert "tool mail.read" in result.decision.explain()
