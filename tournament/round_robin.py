"""Round robins in the database: creating one, and handing its games out exactly once.

A tournament is fixed when it starts: its entries (the current version of
every active network) and all its games (K per pair, colours alternating,
one opening per two games). Playing is then a matter of claiming games:

- `claim_game` takes a pending game, or a running one whose claimant is
  gone (its lease expired, or its process on this machine is dead), by a
  conditional update that raises the game's `attempt`. Only one claimant
  can win that update, so two runners never play the same game.
- `finish_game` records the result and the SGF in one conditional update on
  the same `attempt`: a runner whose claim was taken over records nothing,
  so every game is recorded exactly once.
- A game interrupted with its runner (kill -9) is claimed again and
  replayed from the start; finished games are never touched again.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from golois.engine.openings import opening_for
from golois.tournament.config import LEASE_SECONDS
from golois.tournament.db import Database
from golois.tournament.domain import GameStatus, StartedElsewhere, TournamentError, TournamentSettings, TournamentStatus
from golois.tournament.leases import dead_local_runner, this_host
from golois.tournament.models import Entry, Game, Network, Tournament, utcnow

# ---------------------------------------------------------------- creating


def schedule(version_ids: list[int], games_per_pair: int) -> list[tuple[int, int, list[str]]]:
    """(black, white, opening) of every game, in playing order.

    Pairs come in rounds of the circle method (every network plays once a
    round), so a tournament stopped half-way has spread its games evenly.
    """
    players = list(version_ids) + ([None] if len(version_ids) % 2 else [])
    rounds = []
    for _ in range(len(players) - 1):
        rounds.append([(players[i], players[-1 - i]) for i in range(len(players) // 2)])
        players = [players[0], players[-1], *players[1:-1]]
    pairs = [tuple(sorted(pair)) for pair in itertools.chain.from_iterable(rounds) if None not in pair]
    games = []
    for game_in_pair in range(games_per_pair):
        for pair_index, (first, second) in enumerate(pairs):
            black, white = (first, second) if game_in_pair % 2 == 0 else (second, first)
            games.append((black, white, opening_for(pair_index, game_in_pair, games_per_pair)))
    return games


def unfinished_tournament(db: Database) -> Tournament | None:
    with db.session() as session:
        return session.scalar(select(Tournament).where(Tournament.status == TournamentStatus.RUNNING))


def start_tournament(db: Database, settings: TournamentSettings, started_by: str = "command") -> Tournament:
    """A new round robin between the current versions of the active networks."""
    with db.session() as session:
        networks = session.scalars(select(Network).where(Network.active.is_(True)).order_by(Network.id)).all()
        versions = [network.current for network in networks if network.current is not None]
        if len(versions) < 2:
            raise TournamentError(f"a tournament needs at least 2 active networks; there are {len(versions)}")
        tournament = Tournament(status=TournamentStatus.RUNNING, started_by=started_by,
                                seconds_per_move=settings.seconds_per_move,
                                playouts=settings.playouts, games_per_pair=settings.games_per_pair,
                                komi=settings.komi, max_moves=settings.max_moves, judge=settings.judge)
        session.add(tournament)
        session.add_all(Entry(tournament=tournament, version_id=version.id) for version in versions)
        session.add_all(Game(tournament=tournament, number=number, black_id=black, white_id=white, opening=opening)
                        for number, (black, white, opening) in enumerate(
                            schedule([v.id for v in versions], settings.games_per_pair), start=1))
        try:
            session.flush()
        except IntegrityError:  # another process created the unfinished tournament a moment ago
            session.rollback()
            raise StartedElsewhere from None
        return tournament


def start_or_resume(db: Database, settings: TournamentSettings, started_by: str = "command") -> tuple[Tournament,
                                                                                                     bool]:
    """The unfinished tournament (resumed: True) or a new one."""
    for _ in range(2):
        running = unfinished_tournament(db)
        if running is not None:
            return running, True
        try:
            return start_tournament(db, settings, started_by), False
        except StartedElsewhere:
            continue
    raise TournamentError("could not start or find the unfinished tournament")


# ---------------------------------------------------------------- claiming and finishing


@dataclass
class Claim:
    """A game this runner holds; `attempt` is the token every later update must match."""

    game_id: int
    attempt: int
    tournament_id: int
    number: int
    black_id: int
    white_id: int
    opening: list[str] = field(default_factory=list)


def claim_game(db: Database, tournament_id: int, runner: str, prefer: set[int] = frozenset(),
               lease_seconds: float = LEASE_SECONDS, game_id: int | None = None) -> Claim | None:
    """Takes a game to play (one of `game_id` if given), preferring games between networks in `prefer`.

    Returns None when no game is free now (all finished, or held by live runners).
    """
    now = utcnow()
    free = or_(Game.status == GameStatus.PENDING,
               and_(Game.status == GameStatus.RUNNING, or_(Game.lease_until < now, Game.runner.like(
                   this_host() + ":%"))))
    query = select(Game).where(Game.tournament_id == tournament_id, free).order_by(Game.number).limit(64)
    if game_id is not None:
        query = query.where(Game.id == game_id)
    with db.session() as session:
        candidates = [game for game in session.scalars(query)
                      if game.status == GameStatus.PENDING or game.lease_until is None or game.lease_until < now
                      or dead_local_runner(game.runner, runner)]
        candidates.sort(key=lambda game: -((game.black_id in prefer) + (game.white_id in prefer)))
        for game in candidates:
            claim = Claim(game.id, game.attempt + 1, tournament_id, game.number, game.black_id, game.white_id,
                          list(game.opening))
            taken = session.execute(
                update(Game).where(Game.id == game.id, Game.attempt == game.attempt, Game.status == game.status)
                .values(status=GameStatus.RUNNING, attempt=claim.attempt, runner=runner, started_at=now, live=None,
                        lease_until=now + dt.timedelta(seconds=lease_seconds))
                .execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                return claim
    return None


def renew_leases(db: Database, claims: list[Claim], lease_seconds: float = LEASE_SECONDS) -> None:
    until = utcnow() + dt.timedelta(seconds=lease_seconds)
    with db.session() as session:
        for claim in claims:
            session.execute(update(Game).where(*_held(claim)).values(lease_until=until))


def _held(claim: Claim) -> tuple:
    """The condition of every update a claimant makes: the game is still running under its claim."""
    return Game.id == claim.game_id, Game.attempt == claim.attempt, Game.status == GameStatus.RUNNING


def expire_claim(db: Database, claim: Claim) -> None:
    """Ends the claim's lease now: whoever hands games out sees the game free to play again."""
    with db.session() as session:
        session.execute(update(Game).where(*_held(claim)).values(lease_until=utcnow()))


