"""Receiving a network: who may upload, the queued check, and what an accepted check records.

A request never checks a file. `submit_upload` refuses what is cheap to
refuse (malformed fields, the rate limits, the class token, another team's
name without its key, a file too large), saves the file under the data
folder and queues a check (an `UploadCheck` row); it answers at once with
the check's token. The check queue (`check_queue`) runs the checks in the
sandbox and calls `record_accepted`, which stores the canonical file (the
server's own copy of the checked model, never the upload) and records the
team, the network and the version in one transaction with the check's
verdict. A refused upload leaves its check row (the verdict the uploader
reads) and nothing else.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app, url_for
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from golois.errors import GoloisError
from golois.files import sha256_file
from golois.network import DEFAULT_NETWORK
from golois.tournament.config import ServerConfig, get_config
from golois.tournament.copies import flag_copies, uploader_notice
from golois.tournament.db import Database, get_database, get_session
from golois.tournament.domain import CheckStatus
from golois.tournament.models import (
    NAME_LENGTH,
    Network,
    NetworkVersion,
    Setting,
    Team,
    UploadCheck,
    hash_key,
    utcnow,
)
from golois.tournament.rate_limit import Limit, take
from golois.tournament.sandbox import Isolation, Sandbox, get_sandbox
from golois.tournament.serialize import check_dict
from golois.tournament.storage import NetworkStore
from golois.tournament.upload_check import CHECKS_VERSION, CheckLimits, Verdict, check_upload, discard

NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 _.\-]{{0,{NAME_LENGTH - 1}}}")
BUNDLED_TEAM, BUNDLED_NAME = "golois", "default"
CLASS_TOKEN = "class_token"  # Setting key
EMAIL_LENGTH = 254
POLL = 0.25


class UploadError(GoloisError):
    """An upload refused before its checks; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"status": CheckStatus.REFUSED.value, "accepted": False, "reason": str(self), "checks": [],
                "network": None}


@dataclass
class UploadRequest:
    team: str
    name: str
    address: str
    key: str = ""            # the team's key (not needed for a team's first upload)
    class_token: str = ""    # needed when the admin set one
    email: str = ""          # optional, for the results by e-mail


def validate_name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not NAME_PATTERN.fullmatch(value):
        raise UploadError(400, f"{what} must be 1 to {NAME_LENGTH} letters, digits, spaces, '.', '_' or '-', "
                               f"starting with a letter or digit (got {value[:60]!r})")
    return value


