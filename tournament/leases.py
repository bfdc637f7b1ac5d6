"""Who holds a claim: the names runners give themselves, and whether a holder on this machine is dead.

A game, a browser game's move or an upload's check is claimed with a lease
in the database, under the claimant's name `host:pid:nonce`. A claim whose
lease ran out is free for anyone; a claim of a process of this host that no
longer exists is free at once (a restart takes its work back without
waiting for the lease).
"""

from __future__ import annotations

import os
import socket
import uuid


def this_host() -> str:
    return socket.gethostname()[:60]


def runner_id() -> str:
    """host:pid:nonce, unique to this process; the pid lets a restart on this host reclaim at once."""
    return f"{this_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dead_local_runner(runner: str | None, me: str) -> bool:
    """True when `runner` names a process of this host, other than `me`, that has ended."""
    if not runner or runner == me:
        return False
    host, _, rest = runner.partition(":")
    if host != this_host():
        return False
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False
