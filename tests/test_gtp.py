"""GTP: every command of the engine, its errors, and live analysis."""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import threading
import time

import pytest
from conftest import cli_refusal_without_tensorflow

from golois import BLACK
from golois.engine.coords import gtp_vertex, parse_gtp_vertex
from golois.engine.gtp_commands import make_gtp_engine


@pytest.fixture
def gtp(make_player):
    """gtp(command) -> (ok, text) of one command on a fresh engine (8 playouts a move)."""
    output = io.StringIO()
    player = make_player(playouts=8)
    engine = make_gtp_engine(player, output)

    def send(line: str) -> tuple[bool, str]:
        start = output.tell()
        engine.execute(line)
        answer = output.getvalue()[start:]
        assert answer.endswith("\n\n"), repr(answer)
        assert answer[0] in "=?", repr(answer)
        return answer[0] == "=", answer[1:].strip()

    send.engine = engine
    send.player = player
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
                "kgs-genmove_cleanup", "lz-analyze", "analyze", "lz-genmove_analyze"}
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
    ("time_left b 5 -1", "negative"),
    ("time_left b 5", "syntax error"),
    ("lz-analyze purple 10", "invalid colour"),
    ("play b D\u0661\u0665", "invalid vertex"),
    ("play b D\u00b9", "invalid vertex"),
    ("komi \u0667.5", "syntax error"),
    ("boardsize 19 19", "syntax error"),
    ("clear_board now", "syntax error"),
    ("final_status_list maybe", "alive, dead or seki"),
])
def test_bad_commands_get_an_error_and_change_nothing(gtp, line: str, error: str) -> None:
    gtp("play b D4")
    ok, text = gtp(line)
    assert not ok and error in text
    assert gtp.player.history == [(parse_gtp_vertex("D4"), 1)]


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
    assert ok and gtp.player.history == []


def test_lz_genmove_analyze_plays_and_answers_the_searchs_win_rates(gtp) -> None:
    ok, answer = gtp("lz-genmove_analyze b 50")
    lines = answer.splitlines()
    assert ok and lines[-1].startswith("play ") and lines[0].startswith("info move ")
    move = lines[-1].split()[1]
    assert gtp.player.history == [(parse_gtp_vertex(move), BLACK)]  # played, like genmove
    rates = [int(r) for r in re.findall(r" winrate (\d+) ", lines[0])]
    assert rates and all(0 <= r <= 10000 for r in rates)
    assert gtp("lz-genmove_analyze")[0] is False and len(gtp.player.history) == 1


def test_handicap(gtp) -> None:
    assert gtp("fixed_handicap 4") == (True, "D4 Q16 D16 Q4")
    assert gtp("fixed_handicap 2") == (False, "board not empty")
    assert gtp.player.to_play == 2
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
    clock = gtp.player.clock
    assert gtp("time_settings 600 30 5") == (True, "")
    assert clock.main_time == 600
    assert gtp("time_left b 20 3") == (True, "")
    gtp.player.clock.playouts = None
    ok, _ = gtp("genmove b")
    assert ok and clock.time_left[1] == (20, 3)
    assert gtp("time_settings 0 10 0") == (True, "") and not clock.limited  # no time limits, per the spec
    assert gtp("time_left w -3 0") == (True, "")  # a clock past zero is not an error
    assert gtp("time_left w 30.5 2") == (True, "")


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

    def stop_after_two_reports() -> None:  # the next command ends the analysis
        deadline = time.monotonic() + 60  # a bound, not a pace: a loaded machine reports late
        while engine.output.getvalue()[start:].count("\ninfo") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        engine.pending.put("name")

    stopper = threading.Thread(target=stop_after_two_reports)
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


def test_analysing_for_the_colour_not_to_move_changes_nothing(gtp) -> None:
    gtp("play b Q16")
    run_analysis(gtp, "lz-analyze b 10")  # White is to move
    ok, board = gtp("showboard")
    assert "White to play, move 2" in board
    ok, vertex = gtp("genmove w")
    assert ok and gtp.player.history[-1][1] == 2
    assert gtp("undo") == (True, "") and gtp.player.to_play == 2


def test_every_move_genmove_answers_is_in_the_history(gtp) -> None:
    assert gtp("play b pass") == (True, "") and gtp("play w pass") == (True, "")  # the game is over
    assert gtp("genmove b") == (True, "pass")
    assert gtp.player.history[-1] == (361, 1) and len(gtp.player.history) == 3
    assert gtp("undo") == (True, "")  # removes the engine's pass, not White's
    assert gtp.player.history == [(361, 1), (361, 2)]
    assert gtp("kgs-genmove_cleanup b") == (True, "pass")  # after the end nothing is left to clean up
    assert len(gtp.player.history) == 3