def validate_address(value: str) -> str | None:
    """One e-mail address, normalised, or None for an empty field; the library knows the syntax, we don't."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > EMAIL_LENGTH:
        raise UploadError(400, f"the e-mail address is too long ({len(value)} characters; at most {EMAIL_LENGTH})")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise UploadError(400, f"the e-mail address is not valid: {error}") from None


def upload_limits(config: ServerConfig) -> tuple[Limit, Limit]:
    """The two rate limits of uploads: per client address and per team name."""
    return (Limit(config.uploads_per_hour, 3600, "uploads from this address"),
            Limit(config.team_uploads_per_hour, 3600, "uploads for this team"))


def submit_upload(db: Database, config: ServerConfig, sandbox: Sandbox, request: UploadRequest,
                  save_file: Callable[[Path], int]) -> str:
    """Queues the upload's check and returns its token; `save_file(path)` writes the bytes and returns their size.

    Raises UploadError (with its HTTP status) for every refusal; a refused
    request leaves no file and no row (beyond the rate limits' buckets).
    """
    team_name = validate_name(request.team, "the team name")
    network_name = validate_name(request.name, "the network name")
    email = validate_address(request.email)
    if not sandbox.checks_allowed:
        raise UploadError(503, f"uploads are closed: {sandbox.reason}")
    by_address, by_team = upload_limits(config)
    if not take(db, f"upload:address:{request.address}", by_address):
        raise UploadError(429, by_address.refusal())
    with db.session() as session:
        _check_permission(session, team_name, request)
    if not take(db, f"upload:team:{team_name.lower()}", by_team):
        raise UploadError(429, by_team.refusal())
    token = secrets.token_urlsafe(18)
    incoming = incoming_path(config, token)
    try:
        size = save_file(incoming)
        if size == 0:
            raise UploadError(400, "the file is empty")
        if size > config.max_upload_bytes:
            raise UploadError(413, f"the file has {size:,} bytes; the limit is {config.max_upload_bytes:,}")
        with db.session() as session:
            session.add(UploadCheck(token=token, team=team_name, name=network_name, email=email,
                                    key_hash=hash_key(request.key) if request.key else None,
                                    address=request.address[:64], upload_sha256=sha256_file(incoming),
                                    size_bytes=size, status=CheckStatus.QUEUED.value))
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    return token


def incoming_path(config: ServerConfig, token: str) -> Path:
    """Where a queued upload waits for its check (removed once it has its verdict)."""
    return config.incoming_dir / f"{token}.h5"


def _check_permission(session: Session, team_name: str, request: UploadRequest) -> None:
    token = Setting.read(session, CLASS_TOKEN)
    if token and not secrets.compare_digest(str(token), request.class_token or ""):
        raise UploadError(403, "this class needs its class token to upload (ask the teacher)")
    team = session.scalar(select(Team).where(Team.name == team_name))
    if team is not None and not team.key_matches(request.key):
        raise UploadError(403, f"team {team_name!r} exists; give its team key to upload for it "
                               "(the key was shown at the team's first upload; the admin can issue a new one)")


def take_team_key(session: Session, check: UploadCheck) -> str | None:
    """A new team's key, handed out once: the reader whose update clears it gets it, any later one None."""
    key = check.team_key
    if not key:
        return None
    cleared = session.execute(update(UploadCheck).where(UploadCheck.id == check.id, UploadCheck.team_key == key)
                              .values(team_key=None).execution_options(synchronize_session=False)).rowcount
    session.commit()
    return key if cleared == 1 else None


def queue_position(session: Session, check: UploadCheck) -> int | None:
    """How many checks wait before this one (None once it is no longer queued)."""
    if check.status != CheckStatus.QUEUED.value:
        return None
    return session.scalar(select(func.count()).where(UploadCheck.status == CheckStatus.QUEUED.value,
                                                     UploadCheck.id < check.id))


# ---------------------------------------------------------------- recording a verdict


def record_accepted(db: Database, store: NetworkStore, check_id: int, attempt: int, canonical: Path | str,
                    verdict: Verdict) -> bool:
    """Stores the canonical file (a path, or the hash of one already stored) and records the version.

    One transaction, conditional on the check's claim (`attempt`): False
    when the claim was lost (another checker took it over), and nothing is
    recorded. A team registered meanwhile by another upload, without this
    upload's key, refuses it instead.
    """
    with store.locked():
        digest = store.add(canonical, keep_source=True) if isinstance(canonical, Path) else canonical
        try:
            return _record(db, check_id, attempt, digest, verdict)
        finally:  # a refusal, a lost claim or an error: the file goes unless a version has it
            _drop_if_unused(db, store, digest)


def _record(db: Database, check_id: int, attempt: int, digest: str, verdict: Verdict) -> bool:
    for _ in range(5):
        try:
            with db.session() as session:
                check = session.get(UploadCheck, check_id)
                if check is None or check.attempt != attempt or CheckStatus(check.status).finished:
                    return False
                team = session.scalar(select(Team).where(Team.name == check.team))
                team_key = None
                if team is None:
                    team_key = secrets.token_urlsafe(18)
                    team = Team(name=check.team, key_hash=hash_key(team_key), email=check.email)
                    session.add(team)
                elif not (check.key_hash and hmac.compare_digest(team.key_hash, check.key_hash)):
                    return _finish_refused(session, check, attempt, verdict.checks,
                                           f"team {check.team!r} was registered by another upload meanwhile; "
                                           "upload again with its team key", verdict.seconds, reusable=False)
                elif check.email:
                    team.email = check.email
                network = add_version(session, team, check.name, digest, check.size_bytes, verdict,
                                      upload_sha256=check.upload_sha256)
                session.flush()
                notice = uploader_notice(flag_copies(session, network.current))
                claimed = session.execute(update(UploadCheck).where(
                    UploadCheck.id == check_id, UploadCheck.attempt == attempt).values(
                    status=CheckStatus.ACCEPTED.value, reason=verdict.reason, checks=verdict.checks,
                    params=verdict.params, check_seconds=verdict.seconds, checks_version=CHECKS_VERSION,
                    finished_at=utcnow(), version_id=network.current.id, team_key=team_key, notice=notice,
                    lease_until=None).execution_options(synchronize_session=False)).rowcount
                if claimed != 1:
                    session.rollback()
                    return False
                return True
        except IntegrityError:
            continue  # a concurrent upload took the same team, network or version number: read again
    with db.session() as session:
        check = session.get(UploadCheck, check_id)
        return _finish_refused(session, check, attempt, verdict.checks,
                               "too many simultaneous uploads for this network; upload again", verdict.seconds,
                               reusable=False)


def record_refused(db: Database, check_id: int, attempt: int, verdict: Verdict) -> bool:
    """Records a refusal, conditional on the claim; False when the claim was lost.

    A refusal by a named check is the file's verdict, reused for the same
    bytes; one without (a time-out, a crash, a lost file) may depend on the
    moment and is not."""
    reusable = any(check["ok"] is False for check in verdict.checks)
    with db.session() as session:
        check = session.get(UploadCheck, check_id)
        return check is not None and _finish_refused(session, check, attempt, verdict.checks, verdict.reason,
                                                     verdict.seconds, verdict.params, reusable)


def _finish_refused(session: Session, check: UploadCheck, attempt: int, checks: list[dict[str, Any]], reason: str,
                    seconds: float, params: int | None = None, reusable: bool = True) -> bool:
    done = session.execute(update(UploadCheck).where(UploadCheck.id == check.id, UploadCheck.attempt == attempt)
                           .values(status=CheckStatus.REFUSED.value, reason=reason, checks=checks, params=params,
                                   check_seconds=seconds, checks_version=CHECKS_VERSION if reusable else None,
                                   finished_at=utcnow(), lease_until=None)
                           .execution_options(synchronize_session=False)).rowcount
    return done == 1


def _used(db: Database, digest: str) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(func.count()).where(NetworkVersion.sha256 == digest)))


