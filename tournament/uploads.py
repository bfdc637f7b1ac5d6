"""Receiving a network: who may upload, the sandboxed checks, and what is recorded.

The order matters: cheap refusals first (malformed fields, the rate limit,
the class token, another team's name without its key), then the checks in a
separate process, and only an accepted file is stored (under its SHA-256)
and recorded, in one transaction. A refused upload leaves nothing but its
line in the rate-limit table.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from golois.errors import GoloisError
from golois.files import sha256_file
from golois.network import DEFAULT_NETWORK
from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.models import (
    NAME_LENGTH,
    Network,
    NetworkVersion,
    Setting,
    Team,
    UploadAttempt,
    hash_key,
    utcnow,
)
from golois.tournament.serialize import network_dict
from golois.tournament.storage import NetworkStore
from golois.tournament.upload_check import Verdict, check_upload

NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 _.\-]{{0,{NAME_LENGTH - 1}}}")
BUNDLED_TEAM, BUNDLED_NAME = "golois", "default"
CLASS_TOKEN = "class_token"  # Setting key


class UploadError(GoloisError):
    """An upload refused before or after its checks; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str, checks: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.checks = status, checks or []

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": False, "reason": str(self), "checks": self.checks, "network": None}


@dataclass
class UploadRequest:
    team: str
    name: str
    address: str
    key: str = ""            # the team's key (not needed for a team's first upload)
    class_token: str = ""    # needed when the admin set one
    email: str = ""          # optional, for the results by e-mail


@dataclass
class Accepted:
    network: dict[str, Any]
    verdict: Verdict
    team_key: str | None = None  # only for a team's first upload: shown once
    body: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = {"accepted": True, "reason": self.verdict.reason, "checks": self.verdict.checks,
                "network": self.network, "check_seconds": round(self.verdict.seconds, 2)}
        if self.team_key:
            data["team_key"] = self.team_key
        return data


def validate_name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not NAME_PATTERN.fullmatch(value):
        raise UploadError(400, f"{what} must be 1 to {NAME_LENGTH} letters, digits, spaces, '.', '_' or '-', "
                               f"starting with a letter or digit (got {value[:60]!r})")
    return value


def receive_upload(db: Database, config: ServerConfig, request: UploadRequest,
                   save_file: Callable[[Path], int]) -> Accepted:
    """Checks and records an upload; `save_file(path)` writes the uploaded bytes and returns their size.

    Raises UploadError (with its HTTP status) for every refusal.
    """
    team_name = validate_name(request.team, "the team name")
    network_name = validate_name(request.name, "the network name")
    if request.email and (len(request.email) > 200 or "@" not in request.email):
        raise UploadError(400, "the e-mail address is not valid")
    with db.session() as session:
        _count_attempt(session, request.address, config.uploads_per_hour)
    with db.session() as session:
        _check_permission(session, team_name, request)
    incoming = config.incoming_dir / f"{uuid.uuid4().hex}.h5"
    try:
        size = save_file(incoming)
        if size == 0:
            raise UploadError(400, "the file is empty")
        if size > config.max_upload_bytes:
            raise UploadError(413, f"the file has {size:,} bytes; the limit is {config.max_upload_bytes:,}")
        verdict = check_upload(incoming, config.cache_dir, config.check_seconds, config.check_memory_mb)
        if not verdict.accepted:
            raise UploadError(422, verdict.reason, verdict.checks)
        store = NetworkStore(config.networks_dir)
        with store.locked():
            digest = store.add(incoming)
            try:
                return _record(db, team_name, network_name, request, digest, size, verdict)
            except BaseException:
                with db.session() as session:  # nothing left behind: the file goes unless a version has it
                    if not session.scalar(select(func.count()).where(NetworkVersion.sha256 == digest)):
                        store.remove(digest)
                raise
    finally:
        incoming.unlink(missing_ok=True)


def _count_attempt(session: Session, address: str, per_hour: int) -> None:
    since = utcnow() - dt.timedelta(hours=1)
    recent = session.scalar(select(func.count()).where(UploadAttempt.address == address, UploadAttempt.at >= since))
    if recent >= per_hour:
        raise UploadError(429, f"too many uploads from this address ({recent} in the last hour; the limit is "
                               f"{per_hour}); try again later")
    session.add(UploadAttempt(address=address))


