"""The teacher's actions, behind GOLOIS_ADMIN_PASSWORD (there are none without it).

Start or resume a tournament (a runner process is started beside the
server), set the class token, issue a team a new key, switch networks on
and off, decide on the copies the upload checks flagged.

Signing in is throttled per address and overall (atomic token buckets, see
rate_limit). The session does not carry a flag but a proof: an HMAC, under
the secret key, of the password and the sessions' epoch; a new password, or
"sign out everywhere" (which raises the epoch), makes every earlier session
worthless.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from golois.engine.judge import AdjudicationRule
from golois.tournament.config import get_config
from golois.tournament.copies import decide, decided_flags, open_flags
from golois.tournament.db import get_database, get_or_404, get_session
from golois.tournament.domain import (
    CopyDecision,
    GameStatus,
    TournamentError,
    TournamentSettings,
    TournamentStatus,
    settings_from_form,
)
from golois.tournament.models import CopyFlag, Game, Network, Setting, Team, Tournament, hash_key, utcnow
from golois.tournament.rate_limit import Limit, take
from golois.tournament.runner import spawn_runner
from golois.tournament.schedule import WEEKDAYS, WeeklySchedule, read_schedule, write_schedule
from golois.tournament.uploads import CLASS_TOKEN

bp = Blueprint("admin", __name__, url_prefix="/admin")
SESSIONS_EPOCH = "admin_sessions_epoch"  # Setting key, raised by "sign out everywhere"
LOGIN_LIMITS = (Limit(10, 900, "sign-in attempts from this address"),  # per address
                Limit(60, 900, "sign-in attempts on this server"))      # all addresses together


def _admin_proof() -> str:
    """What an admin's session holds: changes with the password, the epoch and the secret key."""
    epoch = Setting.read(get_session(), SESSIONS_EPOCH, 0)
    message = f"{get_config().admin_password}|{epoch}".encode()
    return hmac.new(get_config().secret_key.encode(), message, hashlib.sha256).hexdigest()


def is_admin() -> bool:
    proof = session.get("admin")
    return isinstance(proof, str) and hmac.compare_digest(proof, _admin_proof())


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not get_config().admin_password:
            abort(404, "admin actions are disabled: start the server with GOLOIS_ADMIN_PASSWORD set")
        if not is_admin():
            return redirect(url_for("admin.dashboard"))
        return view(*args, **kwargs)
    return wrapper


@bp.get("/")
def dashboard():
    config = get_config()
    if not config.admin_password:
        return render_template("admin.html", disabled=True), 404
    if not is_admin():
        return render_template("admin.html", login=True)
    db_session = get_session()
    return render_template(
        "admin.html",
        teams=db_session.scalars(select(Team).order_by(Team.name)).all(),
        networks=db_session.scalars(select(Network).order_by(Network.id)).all(),
        running=db_session.scalar(select(Tournament).where(Tournament.status == TournamentStatus.RUNNING)),
        class_token=Setting.read(db_session, CLASS_TOKEN) or "",
        schedule=read_schedule(get_database()),
        weekdays=WEEKDAYS,
        now=utcnow(),
        defaults=TournamentSettings(),
        cores=os.cpu_count() or 1,
        open_flags=open_flags(db_session),
        decided_flags=decided_flags(db_session),
        decisions=list(CopyDecision),
        judge_rule=AdjudicationRule().describe(),
    )


@bp.post("/login")
def login():
    password = get_config().admin_password
    if not password:
        abort(404, "admin actions are disabled: start the server with GOLOIS_ADMIN_PASSWORD set")
    address = request.remote_addr or "unknown"
    for key, limit in zip((f"login:address:{address}", "login:all"), LOGIN_LIMITS, strict=True):
        if not take(get_database(), key, limit):
            flash(limit.refusal())
            return render_template("admin.html", login=True), 429
    if not hmac.compare_digest(request.form.get("password", "").encode(), password.encode()):
        flash("wrong password")
        return render_template("admin.html", login=True), 403
    session.clear()
    session["admin"] = _admin_proof()
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("pages.index"))


