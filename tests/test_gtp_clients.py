"""The engine as third-party programs drive and read it: Sabaki's GTP library (Controller and state
tracker, as the Sabaki GUI syncs a board) and sgfmill reading the SGF files the engine writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from golois import __version__
from golois.engine.coords import parse_gtp_vertex
from golois.engine.sgf_writer import game_sgf

CLIENTS = Path(__file__).parent / "gtp_clients"
SABAKI = CLIENTS / "node_modules" / "@sabaki" / "gtp"


@pytest.mark.skipif(shutil.which("node") is None or not SABAKI.is_dir(),
                    reason="node and Sabaki's GTP library (npm ci --prefix tests/gtp_clients) are needed")
def test_sabakis_gtp_library_drives_the_engine() -> None:
    result = subprocess.run(["node", str(CLIENTS / "sabaki_session.mjs"), sys.executable], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["name"] == "Golois" and seen["knowsAnalyze"] is True
    assert not seen["genmoveError"] and parse_gtp_vertex(seen["genmove"]) < 361
    # After Sabaki's sync back to two moves, the engine's board is exactly those two moves.
    board = seen["board"]
    stones = "".join(line[3:-3] for line in board.splitlines()[1:20])  # the 19 rows, without the labels
    assert stones.count("X") == 1 and stones.count("O") == 1 and "Black to play, move 3" in board
    assert seen["illegal"] == {"id": None, "content": "illegal move", "error": True}
    assert seen["score"] == "W+7.5"
    assert seen["state"]["history"] == [{"name": "play", "args": ["B", "Q16"]}, {"name": "play", "args": ["W", "D4"]}]


def test_sgfmill_reads_the_engines_sgf_files() -> None:
    sgfmill = pytest.importorskip("sgfmill.sgf")
    moves = [(parse_gtp_vertex(v), c) for v, c in (("Q16", 1), ("D4", 2), ("pass", 1), ("C3", 2))]
    text = game_sgf(moves, 7.5, "golois/default v1", "GNU Go 3.8", "W+R", setup=[(parse_gtp_vertex("K10"), 1)],
                    comment="resignation")
    game = sgfmill.Sgf_game.from_bytes(text.encode())
    root = game.get_root()
    assert root.get("AP") == ("Golois", __version__)
    assert root.get("KM") == 7.5 and root.get("RE") == "W+R" and root.get("PB") == "golois/default v1"
    assert root.get("AB") == {(9, 9)}
    played = [node.get_move() for node in game.get_main_sequence()[1:]]
    assert played == [("b", (15, 15)), ("w", (3, 3)), ("b", None), ("w", (2, 2))]
