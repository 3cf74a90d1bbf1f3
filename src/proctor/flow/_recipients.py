"""Whom a ``send_external`` call reaches: recipients inside and outside the
organization's domains.

The recipients are the e-mail addresses, URLs and domains in the call's target
arguments (all its string arguments when the catalog declares none). A recipient is
inside when its domain is one of the configured organization domains or a subdomain
of one; with no domains configured, every recipient is outside (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from proctor.provenance import ValueKind, extract


@dataclass(frozen=True, slots=True)
class Recipients:
    """The domains a call sends to, normalized, in the order seen."""

    inside: tuple[str, ...]
    outside: tuple[str, ...]

    @property
    def internal_only(self) -> bool:
        """At least one recipient, and every one inside the organization."""
        return bool(self.inside) and not self.outside


def recipients(
    arguments: Mapping[str, object], targets: Iterable[str], domains: Iterable[str]
) -> Recipients:
    """Where the call's target arguments send to, inside and outside ``domains``."""
    names = list(targets) or list(arguments)
    home = [domain.lower().strip(".") for domain in domains]
    inside: list[str] = []
    outside: list[str] = []
    for name in names:
        for observed in extract(arguments.get(name)):
            # Every address and URL comes with its domain; the domain decides.
            if observed.kind is not ValueKind.DOMAIN:
                continue
            host = observed.normalized
            at_home = any(host == d or host.endswith("." + d) for d in home)
            found = inside if at_home else outside
            if host not in found:
                found.append(host)
    return Recipients(tuple(inside), tuple(outside))


def outside_recipients(
    arguments: Mapping[str, object], targets: Iterable[str], domains: Iterable[str]
) -> list[str]:
    """The recipients of the call outside ``domains`` (normalized), in the order seen."""
    return list(recipients(arguments, targets, domains).outside)
