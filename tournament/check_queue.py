"""The check queue: uploads wait as `UploadCheck` rows; checker threads claim them and run their checks.

Every server process runs `config.check_workers` checker threads, but at
most that many checks run at once on the machine, however many processes
serve: a checker first takes one of the machine's slots (an exclusive lock
on one of `check_workers` slot files in the data folder), then claims the
oldest queued check with a conditional update on its `attempt` (the claim's
token), with a lease. A check cut short (a restart, a crash) is claimed
again: at once when its checker was a process of this machine that no
longer exists, otherwise when its lease runs out. The verdict is recorded by
one conditional update on the claim (`uploads.record_accepted` /
`record_refused`), so it is recorded once.

A file checked before under the same checks (same upload SHA-256, same
CHECKS_VERSION) gets the earlier verdict without running them again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select, update

from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.domain import CheckStatus
from golois.tournament.leases import dead_local_runner, runner_id
from golois.tournament.models import NetworkVersion, UploadCheck, utcnow
from golois.tournament.sandbox import Sandbox
from golois.tournament.storage import NetworkStore
from golois.tournament.upload_check import CHECKS_VERSION, CheckLimits, Verdict, check_upload, discard
from golois.tournament.uploads import incoming_path, record_accepted, record_refused

LEASE_MARGIN = 120.0  # seconds beyond the check's own limit before another checker may take it over
POLL_SECONDS = 2.0    # a checker looks at the queue at least this often (an upload to this process wakes it)
log = logging.getLogger(__name__)


class MachineSlots:
    """At most `count` holders at once on this machine, across processes: an flock on one of `count` files."""

    def __init__(self, folder: Path, count: int) -> None:
        self.folder, self.count = folder, count
        folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def hold(self) -> Iterator[int | None]:
        """Yields a free slot's number, held for the block, or None when all are taken."""
        for number in range(self.count):
            handle = open(self.folder / f"slot-{number}.lock", "a")  # noqa: SIM115 - closed below
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield number
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        yield None


@dataclass(frozen=True)
class Claim:
    id: int
    attempt: int
    upload: Path  # where the server keeps it (a worker of the task queue fetches it by token)
    upload_sha256: str
    token: str


def claim_next(database: Database, config: ServerConfig, runner: str, check_id: int | None = None) -> Claim | None:
    """Claims the oldest check (or check `check_id`) that is queued, or running under a lease run out or a dead
    checker of this machine."""
    now = utcnow()
    lease = dt.timedelta(seconds=config.check_seconds + LEASE_MARGIN)
    with database.session() as session:
        query = (select(UploadCheck.id, UploadCheck.attempt, UploadCheck.status, UploadCheck.runner,
                        UploadCheck.lease_until, UploadCheck.token, UploadCheck.upload_sha256)
                 .where(UploadCheck.status.in_([CheckStatus.QUEUED.value, CheckStatus.RUNNING.value]))
                 .order_by(UploadCheck.id).limit(50))
        if check_id is not None:
            query = query.where(UploadCheck.id == check_id)
        candidates = session.execute(query).all()
        for row in candidates:
            if row.status == CheckStatus.RUNNING.value and not (
                    (row.lease_until is not None and row.lease_until < now) or dead_local_runner(row.runner, runner)):
                continue
            claimed = session.execute(
                update(UploadCheck).where(UploadCheck.id == row.id, UploadCheck.attempt == row.attempt)
                .values(status=CheckStatus.RUNNING.value, attempt=row.attempt + 1, runner=runner,
                        lease_until=now + lease, started_at=now, checks=[])
                .execution_options(synchronize_session=False)).rowcount
            session.commit()
            if claimed == 1:
                return Claim(row.id, row.attempt + 1, incoming_path(config, row.token), row.upload_sha256, row.token)
    return None


