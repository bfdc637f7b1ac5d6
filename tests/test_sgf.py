"""golois.parse_sgf on small hand-written SGF texts."""

from __future__ import annotations

import numpy as np
import pytest

import golois
from golois import BLACK, PASS, WHITE, _core

Point = int


def sgf_point(coords: str) -> Point:
    """SGF "pd" -> point: first letter the column, second the row."""
    return (ord(coords[1]) - ord("a")) * 19 + ord(coords[0]) - ord("a")


def points(*coords: str) -> list[Point]:
    return [sgf_point(c) for c in coords]


def parse_one(text: str) -> golois.SgfGame:
    games = golois.parse_sgf(text)
    assert len(games) == 1, [(g.skip_reason, g.detail) for g in games]
    return games[0]


def parse_ok(text: str) -> golois.Game:
    g = parse_one(text)
    assert g.ok, (g.skip_reason, g.detail)
    assert g.skip_reason == ""
    return g.game


def reason(text: str) -> str:
    g = parse_one(text)
    assert not g.ok
    return g.skip_reason


def moves_of(game: golois.Game) -> list[tuple[Point, int]]:
    return [(q, c) for q, c, _, _ in game.moves]


def dataset(*games: golois.Game) -> _core.Dataset:
    ds = _core.Dataset(0)
    for g in games:
        assert ds.add_game(g) == ""
    ds.shuffle()
    return ds


def game_text(moves: str = ";B[pd];W[dp]", root: str = "GM[1]FF[4]SZ[19]KM[7.5]RE[B+R]") -> str:
    return f"(;{root}{moves})"


KNOWN_GAME = """(;GM[1]FF[4]CA[UTF-8]SZ[19]KM[6.5]RE[W+3.5]PB[Black]PW[White]
;B[pd];W[dp];B[pp];W[dd];B[fq]
;W[cn];B[jp];W[qf];B[nc];W[rd])"""
KNOWN_COORDS = ["pd", "dp", "pp", "dd", "fq", "cn", "jp", "qf", "nc", "rd"]
KNOWN_POINTS = [72, 288, 300, 60, 309, 249, 294, 111, 51, 74]


def test_coordinate_helper() -> None:
    assert points(*KNOWN_COORDS) == KNOWN_POINTS
    assert sgf_point("pd") == 19 * 3 + 15


# ---------------------------------------------------------------- known game


def test_known_game_moves_komi_result() -> None:
    game = parse_ok(KNOWN_GAME)
    assert game.komi == 6.5
    assert game.result == "W"
    assert game.setup == []
    assert len(game) == 10
    assert moves_of(game) == [(q, BLACK if i % 2 == 0 else WHITE) for i, q in enumerate(KNOWN_POINTS)]
    assert all(v == -1.0 for _, _, v, _ in game.moves)  # no per-move value
    assert [game.value_target(i) for i in range(10)] == [1.0] * 10  # White won
    assert game.replay_error() == ""


def test_known_game_targets() -> None:
    game = parse_ok(KNOWN_GAME)
    ds = dataset(game)
    assert ds.num_training_positions == 10
    for k, q in enumerate(KNOWN_POINTS):
        x = ds.sample(0, k)
        assert np.argmax(x["policy"]) == q and x["policy"].sum() == 1.0
        assert x["value"][0] == 1.0
        assert np.all(x["input"][:, :, 0] == (1.0 if k % 2 == 0 else 0.0))
        assert np.all(x["input"][:, :, 27] == 1.0)  # komi 6.5
        # Stones on the board before move k: k of them, on the first k points.
        own_and_opp = x["input"][:, :, 11] + x["input"][:, :, 12]
        assert {int(i) for i in np.flatnonzero(own_and_opp)} == set(KNOWN_POINTS[:k])


