"""The tournament server's vocabulary: the statuses a row goes through, named once.

The database stores their values (plain strings, so that SQL and the JSON
API read them as they are); code compares with these names, never with
string literals.
"""

from __future__ import annotations

from enum import StrEnum


class CheckStatus(StrEnum):
    """An upload's check, a job of the check queue."""

    QUEUED = "queued"
    RUNNING = "running"
    ACCEPTED = "accepted"
    REFUSED = "refused"

    @property
    def finished(self) -> bool:
        return self in (CheckStatus.ACCEPTED, CheckStatus.REFUSED)
