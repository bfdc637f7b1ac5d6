"""Rows as JSON-ready dicts: one shape per kind of object, shared by the API and the pages' scripts."""

from __future__ import annotations

from typing import Any

from golois import parse_sgf
from golois.engine.coords import gtp_vertex
from golois.engine.judge import AdjudicationRule
from golois.tournament.domain import GameStatus
from golois.tournament.models import Game, Network, NetworkVersion, Tournament, UploadCheck


def _time(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def version_dict(version: NetworkVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "number": version.number,
        "label": version.label,
        "sha256": version.sha256,
        "size_bytes": version.size_bytes,
        "params": version.params,
        "uploaded_at": _time(version.uploaded_at),
        "check_seconds": round(version.check_seconds, 2),
        "checks": version.checks,
        "upload_sha256": version.upload_sha256,
        "weights_sha256": version.weights_sha256,
        "scores": version.scores,
        "refused": version.refused_at is not None,
    }


def network_dict(network: Network, versions: bool = False) -> dict[str, Any]:
    data = {
        "id": network.id,
        "team": network.team.name,
        "name": network.name,
        "label": network.label,
        "active": network.active,
        "bundled": network.bundled,
        "current_version": version_dict(network.current) if network.current else None,
    }
    if versions:
        data["versions"] = [version_dict(v) for v in network.versions]
    return data


def check_dict(check: UploadCheck, position: int | None = None, team_key: str | None = None) -> dict[str, Any]:
    """An upload's check as its uploader follows it; `team_key` only for the one answer that hands it out."""
    data = {
        "token": check.token,
        "status": check.status,
        "accepted": {"accepted": True, "refused": False}.get(check.status),
        "team": check.team,
        "name": check.name,
        "upload_sha256": check.upload_sha256,
        "size_bytes": check.size_bytes,
        "checks": check.checks,
        "reason": check.reason,
        "params": check.params,
        "check_seconds": round(check.check_seconds, 2) if check.check_seconds is not None else None,
        "queued_at": _time(check.created_at),
        "finished_at": _time(check.finished_at),
        "network": network_dict(check.version.network, versions=True) if check.version else None,
        "scores": check.version.scores if check.version else None,
        "notice": check.notice,
    }
    if position is not None:
        data["position"] = position  # checks queued before this one
    if team_key:
        data["team_key"] = team_key
    return data


def game_dict(game: Game, sgf: bool = False) -> dict[str, Any]:
    data = {
        "id": game.id,
        "tournament_id": game.tournament_id,
        "number": game.number,
        "black": {"version_id": game.black_id, "label": game.black.label},
        "white": {"version_id": game.white_id, "label": game.white.label},
        "opening": game.opening,
        "status": game.status,
        "winner": game.winner,
        "result": game.result,
        "reason": game.reason,
        "detail": game.detail,
        "moves": game.moves,
        "black_seconds": game.black_seconds,
        "white_seconds": game.white_seconds,
        "runner": game.runner,
        "started_at": _time(game.started_at),
        "finished_at": _time(game.finished_at),
        "judged": game.tournament.judge,
        "winrates": game.winrates,  # Black's win rate after each move: each engine's own, and the judge's
        "dead": [gtp_vertex(point) for point in game.dead or []],  # taken off by the judge before the count
    }
    if game.status == GameStatus.RUNNING:
        data["live"] = game.live  # the moves so far, [[colour, point], ...], the clocks and win rates
    if sgf:
        data["sgf"] = game.sgf
    return data


def game_moves(game: Game) -> list[list[int]]:
    """[[colour, point], ...] of the game's SGF (point 361 = pass), for the replay page."""
    if not game.sgf:
        return []
    parsed = parse_sgf(game.sgf)
    if not parsed or not parsed[0].ok:
        return []
    return [[colour, point] for point, colour, *_ in parsed[0].game.moves]


def tournament_dict(tournament: Tournament) -> dict[str, Any]:
    return {
        "id": tournament.id,
        "status": tournament.status,
        "started_by": tournament.started_by,
        "time_control": tournament.time_control,
        "seconds_per_move": tournament.seconds_per_move,
        "playouts": tournament.playouts,
        "games_per_pair": tournament.games_per_pair,
        "komi": tournament.komi,
        "max_moves": tournament.max_moves,
        "judge": AdjudicationRule().describe() if tournament.judge else None,
        "created_at": _time(tournament.created_at),
        "finished_at": _time(tournament.finished_at),
    }
