"""GTP: every command of the engine, its errors, and live analysis."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import threading

import pytest

from golois.engine.coords import gtp_vertex, parse_gtp_vertex
from golois.engine.gtp import GtpEngine


@pytest.fixture
def gtp(make_player):
    """gtp(command) -> (ok, text) of one command on a fresh engine (8 playouts a move)."""
    output = io.StringIO()
    engine = GtpEngine(make_player(playouts=8), output)

    def send(line: str) -> tuple[bool, str]:
        start = output.tell()
        engine.execute(line)
        answer = output.getvalue()[start:]
        assert answer.endswith("\n\n"), repr(answer)
        assert answer[0] in "=?", repr(answer)
        return answer[0] == "=", answer[1:].strip()

    send.engine = engine
    return send


def test_vertices_round_trip() -> None:
    assert parse_gtp_vertex("A19") == 0 and parse_gtp_vertex("T1") == 360 and parse_gtp_vertex("q16") == 72
    assert gtp_vertex(72) == "Q16" and gtp_vertex(361) == "pass"
    assert all(parse_gtp_vertex(gtp_vertex(p)) == p for p in range(362))
    for bad in ("I5", "A20", "A0", "Z3", "", "D", "44"):
        with pytest.raises(ValueError):
            parse_gtp_vertex(bad)


def test_protocol_basics(gtp) -> None:
    assert gtp("protocol_version") == (True, "2")
    assert gtp("name") == (True, "Golois")
    assert gtp("known_command lz-analyze") == (True, "true")
    assert gtp("known_command frobnicate") == (True, "false")
    ok, commands = gtp("list_commands")
    required = {"protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
                "clear_board", "komi", "play", "genmove", "undo", "showboard", "final_score", "final_status_list",
                "fixed_handicap", "place_free_handicap", "set_free_handicap", "time_settings", "time_left",
                "kgs-genmove_cleanup", "lz-analyze", "analyze"}
    assert ok and required <= set(commands.split())


def test_ids_comments_and_blank_lines(gtp) -> None:
    output = gtp.engine.output
    start = output.tell()
    gtp.engine.execute("12 name  # a comment")
    gtp.engine.execute("   ")
    gtp.engine.execute("# only a comment")
    gtp.engine.execute("13 frobnicate")
    assert output.getvalue()[start:] == "=12 Golois\n\n?13 unknown command\n\n"


@pytest.mark.parametrize("line, error", [
    ("boardsize 13", "unacceptable size"),
    ("boardsize x", "integer"),
    ("komi seven", "number"),
    ("play b Z99", "invalid vertex"),
    ("play purple D4", "invalid colour"),
    ("play b", "syntax error"),
    ("genmove", "syntax error"),
    ("undo 2", "syntax error"),
    ("fixed_handicap 1", "invalid number"),
    ("fixed_handicap 10", "invalid number"),
    ("set_free_handicap D4", "syntax error"),
    ("set_free_handicap D4 D4", "bad vertex list"),
    ("time_settings 10 -1 5", "negative"),
    ("time_left b -5 0", "negative"),
    ("final_status_list maybe", "alive, dead or seki"),
])
def test_bad_commands_get_an_error_and_change_nothing(gtp, line: str, error: str) -> None:
    gtp("play b D4")
    ok, text = gtp(line)
    assert not ok and error in text
    assert gtp.engine.player.history == [(parse_gtp_vertex("D4"), 1)]


def test_illegal_moves_are_refused(gtp) -> None:
    assert gtp("play b D4") == (True, "")
    assert gtp("play w D4") == (False, "illegal move")
    assert gtp("play b pass") == (True, "")


def test_a_ko_cannot_be_retaken_at_once(gtp) -> None:
    for move in ("b K11", "w L11", "b J10", "w M10", "b K9", "w L9", "b pass", "w K10", "b L10"):
        assert gtp(f"play {move}") == (True, ""), move
    assert gtp("play w K10") == (False, "illegal move")
    assert gtp("play w A1") == (True, "")


def test_genmove_undo_and_the_board(gtp) -> None:
    ok, vertex = gtp("genmove b")
    assert ok and re.fullmatch(r"[A-HJ-T](1[0-9]|[1-9])", vertex)
    ok, board = gtp("showboard")
    assert ok and board.count("X") == 1 and "White to play" in board
    assert gtp("kgs-genmove_cleanup w")[0]
    assert gtp("undo") == (True, "") and gtp("undo") == (True, "")
    ok, board = gtp("showboard")
    assert "X" not in board.split("\n", 2)[2] and "Black to play" in board
    ok, vertex = gtp("reg_genmove b")
    assert ok and gtp.engine.player.history == []


def test_handicap(gtp) -> None:
    assert gtp("fixed_handicap 4") == (True, "D4 Q16 D16 Q4")
    assert gtp("fixed_handicap 2") == (False, "board not empty")
    assert gtp.engine.player.to_play == 2
    assert gtp("clear_board") == (True, "")
    assert gtp("place_free_handicap 9") == (True, "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10")
    assert gtp("clear_board") == (True, "")
    assert gtp("set_free_handicap C3 R17 K10") == (True, "")
    assert gtp("final_status_list alive") == (True, "R17 K10 C3")  # board order, top row first
    ok, vertex = gtp("genmove w")
    assert ok and vertex not in ("C3", "R17", "K10")


def test_final_score_is_area_with_komi(gtp) -> None:
    assert gtp("komi 6.5") == (True, "")
    assert gtp("final_score") == (True, "W+6.5")
    assert gtp("play b K10") == (True, "")
    assert gtp("final_score") == (True, "B+354.5")  # one stone owns the empty board
    assert gtp("final_status_list dead") == (True, "")


def test_time_settings_switch_to_the_game_clock(gtp) -> None:
    clock = gtp.engine.player.clock
    assert gtp("time_settings 600 30 5") == (True, "")
    assert clock.main_time == 600
    assert gtp("time_left b 20 3") == (True, "")
    gtp.engine.player.clock.playouts = None
    ok, _ = gtp("genmove b")
    assert ok and clock.stones_left == 3 and clock.time_left == 20


def test_garbage_never_stops_the_engine(gtp) -> None:
    rng = random.Random(1)
    words = ["play", "genmove", "b", "w", "D4", "pass", "-1", "1e99", "komi", "undo", "time_left", "\x00", "ü",
             "boardsize", "fixed_handicap", "analyze", "5", "set_free_handicap", "resign"]
    for _ in range(150):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        if line.split()[0] in ("analyze",):
            continue  # analysis runs until the next command; covered below
        gtp(line)
    assert gtp("name") == (True, "Golois")


def run_analysis(gtp, command: str) -> list[str]:
    engine = gtp.engine
    start = engine.output.tell()
    stopper = threading.Timer(1.0, lambda: engine.pending.put("name"))
    stopper.start()
    engine.execute(command)
    stopper.join()
    return engine.output.getvalue()[start:].split("\n")


def test_lz_analyze_prints_info_lines_until_the_next_command(gtp) -> None:
    gtp("play b Q16")
    lines = run_analysis(gtp, "7 lz-analyze w 10")
    assert lines[0] == "=7" and lines[-2:] == ["", ""]
    infos = [line for line in lines[1:-2] if line]
    assert len(infos) >= 2
    first = re.findall(r"info move (\S+) visits (\d+) winrate (\d+) prior (\d+) order (\d+) pv ([^i]+)", infos[-1])
    assert first and first[0][4] == "0"
    moves = [m[0] for m in first]
    assert "Q16" not in moves and all(0 <= int(m[2]) <= 10000 for m in first)
    assert all(m[5].split()[0] == m[0] for m in first)


def test_analyze_uses_fractions(gtp) -> None:
    lines = run_analysis(gtp, "analyze interval 10")
    info = next(line for line in lines[1:] if line.startswith("info"))
    winrate = float(re.search(r"winrate (\S+)", info).group(1))
    assert 0.0 <= winrate <= 1.0 and "." in re.search(r"winrate (\S+)", info).group(1)


def test_golois_gtp_command_line() -> None:
    commands = "name\nplay b D4\ngenmove w\nfinal_score\nquit\n"
    result = subprocess.run([sys.executable, "-m", "golois.cli", "gtp", "--playouts", "4", "--backend", "tensorflow"],
                            input=commands, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    answers = result.stdout.split("\n\n")
    assert answers[0] == "= Golois" and answers[1] == "="
    assert re.fullmatch(r"= [A-HJ-T]\d{1,2}", answers[2]) and answers[3].startswith("= ")
    assert "inference backend: tensorflow" in result.stderr


def test_golois_gtp_refuses_a_missing_network(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "golois.cli", "gtp", "--model", str(tmp_path / "none.h5")],
                            input="", capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "none.h5" in result.stderr
