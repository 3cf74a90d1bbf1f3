"""Whether a ``send_external`` call reaches outside the organization's domains.

The recipients are the e-mail addresses, URLs and domains in the call's target
arguments (all its string arguments when the catalog declares none). One recipient
outside the configured organization domains (or their subdomains) makes the call
external; with no domains configured, every recipient is outside (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from proctor.provenance import ValueKind, extract


def outside_recipients(
    arguments: Mapping[str, object], targets: Iterable[str], domains: Iterable[str]
) -> list[str]:
    """The recipients of the call outside ``domains`` (normalized), in the order seen."""
    names = list(targets) or list(arguments)
    inside = [domain.lower().strip(".") for domain in domains]
    outside: list[str] = []
    for name in names:
        for observed in extract(arguments.get(name)):
            # Every address and URL comes with its domain; the domain decides.
            if observed.kind is not ValueKind.DOMAIN:
                continue
            host = observed.normalized
            inside_org = any(host == d or host.endswith("." + d) for d in inside)
            if not inside_org and host not in outside:
                outside.append(host)
    return outside
