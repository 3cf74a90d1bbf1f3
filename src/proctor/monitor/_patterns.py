"""A loop: a run of calls of one tool repeating recent calls, made fast.

Measured in bits of surprise (``-log2`` of a probability under the agent's own
behaviour) and turned into a score component by :mod:`._scoring`: how surprising is
the run's timing even for a benign burst of that tool, and how surprising is it that
the tool's calls repeat like that, given how often this agent's calls of this tool
repeat a recent call (polling and retries do)?
"""

from __future__ import annotations

import math

from proctor.monitor._profile import MIN_SPAN_S, AgentProfile
from proctor.monitor._stats import poisson_tail_bits

_LN2 = math.log(2.0)
#: Retries in one run of repeats that cost nothing: agents retry a denied or failed
#: call a few times; beyond that, retrying is hammering and is paid like any repeat.
FREE_RETRIES = 3


def loop_bits(
    profile: AgentProfile,
    tool: str,
    retry: bool,
    at: float,
    reference: float,
    allowance: float,
    floor: float,
) -> float:
    """Bits of surprise of the run of repeated calls of ``tool`` that this call (a
    repeat of a recent call) extends; 0 when there is no run to judge or its bits
    cannot pass ``floor``.

    The run's timing is judged like a burst of the tool (the better of the agent's
    normal rate and a benign burst of up to ``allowance`` times it that focused on
    this tool); its repetition by the tool's own odds: a first repeat, then each
    further repeat in a row. A retry (``retry``: the call repeated was denied or
    failed) costs nothing, for up to :data:`FREE_RETRIES` retries in a run.
    """
    times = profile.tool_times.get(tool)
    weight = profile.tools.get(tool)
    if not times or weight is None:
        return 0.0
    first, again, run, retries = profile.repeat_odds(tool)
    # The calls judged: this one and the run's last calls whose times are kept.
    events = run + 1 if run + 1 < len(times) else len(times)
    whole = run + 1 <= len(times)  # the run's first call is among them
    repeats = run + 1 if whole else events
    paid = repeats - min(retries + retry, FREE_RETRIES, repeats)
    if paid <= 0:
        return 0.0
    if whole:
        repetition = -math.log2(first) - (paid - 1) * math.log2(again)
    else:
        repetition = -paid * math.log2(again)
    span = at - times[-events]
    span = span if span > MIN_SPAN_S else MIN_SPAN_S
    share = profile.share(weight)
    focus = -math.log2(share)
    mean = allowance * reference * span
    # P(N >= m) >= P(N = m): a cheap upper bound on the benign burst's bits.
    bound = (mean - events * math.log(mean) + math.lgamma(events + 1)) / _LN2
    if bound + focus + repetition <= floor:
        return 0.0
    burst = poisson_tail_bits(events, mean) + focus
    if burst + repetition <= floor:
        return 0.0
    return min(burst, poisson_tail_bits(events, reference * share * span)) + repetition


def loop_phrase(profile: AgentProfile, tool: str, at: float) -> str:
    """The reason a loop gives: its calls, their span, how often the tool repeats."""
    times = profile.tool_times[tool]
    first, _, run, _ = profile.repeat_odds(tool)
    events = run + 1 if run + 1 < len(times) else len(times)
    span = max(at - times[-events], MIN_SPAN_S)
    repeats = min(run + 1, events)
    return (
        f"{events + 1} calls of {tool} in {span:.0f} s, {repeats} repeating recent calls "
        f"(it repeats {first:.0%} of the time)"
    )
