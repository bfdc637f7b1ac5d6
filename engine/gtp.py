"""The Go Text Protocol (GTP v2) front end of the engine.

Reads commands on one stream and answers on another. Every answer is either
`= result` or `? error`; a bad command never stops the engine. Live
analysis (`lz-analyze`, `analyze`) prints `info move ...` lines while the
search runs, until the next command arrives.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from golois import BLACK, PASS, WHITE
from golois.engine.clock import MoveBudget
from golois.engine.coords import (
    FIXED_HANDICAP,
    GTP_COLUMNS,
    SIZE,
    gtp_vertex,
    parse_gtp_colour,
    parse_gtp_vertex,
)
from golois.engine.player import RESIGN, Player

PROTOCOL_VERSION = "2"
ENGINE_NAME = "Golois"
ENGINE_VERSION = "0.1.0"



class GtpError(Exception):
    """Answered as `? message`."""


def _int_argument(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise GtpError(f"{name} must be an integer, got {text!r}") from None


def _float_argument(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise GtpError(f"{name} must be a number, got {text!r}") from None


def _colour_argument(text: str) -> int:
    try:
        return parse_gtp_colour(text)
    except ValueError as error:
        raise GtpError(str(error)) from None


def _vertex_argument(text: str) -> int:
    try:
        return parse_gtp_vertex(text)
    except ValueError as error:
        raise GtpError(str(error)) from None


def _arguments(args: list[str], count: int, usage: str) -> list[str]:
    if len(args) != count:
        raise GtpError(f"syntax error: {usage}")
    return args


class GtpEngine:
    """One GTP session over a Player."""

    def __init__(self, player: Player, output: TextIO = sys.stdout, log: Callable[[str], None] | None = None) -> None:
        self.player = player
        self.output = output
        self.log = log or (lambda message: None)
        self.time_left: dict[int, tuple[float, int]] = {}
        self._ident = ""  # id of the command being answered, for answers written in pieces (analysis)
        self.pending: queue.Queue[str | None] = queue.Queue()
        self.commands: dict[str, Callable[[list[str]], str]] = {
            "protocol_version": lambda args: PROTOCOL_VERSION,
            "name": lambda args: ENGINE_NAME,
            "version": lambda args: ENGINE_VERSION,
            "known_command": self.known_command,
            "list_commands": lambda args: "\n".join(self.commands),
            "quit": lambda args: "",
            "boardsize": self.boardsize,
            "clear_board": self.clear_board,
            "komi": self.komi,
            "play": self.play,
            "genmove": self.genmove,
            "reg_genmove": self.reg_genmove,
            "kgs-genmove_cleanup": self.genmove,
            "undo": self.undo,
            "showboard": self.showboard,
            "final_score": self.final_score,
            "final_status_list": self.final_status_list,
            "fixed_handicap": self.fixed_handicap,
            "place_free_handicap": self.place_free_handicap,
            "set_free_handicap": self.set_free_handicap,
            "time_settings": self.time_settings,
            "time_left": self.time_left_command,
            "lz-analyze": self.lz_analyze,
            "analyze": self.analyze,
        }

    # ---------------------------------------------------------------- session

    def run(self, commands: TextIO = sys.stdin) -> None:
        """Answers commands until `quit` or the end of the input."""
        reader = threading.Thread(target=self._read_lines, args=(commands,), daemon=True)
        reader.start()
        while (line := self.pending.get()) is not None:
            if self.execute(line) == "quit":
                return

    def _read_lines(self, commands: TextIO) -> None:
        for line in commands:
            self.pending.put(line)
        self.pending.put(None)

    def execute(self, line: str) -> str | None:
        """Runs one command line and writes its answer; returns the command name."""
        words = line.split("#", 1)[0].split()
        if not words:
            return None
        ident = ""
        if words[0].isdigit():
            ident, words = words[0], words[1:]
            if not words:
                self._answer(False, ident, "missing command")
                return None
        name, args = words[0].lower(), words[1:]
        handler = self.commands.get(name)
        if handler is None:
            self._answer(False, ident, "unknown command")
            return name
        self._ident = ident
        try:
            result = handler(args)
        except GtpError as error:
            self._answer(False, ident, str(error))
        except Exception as error:  # an engine bug must not end the session
            self.log(f"internal error in {name}: {error!r}")
            self._answer(False, ident, f"internal error: {error}")
        else:
            if result is not None:
                self._answer(True, ident, result)
        return name

    def _answer(self, ok: bool, ident: str, text: str) -> None:
        self.output.write(f"{'=' if ok else '?'}{ident} {text}".rstrip(" ") + "\n\n")
        self.output.flush()

    # ---------------------------------------------------------------- setup

    def known_command(self, args: list[str]) -> str:
        (name,) = _arguments(args, 1, "known_command COMMAND")
        return "true" if name.lower() in self.commands else "false"

    def boardsize(self, args: list[str]) -> str:
        (size,) = _arguments(args, 1, "boardsize SIZE")
        if _int_argument(size, "size") != SIZE:
            raise GtpError("unacceptable size")
        return ""

    def clear_board(self, args: list[str]) -> str:
        self.player.new_game()
        self.time_left.clear()
        return ""

    def komi(self, args: list[str]) -> str:
        (value,) = _arguments(args, 1, "komi VALUE")
        self.player.set_komi(_float_argument(value, "komi"))
        return ""

    def _check_empty_board(self) -> None:
        if self.player.history or self.player.setup:
            raise GtpError("board not empty")

    def fixed_handicap(self, args: list[str]) -> str:
        (count,) = _arguments(args, 1, "fixed_handicap NUMBER")
        stones = FIXED_HANDICAP.get(_int_argument(count, "number of stones"))
        if stones is None:
            raise GtpError("invalid number of stones (2 to 9)")
        self._check_empty_board()
        for vertex in stones:
            self.player.place(parse_gtp_vertex(vertex), BLACK)
        return " ".join(stones)

    def place_free_handicap(self, args: list[str]) -> str:
        # The fixed points are where strong players put free handicap stones too.
        return self.fixed_handicap(args)

    def set_free_handicap(self, args: list[str]) -> str:
        if not 2 <= len(args) <= SIZE * SIZE - 1:
            raise GtpError("syntax error: set_free_handicap VERTEX VERTEX ...")
        points = [_vertex_argument(a) for a in args]
        if PASS in points or len(set(points)) != len(points):
            raise GtpError("bad vertex list")
        self._check_empty_board()
        for point in points:
            self.player.place(point, BLACK)
        return ""

    def time_settings(self, args: list[str]) -> str:
        main, byo_yomi, stones = _arguments(args, 3, "time_settings MAIN BYO_YOMI STONES")
        try:
            self.player.clock.set_time_settings(_float_argument(main, "main time"),
                                                _float_argument(byo_yomi, "byo-yomi time"),
                                                _int_argument(stones, "byo-yomi stones"))
        except ValueError as error:
            raise GtpError(str(error)) from None
        return ""

    def time_left_command(self, args: list[str]) -> str:
        colour, seconds, stones = _arguments(args, 3, "time_left COLOUR TIME STONES")
        left = (_float_argument(seconds, "time"), _int_argument(stones, "stones"))
        if left[0] < 0 or left[1] < 0:
            raise GtpError("time left must not be negative")
        self.time_left[_colour_argument(colour)] = left
        return ""

    # ---------------------------------------------------------------- moves

    def play(self, args: list[str]) -> str:
        colour, vertex = _arguments(args, 2, "play COLOUR VERTEX")
        colour, point = _colour_argument(colour), _vertex_argument(vertex)
        try:
            self.player.play(point, colour)
        except ValueError:
            raise GtpError("illegal move") from None
        return ""

    def genmove(self, args: list[str], commit: bool = True) -> str:
        (colour,) = _arguments(args, 1, "genmove COLOUR")
        colour = _colour_argument(colour)
        if self.player.game_over():
            return "pass"
        if colour in self.time_left:
            self.player.clock.set_time_left(*self.time_left[colour])
        report = self.player.genmove(colour)
        self.log(f"{gtp_vertex(report.move) if report.move != RESIGN else 'resign'}: win rate "
                 f"{report.winrate:.3f}, {report.playouts} playouts in {report.seconds:.2f} s")
        if report.move == RESIGN:
            return "resign"
        if not commit:
            self.player.undo()
        return gtp_vertex(report.move)

    def reg_genmove(self, args: list[str]) -> str:
        return self.genmove(args, commit=False)

    def undo(self, args: list[str]) -> str:
        _arguments(args, 0, "undo")
        try:
            self.player.undo()
        except ValueError:
            raise GtpError("cannot undo") from None
        return ""

    # ---------------------------------------------------------------- position

    def showboard(self, args: list[str]) -> str:
        colours = self.player.tree.board()
        marks = {0: ".", BLACK: "X", WHITE: "O"}
        header = "   " + " ".join(GTP_COLUMNS)
        rows = [header]
        for row in range(SIZE):
            cells = " ".join(marks[int(c)] for c in colours[row * SIZE:(row + 1) * SIZE])
            rows.append(f"{SIZE - row:2d} {cells} {SIZE - row:2d}")
        rows.append(header)
        to_play = "Black" if self.player.to_play == BLACK else "White"
        rows.append(f"{to_play} to play, move {len(self.player.history) + 1}, komi {self.player.komi:g}")
        return "\n" + "\n".join(rows)

    def final_score(self, args: list[str]) -> str:
        score = self.player.tree.score()
        if score == 0:
            return "0"
        return f"{'B' if score > 0 else 'W'}+{abs(score):g}"

    def final_status_list(self, args: list[str]) -> str:
        (status,) = _arguments(args, 1, "final_status_list alive|dead|seki")
        status = status.lower()
        if status not in ("alive", "dead", "seki"):
            raise GtpError("status must be alive, dead or seki")
        if status != "alive":
            return ""  # Tromp-Taylor: every stone on the board counts; the engine captures dead ones first
        colours = self.player.tree.board()
        return " ".join(gtp_vertex(p) for p in range(SIZE * SIZE) if colours[p])

    # ---------------------------------------------------------------- analysis

    def lz_analyze(self, args: list[str]) -> None:
        self._analyze(args, percent_scale=True)

    def analyze(self, args: list[str]) -> None:
        self._analyze(args, percent_scale=False)

    def _analyze(self, args: list[str], percent_scale: bool) -> None:
        """Searches and prints `info` lines every interval, until the next command."""
        colour, interval = self._analysis_arguments(args)
        if colour != self.player.to_play:
            self.player.tree.set_to_play(colour)
        # Not _answer(): its blank line would end the response, and the
        # analysis lines belong to it; a blank line ends them instead.
        self.output.write(f"={self._ident}\n")
        self.output.flush()
        next_report = time.perf_counter() + interval
        while self.pending.empty() and not self.player.game_over():
            self.player.think(MoveBudget(playouts=self.player.settings.batch_size))
            if time.perf_counter() >= next_report:
                self.output.write(self._info_line(percent_scale) + "\n")
                self.output.flush()
                next_report += interval
        self.output.write("\n")
        self.output.flush()

    def _analysis_arguments(self, args: list[str]) -> tuple[int, float]:
        colour, interval = self.player.to_play, 1.0
        words = list(args)
        while words:
            word = words.pop(0)
            if word.lower() in ("b", "w", "black", "white"):
                colour = parse_gtp_colour(word)
            elif word.isdigit():
                interval = int(word) / 100
            elif word.lower() == "interval" and words:
                interval = _int_argument(words.pop(0), "interval") / 100
            elif words:  # other key/value options (minmoves, maxmoves, ...) are accepted and ignored
                words.pop(0)
        return colour, max(0.01, interval)

    def _info_line(self, percent_scale: bool) -> str:
        parts = []
        for order, child in enumerate(c for c in self.player.tree.root_children(12) if c["visits"] > 0):
            winrate, prior = child["winrate"], child["prior"]
            if percent_scale:
                winrate, prior = round(winrate * 10000), round(prior * 10000)
            else:
                winrate, prior = f"{winrate:.4f}", f"{prior:.4f}"
            pv = " ".join(gtp_vertex(p) for p in child["pv"])
            parts.append(f"info move {gtp_vertex(child['move'])} visits {child['visits']} winrate {winrate} "
                         f"prior {prior} order {order} pv {pv}")
        return " ".join(parts)
