"""Small streaming statistics: tail probabilities as bits of surprise, robust EWMA."""

from __future__ import annotations

import math

_LN2 = math.log(2.0)
#: Mean absolute deviation times sqrt(pi/2) estimates a normal standard deviation.
MAD_TO_SIGMA = math.sqrt(math.pi / 2.0)


def poisson_tail_bits(k: int, mu: float) -> float:
    """``-log2 P(N >= k)`` for ``N ~ Poisson(mu)``: how surprising ``k`` events are.

    Computed in log space from the upper tail's series, so tiny probabilities stay
    exact instead of cancelling to zero.
    """
    if k <= 0:
        return 0.0
    mu = max(mu, 1e-12)
    if mu >= k:
        # The upper tail holds at least about half of the mass: sum the lower part.
        term = math.exp(-mu)
        lower = term
        for i in range(1, k):
            term *= mu / i
            lower += term
        return -math.log2(max(1.0 - lower, 1e-300))
    log_first = -mu + k * math.log(mu) - math.lgamma(k + 1)
    series, term, j = 1.0, 1.0, 1
    while term > 1e-12 * series and j < 200:
        term *= mu / (k + j)
        series += term
        j += 1
    return -(log_first + math.log(series)) / _LN2


def binomial_tail_bits(m: int, n: int, p: float) -> float:
    """``-log2 P(X >= m)`` for ``X ~ Binomial(n, p)``; ``n`` is small (tens at most)."""
    if m <= 0:
        return 0.0
    if m > n:
        return 64.0
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    q = 1.0 - p
    total = 0.0
    for i in range(m, n + 1):
        total += math.comb(n, i) * p**i * q ** (n - i)
    return -math.log2(max(total, 1e-300))


def ramp(value: float, low: float, high: float) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def robust_update(
    mean: float, deviation: float, value: float, alpha: float, clip: float
) -> tuple[float, float]:
    """One step of a Huberised EWMA of ``value`` and of its mean absolute deviation.

    The value is first clipped to ``mean ± clip·sigma`` so that a single outlier (or
    a whole anomalous episode) moves the baseline by a bounded amount per call.
    """
    sigma = MAD_TO_SIGMA * deviation
    low, high = mean - clip * sigma, mean + clip * sigma
    clipped = low if value < low else high if value > high else value
    new_mean = mean + alpha * (clipped - mean)
    new_deviation = deviation + alpha * (abs(clipped - mean) - deviation)
    return new_mean, new_deviation