def test_collection_of_several_games() -> None:
    text = (game_text(";B[aa];W[bb]", "GM[1]SZ[19]RE[B+R]") + "\n"
            + game_text(";B[cc]", "GM[1]SZ[19]RE[W+R]KM[6.5]")
            + game_text(";B[dd];W[ee];B[ff]", "GM[1]SZ[19]RE[0]"))
    games = golois.parse_sgf(text)
    assert [g.ok for g in games] == [True, True, True]
    assert [moves_of(g.game) for g in games] == [
        [(0, BLACK), (20, WHITE)], [(40, BLACK)], [(60, BLACK), (80, WHITE), (100, BLACK)]]
    assert [g.game.result for g in games] == ["B", "W", "draw"]
    assert [g.game.komi for g in games] == [0.0, 6.5, 0.0]  # no KM: komi 0


def test_variations_keep_the_main_line_only() -> None:
    text = "(;GM[1]SZ[19]RE[B+R];B[pd](;W[dp];B[pp](;W[dd])(;W[qq]))(;W[dd];B[dc]))"
    assert moves_of(parse_ok(text)) == [(72, BLACK), (288, WHITE), (300, BLACK), (60, WHITE)]


def test_variation_right_after_the_root() -> None:
    text = "(;GM[1]SZ[19]RE[W+R](;B[aa];W[bb])(;B[cc]))"
    assert moves_of(parse_ok(text)) == [(0, BLACK), (20, WHITE)]


def test_passes() -> None:
    game = parse_ok(game_text(";B[pd];W[];B[tt];W[dp]"))
    assert moves_of(game) == [(72, BLACK), (PASS, WHITE), (PASS, BLACK), (288, WHITE)]
    ds = dataset(game)
    assert ds.num_training_positions == 2  # the positions before the passes are never sampled
    for k in (1, 2):
        with pytest.raises(ValueError):
            ds.sample(0, k)
    assert ds.sample(0, 3)["policy"][288] == 1.0


def test_handicap_setup() -> None:
    text = "(;GM[1]FF[4]SZ[19]HA[2]KM[0.5]RE[W+R]AB[pd][dp];W[dd];B[pp])"
    game = parse_ok(text)
    assert sorted(game.setup) == [(72, BLACK), (288, BLACK)]
    assert moves_of(game) == [(60, WHITE), (300, BLACK)]
    assert game.komi == 0.5
    x = dataset(game).sample(0, 0)
    assert np.all(x["input"][:, :, 0] == 0.0)  # White to play
    assert np.all(x["input"][:, :, 21] == 1.0)  # komi 0.5
    assert set(np.flatnonzero(x["input"][:, :, 12])) == {72, 288}  # opponent stones now
    assert not x["input"][:, :, 11].any()


def test_setup_in_a_second_node_before_the_first_move() -> None:
    game = parse_ok("(;GM[1]SZ[19]RE[W+R];AB[aa]AW[ss];W[dd])")
    assert sorted(game.setup) == [(0, BLACK), (360, WHITE)]


def test_compressed_point_list() -> None:
    game = parse_ok("(;GM[1]SZ[19]RE[B+R]AB[aa:bb]AW[ss][rs:rr];W[dd])")
    assert sorted(game.setup) == [(0, BLACK), (1, BLACK), (19, BLACK), (20, BLACK),
                                  (17 * 19 + 17, WHITE), (18 * 19 + 17, WHITE), (360, WHITE)]


@pytest.mark.parametrize(("km", "komi"), [("750", 7.5), ("375", 7.5), ("3.75", 7.5), ("650", 6.5),
                                          ("6.5", 6.5), ("0", 0.0), ("-5.5", -5.5), (" 7.5 ", 7.5)])
def test_komi(km: str, komi: float) -> None:
    assert parse_ok(game_text(root=f"GM[1]SZ[19]RE[B+R]KM[{km}]")).komi == komi


def test_bad_komi() -> None:
    assert reason(game_text(root="GM[1]SZ[19]RE[B+R]KM[seven]")) == "bad komi"


# ---------------------------------------------------------------- values


