"""Game records as SGF text (FF[4]), for matches and self-play."""

from __future__ import annotations

import datetime

from golois import __version__
from golois.engine.coords import SIZE, colour_letter, sgf_point
from golois.engine.game_end import EndReason


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]")


def game_sgf(moves: list[tuple[int, int]], komi: float, black: str, white: str, result: str,
             setup: list[tuple[int, int]] = (), comment: str = "", handicap: int = 0,
             move_comments: dict[int, str] | None = None, dead: set[int] = frozenset()) -> str:
    """An SGF record of a 19x19 game scored by area; `result` like 'B+R', 'W+3.5', 'B+' (adjudicated), '0',
    'Void'; `handicap` stones are among the `setup` stones (AB); `move_comments` by move number (from 1)
    become the moves' C[] (what GUIs show beside the board); `dead` stones are marked (MA) on the last node."""
    header = {
        "GM": "1", "FF": "4", "CA": "UTF-8", "SZ": str(SIZE), "RU": "Tromp-Taylor", "KM": f"{komi:g}",
        "PB": black, "PW": white, "RE": result, "DT": datetime.date.today().isoformat(), "AP": f"Golois:{__version__}",
    }
    if handicap:
        header["HA"] = str(handicap)
    if comment:
        header["GC"] = comment
    root = "".join(f"{key}[{_text(value)}]" for key, value in header.items())
    for colour, prop in ((1, "AB"), (2, "AW")):
        points = [sgf_point(p) for p, c in setup if c == colour]
        if points:
            root += prop + "".join(f"[{p}]" for p in points)
    nodes = [f"{colour_letter(c)}[{sgf_point(p)}]" for p, c in moves]
    for number, text in (move_comments or {}).items():
        if 1 <= number <= len(nodes) and text:
            nodes[number - 1] += f"C[{_text(text)}]"
    marks = "MA" + "".join(f"[{sgf_point(p)}]" for p in sorted(dead)) if dead else ""
    if nodes:
        nodes[-1] += marks
    else:
        root += marks
    return f"(;{root}{''.join(';' + node for node in nodes)})\n"


def result_text(winner: int | None, score: float | None = None, reason: EndReason = EndReason.SCORE) -> str:
    """SGF RE value: 'B+3.5' (by area), 'W+R', 'W+T', 'B+F', 'B+' (adjudicated: no score), or '0' for a draw."""
    if winner is None:
        return "0"
    if reason == EndReason.ADJUDICATED:
        return f"{colour_letter(winner)}+"
    if EndReason(reason).counted:
        margin = f"{abs(score or 0):g}"
    else:
        margin = {EndReason.RESIGNATION: "R", EndReason.TIME: "T"}.get(reason, "F")  # F: forfeit (illegal move, crash)
    return f"{colour_letter(winner)}+{margin}"
