"""From an agent's baseline and one call to its anomaly facts.

Each kind of evidence gives a component score in [0, 1]; the anomaly score combines
them as independent pieces of evidence (``1 - prod(1 - s)``), so two moderate signals
make a strong one. ``docs/monitoring.md`` lists the components and their weights.
"""

from __future__ import annotations

import math
from collections import deque

from proctor.model import Label
from proctor.monitor._facts import AnomalyFacts, build_facts
from proctor.monitor._patterns import loop_bits, loop_phrase
from proctor.monitor._profile import FRESH_CALLS, MIN_SPAN_S, RATE_SPANS, AgentProfile
from proctor.monitor._settings import BaselineSettings
from proctor.monitor._stats import MAD_TO_SIGMA, binomial_tail_bits, poisson_tail_bits, ramp

# Component weights: what one kind of evidence alone is worth.
NEW_TOOL = 0.7
NEW_TOOL_HIGH_RISK = 0.8
FRESH_TOOL = 0.45
RARE_HIGH_RISK = 0.6
#: A high-risk tool whose decayed count, outside calls learned dampened as anomalous,
#: is below this many calls is barely used.
RARE_CALLS = 0.5
NEW_ACTION = 0.8
NEW_ACTION_HIGH_RISK = 0.9
NOVELTY_BURST = 0.8
NEW_DELEGATE = 0.5
LABEL_ONE_STEP = 0.6
LABEL_TWO_STEPS = 0.8
TOOL_LABEL_TWO_STEPS = 0.6
RATE = 0.6
#: A send or publish after at least RAISED_BEFORE_SEND of the recent calls made
#: within RAISED_WINDOW_S touched data above the agent's normal label, or
#: RAISED_STEPS or more above their tool's usual one, is worth SEND_AFTER_RAISED.
RAISED_BEFORE_SEND = 3
RAISED_STEPS = 2
RAISED_WINDOW_S = 300.0
SEND_AFTER_RAISED = 0.7
#: A call touching such data when another call did within RAISED_AGAIN_WINDOW_S is
#: worth RAISED_AGAIN more: two unusual reads together are stronger evidence than one
#: (with a label component of 0.6 it makes 0.8).
RAISED_AGAIN = 0.5
RAISED_AGAIN_WINDOW_S = 120.0
_OUTWARD = frozenset({"send_external", "publish"})
RATE_Z = (4.0, 10.0)
BURST = 0.95
BURST_BITS = (8.0, 16.0)
DENY = 0.5
DENY_BITS = (10.0, 20.0)
#: How many times its normal rate a benign burst may reach: the burst test asks how
#: surprising the calls would be even then.
BURST_ALLOWANCE = 6.0
#: The rate z-score's sigma never goes below this (log units), so a metronome-steady
#: agent does not alert on a slightly early call.
MIN_RATE_SIGMA = 0.3

#: Pace evidence (a burst or a loop) carries to the agent's next call on the hot path
#: when that call comes within this many seconds.
PACE_HOLD_S = 60.0

#: A call's pace evidence: (its time, bits, phrase).
Pace = tuple[float, float, str]
#: What the hot path needs for an agent's next call (see :func:`ahead`): the time of
#: the latest learned call, the facts of a next call that is nothing new with and
#: without that call's rate and pace evidence, and those two sets of components.
Ahead = tuple[
    float,
    AnomalyFacts,
    AnomalyFacts,
    tuple[tuple[float, str], ...],
    tuple[tuple[float, str], ...],
]

_LABEL_NAMES = [str(label) for label in Label]
_LABEL_KEYS = [f"{label}-or-above data" for label in Label]
_NO_REASONS: tuple[str, ...] = ()


def prepare(most: int) -> None:
    """Extend the skip table to ``most`` events (a baseline keeping that many recent
    calls needs it); cheap, and done once per size."""
    while len(_SKIP) <= most:
        _SKIP.append(_expected_at(BURST_BITS[0], len(_SKIP)))


def _expected_at(bits: float, events: int) -> float:
    """The expected count above which ``events`` events carry fewer than ``bits`` of
    surprise, so that the exact tail need not be computed (rounded up: never skips
    a case that matters)."""
    low, high = 1e-9, float(events) + 50.0
    for _ in range(24):
        middle = math.sqrt(low * high)
        if poisson_tail_bits(events, middle) > bits:
            low = middle
        else:
            high = middle
    return high


_SKIP: list[float] = [0.0]
prepare(16)
_LGAMMA = [math.lgamma(m + 1) for m in range(66)]
_LN2 = math.log(2.0)