def run_claim(database: Database, config: ServerConfig, sandbox: Sandbox, claim: Claim) -> bool:
    """Checks the claimed upload and records its verdict; False when the claim was lost meanwhile."""
    store = NetworkStore(config.networks_dir)
    done = record_earlier_verdict(database, store, claim)
    if done is None and not claim.upload.is_file():
        done = record_refused(database, claim.id, claim.attempt, Verdict(
            False, "the uploaded file was lost before its check (the server's data folder changed); upload again"))
    elif done is None:
        verdict = check_upload(claim.upload, sandbox, CheckLimits(config.check_seconds, config.check_memory_mb),
                               config.checks_dir, on_check=lambda check: progress(database, claim, check),
                               hidden=hidden_paths(config))
        try:
            if verdict.accepted and verdict.canonical is not None:
                done = record_accepted(database, store, claim.id, claim.attempt, verdict.canonical, verdict)
            else:
                done = record_refused(database, claim.id, claim.attempt, verdict)
        finally:
            discard(verdict)
    if done:
        claim.upload.unlink(missing_ok=True)
    return done


def record_earlier_verdict(database: Database, store: NetworkStore, claim: Claim) -> bool | None:
    """Records the verdict of an earlier check of the same bytes: None when there is none, else whether the
    claim still held (see record_accepted)."""
    earlier = _earlier_verdict(database, store, claim.upload_sha256)
    if earlier is None:
        return None
    verdict, digest = earlier
    if verdict.accepted:
        return record_accepted(database, store, claim.id, claim.attempt, digest, verdict)
    return record_refused(database, claim.id, claim.attempt, verdict)


def hidden_paths(config: ServerConfig) -> tuple[Path, ...]:
    """The server's own files, covered in the sandbox wherever a folder it sees holds them."""
    return (config.data_dir, config.cache_dir, config.secret_key_file)


def progress(database: Database, claim: Claim, check: dict) -> None:
    """Appends a completed check to the row, for the uploader's page (only while the claim holds)."""
    with database.session() as session:
        row = session.get(UploadCheck, claim.id)
        if row is not None and row.attempt == claim.attempt:
            row.checks = [*row.checks, check]


def _earlier_verdict(database: Database, store: NetworkStore, upload_sha256: str) -> tuple[Verdict, str | None] | None:
    """The verdict of an earlier check of the same bytes under the same checks, with its canonical file's hash."""
    with database.session() as session:
        earlier = session.scalars(select(UploadCheck).where(
            UploadCheck.upload_sha256 == upload_sha256, UploadCheck.checks_version == CHECKS_VERSION,
            or_(UploadCheck.status == CheckStatus.REFUSED.value, UploadCheck.version_id.is_not(None)))
            .order_by(UploadCheck.id.desc()).limit(1)).first()
        if earlier is None:
            return None
        verdict = Verdict(earlier.status == CheckStatus.ACCEPTED.value, earlier.reason or "", list(earlier.checks),
                          earlier.params, earlier.check_seconds or 0.0)
        if not verdict.accepted:
            return verdict, None
        version = session.get(NetworkVersion, earlier.version_id)
        if version is None or not store.has(version.sha256):
            return None
        verdict.scores, verdict.fingerprint, verdict.weights_sha256 = (version.scores, version.fingerprint,
                                                                       version.weights_sha256)
        return verdict, version.sha256


class CheckService:
    """This process's checker threads; `poke()` after queueing an upload, `stop()` at the end."""

    def __init__(self, database: Database, config: ServerConfig, sandbox: Sandbox) -> None:
        self.database, self.config, self.sandbox = database, config, sandbox
        self.slots = MachineSlots(config.checks_dir / "slots", config.check_workers)
        self.runner = runner_id()
        self.wake = threading.Event()
        self.stopped = False
        self.threads = [threading.Thread(target=self._loop, name=f"golois-checker-{i}", daemon=True)
                        for i in range(config.check_workers)]
        for thread in self.threads:
            thread.start()

    def poke(self) -> None:
        self.wake.set()

    def stop(self) -> None:
        self.stopped = True
        self.wake.set()
        for thread in self.threads:
            thread.join(timeout=1)

    def _loop(self) -> None:
        while not self.stopped:
            try:
                while not self.stopped and self._one():
                    pass
            except Exception:  # a database hiccup must not end the checker
                log.exception("upload checker")
                time.sleep(POLL_SECONDS)
            self.wake.wait(timeout=POLL_SECONDS)
            self.wake.clear()

    def _one(self) -> bool:
        """Runs one check if a slot and a check are free; True when it did."""
        with self.slots.hold() as slot:
            if slot is None:
                return False
            claim = claim_next(self.database, self.config, self.runner)
            if claim is None:
                return False
            run_claim(self.database, self.config, self.sandbox, claim)
            return True
