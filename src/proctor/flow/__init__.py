"""Information flow: what a task's agents have taken in (labels of data read,
untrusted content, injected instructions), so data does not leak to wider audiences
and untrusted text does not steer high-risk calls."""

from proctor.flow._permissions import PermissionChange, Reach, read_change
from proctor.flow._recipients import Recipients, outside_recipients, recipients
from proctor.flow._session import MAX_SOURCES, SessionState, Source
from proctor.flow._sessions import Sessions

__all__ = [
    "MAX_SOURCES",
    "PermissionChange",
    "Reach",
    "Recipients",
    "SessionState",
    "Sessions",
    "Source",
    "outside_recipients",
    "read_change",
    "recipients",
]