def _check_permission(session: Session, team_name: str, request: UploadRequest) -> None:
    token = Setting.read(session, CLASS_TOKEN)
    if token and not secrets.compare_digest(str(token), request.class_token or ""):
        raise UploadError(403, "this class needs its class token to upload (ask the teacher)")
    team = session.scalar(select(Team).where(Team.name == team_name))
    if team is not None and not team.key_matches(request.key):
        raise UploadError(403, f"team {team_name!r} exists; give its team key to upload for it "
                               "(the key was shown at the team's first upload; the admin can issue a new one)")


def _record(db: Database, team_name: str, network_name: str, request: UploadRequest, digest: str, size: int,
            verdict: Verdict) -> Accepted:
    """One transaction: the team (if new), the network (if new), the new version. Retried on a race."""
    for _ in range(5):
        try:
            with db.session() as session:
                team = session.scalar(select(Team).where(Team.name == team_name))
                team_key = None
                if team is None:
                    team_key = secrets.token_urlsafe(18)
                    team = Team(name=team_name, key_hash=hash_key(team_key), email=request.email or None)
                    session.add(team)
                elif not team.key_matches(request.key):  # created by a concurrent upload, with another key
                    raise UploadError(409, f"team {team_name!r} was registered by another upload a moment ago; "
                                           "upload again with its team key")
                elif request.email:
                    team.email = request.email
                network = add_version(session, team, network_name, digest, size, verdict)
                session.flush()
                return Accepted(network_dict(network, versions=True), verdict, team_key)
        except IntegrityError:
            continue  # a concurrent upload took the same team, network or version number: read again
    raise UploadError(409, "too many simultaneous uploads for this network; try again")


def add_version(session: Session, team: Team, name: str, digest: str, size: int, verdict: Verdict) -> Network:
    network = session.scalar(select(Network).where(Network.team == team, Network.name == name)) if team.id else None
    if network is None:
        network = Network(team=team, name=name, bundled=team.name == BUNDLED_TEAM and name == BUNDLED_NAME)
        session.add(network)
    network.active = True  # a new version plays in the next tournaments
    number = 1 + max((v.number for v in network.versions), default=0)
    session.add(NetworkVersion(network=network, number=number, sha256=digest, size_bytes=size,
                               params=verdict.params or 0, checks=verdict.checks, check_seconds=verdict.seconds))
    return network


def deactivate_network(network: Network, key: str | None) -> None:
    """Takes a network out of future tournaments; its team's key is needed."""
    if not network.team.key_matches(key):
        raise UploadError(403, f"the key of team {network.team.name!r} is needed to deactivate its networks")
    network.active = False


def register_bundled_network(db: Database, config: ServerConfig, log: Callable[[str], None] = print) -> None:
    """At start: the bundled default network is a network of team `golois`, its newest file the current version.

    It is the ratings' anchor. It is checked like any upload (once per file),
    before it is stored; storing and recording it hold the store's lock, as an
    upload does, so a refused upload of the same file cannot take it back meanwhile.
    """
    store = NetworkStore(config.networks_dir)
    digest = sha256_file(DEFAULT_NETWORK)
    with db.session() as session:
        network = session.scalar(select(Network).where(Network.bundled.is_(True)))
        if network is not None and network.current and network.current.sha256 == digest:
            with store.locked():
                store.add(DEFAULT_NETWORK, keep_source=True)  # again if the store lost it
            return
    log("registering the bundled default network (its checks take a few seconds, once)")
    verdict = check_upload(DEFAULT_NETWORK, config.cache_dir, config.check_seconds, config.check_memory_mb)
    if not verdict.accepted:
        raise GoloisError(f"the bundled network fails its own checks: {verdict.reason}")
    with store.locked():
        store.add(DEFAULT_NETWORK, keep_source=True)
        try:
            with db.session() as session:
                team = session.scalar(select(Team).where(Team.name == BUNDLED_TEAM))
                if team is None:  # its key is never shown; the admin can issue one
                    team = Team(name=BUNDLED_TEAM, key_hash=hash_key(secrets.token_urlsafe(18)))
                    session.add(team)
                add_version(session, team, BUNDLED_NAME, digest, DEFAULT_NETWORK.stat().st_size, verdict)
        except IntegrityError:
            pass  # another server process registered it at the same moment
