"""Results by e-mail, once per tournament, to the teams that gave an address."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sqlalchemy import update

from golois.tournament.config import ServerConfig
from golois.tournament.db import Database
from golois.tournament.models import Tournament, utcnow
from golois.tournament.standings import compute_standings


def send_results(db: Database, config: ServerConfig) -> int:
    """Mails the results of every finished tournament not mailed yet; returns the messages sent.

    A tournament is marked mailed (a conditional update) before its messages
    go, so two processes finishing at once never both send them.
    """
    if not config.smtp_host:
        return 0
    sent = 0
    with db.session() as session:
        pending = [t.id for t in session.query(Tournament).filter(Tournament.status == "finished",
                                                                  Tournament.results_mailed_at.is_(None))]
    for tournament_id in pending:
        with db.session() as session:
            taken = session.execute(update(Tournament).where(Tournament.id == tournament_id,
                                                             Tournament.results_mailed_at.is_(None))
                                    .values(results_mailed_at=utcnow()))
            if taken.rowcount != 1:
                continue
        with db.session() as session:
            messages = results_messages(session.get(Tournament, tournament_id), session, config)
        if messages:
            with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30) as smtp:
                if config.smtp_starttls:
                    smtp.starttls()
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password)
                for message in messages:
                    smtp.send_message(message)
                    sent += 1
    return sent


def results_messages(tournament: Tournament, session, config: ServerConfig) -> list[EmailMessage]:
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
        message["To"] = team.email
        message["Subject"] = f"Golois tournament {tournament.id}: results"
        message.set_content(
            f"Tournament {tournament.id} is over ({len(tournament.games)} games, {tournament.time_control}, "
            f"komi {tournament.komi:g}).\n\nYour networks:\n{summary}\n\nStandings (ratings on the Elo scale, "
            f"the bundled network at 0; 95% intervals on the site):\n{table}\n" + (f"\n{link}\n" if link else ""))
        messages.append(message)
    return messages


def _rating(value: float | None) -> str:
    return "unrated" if value is None else f"{value:+.0f}"