def judge(
    profile: AgentProfile,
    tool: str,
    action: str,
    high_risk: bool,
    label_rank: int,
    at: float,
    delegate: str | None,
    key: int | None,
    settings: BaselineSettings,
) -> AnomalyFacts:
    """The anomaly facts of one call about to be decided (reads only). ``action`` is
    the action class's value (or ``unclassified``), ``at`` epoch seconds, ``key`` the
    call's fingerprint if known."""
    return assess(profile, tool, action, high_risk, label_rank, at, delegate, key, settings)[0]


def assess(
    profile: AgentProfile,
    tool: str,
    action: str,
    high_risk: bool,
    label_rank: int,
    at: float,
    delegate: str | None,
    key: int | None,
    settings: BaselineSettings,
) -> tuple[AnomalyFacts, Pace | None]:
    """:func:`judge`, and the call's pace evidence (its burst or loop, in bits) for
    :func:`ahead` to carry to the agent's next call."""
    reference = profile.reference_rate(at, settings)
    ratios = profile.log_rate_ratios(at, reference)
    return assess_rated(
        profile, tool, action, high_risk, label_rank, at, delegate, key, settings, reference, ratios
    )


def assess_rated(
    profile: AgentProfile,
    tool: str,
    action: str,
    high_risk: bool,
    label_rank: int,
    at: float,
    delegate: str | None,
    key: int | None,
    settings: BaselineSettings,
    reference: float,
    ratios: list[float] | None,
) -> tuple[AnomalyFacts, Pace | None]:
    """:func:`assess` given the profile's reference rate at ``at`` and the call's log
    rate ratios (:meth:`AgentProfile.log_rate_ratios`), which learning reuses."""
    components: list[tuple[float, str]] = []
    z = _rate_zscore(profile, ratios)
    if z > RATE_Z[0]:
        phrase = f"call rate {z:.0f}σ above its baseline"  # noqa: RUF001
        components.append((RATE * ramp(z, *RATE_Z), phrase))
    pace = _pace(profile, tool, action, label_rank, at, reference, key)
    if pace is not None:
        components.append((BURST * ramp(pace[1], *BURST_BITS), pace[2]))
    deny_rate = _denials(profile, components)
    learning = profile.is_learning(at, settings)
    if learning:
        return _learning_facts(profile, settings, z, deny_rate, components, delegate), pace
    novelty = _novelty(profile, tool, action, high_risk, label_rank, at, delegate, components)
    return _learned_facts(z, deny_rate, components, *novelty), pace


def ahead(
    profile: AgentProfile, at: float, z: float, pace: Pace | None, settings: BaselineSettings
) -> Ahead:
    """What the hot path needs for the agent's next call, computed after learning the
    call made at ``at`` (its rate z-score ``z`` and pace ``pace``): the facts of a
    next call that is nothing new, with and without that evidence (it holds for
    :data:`PACE_HOLD_S`), and the evidence itself."""
    evidence: list[tuple[float, str]] = []
    if z > RATE_Z[0]:
        phrase = f"call rate {z:.0f}σ above its baseline"  # noqa: RUF001
        evidence.append((RATE * ramp(z, *RATE_Z), phrase))
    if pace is not None:
        evidence.append((BURST * ramp(pace[1], *BURST_BITS), pace[2]))
    calm: list[tuple[float, str]] = []
    deny_rate = _denials(profile, calm)
    learning = profile.is_learning(at, settings)
    quiet, quiet_components = _quiet(profile, settings, learning, deny_rate, calm)
    if not evidence:
        # The same facts as without the evidence, but for the rate z-score.
        held = build_facts(
            learning,
            learning,
            learning,
            learning,
            z,
            deny_rate,
            quiet.anomaly_score,
            quiet.reasons,
            False,
        )
        return at, held, quiet, quiet_components, quiet_components
    carried = evidence + calm
    if learning:
        held = _learning_facts(profile, settings, z, deny_rate, carried, None)
    else:
        held = _learned_facts(z, deny_rate, carried, False, False, False, False)
    return at, held, quiet, tuple(carried), quiet_components


def _quiet(
    profile: AgentProfile,
    settings: BaselineSettings,
    learning: bool,
    deny_rate: float,
    calm: list[tuple[float, str]],
) -> tuple[AnomalyFacts, tuple[tuple[float, str], ...]]:
    """The facts of a next call that is nothing new and carries no rate or pace
    evidence, with their components (``calm``: the denials')."""
    components = tuple(calm)
    if learning:
        return _learning_facts(profile, settings, 0.0, deny_rate, calm, None), components
    last = profile.ahead
    if (
        last is not None
        and not last[2].learning
        and last[4] == components
        and last[2].deny_rate == deny_rate
    ):
        # The same denials as after the previous call: the same facts (most calls).
        return last[2], last[4]
    return _learned_facts(0.0, deny_rate, calm, False, False, False, False), components


