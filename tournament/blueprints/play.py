"""Playing the engine in the browser: the form, the game page, and the moves (JSON, CSRF-protected)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from golois import DEFAULT_KOMI
from golois.tournament.db import get_or_404, get_session
from golois.tournament.domain import PlayStatus
from golois.tournament.models import Network, NetworkVersion, PlayGame
from golois.tournament.play import (
    DEFAULT_SECONDS,
    HANDICAP_KOMI,
    IDLE_GAME,
    KOMI,
    OPEN_GAMES_PER_ADDRESS,
    SECONDS,
    PlayError,
    human_move,
    new_game,
    resign,
    sgf_of,
    state_dict,
)

bp = Blueprint("play", __name__)


def _game(token: str) -> PlayGame:
    game = get_session().scalar(select(PlayGame).where(PlayGame.token == token))
    if game is None:
        abort(404, "no such game (games are reached by the address given when they start)")
    return game


def _save(game: PlayGame):
    """Commits the visitor's change: the game's new state, or 409 when it changed meanwhile.

    The engine's answer, or the same game in another tab, may have been saved
    since this request read the game (see PlayGame.revision): then nothing of
    this request is kept and the visitor sees the game as it now is.
    """
    try:
        get_session().commit()
    except StaleDataError:
        get_session().rollback()
        now = _game(game.token)
        return jsonify(state_dict(now) | {"refused": "the game changed meanwhile; here it is as it now stands"}), 409
    return jsonify(state_dict(game))


def _think() -> None:
    service = current_app.extensions.get("golois_thinking")
    if service is not None:
        service.poke()


@bp.get("/play")
def choose():
    networks = get_session().scalars(select(Network).where(Network.active.is_(True))
                                     .order_by(Network.bundled.desc(), Network.id)).all()
    return render_template("play_choose.html", networks=networks, komi_range=KOMI, default_komi=DEFAULT_KOMI,
                           handicap_komi=HANDICAP_KOMI,
                           seconds_range=SECONDS, default_seconds=DEFAULT_SECONDS,
                           open_games_limit=OPEN_GAMES_PER_ADDRESS, idle_minutes=IDLE_GAME.seconds // 60)


@bp.post("/play")
def start():
    form = request.form
    try:
        version = get_or_404(NetworkVersion, int(form.get("version", "")))
        handicap = int(form.get("handicap", "0"))
        komi = float(form.get("komi") or (HANDICAP_KOMI if handicap else DEFAULT_KOMI))
        game = new_game(get_session(), version, form.get("colour", "B"), komi, handicap,
                        float(form.get("seconds", DEFAULT_SECONDS)), address=request.remote_addr or "")
    except ValueError as error:
        raise PlayError(f"invalid game settings: {error}") from error
    get_session().commit()
    if game.status == PlayStatus.ENGINE:
        _think()
    return redirect(url_for("play.game_page", token=game.token))


@bp.get("/play/<token>")
def game_page(token: str):
    return render_template("play.html", game=_game(token))


@bp.get("/play/<token>.sgf")
def game_sgf(token: str):
    return Response(sgf_of(_game(token)), mimetype="application/x-go-sgf",
                    headers={"Content-Disposition": f"attachment; filename=golois-play-{token}.sgf"})


@bp.get("/api/play/<token>")
def game_state(token: str):
    return jsonify(state_dict(_game(token)))


@bp.post("/api/play/<token>/move")
def move(token: str):
    game = _game(token)
    vertex = (request.get_json(silent=True) or {}).get("vertex") or request.form.get("vertex", "")
    if not isinstance(vertex, str) or not vertex:
        raise PlayError("send the move as {\"vertex\": \"D4\"} (or \"pass\")")
    try:
        human_move(game, vertex)
    except PlayError as error:
        return jsonify(state_dict(game) | {"refused": str(error)}), 400
    answer = _save(game)
    _think()
    return answer


@bp.post("/api/play/<token>/resign")
def resign_game(token: str):
    game = _game(token)
    resign(game)
    return _save(game)