def test_genmove_cleanup_captures_dead_stones_instead_of_passing(gtp) -> None:
    """A lone White stone inside Black's wall, and White passed: Black wins the board as it stands, so a plain
    genmove passes; kgs-genmove_cleanup plays on until the stone is captured."""
    black_wall = ["C3", "D3", "E3", "F3", "G3", "C4", "G4", "C5", "G5", "C6", "G6", "C7", "D7", "E7", "F7", "G7"]
    for vertex in black_wall:
        assert gtp(f"play b {vertex}") == (True, "") and gtp("play w pass") == (True, "")
    assert gtp("undo") == (True, "") and gtp("play w E5") == (True, "")
    assert gtp("play b A1") == (True, "") and gtp("play w pass") == (True, "")
    assert gtp("reg_genmove b") == (True, "pass")  # the plain rule: settled and won, so pass
    moves = []
    for _ in range(8):
        ok, vertex = gtp("kgs-genmove_cleanup b")
        assert ok
        moves.append(vertex)
        if gtp.player.board()[parse_gtp_vertex("E5")] == 0:
            break
        assert gtp("play w pass") == (True, "")
    assert moves[0] != "pass" and gtp.player.board()[parse_gtp_vertex("E5")] == 0, moves
    assert sorted(moves) == ["D5", "E4", "E6", "F5"]  # its four liberties, nothing else


def test_non_utf8_bytes_under_a_utf8_locale_do_not_stop_the_engine(tmp_path) -> None:
    env = os.environ | {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "PYTHONIOENCODING": "",
                        "PYTHONUTF8": "0"}
    commands = b"1 name\n2 play b D\xff4\n3 name \xe9\xe0\n\x01\x024 protocol_version\n5 play b D4\n6 quit\n"
    result = subprocess.run([sys.executable, "-m", "golois.cli", "gtp", "--playouts", "2", "-q"], input=commands,
                            capture_output=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    answers = result.stdout.decode().split("\n\n")
    assert answers[:6] == ["=1 Golois", "?2 syntax error (invalid vertex 'D\ufffd4')", "=3 Golois", "=4 2", "=5",
                           "=6"]


def test_the_end_of_input_ends_the_engine_even_mid_line() -> None:
    result = subprocess.run([sys.executable, "-m", "golois.cli", "gtp", "--playouts", "2", "-q"],
                            input=b"name\n\xff\xfe", capture_output=True, timeout=300)
    assert result.returncode == 0 and result.stdout.startswith(b"= Golois\n\n")


def test_quit_ends_the_engine_cleanly_while_its_input_stays_open() -> None:
    """GUIs and referees send quit and keep the pipe open: the engine must still exit with 0."""
    engine = subprocess.Popen([sys.executable, "-m", "golois.cli", "gtp", "--playouts", "2", "-q"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        engine.stdin.write(b"name\nquit\n")
        engine.stdin.flush()
        stdout, stderr = engine.stdout.read(), engine.stderr.read()  # both end when the engine exits
        assert engine.wait(timeout=300) == 0, stderr[-2000:]
    finally:
        engine.kill()
        engine.stdin.close()
    assert stdout == b"= Golois\n\n=\n\n" and b"Fatal" not in stderr


def test_place_free_handicap_places_what_the_specification_allows(gtp) -> None:
    ok, vertices = gtp("place_free_handicap 12")
    assert ok and len(vertices.split()) == 12 and len(set(vertices.split())) == 12
    assert vertices.split()[:9] == ["D4", "Q16", "D16", "Q4", "D10", "Q10", "K4", "K16", "K10"]
    assert gtp("clear_board") == (True, "")
    assert gtp("place_free_handicap 1") == (False, "invalid number of stones")
    assert gtp("place_free_handicap 361") == (False, "invalid number of stones")
    assert gtp("place_free_handicap two")[1].startswith("syntax error")


def test_the_protocol_answers_while_the_network_loads(make_player) -> None:
    from concurrent.futures import Future

    from golois.engine.gtp_commands import waiting_for

    loading: Future = Future()
    output = io.StringIO()
    engine = make_gtp_engine(waiting_for(loading), output)
    for command in ("protocol_version", "name", "version", "known_command genmove", "list_commands"):
        engine.execute(command)  # none of them waits for the network
    assert output.getvalue().count("=") == 5 and not loading.done()
    threading.Timer(0.2, lambda: loading.set_result(make_player(playouts=4))).start()
    engine.execute("play b D4")  # waits for the network, then plays
    assert output.getvalue().endswith("=\n\n")


def test_a_network_that_fails_to_load_is_each_commands_error(make_player) -> None:
    from concurrent.futures import Future

    from golois.engine.gtp_commands import waiting_for

    loading: Future = Future()
    loading.set_exception(RuntimeError("no backend could run this network"))
    output = io.StringIO()
    engine = make_gtp_engine(waiting_for(loading), output)
    engine.execute("name")
    engine.execute("genmove b")
    assert output.getvalue() == "= Golois\n\n? the network could not be loaded: no backend could run this network\n\n"


def test_a_bad_network_file_is_refused_before_tensorflow(tmp_path) -> None:
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not HDF5")
    assert "is not an HDF5 file" in cli_refusal_without_tensorflow("gtp", "--model", str(junk))
