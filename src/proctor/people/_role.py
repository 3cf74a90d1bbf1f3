"""What a person may do: a value the API shapes use, readable without the store."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person may do. Roles add up; none of them implies another."""

    #: Everything an admin key may do: inventory, policies, people, the kill switch.
    ADMIN = "admin"
    #: Decides on calls held for a human's approval.
    APPROVER = "approver"
    #: Reads the audit log and reports.
    AUDITOR = "auditor"
    #: Reads the inventory and tasks.
    VIEWER = "viewer"
    #: Creates tasks on behalf of another requester (a trusted launcher).
    LAUNCHER = "launcher"
    #: Security on-call: answers what policies reserve for ``role:security``.
    SECURITY = "security"