def screen(
    profile: AgentProfile,
    tool: str,
    action: str,
    high_risk: bool,
    label_rank: int,
    at: float,
    delegate: str | None,
    settings: BaselineSettings,
) -> AnomalyFacts:
    """The facts of a call as the hot path gives them (reads only, a few µs): novelty,
    labels and delegation judged for this call; the rate z-score, the burst or loop
    evidence and the denials as the monitor's learner computed them for the agent's
    latest call (the first two only while the call comes within :data:`PACE_HOLD_S`
    of it), so that no Poisson tail is computed here."""
    state = profile.ahead
    if state is None:  # no call learned yet
        return assess(profile, tool, action, high_risk, label_rank, at, delegate, None, settings)[0]
    held = 0.0 <= at - state[0] <= PACE_HOLD_S
    facts = state[1] if held else state[2]
    if facts.learning:
        if delegate is None:
            return facts
        return build_facts(
            True,
            facts.new_tool,
            facts.new_action_class,
            facts.label_escalation,
            facts.rate_zscore,
            facts.deny_rate,
            facts.anomaly_score,
            facts.reasons,
            True,
        )
    components = list(state[3] if held else state[4])
    count = len(components)
    novelty = _novelty(profile, tool, action, high_risk, label_rank, at, delegate, components)
    if len(components) == count and not any(novelty):
        return facts
    return _learned_facts(facts.rate_zscore, facts.deny_rate, components, *novelty)


def _denials(profile: AgentProfile, components: list[tuple[float, str]]) -> float:
    """The denial evidence among the recent calls (appended); returns their deny rate."""
    recent_n = len(profile.recent)
    denied = profile.denied_recent
    if denied >= 2:
        bits = binomial_tail_bits(denied, recent_n, max(profile.deny_share, 0.001))
        if bits > DENY_BITS[0]:
            usual = f"{profile.deny_share:.0%}"
            phrase = f"{denied} of its last {recent_n} calls denied (normally {usual})"
            components.append((DENY * ramp(bits, *DENY_BITS), phrase))
    return denied / recent_n if recent_n else 0.0


def _learning_facts(
    profile: AgentProfile,
    settings: BaselineSettings,
    z: float,
    deny_rate: float,
    components: list[tuple[float, str]],
    delegate: str | None,
) -> AnomalyFacts:
    phrase = f"learning: {profile.calls} calls seen, {settings.learning_calls} needed"
    return build_facts(
        True,
        True,
        True,
        True,
        z,
        deny_rate,
        max(settings.learning_floor, _combine(components)),
        (phrase, *_phrases(components)),
        delegate is not None,
    )


def _learned_facts(
    z: float,
    deny_rate: float,
    components: list[tuple[float, str]],
    new_tool: bool,
    new_action: bool,
    escalation: bool,
    new_delegate: bool,
) -> AnomalyFacts:
    return build_facts(
        False,
        new_tool,
        new_action,
        escalation,
        z,
        deny_rate,
        _combine(components),
        _phrases(components),
        new_delegate,
    )


def _pace(
    profile: AgentProfile,
    tool: str,
    action: str,
    label_rank: int,
    at: float,
    reference: float,
    key: int | None,
) -> Pace | None:
    """The strongest burst or loop this call makes: (at, bits, phrase), or None."""
    label_times = profile.label_times[label_rank] if label_rank else None
    # The weight of this label or above (only read with two or more such calls).
    above = sum(profile.labels[label_rank:]) if label_times and len(label_times) > 1 else 0.0
    burst = _burst(
        profile,
        at,
        reference,
        (
            ("all tools", profile.recent_times, -1.0),
            (tool, profile.tool_times.get(tool), profile.tools.get(tool, 0.0)),
            (action, profile.action_times.get(action), profile.actions.get(action, 0.0)),
            (_LABEL_KEYS[label_rank], label_times, above),
        ),
    )
    repeated = profile.repeated(tool, key)
    if repeated >= 0:
        floor = BURST_BITS[0] if burst is None else burst[0]
        loop = loop_bits(profile, tool, repeated > 0, at, reference, BURST_ALLOWANCE, floor)
        if loop > floor:
            burst = loop, loop_phrase(profile, tool, at)
    if burst is None:
        return None
    return at, burst[0], burst[1]


