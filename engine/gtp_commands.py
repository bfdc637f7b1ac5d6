"""The GTP commands of the engine, in groups that ask the player, not its insides.

Each group takes a way to reach the Player (`PlayerSource`: the network
may still be loading when the first commands arrive) and returns its
handlers by name; `make_gtp_engine` puts the groups on a protocol engine
(`gtp_engine.GtpEngine`). Failures raise GtpError with the messages the
GTP v2 specification names ("syntax error", "illegal move", "cannot undo",
"board not empty", "bad vertex list", "invalid number of stones",
"unacceptable size").
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TextIO

from golois import BLACK, PASS, WHITE, __version__
from golois.engine.coords import (
    FIXED_HANDICAP,
    GTP_COLUMNS,
    SIZE,
    ascii_digits,
    gtp_vertex,
    parse_gtp_colour,
    parse_gtp_vertex,
)
from golois.engine.gtp_engine import GtpEngine, GtpError, Handler, syntax_error
from golois.engine.player import RESIGN, Player, SearchReport

ENGINE_NAME = "Golois"
PlayerSource = Callable[[], Player]
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # \d: 0-9 only
INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


# ---------------------------------------------------------------- arguments


def arguments(args: list[str], count: int, usage: str) -> list[str]:
    if len(args) != count:
        raise syntax_error(usage)
    return args


def integer(text: str, name: str) -> int:
    if not INTEGER.fullmatch(text):
        raise syntax_error(f"{name} must be an integer, got {text!r}")
    return int(text)


def number(text: str, name: str) -> float:
    if not NUMBER.fullmatch(text):
        raise syntax_error(f"{name} must be a number, got {text!r}")
    return float(text)


def colour_argument(text: str) -> int:
    try:
        return parse_gtp_colour(text)
    except ValueError as error:
        raise syntax_error(str(error)) from None


def vertex_argument(text: str) -> int:
    try:
        return parse_gtp_vertex(text)
    except ValueError as error:
        raise syntax_error(str(error)) from None


# ---------------------------------------------------------------- groups


class IdentityCommands:
    def handlers(self) -> dict[str, Handler]:
        return {"name": lambda args: ENGINE_NAME, "version": lambda args: __version__}


class GameCommands:
    """The board: size, komi, moves, handicap, undo, drawing and scoring."""

    def __init__(self, player: PlayerSource) -> None:
        self.player = player

    def handlers(self) -> dict[str, Handler]:
        return {
            "boardsize": self.boardsize, "clear_board": self.clear_board, "komi": self.komi, "play": self.play,
            "undo": self.undo, "fixed_handicap": self.fixed_handicap,
            "place_free_handicap": self.place_free_handicap, "set_free_handicap": self.set_free_handicap,
            "showboard": self.showboard, "final_score": self.final_score,
            "final_status_list": self.final_status_list,
        }

    def boardsize(self, args: list[str]) -> str:
        (size,) = arguments(args, 1, "boardsize SIZE")
        if integer(size, "size") != SIZE:
            raise GtpError("unacceptable size")
        self.player().new_game()
        return ""

    def clear_board(self, args: list[str]) -> str:
        arguments(args, 0, "clear_board")
        self.player().new_game()
        return ""

    def komi(self, args: list[str]) -> str:
        (value,) = arguments(args, 1, "komi VALUE")
        self.player().set_komi(number(value, "komi"))
        return ""

    def play(self, args: list[str]) -> str:
        colour, vertex = arguments(args, 2, "play COLOUR VERTEX")
        colour, point = colour_argument(colour), vertex_argument(vertex)
        try:
            self.player().play(point, colour)
        except ValueError:
            raise GtpError("illegal move") from None
        return ""

    def undo(self, args: list[str]) -> str:
        arguments(args, 0, "undo")
        try:
            self.player().undo()
        except ValueError:
            raise GtpError("cannot undo") from None
        return ""

    def _place_handicap(self, points: list[int]) -> None:
        player = self.player()
        if player.history or player.setup:
            raise GtpError("board not empty")
        for point in points:
            player.place(point, BLACK)

    def fixed_handicap(self, args: list[str]) -> str:
        (count,) = arguments(args, 1, "fixed_handicap NUMBER")
        stones = FIXED_HANDICAP.get(integer(count, "number of stones"))
        if stones is None:
            raise GtpError("invalid number of stones")
        self._place_handicap([parse_gtp_vertex(v) for v in stones])
        return " ".join(stones)

    def place_free_handicap(self, args: list[str]) -> str:
        """The engine's choice: the fixed points, then as far as possible from the stones already there."""
        (count,) = arguments(args, 1, "place_free_handicap NUMBER")
        wanted = integer(count, "number of stones")
        if not 2 <= wanted <= SIZE * SIZE - 1:
            raise GtpError("invalid number of stones")
        points = free_handicap_points(wanted)
        self._place_handicap(points)
        return " ".join(gtp_vertex(p) for p in points)

    def set_free_handicap(self, args: list[str]) -> str:
        if len(args) < 2:
            raise syntax_error("set_free_handicap VERTEX VERTEX ...")
        points = [vertex_argument(a) for a in args]
        if PASS in points or len(set(points)) != len(points) or len(points) > SIZE * SIZE - 1:
            raise GtpError("bad vertex list")
        self._place_handicap(points)
        return ""

    def showboard(self, args: list[str]) -> str:
        arguments(args, 0, "showboard")
        player = self.player()
        colours = player.board()
        marks = {0: ".", BLACK: "X", WHITE: "O"}
        header = "   " + " ".join(GTP_COLUMNS)
        rows = [header]
        for row in range(SIZE):
            cells = " ".join(marks[c] for c in colours[row * SIZE:(row + 1) * SIZE])
            rows.append(f"{SIZE - row:2d} {cells} {SIZE - row:2d}")
        rows.append(header)
        rows.append(f"{'Black' if player.to_play == BLACK else 'White'} to play, move {len(player.history) + 1}, "
                    f"komi {player.komi:g}")
        return "\n" + "\n".join(rows)

    def final_score(self, args: list[str]) -> str:
        arguments(args, 0, "final_score")
        score = self.player().score()
        return "0" if score == 0 else f"{'B' if score > 0 else 'W'}+{abs(score):g}"

    def final_status_list(self, args: list[str]) -> str:
        (status,) = arguments(args, 1, "final_status_list alive|dead|seki")
        status = status.lower()
        if status not in ("alive", "dead", "seki"):
            raise syntax_error("status must be alive, dead or seki")
        if status != "alive":
            return ""  # Tromp-Taylor: every stone on the board counts; the engine captures dead ones first
        colours = self.player().board()
        return " ".join(gtp_vertex(p) for p in range(SIZE * SIZE) if colours[p])


