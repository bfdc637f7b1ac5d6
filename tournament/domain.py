"""The tournament server's vocabulary, named once: the statuses a row goes through, how a tournament is
played and the errors of starting one.

The database stores the statuses' values (plain strings, so that SQL and the
JSON API read them as they are); code compares with these names, never with
string literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from golois.engine.clock import SECONDS_PER_MOVE
from golois.engine.match import MatchSettings
from golois.errors import GoloisError

if TYPE_CHECKING:
    from golois.tournament.models import Tournament


MAX_WAIT = 120.0  # seconds a request may wait for a verdict (?wait=); a thread of the server waits with it


class CheckStatus(StrEnum):
    """An upload's check, a job of the check queue."""

    QUEUED = "queued"
    RUNNING = "running"
    ACCEPTED = "accepted"
    REFUSED = "refused"

    @property
    def finished(self) -> bool:
        return self in (CheckStatus.ACCEPTED, CheckStatus.REFUSED)


class CopyKind(StrEnum):
    """How a version matches another team's, from the surest to the least sure."""

    SAME_FILE = "same file"                # the uploaded bytes
    SAME_CANONICAL = "same canonical file"  # the model the server wrote from it
    SAME_WEIGHTS = "same weights"          # the same numbers saved another way
    NEAR_COPY = "near copy"                # answers on the held-out positions agree beyond independent networks'


class CopyDecision(StrEnum):
    """The admin's decision on a flagged copy."""

    KEEP = "keep"              # not a copy (or allowed): nothing changes
    DEACTIVATE = "deactivate"  # the copying network plays no more tournaments
    REFUSE = "refuse"          # the copying version is refused: it never plays, its uploader is told


class TournamentStatus(StrEnum):
    RUNNING = "running"  # at most one at a time (a partial unique index)
    FINISHED = "finished"


class GameStatus(StrEnum):
    """A tournament game: waiting, leased to a runner or a worker, recorded."""

    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"


class PlayStatus(StrEnum):
    """A game on the play page: whose turn it is, or over."""

    HUMAN = "human"
    ENGINE = "engine"
    FINISHED = "finished"


class PlayEnd(StrEnum):
    """Why a game on the play page ended, in the words the visitor reads."""

    TWO_PASSES = "two passes"
    MOVE_LIMIT = "move limit"
    YOU_RESIGNED = "you resigned"
    ENGINE_RESIGNED = "the engine resigned"
    ENGINE_FAILURE = "engine failure"


class TournamentError(GoloisError):
    status = 409


class StartedElsewhere(TournamentError):
    """Another process created the unfinished tournament at the same moment (the claim race: one insert wins)."""

    def __init__(self) -> None:
        super().__init__("another tournament was started at the same moment")


@dataclass
class TournamentSettings:
    """How a new tournament is played (a resumed one keeps its own); the one definition of these defaults."""

    seconds_per_move: float | None = SECONDS_PER_MOVE  # CPU seconds a move, each engine its own
    playouts: int | None = None                         # instead of a time: playouts a move
    games_per_pair: int = 2
    komi: float = MatchSettings.komi
    max_moves: int = MatchSettings.max_moves
    judge: bool = True  # adjudication and dead stones by the neutral judge (engine/judge.py)

    def __post_init__(self) -> None:
        if self.playouts is not None:
            self.seconds_per_move = None
            if self.playouts < 1:
                raise TournamentError("playouts a move must be at least 1")
        elif self.seconds_per_move is None or not self.seconds_per_move > 0:
            raise TournamentError("the time a move must be positive")
        if self.games_per_pair < 1:
            raise TournamentError("games per pair must be at least 1")

    @classmethod
    def of(cls, tournament: Tournament) -> TournamentSettings:
        """The settings a tournament row was started with."""
        return TournamentSettings(tournament.seconds_per_move, tournament.playouts, tournament.games_per_pair,
                                  tournament.komi, tournament.max_moves, tournament.judge)

    def describe(self) -> str:
        how = f"{self.playouts} playouts" if self.playouts else f"{self.seconds_per_move:g} s"
        return f"{how} a move, {self.games_per_pair} games a pair" + ("" if self.judge else ", no judge")


def settings_from_form(form: Mapping[str, str]) -> tuple[TournamentSettings, int | None]:
    """The admin's tournament fields (seconds, playouts, games_per_pair, no_judge, parallel), as the start and the
    weekly schedule forms both send them: the settings, and the games at once (None when left blank)."""
    defaults = TournamentSettings()
    try:
        playouts = int(form["playouts"]) if form.get("playouts", "").strip() else None
        settings = TournamentSettings(seconds_per_move=float(form.get("seconds") or defaults.seconds_per_move),
                                      playouts=playouts,
                                      games_per_pair=int(form.get("games_per_pair") or defaults.games_per_pair),
                                      judge=form.get("no_judge") != "1")
        parallel = int(form["parallel"]) if form.get("parallel", "").strip() else None
    except ValueError as error:
        raise TournamentError(f"invalid tournament settings: {error}") from error
    return settings, parallel
