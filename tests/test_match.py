"""Matches refereed here (against GNU Go and deliberately faulty engines), and self-play."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from golois import BLACK, WHITE, Dataset, _core
from golois.cli import main
from golois.engine.bench import bench_engine
from golois.engine.coords import parse_gtp_vertex
from golois.engine.gtp_client import EngineFailure
from golois.engine.match import GameOutcome, MatchSettings, _write_summary, play_match, wilson_interval
from golois.engine.openings import OPENING_MOVES, balanced_openings
from golois.engine.selfplay import play_selfplay

FAULTY = Path(__file__).parent / "engines" / "faulty_gtp.py"
GNUGO = shutil.which("gnugo") or ("/usr/games/gnugo" if Path("/usr/games/gnugo").exists() else None)
needs_gnugo = pytest.mark.skipif(GNUGO is None, reason="GNU Go is not installed (apt-get install gnugo)")


def faulty(mode: str) -> str:
    return f"{sys.executable} {FAULTY} {mode}"


def gnugo(level: int = 0) -> str:
    return f"{GNUGO} --mode gtp --level {level} --chinese-rules --capture-all-dead"


def test_wilson_interval() -> None:
    low, high = wilson_interval(18, 20)
    assert low == pytest.approx(0.699, abs=1e-3) and high == pytest.approx(0.972, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(20, 20)[1] == 1.0


def hand_made_match(out: Path, winners: list[str | None], second: str = "gnugo", komi: float = 7.5) -> None:
    """A match folder as `golois match` leaves it, from the winner of each game (None: a draw)."""
    out.mkdir()
    names = {"first": "A", "second": "B"}
    outcomes = [GameOutcome(n, *(("A", "B") if n % 2 else ("B", "A")), winner, "B+R", "resignation", moves=200)
                for n, winner in enumerate(winners, start=1)]
    _write_summary(out, {"first": "a --time 2", "second": second}, names, outcomes, MatchSettings(komi=komi))


def test_runs_of_one_match_add_up(tmp_path: Path) -> None:
    hand_made_match(tmp_path / "run1", ["first", "second", "first", "first"])  # 2 of 2 with Black
    hand_made_match(tmp_path / "run2", ["first", None, "second"])               # 1 of 2 with Black, a draw
    result = CliRunner().invoke(main, ["match-total", str(tmp_path / "run1"), str(tmp_path / "run2"), "--json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.output)
    assert total["games"] == 7 and total["first_wins"] == 4.5 and total["first_wins_as_black"] == 3
    assert total["first_win_rate_95ci"] == [round(x, 4) for x in wilson_interval(4.5, 7)]
    text = CliRunner().invoke(main, ["match-total", str(tmp_path / "run1"), str(tmp_path / "run2")]).output
    assert text.startswith("A vs B: 4.5/7 for the first (64.3%, 95% CI") and text.rstrip().endswith("over 2 matches")


def test_only_runs_of_the_same_match_add_up(tmp_path: Path) -> None:
    hand_made_match(tmp_path / "run", ["first"])
    hand_made_match(tmp_path / "other-engine", ["first"], second="gnugo --level 1")
    hand_made_match(tmp_path / "other-komi", ["first"], komi=6.5)
    (tmp_path / "empty").mkdir()
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "summary.json").write_bytes(b'{"games": \xff}')
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "summary.json").write_text('{"first": {"command": "a"}, "second": {"command": "b"}, '
                                                     '"settings": {"komi": 7.5}, "games": "ten", "void": 0, '
                                                     '"first_wins": 1, "first_wins_as_black": 1}')
    for other, said in [("other-engine", "other engines or another komi"), ("other-komi", "another komi"),
                        ("run", "named twice"), ("empty", "holds no summary.json"),
                        ("corrupt", "not a match summary"), ("wrong", "not a match summary")]:
        result = CliRunner().invoke(main, ["match-total", str(tmp_path / "run"), str(tmp_path / other)])
        assert result.exit_code == 1 and said in result.output and "Traceback" not in result.output, other


def read_moves(sgf_path: Path) -> list[tuple[int, int]]:
    (parsed,) = _core.parse_sgf(sgf_path.read_text())
    assert parsed.ok, parsed.detail
    return [(q, c) for q, c, _, _ in parsed.game.moves]


@needs_gnugo
def test_golois_against_gnu_go(tmp_path: Path) -> None:
    ours = f"{sys.executable} -m golois.cli gtp --playouts 4 --backend tensorflow -q"
    settings = MatchSettings(games=2, max_moves=40)
    summary = play_match(ours, gnugo(), tmp_path, settings)
    assert summary["games"] == 2 and summary["void"] == 0
    assert summary["first"]["name"].startswith("Golois") and summary["second"]["name"].startswith("GNU Go")
    for outcome, black in zip(summary["outcomes"], ("Golois", "GNU Go"), strict=True):
        assert outcome["black"].startswith(black)
        assert outcome["reason"] in ("move limit", "resignation") and outcome["moves"] <= 40
        if outcome["reason"] == "move limit":
            assert re.fullmatch(r"[BW]\+\d+(\.5)?", outcome["result"])
        moves = read_moves(tmp_path / outcome["sgf"])
        assert len(moves) == outcome["moves"] and moves[0][1] == BLACK
    assert json.loads((tmp_path / "summary.json").read_text())["games"] == 2


@needs_gnugo
@pytest.mark.parametrize("mode, reason, detail", [
    ("illegal", "illegal move", "D4 (point occupied)"),
    ("crash", "failure", "exited"),
    ("garbage", "failure", "protocol"),
    ("hang", "failure", "did not answer"),
    ("badbytes", "illegal move", "not a move"),  # bytes that are not UTF-8 must not stop the reader
])
def test_a_faulty_engine_loses_and_the_match_goes_on(tmp_path: Path, mode: str, reason: str, detail: str) -> None:
    # A short wait only where the wait is the test: GNU Go may be slow on a loaded machine.
    settings = MatchSettings(games=2, move_timeout=2.0 if mode == "hang" else 20.0, max_moves=30)
    summary = play_match(faulty(mode), gnugo(), tmp_path, settings)
    assert summary["games"] == 2
    for outcome in summary["outcomes"]:
        assert outcome["winner"] == "second" and outcome["reason"] == reason and detail in outcome["detail"]
        assert (tmp_path / outcome["sgf"]).exists()
    assert summary["first_wins"] == 0


@needs_gnugo
def test_games_in_parallel_each_with_its_own_engines(tmp_path: Path) -> None:
    settings = MatchSettings(games=4, move_timeout=20.0, max_moves=20)
    summary = play_match(faulty("illegal"), gnugo(), tmp_path, settings, parallel=2)
    assert [o["game"] for o in summary["outcomes"]] == [1, 2, 3, 4]
    assert [o["black"] for o in summary["outcomes"]] == ["faulty-illegal", "GNU Go 3.8"] * 2
    assert summary["games"] == 4 and summary["first_wins"] == 0
    assert sorted(p.name for p in tmp_path.glob("*-engine-*.log")) == [
        "first-engine-1.log", "first-engine-2.log", "second-engine-1.log", "second-engine-2.log"]


@needs_gnugo
def test_an_engine_over_the_time_limit_loses(tmp_path: Path) -> None:
    settings = MatchSettings(games=1, seconds_per_move=1.0, margin=0.5, max_moves=10)
    summary = play_match(faulty("slow"), gnugo(), tmp_path, settings)
    (outcome,) = summary["outcomes"]
    assert outcome["reason"] == "time" and outcome["winner"] == "second"


def test_an_engine_that_cannot_start_stops_the_match_clearly(tmp_path: Path) -> None:
    with pytest.raises(EngineFailure, match="cannot start '/nonexistent/engine'"):
        play_match("/nonexistent/engine", faulty("illegal"), tmp_path, MatchSettings(games=1))


def test_selfplay_writes_games_the_trainer_reads(tmp_path: Path, make_player) -> None:
    player = make_player(playouts=2, noise_alpha=0.03, sample_moves=10, resign_min_moves=0)
    out = tmp_path / "selfplay.data"
    summary = play_selfplay(player, 2, out, tmp_path / "sgf")
    assert "2 games" in summary
    games = _core.read_games(str(out))
    assert len(games) == 2 and len(list((tmp_path / "sgf").glob("*.sgf"))) == 2
    for game in games:
        assert game.replay_error() == ""
        values = [v for _, _, v, _ in game.moves]
        assert all(0.0 <= v <= 1.0 for v in values)
        assert game.result in ("B", "W", "draw")
    assert games[0].moves != games[1].moves  # noise and sampling: not the same game twice
    dataset = Dataset(out, progress=False)
    x, policy, value = np.zeros((8, 19, 19, 31), np.float32), np.zeros((8, 361), np.float32), np.zeros(8, np.float32)
    dataset.get_batch(x, policy, value, np.zeros((8, 19, 19, 2), np.float32), np.zeros((8, 19, 19, 1), np.float32), 0)
    assert np.all(policy.sum(1) == 1) and np.all((value >= 0) & (value <= 1)) and value.std() > 0


def test_bench_engine_reports_both_rates(make_player) -> None:
    result = bench_engine(make_player(), seconds=0.2)
    assert result["backend"] == "onnxruntime" and result["batch"] == 8
    assert result["raw_positions_per_s"] > 0 and result["playouts_per_s"] > 0 and result["playouts_per_cpu_s"] > 0
    assert result["ratio"] == pytest.approx(result["playouts_per_s"] / result["raw_positions_per_s"], abs=1e-3)


def test_an_earlier_match_is_never_mixed_with_a_new_one(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from golois.cli import main

    args = ["match", "--black", faulty("illegal"), "--white", faulty("slow"), "--games", "2", "--out", str(tmp_path),
            "--move-timeout", "10", "--max-moves", "4"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "game 1: faulty-illegal (B) - faulty-slow (W): " in first.output  # each result as it ends
    assert "game 2: faulty-slow (B) - faulty-illegal (W): " in first.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "holds an earlier match" in again.output and "--force" in again.output
    forced = CliRunner().invoke(main, [*args, "--force", "--games", "1"])
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in tmp_path.glob("game-*.sgf")) == ["game-001.sgf"]
    assert json.loads((tmp_path / "summary.json").read_text())["games"] == 1


@needs_gnugo
def test_openings_make_each_pair_of_games_different(tmp_path: Path) -> None:
    settings = MatchSettings(games=4, max_moves=OPENING_MOVES + 4, move_timeout=20.0, openings=True)
    summary = play_match(gnugo(), gnugo(), tmp_path, settings)
    starts = [read_moves(tmp_path / o["sgf"])[:OPENING_MOVES] for o in summary["outcomes"]]
    expected = [[parse_gtp_vertex(v) for v in opening] for opening in balanced_openings()[:2]]
    # A pair shares its opening (colours swap between its games); the next pair takes the next one.
    assert [[point for point, _ in start] for start in starts] == [expected[0], expected[0], expected[1], expected[1]]
    assert all([colour for _, colour in start] == [BLACK, WHITE] * 2 for start in starts)
    assert summary["settings"]["openings"] is True
