"""Rate limits that hold under concurrency: a token bucket per key, taken by one conditional UPDATE.

Counting recent requests and then inserting one is two steps, and
simultaneous requests all pass the count. Here a request takes a token with
a single statement that refills the bucket for the time elapsed and takes
one only if one is there; the database runs it atomically (PostgreSQL locks
the row, SQLite the database), so of 45 simultaneous requests against a
limit of 30 exactly 30 pass. A bucket holds at most `limit` tokens and
refills at `limit` per `period`: a client may use its whole allowance at
once, then one more every period / limit seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import case, insert, literal, update
from sqlalchemy.exc import IntegrityError

from golois.tournament.db import Database
from golois.tournament.models import RateLimit


@dataclass(frozen=True)
class Limit:
    limit: int  # requests at once, and per period
    period: float  # seconds
    what: str  # for the refusal: "uploads from this address"

    def refusal(self) -> str:
        per = f"{self.period / 3600:g} hour" if self.period >= 3600 else f"{self.period / 60:g} minutes"
        return (f"too many {self.what}: at most {self.limit} per {per}; try again in "
                f"{max(1, round(self.period / self.limit))} s")


def take(db: Database, key: str, limit: Limit) -> bool:
    """Takes one token of `key`'s bucket; False when it is empty. Its own transaction, committed at once."""
    now = time.time()
    rate = limit.limit / limit.period
    refilled = RateLimit.tokens + (literal(now) - RateLimit.updated) * rate
    level = case((refilled > limit.limit, float(limit.limit)), else_=refilled)
    statement = (update(RateLimit).where(RateLimit.key == key, level >= 1)
                 .values(tokens=level - 1, updated=now).execution_options(synchronize_session=False))
    for _ in range(2):
        with db.session() as session:
            if session.execute(statement).rowcount == 1:
                return True
            try:
                with session.begin_nested():  # a first request: a full bucket, less this one
                    session.execute(insert(RateLimit).values(key=key, tokens=limit.limit - 1.0, updated=now))
                return True
            except IntegrityError:
                pass  # the bucket exists (empty, or made by a simultaneous first request): take again, once
    return False
