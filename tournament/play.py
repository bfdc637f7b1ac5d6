"""Games against the engine in the browser: the rules, the moves, the end of a game.

A game is a row (models.PlayGame) with its setup stones and moves; every
request rebuilds the position from them with the C++ rules (captures,
suicide, positional superko), so nothing lives in a web process between
requests and a game survives a restart. When the engine is to move, the
game waits in the database until the thinking service (`thinking.py`)
answers.

The end: two passes in a row, then the board is scored by area
(Tromp-Taylor) as it stands. Dead stones are settled by playing, not by
agreement: the engine passes after the visitor's pass only when it wins the
board as it stands, so it captures the visitor's dead stones first (as
`kgs-genmove_cleanup` asks of a GTP engine); the visitor captures the
engine's dead stones before passing, or they count for the engine.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from golois import BLACK, PASS, PLAY_MOVE_LIMIT, WHITE, GameState
from golois.engine.coords import FIXED_HANDICAP, colour_letter, gtp_vertex, opponent, parse_gtp_vertex
from golois.engine.game_end import EndReason
from golois.engine.sgf_writer import game_sgf, result_text
from golois.errors import GoloisError
from golois.tournament.domain import PlayEnd, PlayStatus
from golois.tournament.models import NetworkVersion, PlayGame, utcnow

SECONDS = (0.2, 30.0)    # the thinking time a visitor may choose, a move
DEFAULT_SECONDS = 1.0
KOMI = (-50.0, 50.0)
HANDICAP_KOMI = 0.5       # the usual komi of a handicap game (the player may choose another)
OPEN_GAMES_PER_ADDRESS = 2  # unfinished games a visitor's address may have: one visitor cannot take every engine
IDLE_GAME = dt.timedelta(minutes=30)  # a game untouched this long no longer counts as open


class PlayError(GoloisError):
    """A move or a setting the game refuses (status 400)."""


class TooManyGames(PlayError):
    """The visitor's address has its share of open games (the engine's time is shared fairly)."""

    status = 429


@dataclass
class Position:
    state: GameState
    captures: dict[int, int]


def new_game(session: Session, version: NetworkVersion, human: str, komi: float, handicap: int,
             seconds: float, address: str = "") -> PlayGame:
    """A new game, unless the visitor's address has OPEN_GAMES_PER_ADDRESS games open already."""
    if address and open_games(session, address) >= OPEN_GAMES_PER_ADDRESS:
        raise TooManyGames(f"you have {OPEN_GAMES_PER_ADDRESS} games open against the engine: finish or resign one "
                           f"first (a game left alone for {IDLE_GAME.seconds // 60} minutes no longer counts)")
    if human not in ("B", "W"):
        raise PlayError("colour must be B or W")
    if not KOMI[0] <= komi <= KOMI[1] or komi * 2 != int(komi * 2):
        raise PlayError(f"komi must be a multiple of 0.5 between {KOMI[0]:g} and {KOMI[1]:g}")
    if handicap != 0 and handicap not in FIXED_HANDICAP:
        raise PlayError("handicap must be 0 or 2 to 9 stones")
    if not SECONDS[0] <= seconds <= SECONDS[1]:
        raise PlayError(f"thinking time must be between {SECONDS[0]:g} and {SECONDS[1]:g} s a move")
    setup = [parse_gtp_vertex(v) for v in FIXED_HANDICAP.get(handicap, [])]
    game = PlayGame(token=secrets.token_urlsafe(12), version=version, human=human, komi=komi, handicap=handicap,
                    seconds=seconds, setup=setup, moves=[], status=PlayStatus.HUMAN, address=address[:64] or None)
    game.status = PlayStatus.HUMAN if to_play(game) == _colour(human) else PlayStatus.ENGINE
    session.add(game)
    return game


def open_games(session: Session, address: str) -> int:
    """The address's unfinished games touched within IDLE_GAME."""
    return session.scalar(select(func.count()).where(PlayGame.address == address,
                                                     PlayGame.status != PlayStatus.FINISHED,
                                                     PlayGame.updated_at > utcnow() - IDLE_GAME))


def games_ahead(game: PlayGame) -> int:
    """Games waiting for the engine since before this one: the engine answers them in that order."""
    session = object_session(game)
    if game.status != PlayStatus.ENGINE or session is None:
        return 0
    return session.scalar(select(func.count()).where(PlayGame.status == PlayStatus.ENGINE, PlayGame.id != game.id,
                                                     PlayGame.updated_at < game.updated_at))


def _colour(letter: str) -> int:
    return BLACK if letter == "B" else WHITE


def to_play(game: PlayGame) -> int:
    if game.moves:
        return opponent(game.moves[-1][0])
    return WHITE if game.setup else BLACK  # White moves first after handicap stones


