"""Copies: a new version that matches another team's network is flagged to the admin, who decides.

Four matches, from the surest (`CopyKind`): the same uploaded bytes, the same
canonical file (the model the server wrote from the upload), the same
weights saved another way (`upload_check.weights_digest`), and near copies:
networks whose top moves on fixed random inputs (`network.scores.fingerprint`)
agree far beyond what independently trained networks do. The near-copy
threshold was measured on the real course networks against each other and
against copies of them fine-tuned for 300 steps (docs/results/copies.md:
`python tools/scores_and_copies.py`).

A team's own versions are never compared with each other. Each other
network is flagged at most once per version, by its closest version. The
uploader is told that the file matches another team's, never which; the
admin sees the pair and the evidence and keeps it, takes the copying network
out of the tournaments, or refuses the version (it never plays, and its
uploader's check says so).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from golois.network.scores import agreement
from golois.tournament.domain import CheckStatus, CopyDecision, CopyKind
from golois.tournament.models import CopyFlag, Network, NetworkVersion, UploadCheck, utcnow

# Near copies: at least this share of the noise inputs with the same top move. Measured
# (docs/results/copies.md): 15 pairs of independent networks (5 course networks and the bundled one) agree
# on 0.6% to 9.0% of them; each of them fine-tuned for 300 steps agrees with its original on 20.0% to 72.1%.
NEAR_COPY_NOISE_AGREEMENT = 0.15


def match(version: NetworkVersion, other: NetworkVersion) -> tuple[CopyKind, dict[str, Any]] | None:
    """How `version` matches `other`, with the evidence; None when it does not."""
    if version.upload_sha256 and version.upload_sha256 == other.upload_sha256:
        return CopyKind.SAME_FILE, {"sha256": version.upload_sha256}
    if version.sha256 == other.sha256:
        return CopyKind.SAME_CANONICAL, {"sha256": version.sha256}
    if version.weights_sha256 and version.weights_sha256 == other.weights_sha256:
        return CopyKind.SAME_WEIGHTS, {"weights_sha256": version.weights_sha256}
    if version.fingerprint and other.fingerprint:
        alike = agreement(version.fingerprint, other.fingerprint)
        if is_near_copy(alike):
            return CopyKind.NEAR_COPY, alike
    return None


def is_near_copy(alike: dict[str, float]) -> bool:
    return alike["noise_same_top_move"] >= NEAR_COPY_NOISE_AGREEMENT


_STRENGTH = {kind: rank for rank, kind in enumerate(CopyKind)}  # lower: surer


def flag_copies(session: Session, version: NetworkVersion) -> list[CopyFlag]:
    """Flags every other team's network that `version` matches (by its closest version); adds the rows."""
    team_id = version.network.team_id
    others = session.scalars(select(NetworkVersion).join(Network).where(
        Network.team_id != team_id, NetworkVersion.id != version.id).options(undefer(NetworkVersion.fingerprint))
        .order_by(NetworkVersion.id)).all()
    closest: dict[int, tuple[CopyKind, dict[str, Any], NetworkVersion]] = {}
    for other in others:
        found = match(version, other)
        if found is None:
            continue
        kept = closest.get(other.network_id)
        if kept is None or _closer(found, kept[:2]):
            closest[other.network_id] = (*found, other)
    flags = [CopyFlag(version=version, original=other, kind=kind.value, evidence=evidence)
             for kind, evidence, other in closest.values()]
    session.add_all(flags)
    return flags


def _closer(found: tuple[CopyKind, dict[str, Any]], kept: tuple[CopyKind, dict[str, Any]]) -> bool:
    if _STRENGTH[found[0]] != _STRENGTH[kept[0]]:
        return _STRENGTH[found[0]] < _STRENGTH[kept[0]]
    return found[1].get("noise_same_top_move", 0) > kept[1].get("noise_same_top_move", 0)


def uploader_notice(flags: list[CopyFlag]) -> str | None:
    """What the uploader is told: that the file matches another team's network, and how; never which."""
    if not flags:
        return None
    surest = min((CopyKind(flag.kind) for flag in flags), key=_STRENGTH.__getitem__)
    how = {CopyKind.SAME_FILE: "it is the same file as", CopyKind.SAME_CANONICAL: "it is the same model as",
           CopyKind.SAME_WEIGHTS: "it has the same weights as",
           CopyKind.NEAR_COPY: "its answers on test inputs are nearly those of"}[surest]
    return (f"{how} a network of another team. The admin has been told and decides whether it plays; "
            "if it is your own work, tell the teacher.")


def decide(session: Session, flag: CopyFlag, decision: CopyDecision) -> None:
    """The admin's decision on a flag (any earlier decision is replaced; refusing cannot be undone here)."""
    flag.decision, flag.decided_at = decision.value, utcnow()
    version = flag.version
    if decision is CopyDecision.DEACTIVATE:
        version.network.active = False
    elif decision is CopyDecision.REFUSE and version.refused_at is None:
        version.refused_at = utcnow()
        if version.network.current is None:
            version.network.active = False
        for check in session.scalars(select(UploadCheck).where(UploadCheck.version_id == version.id)):
            check.status = CheckStatus.REFUSED.value
            check.reason = "refused by the admin: the network is a copy of another team's"
            check.checks_version = None  # not a verdict on the bytes: never reused for another upload


def open_flags(session: Session) -> list[CopyFlag]:
    return list(session.scalars(select(CopyFlag).where(CopyFlag.decision.is_(None)).order_by(CopyFlag.id)))


def decided_flags(session: Session, limit: int = 50) -> list[CopyFlag]:
    return list(session.scalars(select(CopyFlag).where(CopyFlag.decision.is_not(None))
                                .order_by(CopyFlag.decided_at.desc()).limit(limit)))