def test_comments_give_move_values() -> None:
    text = game_text(";B[pd]C[0.63 black is a bit ahead];W[dp]C[0.5];B[pp]C[1.0];W[dd]C[0]",
                     "GM[1]SZ[19]RE[W+R]")
    game = parse_ok(text)
    values = [v for _, _, v, _ in game.moves]
    assert values[0] == pytest.approx(0.63)
    assert values[1:3] == [0.5, 1.0]
    assert values[3] == -1.0  # "0" has no decimal point: not a value
    assert game.value_target(3) == 1.0  # falls back on the result
    x = dataset(game).sample(0, 0)
    assert x["value"][0] == pytest.approx(0.63, abs=1e-4)


@pytest.mark.parametrize("comment", ["10", "1.5", "-0.5", "abc 0.5", "", "0.5abc", "5"])
def test_comments_that_are_not_values(comment: str) -> None:
    game = parse_ok(game_text(f";B[pd]C[{comment}];W[dp]", "GM[1]SZ[19]RE[B+R]"))
    assert game.moves[0][2] == -1.0
    assert game.value_target(0) == 0.0


def test_comment_values_without_result() -> None:
    game = parse_ok(game_text(";B[pd]C[0.4];W[dp]", "GM[1]SZ[19]"))
    assert game.result == "?"
    assert game.value_target(0) == pytest.approx(0.4)
    assert game.value_target(1) == -1.0
    ds = dataset(game)
    assert ds.num_training_positions == 1


def test_escaped_bracket_inside_a_comment() -> None:
    text = game_text(r";B[pd]C[0.25 a \] tricky [comment\]];W[dp]C[0.75]", "GM[1]SZ[19]RE[B+R]")
    game = parse_ok(text)
    assert moves_of(game) == [(72, BLACK), (288, WHITE)]
    assert [v for _, _, v, _ in game.moves] == [0.25, 0.75]


def test_comment_on_a_node_without_move_is_ignored() -> None:
    game = parse_ok("(;GM[1]SZ[19]RE[B+R]C[0.9];B[pd];W[dp])")
    assert [v for _, _, v, _ in game.moves] == [-1.0, -1.0]


@pytest.mark.parametrize(("re", "result", "value"), [
    ("W+3.5", "W", 1.0), ("B+R", "B", 0.0), ("b+12", "B", 0.0), ("W+Resign", "W", 1.0), ("W+T", "W", 1.0),
    ("0", "draw", 0.5), ("Draw", "draw", 0.5), ("Jigo", "draw", 0.5),
])
def test_results(re: str, result: str, value: float) -> None:
    game = parse_ok(game_text(root=f"GM[1]SZ[19]RE[{re}]"))
    assert game.result == result
    assert game.value_target(0) == value


def test_draw_value_target_in_a_sample() -> None:
    game = parse_ok(game_text(root="GM[1]SZ[19]RE[0]"))
    assert dataset(game).sample(0, 1)["value"][0] == 0.5


# ---------------------------------------------------------------- skipped games


@pytest.mark.parametrize(("text", "why"), [
    (game_text(root="GM[1]SZ[19]"), "no result"),
    (game_text(root="GM[1]SZ[19]RE[?]"), "no result"),
    (game_text(root="GM[1]SZ[19]RE[Void]"), "no result"),
    (game_text(root="GM[1]SZ[9]RE[B+R]"), "not 19x19"),
    (game_text(root="GM[1]SZ[13:13]RE[B+R]"), "not 19x19"),
    (game_text(root="GM[2]SZ[19]RE[B+R]"), "not a Go game"),
    (game_text(";B[pd];W[zz]"), "bad coordinates"),
    (game_text(";B[pd];W[p]"), "bad coordinates"),
    (game_text(""), "no moves"),
    (game_text(";B[pd];AB[dd];W[dp]"), "setup stones mid-game"),
    (game_text(";B[pd];W[pd]"), "illegal move"),
    (game_text(";B[pd]W[dp]"), "SGF syntax error"),  # two moves in one node
    ("(;GM[1]SZ[19]RE[B+R];B[pd]W;W[dp])", "SGF syntax error"),  # property without value
    ("(GM[1]SZ[19]RE[B+R];B[pd])", "SGF syntax error"),  # no node
    ("(;GM[1]SZ[19]RE[B+R];B[pd];W[dp]", "truncated SGF"),
])
def test_skipped_games(text: str, why: str) -> None:
    assert reason(text) == why