def free_handicap_points(count: int) -> list[int]:
    """The fixed handicap points (up to 9), then each next point as far as possible from the others."""
    def distance(a: int, b: int) -> int:
        (row_a, col_a), (row_b, col_b) = divmod(a, SIZE), divmod(b, SIZE)
        return abs(row_a - row_b) + abs(col_a - col_b)

    chosen = [parse_gtp_vertex(v) for v in FIXED_HANDICAP[min(count, 9)]]
    nearest = [min(distance(p, q) for q in chosen) for p in range(SIZE * SIZE)]  # 0 for the chosen points
    while len(chosen) < count:
        point = max(range(SIZE * SIZE), key=lambda p: (nearest[p], -p))
        chosen.append(point)
        nearest = [min(d, distance(p, point)) for p, d in enumerate(nearest)]
    return chosen


class MoveCommands:
    """The engine's moves. Every move it answers is played, passes included."""

    def __init__(self, player: PlayerSource, log: Callable[[str], None]) -> None:
        self.player, self.log = player, log

    def handlers(self) -> dict[str, Handler]:
        return {
            "genmove": self.genmove,
            "reg_genmove": lambda args: self.genmove(args, keep=False),
            "kgs-genmove_cleanup": lambda args: self.genmove(args, cleanup=True),
            "lz-genmove_analyze": self.genmove_analyze,
        }

    def genmove(self, args: list[str], keep: bool = True, cleanup: bool = False) -> str:
        (colour,) = arguments(args, 1, "genmove COLOUR")
        report = self._move(colour_argument(colour), cleanup)
        if not keep and report.move != RESIGN:
            self.player().undo()
        return "resign" if report.move == RESIGN else gtp_vertex(report.move)

    def genmove_analyze(self, args: list[str]) -> str:
        """genmove that also answers the search's figures, as Leela Zero's extension does: `info` lines
        (win rates of the side to move, in hundredths of a percent), then `play MOVE`. The referee
        records them; an interval argument is accepted and the figures come once, with the move."""
        if not 1 <= len(args) <= 2:
            raise syntax_error("usage: lz-genmove_analyze COLOUR [INTERVAL]")
        report = self._move(colour_argument(args[0]), cleanup=False)
        move = "resign" if report.move == RESIGN else gtp_vertex(report.move)
        info = info_line(report.children, percent=True)
        return "\n" + (f"{info}\n" if info else "") + f"play {move}"

    def _move(self, colour: int, cleanup: bool) -> SearchReport:
        report = self.player().genmove(colour, cleanup=cleanup)
        side = "Black" if colour == BLACK else "White"
        if report.move == RESIGN:
            self.log(f"resign: the search gives the engine ({side}) a win rate of {report.winrate:.3f}")
        else:
            self.log(f"{gtp_vertex(report.move)}: win rate of the engine ({side}) "
                     f"{report.winrate:.3f}, {report.playouts} playouts in {report.seconds:.2f} s")
        return report


