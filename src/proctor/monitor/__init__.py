"""Watching and stopping agents: the kill switch (rate limits and breakers come next)."""

from proctor.monitor._kill_switch import KillSwitch, SwitchState

__all__ = ["KillSwitch", "SwitchState"]