def release_game(db: Database, claim: Claim) -> None:
    """Gives an unfinished game back (the runner is stopping): it will be played from the start."""
    with db.session() as session:
        session.execute(update(Game).where(*_held(claim))
                        .values(status=GameStatus.PENDING, runner=None, lease_until=None, started_at=None, live=None))


@dataclass
class GameRecord:
    winner: str | None   # "B", "W" or None for a draw
    result: str          # SGF RE
    reason: str
    detail: str
    moves: int
    black_seconds: float
    white_seconds: float
    sgf: str
    winrates: dict[str, list] | None = None  # Referee.winrates
    dead: list[int] | None = None


def finish_game(db: Database, claim: Claim, record: GameRecord) -> bool:
    """Records the game once; False if the claim was lost (another runner replays it)."""
    with db.session() as session:
        done = session.execute(
            update(Game).where(*_held(claim))
            .values(status=GameStatus.FINISHED, winner=record.winner, result=record.result, reason=record.reason,
                    detail=record.detail[:2000], moves=record.moves, black_seconds=record.black_seconds,
                    white_seconds=record.white_seconds, sgf=record.sgf, winrates=record.winrates, dead=record.dead,
                    live=None, finished_at=utcnow(), lease_until=None))
        if done.rowcount != 1:
            return False
    close_if_done(db, claim.tournament_id)
    return True


def record_progress(db: Database, claim: Claim, live: dict) -> None:
    """The moves so far of a game being played (Game.live), while the claim holds."""
    with db.session() as session:
        session.execute(update(Game).where(*_held(claim)).values(live=live))


def close_if_done(db: Database, tournament_id: int) -> bool:
    """Marks the tournament finished once every game is. In its own transaction, after the game's commit:
    of two games finished at once, the later check sees both (a check inside each game's transaction
    could miss the other's and leave the tournament open)."""
    with db.session() as session:
        left = session.scalar(select(func.count()).where(Game.tournament_id == tournament_id,
                                                         Game.status != GameStatus.FINISHED))
        if left:
            return False
        session.execute(update(Tournament).where(Tournament.id == tournament_id,
                                                 Tournament.status == TournamentStatus.RUNNING)
                        .values(status=TournamentStatus.FINISHED, finished_at=utcnow()))
    return True


def game_counts(db: Database, tournament_id: int) -> dict[str, int]:
    """Games by status: pending, running, finished."""
    with db.session() as session:
        rows = session.execute(select(Game.status, func.count()).where(Game.tournament_id == tournament_id)
                               .group_by(Game.status)).all()
    counts = {status.value: 0 for status in GameStatus}
    counts.update(dict(rows))
    return counts
