"""Upload checks on the Celery workers, when the server has a broker (GOLOIS_BROKER).

The queue stays the database's (`check_queue`): the server sends one task
per check to the checks queue and sends it again if the check is still not
done a lease later (a worker died, a message was lost); a worker claims the
check with the same conditional update as a local checker (a duplicate
message finds it claimed or done), fetches the upload from the server by
its token, checks it in its own sandbox, and sends the verdict and the
canonical file back. The server audits the canonical file itself and
records the verdict conditional on the claim: the worker never writes a
verdict, as the sandboxed child never does.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from golois.errors import GoloisError
from golois.tournament.check_queue import LEASE_MARGIN, POLL_SECONDS, claim_next, progress, record_earlier_verdict
from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.distributed import CHECK_QUEUE, make_celery
from golois.tournament.domain import CheckStatus
from golois.tournament.models import UploadCheck
from golois.tournament.sandbox import choose_sandbox
from golois.tournament.storage import NetworkStore
from golois.tournament.upload_check import (
    CANONICAL_NAME,
    CheckLimits,
    Verdict,
    audited_canonical,
    check_upload,
    discard,
    verdict_from_json,
)
from golois.tournament.uploads import incoming_path, record_accepted, record_refused

CHECK_TASK = "golois.check_upload"
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the server's side


class CheckDispatcher:
    """Sends a task for every check waiting in the database, and again for one still waiting a lease later."""

    def __init__(self, database: Database, config: ServerConfig) -> None:
        self.database, self.config = database, config
        self.celery = make_celery(config.broker)
        self.sent: dict[int, float] = {}
        self.wake = threading.Event()
        self.stopped = False
        self.thread = threading.Thread(target=self._loop, name="golois-check-dispatcher", daemon=True)
        self.thread.start()

    def poke(self) -> None:
        self.wake.set()

    def stop(self) -> None:
        self.stopped = True
        self.wake.set()
        self.thread.join(timeout=2)

    def _loop(self) -> None:
        while not self.stopped:
            try:
                self._send_due()
            except Exception:  # a broker or database hiccup: try again next round
                log.exception("check dispatcher")
            self.wake.wait(timeout=POLL_SECONDS)
            self.wake.clear()

    def _send_due(self) -> None:
        with self.database.session() as session:
            waiting = session.scalars(select(UploadCheck.id).where(UploadCheck.status.in_(
                [CheckStatus.QUEUED.value, CheckStatus.RUNNING.value]))).all()
        again = self.config.check_seconds + LEASE_MARGIN
        now = time.monotonic()
        for check_id in waiting:
            if now - self.sent.get(check_id, -again) >= again:
                self.celery.send_task(CHECK_TASK, args=[check_id], queue=CHECK_QUEUE)
                self.sent[check_id] = now
        self.sent = {check_id: when for check_id, when in self.sent.items() if check_id in set(waiting)}


def receive_worker_verdict(database: Database, config: ServerConfig, token: str, attempt: int, verdict_json: str,
                           save_canonical: Any) -> bool:
    """A worker's verdict on check `token` under claim `attempt`: audited and recorded; False when the claim
    was lost. `save_canonical(path)` writes the canonical file the worker sent, if any (accepted only)."""
    verdict = verdict_from_json(verdict_json)
    if verdict is None:
        raise GoloisError("the verdict is not a checker's verdict")
    with database.session() as session:
        check = session.scalar(select(UploadCheck).where(UploadCheck.token == token))
        if check is None:
            raise GoloisError(f"no check {token[:8]}...")
        check_id = check.id
    store = NetworkStore(config.networks_dir)
    if verdict.accepted:
        folder = Path(tempfile.mkdtemp(prefix="check-", dir=config.checks_dir)) / "out"
        folder.mkdir()
        canonical = folder / CANONICAL_NAME
        if not save_canonical(canonical):
            verdict = Verdict(False, "the worker accepted the file but sent no canonical file", verdict.checks)
        else:
            verdict.canonical = audited_canonical(canonical, verdict)
        try:
            done = (record_accepted(database, store, check_id, attempt, verdict.canonical, verdict)
                    if verdict.accepted else record_refused(database, check_id, attempt, verdict))
        finally:
            discard(verdict)
            shutil.rmtree(folder.parent, ignore_errors=True)
    else:
        done = record_refused(database, check_id, attempt, verdict)
    if done:
        incoming_path(config, token).unlink(missing_ok=True)
    return done


# ---------------------------------------------------------------- the workers' side


def check_upload_task(check_id: int) -> str:
    """Checks one upload if it still waits; the server records the verdict."""
    from golois.tournament.distributed import worker_context  # the worker process's, set at its start

    context = worker_context()
    claim = claim_next(context.db, context.config, context.name, check_id=check_id)
    if claim is None:
        return "taken or done"
    done = record_earlier_verdict(context.db, NetworkStore(context.config.networks_dir), claim)
    if done is not None:
        return "an earlier verdict"
    with tempfile.TemporaryDirectory(prefix="golois-upload-", dir=context.config.checks_dir) as folder:
        upload = Path(folder) / "upload.h5"
        context.fetch(f"/api/worker/uploads/{claim.token}", upload, claim.upload_sha256)
        sandbox = choose_sandbox(context.config.sandbox)
        verdict = check_upload(upload, sandbox, CheckLimits(context.config.check_seconds,
                                                            context.config.check_memory_mb),
                               context.config.checks_dir, on_check=lambda check: progress(context.db, claim, check),
                               hidden=(context.config.data_dir,))
        try:
            _send_verdict(context, claim.token, claim.attempt, verdict)
        finally:
            discard(verdict)
    return "accepted" if verdict.accepted else "refused"


def _send_verdict(context: Any, token: str, attempt: int, verdict: Verdict) -> None:
    """POSTs the verdict (and the canonical file) as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = [_field(boundary, "attempt", str(attempt).encode()),
             _field(boundary, "verdict", json.dumps(verdict.as_dict()).encode())]
    if verdict.accepted and verdict.canonical is not None:
        parts.append(_field(boundary, "canonical", verdict.canonical.read_bytes(), filename=CANONICAL_NAME))
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{context.server.rstrip('/')}/api/worker/checks/{token}", data=body, method="POST",
        headers={"Authorization": f"Bearer {context.token}",
                 "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        raise GoloisError(f"the server refused the verdict: {error.code} {error.reason}") from error


def _field(boundary: str, name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
