"""The neutral judge: the adjudication rule, dead stones settled by GNU Go, the referee's records."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from golois import BLACK, WHITE, _core, parse_sgf
from golois.engine.coords import parse_gtp_vertex
from golois.engine.game_end import EndReason
from golois.engine.gtp_client import EngineFailure, GtpClient
from golois.engine.judge import AdjudicationRule, DeadStoneJudge, Judge, find_gnugo, settled_score
from golois.engine.match import Judging, MatchSettings, Referee, _move_and_winrate, wait_until_loaded
from golois.engine.sgf_writer import game_sgf, result_text

needs_gnugo = pytest.mark.skipif(find_gnugo() is None, reason="GNU Go is not installed (apt-get install gnugo)")
FAULTY = Path(__file__).parent / "engines" / "faulty_gtp.py"


def curve(rates: list[float], start: int = 1) -> list[tuple[int, float]]:
    return list(enumerate(rates, start=start))


@pytest.mark.parametrize(("rates", "rule", "expected"), [
    ([0.5, 0.96, 0.97, 0.99], AdjudicationRule(from_move=1, threshold=0.95, in_a_row=3), (4, BLACK)),
    ([0.96, 0.97, 0.5, 0.99, 0.99], AdjudicationRule(from_move=1, threshold=0.95, in_a_row=3), None),  # streak broken
    ([0.02, 0.04, 0.05], AdjudicationRule(from_move=1, threshold=0.95, in_a_row=3), (3, WHITE)),  # 1 - 0.05 = 0.95
    ([0.99] * 6, AdjudicationRule(from_move=5, threshold=0.95, in_a_row=2), (5, BLACK)),  # never before from_move
    ([0.94] * 50, AdjudicationRule(from_move=1, threshold=0.95, in_a_row=2), None),
    ([], AdjudicationRule(), None),
])
def test_the_rule_decides_where_one_side_stays_above_the_threshold(rates, rule, expected) -> None:
    assert rule.decision(curve(rates)) == expected


def test_the_defaults_are_described_as_they_are() -> None:
    rule = AdjudicationRule()
    text = rule.describe()
    assert f"{rule.threshold:.0%}" in text and f"{rule.in_a_row} moves" in text and f"move {rule.from_move}" in text


def corner_position() -> tuple[list[tuple[int, int]], _core.GameState]:
    """A black wall around the 3x3 lower-left corner, one white stone inside it (dead), black stones
    elsewhere: the moves alternate, White's other moves are passes."""
    black = ["D1", "D2", "D3", "D4", "C4", "B4", "A4", "Q16", "Q4", "D16", "K10"]
    moves, state = [], _core.GameState(7.5)
    for index, vertex in enumerate(black):
        for colour, point in ((BLACK, parse_gtp_vertex(vertex)),
                              (WHITE, parse_gtp_vertex("B2") if index == 0 else _core.PASS)):
            state.play(point)
            moves.append((point, colour))
    return moves, state


def test_settled_score_counts_dead_stones_as_the_other_sides_area() -> None:
    _, state = corner_position()
    as_it_stands = settled_score(state.board, set(), 7.5)
    settled = settled_score(state.board, {parse_gtp_vertex("B2")}, 7.5)
    assert as_it_stands == pytest.approx(float(state.score()))
    assert settled == 361 - 7.5           # every point reaches only Black once B2 is off
    assert settled > as_it_stands         # the 8 empty corner points were nobody's with B2 on the board


@needs_gnugo
def test_gnu_go_finds_the_dead_stone_and_the_referee_takes_it_off(tmp_path) -> None:
    moves, state = corner_position()
    judge = DeadStoneJudge(tmp_path / "gnugo.log")
    try:
        assert judge.dead_stones([], moves, 7.5) == {parse_gtp_vertex("B2")}
        assert judge.seconds >= 0.0
    finally:
        judge.close()


def test_without_gnu_go_the_dead_stone_judge_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("golois.engine.judge.find_gnugo", lambda: None)
    with pytest.raises(EngineFailure, match="apt-get install gnugo"):
        DeadStoneJudge(tmp_path / "gnugo.log")


