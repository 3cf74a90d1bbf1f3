"""One agent's behavioural baseline: a small, fixed-shape summary of its own calls.

Everything here is bounded by the settings, whatever the agent does: at most
``max_tools`` tools (each with its last call times, label mix, repeat counts and the
fingerprints of its last three calls), ``max_delegates`` delegates, nine action classes,
four labels, ``recent_calls`` recent calls, four recent first uses and a handful of
floats.
Not thread-safe: :class:`proctor.monitor.Baselines` holds the lock.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

from proctor.model import ActionClass, Label
from proctor.monitor._settings import BaselineSettings
from proctor.monitor._stats import robust_update

if TYPE_CHECKING:
    from proctor.monitor._scoring import Ahead

#: Schema version of the persisted state.
STATE_VERSION = 1
#: The action key of a tool missing from the inventory.
UNCLASSIFIED = "unclassified"
#: The spans (in calls) of the short-horizon rates, each with its own robust statistics.
RATE_SPANS = (4, 8)
#: Recent call times kept per tool, per action class and per label-or-above.
KEY_TIMES = 8
#: EWMA weight of one call in the rate statistic's mean and deviation.
RATE_ALPHA = 0.01
#: Updates are clipped to this many sigmas (Huber).
RATE_CLIP = 3.0
#: Prior mean absolute deviation of the log rate ratio (a Poisson agent's is ~0.4).
RATE_PRIOR_DEVIATION = 0.6
#: A first use stays "fresh" for this many of the agent's calls.
FRESH_CALLS = 32
#: After a call of a tool scored as anomalous, the tool's calls within this many of
#: the agent's calls are learned dampened too: the rest of an episode (a spree's
#: later changes, which score lower once the first taught a little) teaches little.
SUSPECT_CALLS = 32
#: Tools remembered as suspect at once.
SUSPECTS = 4
#: Calls closer together than this count as this far apart: agents issue parallel
#: calls, and a rate measured over microseconds means nothing.
MIN_SPAN_S = 1.0
#: A call repeats a call when its fingerprint is one of its tool's last this many.
REPEAT_WINDOW = 3
#: A tool usually touches a label when at least this share of its calls touch it or
#: a more sensitive one.
USUAL_SHARE = 1.0 / 16.0
#: A tool's repeat counts: calls after a call that was not a repeat, and how many of
#: them repeated a recent call; the same after a repeat; the current run of repeats,
#: and how many of them were retries.
_FRESH, _FRESH_REPEATS, _AFTER, _AFTER_REPEATS, _RUN, _RETRIES = range(6)
_REPEAT_FIELDS = 6
_RENORMALIZE_ABOVE = 1e12
_MIN_ELAPSED_S = 60.0
_DAY_S = 86_400.0
_MIN_RATE = 1.0 / _DAY_S
_LABELS = len(Label)
_ACTIONS = frozenset([*(action.value for action in ActionClass), UNCLASSIFIED])

#: One recent call: (time, tool, action key, label rank, denied).
RecentCall = tuple[float, str, str, int, bool]


class AgentProfile:
    """The mutable baseline of one agent."""

    __slots__ = (
        "action_times",
        "actions",
        "ahead",
        "calls",
        "delegates",
        "denied_recent",
        "deny_share",
        "error_share",
        "fast_rate",
        "first_at",
        "inc",
        "label_times",
        "labels",
        "learned_call",
        "novelties",
        "rate_at",
        "rate_dev",
        "rate_mean",
        "recent",
        "recent_times",
        "slow_rate",
        "suspects",
        "tool_damped",
        "tool_first",
        "tool_keys",
        "tool_labels",
        "tool_repeats",
        "tool_times",
        "tools",
        "total",
    )

    def __init__(self, settings: BaselineSettings):
        self.calls = 0
        self.first_at: float | None = None
        self.learned_call = -1
        self.rate_at = 0.0
        self.fast_rate = 0.0
        self.slow_rate = 0.0
        # Robust mean and deviation of ln(short rate / reference), one pair per span.
        self.rate_mean = [0.0] * len(RATE_SPANS)
        self.rate_dev = [RATE_PRIOR_DEVIATION] * len(RATE_SPANS)
        # Mix weights grow by a factor per call instead of decaying every entry:
        # ``weight / inc`` is the decayed count in calls.
        self.inc = 1.0
        self.total = 0.0
        self.tools: dict[str, float] = {}
        self.tool_first: dict[str, int] = {}
        self.tool_times: dict[str, deque[float]] = {}
        # Per tool: decayed counts of its calls by label, its repeat counts, and the
        # fingerprints of its last calls (memory only: they are process-specific).
        self.tool_labels: dict[str, list[float]] = {}
        # Per tool: the part of its decayed count learned from calls dampened as
        # anomalous while the tool was fresh (a tool only the episode that brought it
        # in used is not normal for the agent; later dampened calls do count, or a
        # rarely used tool, dampened because it is rare, would stay rare forever).
        self.tool_damped: dict[str, float] = {}
        self.tool_repeats: dict[str, list[float]] = {}
        # Flat pairs, oldest first: fingerprint, then 1 if that call was denied or
        # failed (else 0).
        self.tool_keys: dict[str, list[int]] = {}
        self.actions: dict[str, float] = {}
        self.action_times: dict[str, deque[float]] = {}
        self.labels = [0.0] * _LABELS
        # label_times[r]: the last calls touching a label of rank r or above.
        self.label_times = [deque[float](maxlen=KEY_TIMES) for _ in range(_LABELS)]
        self.delegates: dict[str, float] = {}
        self.deny_share = 0.0
        self.error_share = 0.0
        self.novelties: deque[int] = deque(maxlen=4)
        self.recent: deque[RecentCall] = deque(maxlen=settings.recent_calls)
        self.recent_times: deque[float] = deque(maxlen=settings.recent_calls)
        self.denied_recent = 0
        # What the hot path needs for the next call, computed after learning the
        # latest one (see proctor.monitor._scoring.ahead; memory only).
        self.ahead: Ahead | None = None
        # Tools whose call scored as anomalous lately: (tool, that call's index). Their
        # next calls are learned dampened too (memory only).
        self.suspects: deque[tuple[str, int]] = deque(maxlen=SUSPECTS)

    # -- reading (the hot path) -------------------------------------------------

    def is_learning(self, at: float, settings: BaselineSettings) -> bool:
        if self.learned_call >= 0:
            return False
        if self.first_at is None or self.calls < settings.learning_calls:
            return True
        return at - self.first_at < settings.learning_period_s

    def reference_rate(self, at: float, settings: BaselineSettings) -> float:
        """Calls per second the agent normally makes: the larger of the fast and slow
        averages, so a quiet night is compared with the day's level, not its own."""
        if self.first_at is None:
            return _MIN_RATE
        elapsed = at - self.first_at
        elapsed = elapsed if elapsed > _MIN_ELAPSED_S else _MIN_ELAPSED_S
        since = at - self.rate_at
        since = since if since > 0.0 else 0.0
        fast_tau, slow_tau = settings.fast_tau_s, settings.slow_tau_s
        # Dividing by (1 - e^(-elapsed/tau)) removes the bias of starting from zero.
        fast = self.fast_rate * math.exp(-since / fast_tau)
        if elapsed < 20.0 * fast_tau:
            fast /= -math.expm1(-elapsed / fast_tau)
        slow = self.slow_rate * math.exp(-since / slow_tau)
        if elapsed < 20.0 * slow_tau:
            slow /= -math.expm1(-elapsed / slow_tau)
        rate = fast if fast > slow else slow
        return rate if rate > _MIN_RATE else _MIN_RATE

    def log_rate_ratios(self, at: float, reference: float) -> list[float] | None:
        """ln(short-horizon rate / reference rate) for each of :data:`RATE_SPANS`: the
        short rate over the last k calls and this one; None before the first call."""
        recent = self.recent
        n = len(recent)
        if not n:
            return None
        ratios = []
        for span_calls in RATE_SPANS:
            k = span_calls if span_calls < n else n
            span = at - recent[-k][0]
            ratios.append(math.log(k / ((span if span > MIN_SPAN_S else MIN_SPAN_S) * reference)))
        return ratios

    def share(self, weight: float) -> float:
        """A decayed count's share of all calls, never below one call's worth."""
        total = self.total
        if total <= 0.0:
            return 1.0
        return max(weight, self.inc) / (total + self.inc)

    def normal_max_label(self) -> int:
        """Rank of the most sensitive label the agent normally touches (-1: none):
        one it touched within about one mix half-life, or often enough before."""
        threshold = 0.5 * self.inc
        labels = self.labels
        for rank in range(_LABELS - 1, -1, -1):
            if labels[rank] >= threshold:
                return rank
        return -1

    def tool_label(self, tool: str) -> int:
        """Rank of the most sensitive label the tool usually touches: at least
        :data:`USUAL_SHARE` of its calls touch it or above (-1 for a tool never seen)."""
        labels = self.tool_labels.get(tool)
        if labels is None:
            return -1
        floor = USUAL_SHARE * sum(labels)
        above = 0.0
        for rank in range(_LABELS - 1, 0, -1):
            above += labels[rank]
            if above >= floor:
                return rank
        return 0

    def suspect(self, tool: str) -> bool:
        """Whether a call of ``tool`` scored as anomalous within :data:`SUSPECT_CALLS`."""
        calls = self.calls
        return any(t == tool and calls - n < SUSPECT_CALLS for t, n in self.suspects)

    def mark_suspect(self, tool: str) -> None:
        """A call of ``tool`` (the one about to be learned) scored as anomalous."""
        suspects = self.suspects
        for i, (known, _) in enumerate(suspects):
            if known == tool:
                del suspects[i]
                break
        suspects.append((tool, self.calls))

    def repeated(self, tool: str, key: int | None) -> int:
        """Whether the call repeats one of the last :data:`REPEAT_WINDOW` calls of its
        tool (same fingerprint): -1 if not, else 1 if that call was denied or failed
        (this one is a retry) and 0 if it was not."""
        if key is None:
            return -1
        keys = self.tool_keys.get(tool)
        if keys is None:
            return -1
        for i in range(len(keys) - 2, -1, -2):
            if keys[i] == key:
                return keys[i + 1]
        return -1

    def repeat_odds(self, tool: str) -> tuple[float, float, int, int]:
        """How a call of ``tool`` repeats recent calls (fingerprints): the share of its
        calls after a call that was not a repeat that repeat one (one call's prior at
        even odds), the share right after a repeat that repeat again (one call's
        prior at the first share: without evidence that repeats come in runs, a
        further repeat is as likely as a first one), how many of its latest calls in
        a row were repeats, and how many of those were retries."""
        counts = self.tool_repeats.get(tool)
        if counts is None:
            return 0.5, 0.5, 0, 0
        inc = self.inc
        first = (counts[_FRESH_REPEATS] + 0.5 * inc) / (counts[_FRESH] + inc)
        return (
            first,
            (counts[_AFTER_REPEATS] + first * inc) / (counts[_AFTER] + inc),
            int(counts[_RUN]),
            int(counts[_RETRIES]),
        )

    # -- learning (after the decision) -----------------------------------------

    def observe(
        self,
        tool: str,
        action: str,
        label_rank: int,
        denied: bool,
        at: float,
        delegate: str | None,
        settings: BaselineSettings,
        weight: float = 1.0,
        key: int | None = None,
    ) -> None:
        """Learn one call; ``weight`` below 1 for a call that looked anomalous, so that
        an episode does not teach the baseline that it is normal. ``key`` is the call's
        fingerprint, if known."""
        if self.first_at is None:
            self.first_at = at
            self.rate_at = at
        ratios = self.log_rate_ratios(at, self.reference_rate(at, settings))
        self.observe_rated(
            tool, action, label_rank, denied, at, delegate, settings, weight, key, ratios
        )

    def observe_rated(
        self,
        tool: str,
        action: str,
        label_rank: int,
        denied: bool,
        at: float,
        delegate: str | None,
        settings: BaselineSettings,
        weight: float,
        key: int | None,
        ratios: list[float] | None,
    ) -> None:
        """:meth:`observe` with the call's :meth:`log_rate_ratios` already computed (on
        this profile as it is, after its first call; the learner has them from judging
        the call)."""
        if self.first_at is None:
            self.first_at = at
            self.rate_at = at
        learning = self.learned_call < 0 and self.is_learning(at, settings)
        if ratios is not None:
            means, deviations = self.rate_mean, self.rate_dev
            for i, ratio in enumerate(ratios):
                means[i], deviations[i] = robust_update(
                    means[i], deviations[i], ratio, RATE_ALPHA, RATE_CLIP
                )
        self._count_rate(at, settings)
        self.inc *= settings.mix_decay
        if self.inc > _RENORMALIZE_ABOVE:
            self._renormalize(settings)
        inc = self.inc * weight
        tools = self.tools
        new = tool not in tools or action not in self.actions
        previous = self.repeated(tool, key)
        if tool in tools:
            tools[tool] += inc
        else:
            self._add_tool(tool, settings)
            tools[tool] = inc
        self.tool_times[tool].append(at)
        self.tool_labels[tool][label_rank] += inc
        if weight < 1.0 and self.calls - self.tool_first[tool] < FRESH_CALLS:
            # Dampened while the tool was new: the episode that brought it in.
            self.tool_damped[tool] += inc
        if key is not None:
            _count_repeat(self.tool_repeats[tool], previous >= 0, previous > 0, inc)
            keys = self.tool_keys.get(tool)
            if keys is None:
                keys = self.tool_keys[tool] = []
            elif len(keys) >= 2 * REPEAT_WINDOW:
                del keys[:2]
            keys += (key, 1 if denied else 0)
        self.actions[action] = self.actions.get(action, 0.0) + inc
        times = self.action_times.get(action)
        if times is None:
            times = self.action_times[action] = deque(maxlen=KEY_TIMES)
        times.append(at)
        self.labels[label_rank] += inc
        if previous < 0:  # reading the same data again touches nothing new
            for rank in range(label_rank + 1):
                self.label_times[rank].append(at)
        self.total += inc
        if delegate is not None:
            if delegate not in self.delegates and len(self.delegates) >= settings.max_delegates:
                del self.delegates[min(self.delegates, key=self.delegates.__getitem__)]
            self.delegates[delegate] = self.delegates.get(delegate, 0.0) + inc
        self.deny_share += settings.mix_beta * ((1.0 if denied else 0.0) - self.deny_share)
        if new and not learning:
            self.novelties.append(self.calls)
        recent = self.recent
        if len(recent) == recent.maxlen and recent[0][4]:
            self.denied_recent -= 1
        recent.append((at, tool, action, label_rank, denied))
        self.recent_times.append(at)
        self.denied_recent += denied
        self.calls += 1
        if self.learned_call < 0 and not self.is_learning(at, settings):
            self.learned_call = self.calls

    def _add_tool(self, tool: str, settings: BaselineSettings) -> None:
        """Make room for a tool never seen (evicting the least used one at the bound)."""
        tools = self.tools
        if len(tools) >= settings.max_tools:
            lightest = min(tools, key=tools.__getitem__)
            del tools[lightest], self.tool_first[lightest], self.tool_times[lightest]
            del self.tool_labels[lightest], self.tool_repeats[lightest]
            del self.tool_damped[lightest]
            self.tool_keys.pop(lightest, None)
        self.tool_first[tool] = self.calls
        self.tool_times[tool] = deque(maxlen=KEY_TIMES)
        self.tool_labels[tool] = [0.0] * _LABELS
        self.tool_damped[tool] = 0.0
        self.tool_repeats[tool] = [0.0] * _REPEAT_FIELDS

    def observe_outcome(self, tool: str, failed: bool, settings: BaselineSettings) -> None:
        """Learn whether a call of ``tool`` failed: the agent's error share, and (for
        its repeat counts) whether its next repeat of a call is a retry."""
        self.error_share += settings.mix_beta * ((1.0 if failed else 0.0) - self.error_share)
        keys = self.tool_keys.get(tool)
        if failed and keys:
            keys[-1] = 1

    def _count_rate(self, at: float, settings: BaselineSettings) -> None:
        since = at - self.rate_at
        if since < 0.0:  # a call observed out of order: count it at the newest time
            since = 0.0
        fast_tau, slow_tau = settings.fast_tau_s, settings.slow_tau_s
        self.fast_rate = self.fast_rate * math.exp(-since / fast_tau) + 1.0 / fast_tau
        self.slow_rate = self.slow_rate * math.exp(-since / slow_tau) + 1.0 / slow_tau
        self.rate_at = max(self.rate_at, at)

    def _renormalize(self, settings: BaselineSettings) -> None:
        """Rescale the mix weights to calls, forgetting what fell below the floor."""
        scale = 1.0 / self.inc
        floor = settings.forget_weight
        self.tools = {t: w * scale for t, w in self.tools.items() if w * scale >= floor}
        self.tool_first = {t: c for t, c in self.tool_first.items() if t in self.tools}
        self.tool_times = {t: d for t, d in self.tool_times.items() if t in self.tools}
        self.tool_labels = {
            t: [w * scale for w in ws] for t, ws in self.tool_labels.items() if t in self.tools
        }
        self.tool_damped = {t: w * scale for t, w in self.tool_damped.items() if t in self.tools}
        self.tool_repeats = {
            t: _scaled_repeats(counts, scale)
            for t, counts in self.tool_repeats.items()
            if t in self.tools
        }
        self.tool_keys = {t: keys for t, keys in self.tool_keys.items() if t in self.tools}
        self.actions = {a: w * scale for a, w in self.actions.items() if w * scale >= floor}
        self.action_times = {a: d for a, d in self.action_times.items() if a in self.actions}
        self.delegates = {d: w * scale for d, w in self.delegates.items() if w * scale >= floor}
        self.labels = [w * scale for w in self.labels]
        self.total *= scale
        self.inc = 1.0

    # -- persistence -------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The profile as JSON-able values (weights in calls, times in epoch seconds)."""
        scale = 1.0 / self.inc
        return {
            "version": STATE_VERSION,
            "calls": self.calls,
            "first_at": self.first_at,
            "learned_call": self.learned_call,
            "rate_at": self.rate_at,
            "fast_rate": self.fast_rate,
            "slow_rate": self.slow_rate,
            "rate_mean": list(self.rate_mean),
            "rate_dev": list(self.rate_dev),
            "total": self.total * scale,
            "tools": {
                t: [
                    w * scale,
                    self.tool_first[t],
                    list(self.tool_times[t]),
                    [x * scale for x in self.tool_labels[t]],
                    _scaled_repeats(self.tool_repeats[t], scale),
                    self.tool_damped[t] * scale,
                ]
                for t, w in self.tools.items()
            },
            "actions": {
                a: [w * scale, list(self.action_times[a])] for a, w in self.actions.items()
            },
            "labels": [w * scale for w in self.labels],
            "label_times": [list(times) for times in self.label_times],
            "delegates": {d: w * scale for d, w in self.delegates.items()},
            "deny_share": self.deny_share,
            "error_share": self.error_share,
            "novelties": list(self.novelties),
            "recent": [list(call) for call in self.recent],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], settings: BaselineSettings) -> AgentProfile:
        """Rebuild a profile; raises ``KeyError``/``TypeError``/``ValueError`` if malformed.

        Limits are re-applied, so a state saved under larger settings still fits.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown baseline state version {state.get('version')!r}")
        profile = cls(settings)
        profile.calls = int(state["calls"])
        first_at = state["first_at"]
        profile.first_at = None if first_at is None else float(first_at)
        profile.learned_call = int(state["learned_call"])
        for name in ("rate_at", "fast_rate", "slow_rate", "total"):
            setattr(profile, name, float(state[name]))
        profile.rate_mean = _floats(state["rate_mean"], len(RATE_SPANS))
        profile.rate_dev = _floats(state["rate_dev"], len(RATE_SPANS))
        profile.deny_share = float(state["deny_share"])
        profile.error_share = float(state["error_share"])
        tools = sorted(state["tools"].items(), key=lambda item: -float(item[1][0]))
        tools = tools[: settings.max_tools]
        profile.tools = {str(t): float(v[0]) for t, v in tools}
        profile.tool_first = {str(t): int(v[1]) for t, v in tools}
        profile.tool_times = {str(t): _times(v[2]) for t, v in tools}
        # States saved before tools kept labels and repeats start them from nothing.
        profile.tool_labels = {
            str(t): _floats(v[3], _LABELS) if len(v) > 3 else [0.0] * _LABELS for t, v in tools
        }
        profile.tool_repeats = {
            str(t): _floats(v[4], _REPEAT_FIELDS) if len(v) > 4 else [0.0] * _REPEAT_FIELDS
            for t, v in tools
        }
        # States saved before tools kept their dampened part count none as dampened.
        profile.tool_damped = {str(t): float(v[5]) if len(v) > 5 else 0.0 for t, v in tools}
        actions = [(a, v) for a, v in state["actions"].items() if a in _ACTIONS]
        profile.actions = {a: float(v[0]) for a, v in actions}
        profile.action_times = {a: _times(v[1]) for a, v in actions}
        profile.labels = _floats(state["labels"], _LABELS)
        profile.label_times = [_times(times) for times in state["label_times"]]
        if len(profile.label_times) != _LABELS:
            raise ValueError("a baseline state needs the recent calls of every label")
        delegates = sorted(state["delegates"].items(), key=lambda item: -float(item[1]))
        profile.delegates = {str(d): float(w) for d, w in delegates[: settings.max_delegates]}
        profile.novelties.extend(int(n) for n in state["novelties"])
        for at, tool, action, rank, denied in state["recent"]:
            if not 0 <= int(rank) < _LABELS:
                raise ValueError("a recent call has no valid label")
            profile.recent.append((float(at), str(tool), str(action), int(rank), bool(denied)))
            profile.recent_times.append(float(at))
        profile.denied_recent = sum(1 for call in profile.recent if call[4])
        return profile


def _count_repeat(counts: list[float], repeat: bool, retry: bool, inc: float) -> None:
    """Count one call of a tool in its repeat counts and update its run of repeats (a
    retry repeats a call that was denied or failed)."""
    if counts[_RUN] > 0.0:
        counts[_AFTER] += inc
        counts[_AFTER_REPEATS] += inc if repeat else 0.0
    else:
        counts[_FRESH] += inc
        counts[_FRESH_REPEATS] += inc if repeat else 0.0
    if repeat:
        counts[_RUN] += 1.0
        counts[_RETRIES] += 1.0 if retry else 0.0
    else:
        counts[_RUN] = counts[_RETRIES] = 0.0


def _scaled_repeats(counts: list[float], scale: float) -> list[float]:
    """Repeat counts rescaled to calls (the run and its retries are kept as is)."""
    return [*(x * scale for x in counts[:_RUN]), *counts[_RUN:]]


def _floats(values: list[Any], length: int) -> list[float]:
    if not isinstance(values, list) or len(values) != length:
        raise ValueError(f"expected a list of {length} numbers")
    return [float(value) for value in values]


def _times(values: list[Any]) -> deque[float]:
    return deque((float(value) for value in values), maxlen=KEY_TIMES)