@bp.post("/logout-everywhere")
@admin_required
def logout_everywhere():
    """Every admin session ends, this one included (a stolen cookie stops working)."""
    db_session = get_session()
    Setting.write(db_session, SESSIONS_EPOCH, int(Setting.read(db_session, SESSIONS_EPOCH, 0)) + 1)
    db_session.commit()
    session.clear()
    flash("every admin session is signed out")
    return redirect(url_for("admin.dashboard"))


@bp.post("/tournaments")
@admin_required
def start_tournament():
    """Starts a runner process: it resumes the unfinished tournament, or starts one with these settings."""
    settings, parallel = settings_from_form(request.form)
    if parallel is None:
        parallel = os.cpu_count() or 1
    if parallel < 1:
        raise TournamentError("games at once must be at least 1")
    busy = get_session().scalar(select(Game).join(Tournament).where(
        Tournament.status == TournamentStatus.RUNNING, Game.status == GameStatus.RUNNING,
        Game.lease_until > utcnow()).limit(1))
    if busy is not None:
        raise TournamentError("a runner is already playing the unfinished tournament")
    pid = spawn_runner(get_config(), settings, parallel)
    flash(f"tournament runner started (process {pid}); its games appear as they finish")
    return redirect(url_for("pages.tournaments"))


@bp.post("/schedule")
@admin_required
def set_schedule():
    """The weekly tournament: a weekday and a time (UTC), and how to play; or no schedule."""
    form = request.form
    if form.get("remove"):
        write_schedule(get_database(), None)
        flash("no weekly tournament")
        return redirect(url_for("admin.dashboard"))
    settings, parallel = settings_from_form(form)
    try:
        hour, minute = (int(part) for part in form.get("time", "").split(":"))
        weekday = int(form.get("weekday", ""))
    except ValueError as error:
        raise TournamentError(f"invalid schedule: {error}") from error
    schedule = WeeklySchedule(weekday=weekday, hour=hour, minute=minute, parallel=parallel or 0,
                              enabled=form.get("enabled") == "1", **asdict(settings))
    write_schedule(get_database(), schedule)
    flash(f"weekly tournament: {schedule.describe()}")
    return redirect(url_for("admin.dashboard"))


@bp.post("/class-token")
@admin_required
def class_token():
    token = request.form.get("class_token", "").strip()
    if len(token) > 200:
        raise TournamentError("the class token is too long (200 characters at most)")
    Setting.write(get_session(), CLASS_TOKEN, token or None)
    get_session().commit()
    flash("class token set: every upload needs it" if token else "class token removed: uploads need none")
    return redirect(url_for("admin.dashboard"))


@bp.post("/teams/<id:team_id>/key")
@admin_required
def reissue_key(team_id: int):
    team = get_or_404(Team, team_id)
    key = secrets.token_urlsafe(18)
    team.key_hash = hash_key(key)
    get_session().commit()
    return render_template("admin.html", new_key=(team.name, key))


@bp.post("/networks/<id:network_id>/active")
@admin_required
def set_active(network_id: int):
    network = get_or_404(Network, network_id)
    network.active = request.form.get("active") == "1"
    get_session().commit()
    flash(f"{network.label} {'plays' if network.active else 'does not play'} in the next tournaments")
    return redirect(url_for("admin.dashboard"))



@bp.post("/copies/<id:flag_id>")
@admin_required
def decide_copy(flag_id: int):
    """The admin's decision on a flagged copy: keep, take the copying network out, or refuse the version."""
    flag = get_or_404(CopyFlag, flag_id)
    try:
        decision = CopyDecision(request.form.get("decision", ""))
    except ValueError:
        abort(400, f"decision must be one of {', '.join(d.value for d in CopyDecision)}")
    decide(get_session(), flag, decision)
    get_session().commit()
    flash(f"{flag.version.label} ({flag.kind} of {flag.original.label}): {decision.value}")
    return redirect(url_for("admin.dashboard"))
