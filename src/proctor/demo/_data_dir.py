"""The demo's data directory: fresh, with settings that let the forum agent's
permission spree trip its circuit breaker within a few calls."""

from __future__ import annotations

from pathlib import Path

from proctor.home import SETTINGS_FILE

#: The default breaker rules (docs/monitoring.md), with the permission burst tightened
#: from 8 changes a minute to 3.
DEMO_SETTINGS = """\
monitor:
  breakers:
    rules:
      - denials: {count: 5, within: 1m}
      - anomaly: {above: 0.9, calls: 5}
      - error_rate: {percent: 50, min_calls: 10, within: 5m}
      - action_burst: {action: modify_permissions, count: 3, within: 1m}
"""
#: What the settings change, in words (printed before the replays).
DEMO_SETTINGS_NOTE = (
    "settings: a circuit breaker trips on 3 permission changes within a minute "
    "(the default is 8); the other breaker rules are the defaults"
)


def prepare_data_dir(data_dir: Path) -> None:
    """Create ``data_dir`` if needed (it must be new or empty) and write the demo's
    settings into it, before a gateway opens it."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data_dir / SETTINGS_FILE).write_text(DEMO_SETTINGS, encoding="utf-8")
