"""``proctor demo``: play the incident replays, one after another, in one fresh data
directory, then verify the audit log."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from proctor.demo._data_dir import DEMO_SETTINGS_NOTE, prepare_data_dir
from proctor.demo._forum import FORUM
from proctor.demo._freeze import CODE_FREEZE
from proctor.demo._mailbox import MAILBOX
from proctor.demo._play import play
from proctor.demo._story import Scenario
from proctor.demo._timeline import Timeline
from proctor.demo._toxic_flow import TOXIC_FLOW
from proctor.gateway import Gateway
from proctor.model import Outcome

#: Every replay, in the order ``proctor demo`` plays them.
SCENARIOS: tuple[Scenario, ...] = (FORUM, MAILBOX, TOXIC_FLOW, CODE_FREEZE)


def scenario_names() -> tuple[str, ...]:
    return tuple(scenario.name for scenario in SCENARIOS)


def run_demo(
    data_dir: Path | None, console: Console, scenarios: Sequence[str] | None = None
) -> int:
    """Play the replays named in ``scenarios`` (all of them when None), in that order,
    in a fresh data directory (None: a new temporary one, made once the scenarios are
    known to exist).

    Returns 0 when every step decided as expected and the audit log verifies, 1 when
    not, and 2 when nothing was played (an unknown scenario, a data directory that is
    not empty).
    """
    chosen = _choose(scenarios, console)
    if chosen is None:
        return 2
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="proctor-demo-"))
    # Anything already there (a store, or settings pointing at a shared database) may
    # be a real deployment: the demo's agents and decisions must never land in its log.
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        where = escape(str(data_dir))
        console.print(f"[red]{where} is not empty; the demo needs a fresh data directory")
        return 2
    console.print(f"data directory: {escape(str(data_dir))}", highlight=False)
    prepare_data_dir(data_dir)
    console.print(DEMO_SETTINGS_NOTE, highlight=False)
    timeline = Timeline(console)
    surprises: list[str] = []
    outcomes: Counter[Outcome] = Counter()
    summaries: list[str] = []
    with Gateway.open(data_dir) as gateway:
        for number, scenario in enumerate(chosen, start=1):
            timeline.header(number, len(chosen), scenario)
            replay = play(gateway, scenario, timeline)
            outcomes.update(replay.outcomes)
            surprises.extend(replay.surprises)
            verdict = "as expected" if not replay.surprises else "[red]NOT as expected[/red]"
            summaries.append(
                f"  {escape(scenario.name)}: {len(replay.played)} decisions "
                f"({_counts(replay.outcomes)}), {verdict}"
            )
        report = gateway.runtime.audit.verify()
    console.print()
    console.rule("[bold]summary[/bold]")
    for line in summaries:
        console.print(line, highlight=False)
    console.print(f"decisions: {outcomes.total()} ({_counts(outcomes)})", highlight=False)
    for surprise in surprises:
        console.print(f"[red]UNEXPECTED[/red] {escape(surprise)}", highlight=False)
    if report.ok:
        console.print(f"audit verify: OK ({report.entries} entries)", highlight=False)
    else:
        console.print(f"[red]audit verify: FAILED[/red] {escape(str(report))}", highlight=False)
    return 0 if report.ok and not surprises else 1


def _choose(names: Sequence[str] | None, console: Console) -> tuple[Scenario, ...] | None:
    """The scenarios named (each once, in the order given), or None after saying which
    name is unknown."""
    if not names:
        return SCENARIOS
    known = {scenario.name: scenario for scenario in SCENARIOS}
    unknown = [name for name in names if name not in known]
    if unknown:
        console.print(
            f"[red]no scenario named {escape(', '.join(unknown))}[/red]; "
            f"choose from {', '.join(known)}",
            highlight=False,
        )
        return None
    return tuple(known[name] for name in dict.fromkeys(names))


def _counts(outcomes: Counter[Outcome]) -> str:
    return ", ".join(f"{o.value} {outcomes[o]}" for o in Outcome if outcomes[o])