def position(game: PlayGame) -> Position:
    """The board after the game's moves, with the stones each colour captured."""
    state = GameState(game.komi)
    for point in game.setup:
        state.place(point, BLACK)
    if game.setup:
        state.set_to_play(WHITE)
    placed = {BLACK: len(game.setup), WHITE: 0}
    for colour, point, *_ in game.moves:
        state.set_to_play(colour)
        state.play(point)
        placed[colour] += point != PASS
    on_board = {BLACK: 0, WHITE: 0, 0: 0}
    for point in range(361):
        on_board[state.board.color(point)] += 1
    # Stones a colour captured: the opponent's stones that were put down and are gone.
    return Position(state, {BLACK: placed[WHITE] - on_board[WHITE], WHITE: placed[BLACK] - on_board[BLACK]})


def human_move(game: PlayGame, vertex: str) -> None:
    """Plays the visitor's move (a vertex or 'pass'); raises PlayError with the reason if it is refused."""
    if game.status != PlayStatus.HUMAN:
        raise PlayError("it is not your turn" if game.status == PlayStatus.ENGINE else "the game is over")
    colour = _colour(game.human)
    try:
        point = parse_gtp_vertex(vertex)
    except ValueError as error:
        raise PlayError(str(error)) from None
    state = position(game).state
    why = state.check(point)
    if why != "legal":
        raise PlayError(f"{vertex.upper()} is not a legal move here: {why}")
    _record(game, colour, point, None)
    if not _maybe_end(game):
        game.status = PlayStatus.ENGINE


def engine_move(game: PlayGame, point: int | None, winrate: float | None) -> None:
    """Records the engine's answer (None: it resigns)."""
    if game.status != PlayStatus.ENGINE:
        return
    colour = opponent(_colour(game.human))
    game.winrate = winrate
    if point is None:
        finish(game, _colour(game.human), PlayEnd.ENGINE_RESIGNED)
        return
    if position(game).state.check(point) != "legal":
        raise PlayError(f"the engine chose an illegal move ({gtp_vertex(point)})")
    _record(game, colour, point, winrate)
    if not _maybe_end(game):
        game.status = PlayStatus.HUMAN


def resign(game: PlayGame) -> None:
    if game.status == PlayStatus.FINISHED:
        raise PlayError("the game is over")
    finish(game, opponent(_colour(game.human)), PlayEnd.YOU_RESIGNED)


def _record(game: PlayGame, colour: int, point: int, winrate: float | None) -> None:
    game.moves = [*game.moves, [colour, point, winrate]]  # a new list: JSON columns see assignments
    game.updated_at = utcnow()


def _maybe_end(game: PlayGame) -> bool:
    moves = game.moves
    two_passes = len(moves) >= 2 and moves[-1][1] == PASS and moves[-2][1] == PASS
    if not two_passes and len(moves) < PLAY_MOVE_LIMIT:
        return False
    score = position(game).state.score()  # Black minus White, area, komi included
    winner = BLACK if score > 0 else WHITE if score < 0 else None
    finish(game, winner, PlayEnd.TWO_PASSES if two_passes else PlayEnd.MOVE_LIMIT, score)
    return True


def finish(game: PlayGame, winner: int | None, reason: str, score: float | None = None) -> None:
    game.status = PlayStatus.FINISHED
    game.result = result_text(winner, score, EndReason.SCORE if score is not None else EndReason.RESIGNATION)
    game.reason = reason
    game.updated_at = utcnow()


def state_dict(game: PlayGame) -> dict[str, Any]:
    """What the page needs: the board, whose turn, the engine's estimate, the result."""
    current = position(game)
    board = [current.state.board.color(point) for point in range(361)]
    scored = game.status == PlayStatus.FINISHED and game.reason != PlayEnd.YOU_RESIGNED
    score = current.state.score() if scored else None
    last = game.moves[-1] if game.moves else None
    return {
        "token": game.token, "status": game.status, "human": game.human, "to_play": colour_letter(to_play(game)),
        "network": game.version.label, "komi": game.komi, "handicap": game.handicap, "seconds": game.seconds,
        "board": board, "moves": len(game.moves),
        "last_move": {"colour": colour_letter(last[0]), "vertex": gtp_vertex(last[1]), "point": last[1]}
        if last else None,
        "captures": {"B": current.captures[BLACK], "W": current.captures[WHITE]},
        "engine_winrate": game.winrate, "result": game.result, "reason": game.reason, "error": game.error,
        "score": score, "games_ahead": games_ahead(game),
    }


def sgf_of(game: PlayGame) -> str:
    engine = f"Golois ({game.version.label})"
    black, white = ("visitor", engine) if game.human == "B" else (engine, "visitor")
    return game_sgf([(point, colour) for colour, point, *_ in game.moves], game.komi, black, white,
                    game.result or "?", setup=[(point, BLACK) for point in game.setup], handicap=game.handicap)