def _drop_if_unused(db: Database, store: NetworkStore, digest: str) -> None:
    if not _used(db, digest):
        store.remove(digest)


def add_version(session: Session, team: Team, name: str, digest: str, size: int, verdict: Verdict,
                upload_sha256: str | None = None) -> Network:
    network = session.scalar(select(Network).where(Network.team == team, Network.name == name)) if team.id else None
    if network is None:
        network = Network(team=team, name=name, bundled=team.name == BUNDLED_TEAM and name == BUNDLED_NAME)
        session.add(network)
    network.active = True  # a new version plays in the next tournaments
    number = 1 + max((v.number for v in network.versions), default=0)
    session.add(NetworkVersion(network=network, number=number, sha256=digest, upload_sha256=upload_sha256 or digest,
                               size_bytes=size, params=verdict.params or 0, checks=verdict.checks,
                               check_seconds=verdict.seconds, scores=verdict.scores,
                               fingerprint=verdict.fingerprint, weights_sha256=verdict.weights_sha256))
    return network


def reference_scores(session: Session) -> dict[str, Any]:
    """What an upload's held-out scores are read against: the bundled network's, and the class's best (the
    playing version of a team's with the best policy accuracy, not named)."""
    bundled, best = None, None
    for network in session.scalars(select(Network).where(Network.active.is_(True))):
        version = network.current
        if version is None or not version.scores:
            continue
        if network.bundled:
            bundled = version.scores
        elif best is None or version.scores["policy_accuracy"] > best["scores"]["policy_accuracy"]:
            best = {"scores": version.scores}  # unnamed: the uploader is not told which network is whose
    return {"bundled": bundled, "best": best}


