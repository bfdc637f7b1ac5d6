"""The JSON API: networks (and uploads with their checks), tournaments with standings, games with their SGF."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, jsonify, request, send_file
from sqlalchemy import select

from golois.tournament.config import get_config
from golois.tournament.db import get_database, get_or_404, get_session
from golois.tournament.domain import MAX_WAIT, CheckStatus
from golois.tournament.models import Game, Network, Tournament
from golois.tournament.serialize import game_dict, network_dict, tournament_dict
from golois.tournament.standings import compute_standings
from golois.tournament.storage import NetworkStore
from golois.tournament.uploads import (
    UploadError,
    check_state,
    deactivate_network,
    incoming_path,
    upload_from_request,
)

bp = Blueprint("api", __name__, url_prefix="/api")


def wait_argument() -> float:
    try:
        wait = float(request.args.get("wait") or 0)
    except ValueError:
        raise UploadError(400, f"wait={request.args.get('wait')!r}: give seconds, up to {MAX_WAIT:g}") from None
    return min(max(wait, 0.0), MAX_WAIT) if wait == wait else 0.0  # NaN: no wait


@bp.post("/networks")
def upload_network():
    """Queues an upload: 202 with the check's URL; with ?wait=SECONDS, 201 or 422 once it has its verdict."""
    wait = wait_argument()
    try:
        token = upload_from_request()
    except UploadError as error:
        return jsonify(error.as_dict()), error.status
    data = check_state(token, wait)
    status = {CheckStatus.ACCEPTED.value: 201, CheckStatus.REFUSED.value: 422}.get(data["status"], 202)
    return jsonify(data), status, {"Location": data["url"]}


@bp.get("/checks/<token>")
def show_check(token: str):
    """An upload's check: its status, the checks completed so far, the verdict (?wait=SECONDS to wait for it)."""
    return jsonify(check_state(token, wait_argument()))


@bp.get("/networks")
def list_networks():
    networks = get_session().scalars(select(Network).order_by(Network.id)).all()
    return jsonify({"networks": [network_dict(n) for n in networks]})


@bp.get("/networks/<id:network_id>")
def show_network(network_id: int):
    return jsonify(network_dict(get_or_404(Network, network_id), versions=True))


@bp.post("/networks/<id:network_id>/deactivate")
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


@bp.get("/tournaments/<id:tournament_id>")
def show_tournament(tournament_id: int):
    tournament = get_or_404(Tournament, tournament_id)
    standings = compute_standings(get_session(), tournament)
    data = tournament_dict(tournament) | standings.as_dict()
    data["games"] = [game_dict(g) for g in tournament.games]
    return jsonify(data)


def _require_worker() -> None:
    """Only the task queue's workers (they show the server's worker token) reach the /api/worker/ routes."""
    token = get_config().worker_token
    if not token:
        abort(404, "this server has no workers (set GOLOIS_WORKER_TOKEN)")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        abort(403, "a worker token is needed")


@bp.get("/worker/networks/<sha256>")
def worker_network(sha256: str):
    """A (canonical) network file for a worker of the task queue (workers share no disk with the server)."""
    _require_worker()
    store = NetworkStore(get_config().networks_dir)
    try:
        path = store.path(sha256)
    except ValueError:
        abort(404, "not a SHA-256")
    if not path.is_file():
        abort(404, f"no network {sha256[:12]}")
    return send_file(path, mimetype="application/x-hdf5", download_name=f"{sha256}.h5")


@bp.get("/worker/uploads/<token>")
def worker_upload(token: str):
    """An upload waiting for its check, for the worker that claimed it."""
    _require_worker()
    path = incoming_path(get_config(), token)
    if "/" in token or not path.is_file():
        abort(404, "no such upload waiting")
    return send_file(path, mimetype="application/x-hdf5", download_name="upload.h5")


@bp.post("/worker/checks/<token>")
def worker_verdict(token: str):
    """A worker's verdict (and canonical file): audited and recorded by the server, conditional on the claim."""
    from golois.tournament.check_tasks import receive_worker_verdict

    _require_worker()
    try:
        attempt = int(request.form.get("attempt", ""))
    except ValueError:
        abort(400, "attempt must be the claim's number")
    canonical = request.files.get("canonical")

    def save(path) -> bool:
        if canonical is None:
            return False
        canonical.save(path)
        return True

    done = receive_worker_verdict(get_database(), get_config(), token, attempt, request.form.get("verdict", ""),
                                  save)
    return jsonify({"recorded": done}), 200 if done else 409


@bp.get("/games/<id:game_id>")
def show_game(game_id: int):
    return jsonify(game_dict(get_or_404(Game, game_id), sgf=True))
