"""``proctor demo``: real incidents, replayed against a real gateway.

Each replay is a :class:`Scenario`: the people, the agent and its tools, the task it
was given, and the calls it made, each a real ``Gateway.check`` with the decision it
must get. ``proctor demo`` plays them one after another in one fresh data directory
and verifies the audit log; ``tests/incidents/`` plays each one alone and asserts
every step. A new safeguard is one more step; a new incident is one more module.
"""

from proctor.demo._data_dir import DEMO_SETTINGS, prepare_data_dir
from proctor.demo._forum import FORUM
from proctor.demo._freeze import CODE_FREEZE
from proctor.demo._mailbox import MAILBOX
from proctor.demo._play import Played, Replay, play
from proctor.demo._run import SCENARIOS, run_demo, scenario_names
from proctor.demo._story import AdminPolicy, Scenario, Step
from proctor.demo._timeline import Timeline
from proctor.demo._toxic_flow import TOXIC_FLOW

__all__ = [
    "CODE_FREEZE",
    "DEMO_SETTINGS",
    "FORUM",
    "MAILBOX",
    "SCENARIOS",
    "TOXIC_FLOW",
    "AdminPolicy",
    "Played",
    "Replay",
    "Scenario",
    "Step",
    "Timeline",
    "play",
    "prepare_data_dir",
    "run_demo",
    "scenario_names",
]