def deactivate_network(network: Network, key: str | None) -> None:
    """Takes a network out of future tournaments; its team's key is needed."""
    if not network.team.key_matches(key):
        raise UploadError(403, f"the key of team {network.team.name!r} is needed to deactivate its networks")
    network.active = False


def register_bundled_network(db: Database, config: ServerConfig, sandbox: Sandbox,
                             log: Callable[[str], None] = print) -> None:
    """At start: the bundled default network is a network of team `golois`, its newest file the current version.

    It is the ratings' anchor. It is checked like an upload (once per
    file; the package's own file, so without a sandbox where none can be
    had) and stored as its canonical file. Call it under the database's
    start-up lock (`Database.startup_lock`): one process registers it.
    """
    store = NetworkStore(config.networks_dir)
    digest = sha256_file(DEFAULT_NETWORK)
    with db.session() as session:
        network = session.scalar(select(Network).where(Network.bundled.is_(True)))
        current = network.current if network is not None else None
        if current is not None and current.upload_sha256 == digest and store.has(current.sha256):
            return
    log("registering the bundled default network (its checks take a few seconds, once)")
    trusted = sandbox if sandbox.checks_allowed else Sandbox(Isolation.NONE, "the package's own file")
    verdict = check_upload(DEFAULT_NETWORK, trusted, CheckLimits(config.check_seconds, config.check_memory_mb),
                           config.checks_dir)
    if not verdict.accepted or verdict.canonical is None:
        raise GoloisError(f"the bundled network fails its own checks: {verdict.reason}")
    try:
        with store.locked():
            canonical = store.add(verdict.canonical, keep_source=True)
            with db.session() as session:
                team = session.scalar(select(Team).where(Team.name == BUNDLED_TEAM))
                if team is None:  # its key is never shown; the admin can issue one
                    team = Team(name=BUNDLED_TEAM, key_hash=hash_key(secrets.token_urlsafe(18)))
                    session.add(team)
                network = session.scalar(select(Network).where(Network.bundled.is_(True)))
                if network is None or network.current is None or network.current.sha256 != canonical:
                    add_version(session, team, BUNDLED_NAME, canonical, DEFAULT_NETWORK.stat().st_size, verdict,
                                upload_sha256=digest)
                else:  # its canonical file was lost and is written again, the same bytes
                    network.current.upload_sha256 = digest
    finally:
        discard(verdict)


# The web's side of an upload: the form or API request in, the check as it stands out.


def upload_from_request() -> str:
    """Queues the upload in the current request (API or form); returns its check's token.

    Fields: file, team, name, key, class_token, email."""
    upload = flask.request.files.get("file")
    if upload is None or not upload.filename:
        raise UploadError(400, "no file: send the network as the multipart field 'file'")
    missing = [field for field in ("team", "name") if not flask.request.form.get(field, "").strip()]
    if missing:
        raise UploadError(400, f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")

    def save(path) -> int:
        upload.save(path)
        return path.stat().st_size

    form = flask.request.form
    token = submit_upload(get_database(), get_config(), get_sandbox(), UploadRequest(
        team=form["team"], name=form["name"], address=flask.request.remote_addr or "unknown", key=form.get("key", ""),
        class_token=form.get("class_token", ""), email=form.get("email", "")), save)
    service = current_app.extensions.get("golois_checks")
    if service is not None:
        service.poke()
    return token


def check_state(token: str, wait: float = 0.0) -> dict[str, Any]:
    """The check as it stands, after waiting up to `wait` seconds for its verdict; hands out a new team's key once."""
    deadline = time.monotonic() + wait
    while True:
        session = get_session()
        session.expire_all()
        check = session.scalar(select(UploadCheck).where(UploadCheck.token == token))
        if check is None:
            abort(404, "no such upload (an upload is reached by the address given when it was sent)")
        if CheckStatus(check.status).finished or time.monotonic() >= deadline:
            break
        session.rollback()  # no transaction held while waiting
        time.sleep(POLL)
    data = check_dict(check, queue_position(session, check), take_team_key(session, check))
    data["reference"] = reference_scores(session)
    data["url"] = url_for("api.show_check", token=token, _external=True)
    data["page"] = url_for("pages.check", token=token, _external=True)
    return data