@pytest.mark.parametrize(("answer", "expected"), [
    ("D4", ("D4", None)),
    ("\ninfo move D4 visits 5 winrate 6000 prior 10 order 0 pv D4 info move Q16 visits 2 winrate 4000 prior 5 "
     "order 1 pv Q16\nplay Q16", ("Q16", 0.4)),                      # the move played, not the first listed
    ("\ninfo move D4 visits 5 winrate 6000 prior 10 order 0 pv D4\nplay pass", ("pass", 0.6)),  # else the first
    ("\nplay resign", ("resign", None)),
    ("\ninfo move D4 visits 5 winrate banana\nplay D4", ("D4", None)),
    ("\ninfo move D4 visits 5 winrate 20000\nplay D4", ("D4", None)),  # not a win rate
])
def test_the_referee_reads_the_movers_win_rate_from_lz_genmove_analyze(answer, expected) -> None:
    assert _move_and_winrate(answer) == expected


def test_adjudicated_games_have_a_winner_and_no_score() -> None:
    assert result_text(BLACK, 12.0, EndReason.ADJUDICATED) == "B+"
    assert result_text(WHITE, None, EndReason.ADJUDICATED) == "W+"


def test_the_sgf_carries_move_comments_and_dead_stone_marks() -> None:
    moves = [(parse_gtp_vertex("D4"), BLACK), (parse_gtp_vertex("Q16"), WHITE)]
    sgf = game_sgf(moves, 7.5, "b", "w", "B+", move_comments={2: "win rate ] 50%", 7: "ignored"},
                   dead={parse_gtp_vertex("D4")})
    assert ";W[pd]C[win rate \\] 50%]MA[dp])" in sgf and "ignored" not in sgf
    parsed = parse_sgf(sgf)[0]
    assert parsed.ok and len(parsed.game.moves) == 2


def golois_engine(tmp_path: Path, name: str) -> GtpClient:
    client = GtpClient(f"{sys.executable} -m golois.cli gtp --model default --playouts 2 -q", tmp_path / f"{name}.log",
                       name)
    wait_until_loaded(client)
    return client


def test_the_referee_records_both_win_rates_and_the_judge_adjudicates(tmp_path, default_evaluator) -> None:
    # A threshold of 0 holds for both sides at once: Black is declared the winner at move 8, deterministically.
    rule = AdjudicationRule(from_move=8, threshold=0.0, in_a_row=3, playouts=4)
    engines = {BLACK: golois_engine(tmp_path, "black"),
               WHITE: GtpClient(f"{sys.executable} {FAULTY} legal", tmp_path / "white.log", "faulty")}
    seen = []
    try:
        referee = Referee(engines, MatchSettings(), Judging(Judge(default_evaluator, rule)),
                          on_move=lambda ref: seen.append(len(ref.moves)))
        referee.start()
        winner, reason, detail = referee.play()
    finally:
        for client in engines.values():
            client.close()
    assert (winner, reason) == (BLACK, EndReason.ADJUDICATED) and "up to move 8" in detail
    assert len(referee.moves) == 8 and seen == list(range(1, 9))
    assert [m for m, _ in referee.winrates["judge"]] == list(range(1, 9))
    assert [m for m, _ in referee.winrates["B"]] == [1, 3, 5, 7]  # golois answers lz-genmove_analyze
    assert referee.winrates["W"] == []                           # the other engine does not
    result, sgf = referee.record("golois", "faulty", winner, reason, detail)
    assert result == "B+" and "RE[B+]" in sgf and "adjudicated" in sgf
    assert sgf.count("C[Black's win rate") == 8 and sgf.count("Black's engine") == 4


@needs_gnugo
def test_a_game_counted_at_the_end_has_its_dead_stones_settled(tmp_path, default_evaluator) -> None:
    engines = {BLACK: golois_engine(tmp_path, "black"),
               WHITE: GtpClient(f"{sys.executable} {FAULTY} legal", tmp_path / "white.log", "faulty")}
    judging = Judging(Judge(default_evaluator, AdjudicationRule(playouts=2)), DeadStoneJudge(tmp_path / "gnugo.log"))
    try:
        referee = Referee(engines, MatchSettings(max_moves=30), judging)
        referee.start()
        winner, reason, detail = referee.play()
    finally:
        for client in engines.values():
            client.close()
        judging.dead_stones.close()
    assert reason == EndReason.MOVE_LIMIT and "removed by GNU Go" in detail
    assert referee.score == settled_score(referee.state.board, referee.dead, 7.5)
    assert winner == (BLACK if referee.score > 0 else WHITE)
    _, sgf = referee.record("golois", "faulty", winner, reason, detail)
    assert ("MA[" in sgf) == bool(referee.dead) and "dead stones settled by GNU Go" in sgf
