"""The JSON API: networks (and uploads), tournaments with standings, games with their SGF."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, jsonify, request, send_file
from sqlalchemy import select

from golois.tournament.app import get_config
from golois.tournament.db import get_database, get_or_404, get_session
from golois.tournament.models import Game, Network, Tournament
from golois.tournament.serialize import game_dict, network_dict, tournament_dict
from golois.tournament.standings import compute_standings
from golois.tournament.storage import NetworkStore
from golois.tournament.uploads import Accepted, UploadError, UploadRequest, deactivate_network, receive_upload

bp = Blueprint("api", __name__, url_prefix="/api")


def upload_from_request() -> Accepted:
    """The upload in the current request (API or form): fields file, team, name, key, class_token, email."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UploadError(400, "no file: send the network as the multipart field 'file'")
    missing = [field for field in ("team", "name") if not request.form.get(field, "").strip()]
    if missing:
        raise UploadError(400, f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")

    def save(path) -> int:
        upload.save(path)
        return path.stat().st_size

    form = request.form
    return receive_upload(get_database(), get_config(), UploadRequest(
        team=form["team"], name=form["name"], address=request.remote_addr or "unknown", key=form.get("key", ""),
        class_token=form.get("class_token", ""), email=form.get("email", "").strip()), save)


@bp.post("/networks")
def upload_network():
    try:
        accepted = upload_from_request()
    except UploadError as error:
        return jsonify(error.as_dict()), error.status
    return jsonify(accepted.as_dict()), 201


@bp.get("/networks")
def list_networks():
    networks = get_session().scalars(select(Network).order_by(Network.id)).all()
    return jsonify({"networks": [network_dict(n) for n in networks]})


@bp.get("/networks/<int:network_id>")
def show_network(network_id: int):
    return jsonify(network_dict(get_or_404(Network, network_id), versions=True))


@bp.post("/networks/<int:network_id>/deactivate")
def deactivate(network_id: int):
    """Takes a network out of future tournaments; needs its team's key."""
    network = get_or_404(Network, network_id)
    deactivate_network(network, request.form.get("key") or request.headers.get("X-Team-Key"))
    get_session().commit()
    return jsonify(network_dict(network))


@bp.get("/tournaments")
def list_tournaments():
    tournaments = get_session().scalars(select(Tournament).order_by(Tournament.id.desc())).all()
    return jsonify({"tournaments": [tournament_dict(t) for t in tournaments]})


@bp.get("/tournaments/<int:tournament_id>")
def show_tournament(tournament_id: int):
    tournament = get_or_404(Tournament, tournament_id)
    standings = compute_standings(get_session(), tournament)
    data = tournament_dict(tournament) | standings.as_dict()
    data["games"] = [game_dict(g) for g in tournament.games]
    return jsonify(data)


@bp.get("/worker/networks/<sha256>")
def worker_network(sha256: str):
    """A network file for a worker of the task queue (workers share no disk with the server)."""
    token = get_config().worker_token
    if not token:
        abort(404, "this server has no workers (set GOLOIS_WORKER_TOKEN)")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        abort(403, "a worker token is needed")
    store = NetworkStore(get_config().networks_dir)
    try:
        path = store.path(sha256)
    except ValueError:
        abort(404, "not a SHA-256")
    if not path.is_file():
        abort(404, f"no network {sha256[:12]}")
    return send_file(path, mimetype="application/x-hdf5", download_name=f"{sha256}.h5")


@bp.get("/games/<int:game_id>")
def show_game(game_id: int):
    return jsonify(game_dict(get_or_404(Game, game_id), sgf=True))