def _novelty(
    profile: AgentProfile,
    tool: str,
    action: str,
    high_risk: bool,
    label_rank: int,
    at: float,
    delegate: str | None,
    components: list[tuple[float, str]],
) -> tuple[bool, bool, bool, bool]:
    """What is new in this call for a learned agent (components appended): returns
    new tool, new action class, label escalation, new delegate."""
    new_tool = tool not in profile.tools
    new_action = action not in profile.actions
    new_delegate = delegate is not None and delegate not in profile.delegates
    fresh = False
    if not new_tool:
        first = profile.tool_first[tool]
        fresh = first >= profile.learned_call and profile.calls - first < FRESH_CALLS
    if new_action:
        weight = NEW_ACTION_HIGH_RISK if high_risk else NEW_ACTION
        components.append((weight, f"first use of action class {action}"))
    if new_tool:
        weight = NEW_TOOL_HIGH_RISK if high_risk else NEW_TOOL
        components.append((weight, f"first use of {tool}"))
    elif fresh:
        ago = profile.calls - profile.tool_first[tool]
        components.append((FRESH_TOOL, f"{tool} was first used {ago} calls ago"))
    elif high_risk and profile.tools[tool] - profile.tool_damped[tool] < RARE_CALLS * profile.inc:
        count = (profile.tools[tool] - profile.tool_damped[tool]) / profile.inc
        phrase = (
            f"{tool} is high-risk and barely used ({count:.1f} calls in its recent mix "
            "outside anomalous episodes)"
        )
        components.append((RARE_HIGH_RISK, phrase))
    if new_tool or new_action or fresh:
        novel = sum(1 for n in profile.novelties if profile.calls - n < FRESH_CALLS)
        novel += 1 if new_tool or new_action else 0
        if novel >= 2:
            components.append((NOVELTY_BURST, f"{novel} first uses within {FRESH_CALLS} calls"))
    normal_label = profile.normal_max_label()
    escalation = label_rank > normal_label
    if escalation:
        steps = label_rank - normal_label
        weight = LABEL_ONE_STEP if steps == 1 or normal_label < 0 else LABEL_TWO_STEPS
        usual = _LABEL_NAMES[normal_label] if normal_label >= 0 else "nothing"
        phrase = f"touches {_LABEL_NAMES[label_rank]} data; normally at most {usual}"
        components.append((weight, phrase))
    raised = escalation or _tool_label(components, profile, tool, label_rank)
    if raised:
        _raised_again(components, profile, at)
    if new_delegate:
        components.append((NEW_DELEGATE, f"first delegation to {delegate}"))
    if action in _OUTWARD:
        _after_raised_reads(components, profile, at)
    return new_tool, new_action, escalation, new_delegate


def _after_raised_reads(
    components: list[tuple[float, str]], profile: AgentProfile, at: float
) -> None:
    """A call sending data out after several recent calls touched data above what
    their tools usually touch (reading it together, then sending it out)."""
    raised = _raised_calls(profile, at, RAISED_WINDOW_S)
    if raised >= RAISED_BEFORE_SEND:
        phrase = (
            f"sends out after {raised} of its last {len(profile.recent)} calls touched data "
            "above its usual labels"
        )
        components.append((SEND_AFTER_RAISED, phrase))


def _raised_calls(profile: AgentProfile, at: float, window: float) -> int:
    """How many of the recent calls made within ``window`` seconds before ``at``
    touched data above the agent's normal label or :data:`RAISED_STEPS` or more above
    their tool's usual one (judged on the recent calls as they are kept, so a re-read
    counts too)."""
    raised = 0
    normal = profile.normal_max_label()
    for when, tool, _, rank, _ in reversed(profile.recent):
        if at - when > window:
            break  # older calls are older still
        if rank <= normal and rank < RAISED_STEPS:
            continue  # neither above its normal nor two above any tool's usual
        if rank > normal or rank - profile.tool_label(tool) >= RAISED_STEPS:
            raised += 1
    return raised


def _raised_again(components: list[tuple[float, str]], profile: AgentProfile, at: float) -> None:
    """A call touching unusually sensitive data shortly after another one did."""
    before = _raised_calls(profile, at, RAISED_AGAIN_WINDOW_S)
    if before:
        phrase = (
            f"{before + 1} calls within {RAISED_AGAIN_WINDOW_S:.0f} s touched data above "
            "its usual labels"
        )
        components.append((RAISED_AGAIN, phrase))


