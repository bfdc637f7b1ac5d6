"""Results by e-mail, once per tournament and team, to the teams that gave an address.

Each team's message is claimed by inserting its `Mailing` row (two processes
finishing at once: one inserts, the other skips it), then marked sent or
failed on its own: one bad address or a refusal by the mail server costs
that team its message, never the others theirs. The tournament is marked
mailed once every team's message has been tried.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.domain import TournamentStatus
from golois.tournament.models import Mailing, Team, Tournament, utcnow
from golois.tournament.standings import compute_standings

SMTP_SECONDS = 30


def send_results(db: Database, config: ServerConfig) -> int:
    """Mails the results of every finished tournament not mailed yet; returns the messages sent."""
    if not config.smtp_host:
        return 0
    sent = 0
    with db.session() as session:
        pending = session.scalars(select(Tournament.id).where(Tournament.status == TournamentStatus.FINISHED,
                                                              Tournament.results_mailed_at.is_(None))).all()
    for tournament_id in pending:
        with db.session() as session:
            messages = results_messages(session.get(Tournament, tournament_id), session, config)
        for team, message in messages:
            if _claim(db, tournament_id, team, team.email):
                error = _send(config, message, team.email)
                with db.session() as session:
                    session.execute(update(Mailing).where(Mailing.tournament_id == tournament_id,
                                                          Mailing.team_id == team.id)
                                    .values(sent_at=None if error else utcnow(), error=error))
                sent += error is None
        with db.session() as session:
            session.execute(update(Tournament).where(Tournament.id == tournament_id,
                                                     Tournament.results_mailed_at.is_(None))
                            .values(results_mailed_at=utcnow()))
    return sent


def _claim(db: Database, tournament_id: int, team: Team, address: str) -> bool:
    try:
        with db.session() as session:
            session.add(Mailing(tournament_id=tournament_id, team_id=team.id, address=address))
        return True
    except IntegrityError:
        return False  # claimed by another process, or sent before


def _send(config: ServerConfig, message: EmailMessage, address: str) -> str | None:
    """Sends one message to `address`; None, or why it could not be sent (an address stored before addresses
    were validated may not even make a header)."""
    try:
        message["To"] = address
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_SECONDS) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None


def results_messages(tournament: Tournament, session, config: ServerConfig) -> list[tuple[Team, EmailMessage]]:
    standings = compute_standings(session, tournament)
    lines = [f"{row.rank_text:<28} {row.label:<40} {_rating(row.rating.rating)}  {row.points:g}/{row.games}"
             for row in standings.rows]
    table = "\n".join(lines)
    link = f"{config.site_url.rstrip('/')}/tournaments/{tournament.id}" if config.site_url else ""
    messages = []
    teams = {entry.version.network.team for entry in tournament.entries if entry.version.network.team.email}
    for team in sorted(teams, key=lambda t: t.name):
        mine = [row for row in standings.rows if row.label.startswith(f"{team.name}/")]
        summary = "\n".join(f"  {row.label}: {row.rank_text}, rating {_rating(row.rating.rating)}, "
                            f"{row.points:g} points in {row.games} games" for row in mine)
        message = EmailMessage()
        message["From"] = config.smtp_sender
        message["Subject"] = f"Golois tournament {tournament.id}: results"
        message.set_content(
            f"Tournament {tournament.id} is over ({len(tournament.games)} games, {tournament.time_control}, "
            f"komi {tournament.komi:g}).\n\nYour networks:\n{summary}\n\nStandings (ratings on the Elo scale, "
            f"the bundled network at 0; 95% intervals on the site):\n{table}\n" + (f"\n{link}\n" if link else ""))
        messages.append((team, message))
    return messages


def _rating(value: float | None) -> str:
    return "unrated" if value is None else f"{value:+.0f}"
