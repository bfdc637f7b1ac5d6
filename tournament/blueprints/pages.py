"""The HTML site: standings, networks, uploads, tournaments, game replays and downloads."""

from __future__ import annotations

import io
import zipfile

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from golois.engine.game_end import EndReason
from golois.engine.judge import AdjudicationRule
from golois.tournament.db import get_or_404, get_session
from golois.tournament.domain import GameStatus
from golois.tournament.history import rating_chart, rating_history, winners
from golois.tournament.models import Game, Network, Setting, Team, Tournament, Worker, utcnow
from golois.tournament.serialize import game_moves
from golois.tournament.standings import compute_standings
from golois.tournament.uploads import (
    CLASS_TOKEN,
    UploadError,
    check_state,
    deactivate_network,
    reference_scores,
    upload_from_request,
)
from golois.tournament.winrate_chart import winrate_chart

bp = Blueprint("pages", __name__)
GAMES_SHOWN = 200  # a team's most recent games on its page (every game is in the tournaments' archives)


def finished_games(session, version_ids: list[int], limit: int | None = None) -> list[Game]:
    """The finished games of these versions, newest first (the network's and the team's pages)."""
    return list(session.scalars(select(Game).where(
        Game.status == GameStatus.FINISHED, or_(Game.black_id.in_(version_ids), Game.white_id.in_(version_ids)))
        .order_by(Game.id.desc()).limit(limit)))


@bp.get("/")
def index():
    session = get_session()
    tournament = session.scalar(select(Tournament).order_by(Tournament.id.desc()).limit(1))
    standings = compute_standings(session, tournament) if tournament else None
    networks = session.scalars(select(Network).where(Network.active.is_(True)).order_by(Network.id)).all()
    return render_template("index.html", tournament=tournament, standings=standings, networks=networks)


@bp.get("/networks")
def networks():
    rows = get_session().scalars(select(Network).order_by(Network.active.desc(), Network.id)).all()
    return render_template("networks.html", networks=rows)


@bp.get("/networks/<id:network_id>")
def network(network_id: int):
    session = get_session()
    net = get_or_404(Network, network_id)
    ids = [v.id for v in net.versions]
    games = finished_games(session, ids)
    losses: dict[str, int] = {}
    for game in games:
        if game.loser_id() in ids:
            losses[game.reason] = losses.get(game.reason, 0) + 1
    return render_template("network.html", network=net, games=games, version_ids=set(ids), losses=losses,
                           reference=reference_scores(session), chart=rating_chart(rating_history(session, ids)))


@bp.get("/teams/<id:team_id>")
def team(team_id: int):
    """A team: every version of its networks with its scores and speed, its ratings in each tournament, its
    games."""
    session = get_session()
    row = get_or_404(Team, team_id)
    versions = [version for network in row.networks for version in network.versions]
    ids = [version.id for version in versions]
    history = rating_history(session, ids)
    games = finished_games(session, ids, GAMES_SHOWN)
    return render_template("team.html", team=row, versions=versions, history=history, chart=rating_chart(history),
                           games=games, version_ids=set(ids), reference=reference_scores(session))


@bp.post("/networks/<id:network_id>/deactivate")
def deactivate(network_id: int):
    network = get_or_404(Network, network_id)
    deactivate_network(network, request.form.get("key"))
    get_session().commit()
    flash(f"{network.label} will not play in the next tournaments")
    return redirect(url_for("pages.network", network_id=network_id))


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    needs_token = bool(Setting.read(get_session(), CLASS_TOKEN))
    if request.method == "GET":
        return render_template("upload.html", needs_token=needs_token)
    try:
        token = upload_from_request()
    except UploadError as error:
        return render_template("upload.html", needs_token=needs_token, refused=error, form=request.form), \
            error.status
    return redirect(url_for("pages.check", token=token), code=303)


@bp.get("/checks/<token>")
def check(token: str):
    """An upload's checks, completed one by one (check.js reloads the panel until the verdict)."""
    return render_template("check.html", check=check_state(token))


@bp.get("/checks/<token>/panel")
def check_panel(token: str):
    return render_template("_check_panel.html", check=check_state(token))


@bp.get("/tournaments")
def tournaments():
    session = get_session()
    rows = session.scalars(select(Tournament).order_by(Tournament.id.desc())).all()
    return render_template("tournaments.html", tournaments=rows, winners=winners(session, list(rows)))


@bp.get("/tournaments/<id:tournament_id>")
def tournament(tournament_id: int):
    row = get_or_404(Tournament, tournament_id)
    return render_template("tournament.html", tournament=row, standings=compute_standings(get_session(), row))


@bp.get("/tournaments/<id:tournament_id>/standings.csv")
def standings_csv(tournament_id: int):
    row = get_or_404(Tournament, tournament_id)
    return Response(compute_standings(get_session(), row).csv(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=golois-tournament-{tournament_id}-standings.csv"})


@bp.get("/tournaments/<id:tournament_id>/games.zip")
def games_zip(tournament_id: int):
    row = get_or_404(Tournament, tournament_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for game in row.games:
            if game.status == GameStatus.FINISHED and game.sgf:
                archive.writestr(f"tournament-{tournament_id}/game-{game.number:05d}.sgf", game.sgf)
    return Response(buffer.getvalue(), mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename=golois-tournament-{tournament_id}-games.zip"})


@bp.get("/workers")
def workers():
    """The machines of the task queue: their measured speed, games and losses on time."""
    session = get_session()
    rows = session.scalars(select(Worker).order_by(Worker.started_at.desc())).all()
    played = dict(session.execute(select(Game.runner, func.count()).where(Game.status == GameStatus.FINISHED)
                                  .group_by(Game.runner)).all())
    time_losses = dict(session.execute(select(Game.runner, func.count()).where(
        Game.status == GameStatus.FINISHED, Game.reason == EndReason.TIME).group_by(Game.runner)).all())
    return render_template("workers.html", workers=rows, played=played, time_losses=time_losses, now=utcnow())


@bp.get("/games/<id:game_id>")
def game(game_id: int):
    row = get_or_404(Game, game_id)
    moves = game_moves(row) if row.status == GameStatus.FINISHED else (row.live or {}).get("moves", [])
    return render_template("game.html", game=row, moves=moves, judge_rule=AdjudicationRule().describe(),
                           chart=winrate_chart(row.winrates, row.moves))


@bp.get("/games/<id:game_id>.sgf")
def game_sgf(game_id: int):
    row = get_or_404(Game, game_id)
    if not row.sgf:
        abort(404, "this game has not been played yet")
    return Response(row.sgf, mimetype="application/x-go-sgf", headers={
        "Content-Disposition": f"attachment; filename=golois-game-{game_id}.sgf"})