def test_illegal_move_detail_names_the_move() -> None:
    g = parse_one(game_text(";B[pd];W[dp];B[dp]"))
    assert g.skip_reason == "illegal move"
    assert "3" in g.detail and "occupied" in g.detail


def test_suicide_is_an_illegal_move() -> None:
    g = parse_one("(;GM[1]SZ[19]RE[B+R]AB[ba][ab];W[aa])")
    assert g.skip_reason == "illegal move"
    assert "suicide" in g.detail


def test_truncated_text_keeps_the_games_before_it() -> None:
    text = game_text(";B[aa]") + "\n" + game_text(";B[bb]") + "\n(;GM[1]SZ[19]RE[B+R];B[pd];W[d"
    games = golois.parse_sgf(text)
    assert [g.skip_reason for g in games] == ["", "", "truncated SGF"]
    assert moves_of(games[1].game) == [(20, BLACK)]


def test_garbage_between_games_is_ignored() -> None:
    text = ("Some header text; with ] brackets [ and ; semicolons\n"
            + game_text(";B[aa]") + "\n\n garbage ]]; \n" + game_text(";B[bb]") + "trailing junk")
    games = golois.parse_sgf(text)
    assert [g.ok for g in games] == [True, True]
    assert [moves_of(g.game) for g in games] == [[(0, BLACK)], [(20, BLACK)]]


def test_empty_and_garbage_only_texts() -> None:
    assert golois.parse_sgf("") == []
    assert golois.parse_sgf("no game here ;;; ]]") == []


def sgfs_lines(broken: str) -> str:
    lines = [game_text(";B[aa];W[bb]"), broken, game_text(";B[cc];W[dd]"), game_text(";B[ee]")]
    return "\n".join(lines) + "\n"


def check_sgfs(text: str) -> None:
    games = golois.parse_sgf(text)
    assert len(games) == 4, [(g.skip_reason, g.detail) for g in games]
    assert [g.ok for g in games] == [True, False, True, True]
    assert moves_of(games[0].game) == [(0, BLACK), (20, WHITE)]
    assert moves_of(games[2].game) == [(40, BLACK), (60, WHITE)]
    assert moves_of(games[3].game) == [(80, BLACK)]


def test_sgfs_line_with_a_syntax_error_loses_only_its_game() -> None:
    check_sgfs(sgfs_lines("(;GM[1]SZ[19]RE[B+R];B[pd]W;W[dp])"))


def test_sgfs_line_without_closing_parenthesis_loses_only_its_game() -> None:
    check_sgfs(sgfs_lines("(;GM[1]SZ[19]RE[B+R];B[pd];W[dp]"))


def test_sgfs_line_cut_inside_a_value_loses_only_its_game() -> None:
    # A line cut in the middle of a property value (a truncated download):
    # the next line's game must still be read.
    check_sgfs(sgfs_lines("(;GM[1]SZ[19]RE[B+R];B[pd];W[d"))


def test_lowercase_letters_in_property_names_are_ignored() -> None:
    text = "(;GaMe[1]SiZe[19]KoMi[6.5]REsult[W+R]AddBlack[aa]AddWhite[ss];White[bb];Black[cc])"
    game = parse_ok(text)
    assert game.komi == 6.5
    assert game.result == "W"
    assert sorted(game.setup) == [(0, BLACK), (360, WHITE)]
    assert moves_of(game) == [(20, WHITE), (40, BLACK)]


def test_whitespace_between_nodes_and_properties() -> None:
    text = "(\n ;\n GM [1] SZ [19]\n RE [B+R]\n ;\n B [pd]\n ;\n W\n [dp]\n )"
    assert moves_of(parse_ok(text)) == [(72, BLACK), (288, WHITE)]


def test_root_properties_outside_the_root_are_not_read() -> None:
    game = parse_ok("(;GM[1]SZ[19]RE[B+R]KM[6.5];B[pd]KM[0.5]RE[W+R];W[dp])")
    assert game.komi == 6.5
    assert game.result == "B"