class TimeCommands:
    """GTP time_settings and time_left: they switch the engine to the game clock."""

    def __init__(self, player: PlayerSource) -> None:
        self.player = player

    def handlers(self) -> dict[str, Handler]:
        return {"time_settings": self.time_settings, "time_left": self.time_left}

    def time_settings(self, args: list[str]) -> str:
        main, byo_yomi, stones = arguments(args, 3, "time_settings MAIN_TIME BYO_YOMI_TIME BYO_YOMI_STONES")
        try:
            self.player().clock.set_time_settings(number(main, "main time"), number(byo_yomi, "byo-yomi time"),
                                                  integer(stones, "byo-yomi stones"))
        except ValueError as error:
            raise syntax_error(str(error)) from None
        return ""

    def time_left(self, args: list[str]) -> str:
        colour, seconds, stones = arguments(args, 3, "time_left COLOUR TIME STONES")
        try:
            self.player().clock.set_time_left(colour_argument(colour), number(seconds, "time"),
                                              integer(stones, "stones"))
        except ValueError as error:
            raise syntax_error(str(error)) from None
        return ""


class AnalysisCommands:
    """Live analysis for GUIs: info lines every interval until the next command (lz-analyze, analyze)."""

    OPTIONS = ("minmoves", "maxmoves", "avoid", "allow", "ownership", "movesownership", "pvvisits")

    def __init__(self, player: PlayerSource, engine: GtpEngine) -> None:
        self.player, self.engine = player, engine

    def handlers(self) -> dict[str, Handler]:
        return {"lz-analyze": lambda args: self.analyze(args, percent=True),
                "analyze": lambda args: self.analyze(args, percent=False)}

    def analyze(self, args: list[str], percent: bool) -> None:
        player = self.player()
        colour, interval = self._arguments(args, player.to_play)
        self.engine.begin_stream()
        next_report = time.perf_counter() + interval
        try:
            while not self.engine.interrupted() and not player.game_over():
                children = player.analyse(colour, player.settings.batch_size)
                if time.perf_counter() >= next_report:
                    self.engine.stream_line(info_line(children, percent))
                    next_report += interval
        finally:
            self.engine.end_stream()

    def _arguments(self, args: list[str], colour: int) -> tuple[int, float]:
        interval = 1.0
        words = list(args)
        if words and not ascii_digits(words[0]) and words[0].lower() not in ("interval", *self.OPTIONS):
            colour = colour_argument(words.pop(0))  # the first word, if not a number or a key, is the colour
        while words:
            word = words.pop(0).lower()
            if ascii_digits(word):
                interval = int(word) / 100
            elif word == "interval" and words:
                interval = integer(words.pop(0), "interval") / 100
            elif word in self.OPTIONS and words:
                words.pop(0)  # accepted and ignored
            else:
                raise syntax_error(f"unexpected {word!r}; usage: lz-analyze [COLOUR] [INTERVAL]")
        return colour, max(0.01, interval)


def info_line(children: list[dict], percent: bool) -> str:
    parts = []
    for order, child in enumerate(c for c in children if c["visits"] > 0):
        winrate, prior = child["winrate"], child["prior"]
        if percent:
            winrate, prior = round(winrate * 10000), round(prior * 10000)
        else:
            winrate, prior = f"{winrate:.4f}", f"{prior:.4f}"
        pv = " ".join(gtp_vertex(p) for p in child["pv"])
        parts.append(f"info move {gtp_vertex(child['move'])} visits {child['visits']} winrate {winrate} "
                     f"prior {prior} order {order} pv {pv}")
    return " ".join(parts)


def waiting_for(loading: Future) -> PlayerSource:
    """A player source for a network still loading: commands that need it wait; a failed load is their error."""
    def player() -> Player:
        try:
            return loading.result()
        except Exception as error:  # noqa: BLE001 - whatever stopped the load, each command says it
            message = getattr(error, "message", None) or str(error)
            raise GtpError(f"the network could not be loaded: {message}") from error
    return player


def make_gtp_engine(player: Player | PlayerSource, output: TextIO,
                    log: Callable[[str], None] | None = None) -> GtpEngine:
    """The engine's GTP session over `player` (or a callable that waits for it)."""
    source: PlayerSource = (lambda: player) if isinstance(player, Player) else player
    log = log or (lambda message: None)
    engine = GtpEngine({}, output, log)
    for group in (IdentityCommands(), GameCommands(source), MoveCommands(source, log), TimeCommands(source),
                  AnalysisCommands(source, engine)):
        engine.handlers.update(group.handlers())
    return engine