def _tool_label(
    components: list[tuple[float, str]], profile: AgentProfile, tool: str, label_rank: int
) -> bool:
    """Data two or more labels above what the tool usually touches (within what the
    agent normally touches through its other tools); returns whether it is."""
    if label_rank < 2:
        return False
    usual = profile.tool_label(tool)
    if usual >= 0 and label_rank - usual >= 2:
        phrase = (
            f"touches {_LABEL_NAMES[label_rank]} data through {tool}, which usually "
            f"touches at most {_LABEL_NAMES[usual]}"
        )
        components.append((TOOL_LABEL_TWO_STEPS, phrase))
        return True
    return False


def _rate_zscore(profile: AgentProfile, ratios: list[float] | None) -> float:
    """The larger of the short-horizon rates' robust z-scores (0 before any call), from
    the call's log rate ratios."""
    if ratios is None:
        return 0.0
    means, deviations = profile.rate_mean, profile.rate_dev
    z = -math.inf
    for i in range(len(RATE_SPANS)):
        sigma = MAD_TO_SIGMA * deviations[i]
        zi = (ratios[i] - means[i]) / (sigma if sigma > MIN_RATE_SIGMA else MIN_RATE_SIGMA)
        if zi > z:
            z = zi
    return z


def _burst(
    profile: AgentProfile,
    at: float,
    reference: float,
    keys: tuple[tuple[str, deque[float] | None, float], ...],
) -> tuple[float, str] | None:
    """The strongest burst among ``keys`` (all calls, this tool, this action class,
    this label or above), in bits with its phrase, or None below the burst ramp.

    For the last j calls of a key, the surprise is the smaller of two explanations:
    the agent's normal rate and mix (j events when ``reference * share * span`` were
    expected), or a benign burst of up to :data:`BURST_ALLOWANCE` times the normal
    rate that happened to focus on this key (``log2(1/share)`` extra bits).
    """
    best, best_phrase = BURST_BITS[0], ""
    allowed = BURST_ALLOWANCE * reference
    # Read in the inner loop, as locals.
    skip, lgamma, log, ln2, min_span = _SKIP, _LGAMMA, math.log, _LN2, MIN_SPAN_S
    inc, total = profile.inc, profile.total
    for name, times, weight in keys:
        if not times or len(times) < 2:
            continue
        if weight < 0.0 or total <= 0.0:
            share = 1.0
        else:  # profile.share(weight), inline
            share = (inc if inc > weight else weight) / (total + inc)
        rate = reference * share
        focus_bits = -math.log2(share) if share < 1.0 else 0.0
        # Older starts only add span; past this expectation no count can surprise.
        hopeless = skip[len(times)]
        events = 0
        for start in reversed(times):
            events += 1
            if events < 2:
                continue
            span = at - start
            span = span if span > min_span else min_span
            expected = rate * span
            if expected >= skip[events]:
                if expected >= hopeless:
                    break
                continue
            # P(N >= m) >= P(N = m): a cheap upper bound on the burst explanation's bits.
            burst_mean = allowed * span
            bound = (burst_mean - events * log(burst_mean) + lgamma[events]) / ln2
            if bound + focus_bits <= best:
                continue
            # The same bound for the normal-rate explanation: the window scores the
            # smaller of the two, so if either bound is no better, skip the exact tails.
            normal_mean = expected if expected > 1e-12 else 1e-12
            if (normal_mean - events * log(normal_mean) + lgamma[events]) / ln2 <= best:
                continue
            bits = poisson_tail_bits(events, burst_mean) + focus_bits
            if bits <= best:
                continue
            bits = min(bits, poisson_tail_bits(events, expected))
            if bits > best:
                best = bits
                best_phrase = (
                    f"{events + 1} calls of {name} in {span:.0f} s ({expected:.2f} expected)"
                )
                if best >= BURST_BITS[1]:
                    # The ramp is saturated: a stronger burst would score the same, so
                    # the search stops here (the hot path's costliest loop, in bursts).
                    return best, best_phrase
    if not best_phrase:
        return None
    return best, best_phrase


def _combine(components: list[tuple[float, str]]) -> float:
    if not components:
        return 0.0  # what the sum below gives for none
    remaining = 1.0
    for weight, _ in components:
        remaining *= 1.0 - weight
    # Rounded so that a single component of weight w scores exactly w.
    return round(1.0 - remaining, 9)


def _phrases(components: list[tuple[float, str]]) -> tuple[str, ...]:
    if not components:
        return _NO_REASONS
    return tuple(phrase for _, phrase in sorted(components, key=lambda c: -c[0]))
