"""Go rules of golois.Board and golois.GameState on hand-made positions.

Points are `19 * row + col`; the helpers take (row, col) pairs or SGF
coordinates ("pd" = col 15, row 3) so that positions read like diagrams.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

import golois
from golois import BLACK, EMPTY, PASS, WHITE

Point = int


def p(row: int, col: int) -> Point:
    return 19 * row + col


def sgf(coords: str) -> Point:
    """SGF "pd" -> point (first letter column, second letter row)."""
    return (ord(coords[1]) - ord("a")) * 19 + ord(coords[0]) - ord("a")


def board_with(black: Iterable[Point] = (), white: Iterable[Point] = ()) -> golois.Board:
    board = golois.Board()
    for q in black:
        board.place(q, BLACK)
    for q in white:
        board.place(q, WHITE)
    return board


def neighbours(q: Point) -> list[Point]:
    r, c = divmod(q, 19)
    out = []
    if r > 0:
        out.append(q - 19)
    if r < 18:
        out.append(q + 19)
    if c > 0:
        out.append(q - 1)
    if c < 18:
        out.append(q + 1)
    return out


def reference_string(colours: list[int], q: Point) -> tuple[set[Point], set[Point]]:
    """Stones and liberties of the string at q, by flood fill (the reference)."""
    colour = colours[q]
    stones, libs, todo = {q}, set(), [q]
    while todo:
        s = todo.pop()
        for n in neighbours(s):
            if colours[n] == EMPTY:
                libs.add(n)
            elif colours[n] == colour and n not in stones:
                stones.add(n)
                todo.append(n)
    return stones, libs


def colours_of(board: golois.Board) -> list[int]:
    return [board.color(q) for q in range(361)]


# ---------------------------------------------------------------- helpers


def test_coordinate_helper_matches_the_contract() -> None:
    assert sgf("pd") == 72 == p(3, 15)
    assert sgf("aa") == 0
    assert sgf("sa") == 18
    assert sgf("as") == 342


def test_empty_board() -> None:
    board = golois.Board()
    assert all(board.color(q) == EMPTY for q in range(361))
    assert board.liberties(p(9, 9)) == 0
    assert board.string_size(p(9, 9)) == 0
    assert board.ko == -1
    assert board.area() == (0, 0)


# ---------------------------------------------------------------- captures


def test_single_stone_capture() -> None:
    board = golois.Board()
    board.play(p(3, 3), WHITE)
    for q in (p(2, 3), p(4, 3), p(3, 2)):
        assert board.play(q, BLACK) == 0
    assert board.liberties(p(3, 3)) == 1
    assert board.play(p(3, 4), BLACK) == 1
    assert board.color(p(3, 3)) == EMPTY
    assert board.color(p(3, 4)) == BLACK
    # Every black stone got the captured point back as a liberty.
    assert board.liberties(p(3, 4)) == 4
    assert board.liberties(p(2, 3)) == 4
    assert board.liberties(p(4, 3)) == 4
    assert board.liberties(p(3, 2)) == 4


def test_multi_stone_capture_and_liberties_after_it() -> None:
    board = board_with(black=[p(2, 3), p(2, 4), p(4, 3), p(4, 4), p(3, 2)], white=[p(3, 3), p(3, 4)])
    assert board.string_size(p(3, 3)) == 2
    assert board.liberties(p(3, 3)) == 1
    assert board.liberties(p(2, 3)) == 4  # (1,3) (1,4) (2,2) (2,5)
    assert board.play(p(3, 5), BLACK) == 2
    assert board.color(p(3, 3)) == EMPTY and board.color(p(3, 4)) == EMPTY
    # Upper string (2,3)-(2,4): (1,3) (1,4) (2,2) (2,5) + the two captured points.
    assert board.string_size(p(2, 4)) == 2
    assert board.liberties(p(2, 3)) == 6
    # Lower string (4,3)-(4,4): (5,3) (5,4) (4,2) (4,5) + the two captured points.
    assert board.liberties(p(4, 4)) == 6
    assert board.liberties(p(3, 2)) == 4
    assert board.liberties(p(3, 5)) == 4


def test_multi_stone_capture_liberties_before_it() -> None:
    # Sanity for the position above: the upper black string touches the white
    # string on two points, so it has (1,3) (1,4) (2,2) (2,5) = 4 liberties.
    board = board_with(black=[p(2, 3), p(2, 4)], white=[p(3, 3), p(3, 4)])
    assert board.liberties(p(2, 3)) == 4
    assert board.liberties(p(3, 4)) == 4  # (4,3) (4,4) (3,2) (3,5)


def test_capture_on_the_edge() -> None:
    board = board_with(black=[p(0, 4), p(0, 6)], white=[p(0, 5)])
    assert board.liberties(p(0, 5)) == 1
    assert board.play(p(1, 5), BLACK) == 1
    assert board.color(p(0, 5)) == EMPTY
    assert board.liberties(p(1, 5)) == 4
    assert board.liberties(p(0, 4)) == 3
    assert board.ko == -1


def test_capture_in_the_corner() -> None:
    board = board_with(black=[p(0, 1)], white=[p(0, 0)])
    assert board.liberties(p(0, 0)) == 1
    assert board.play(p(1, 0), BLACK) == 1
    assert board.color(p(0, 0)) == EMPTY
    assert board.liberties(p(0, 1)) == 3
    assert board.liberties(p(1, 0)) == 3


def test_two_stone_capture_in_the_corner() -> None:
    board = board_with(black=[p(0, 2), p(1, 0)], white=[p(0, 0), p(0, 1)])
    assert board.liberties(p(0, 0)) == 1
    assert board.play(p(1, 1), BLACK) == 2
    assert board.color(p(0, 0)) == EMPTY and board.color(p(0, 1)) == EMPTY
    # (1,0)-(1,1) is now one string: (0,0) (0,1) (2,0) (2,1) (1,2).
    assert board.string_size(p(1, 0)) == 2
    assert board.liberties(p(1, 1)) == 5


def test_capture_of_two_strings_at_once() -> None:
    # Black (3,4) fills the last liberty of two separate white stones.
    board = board_with(black=[p(2, 3), p(3, 2), p(4, 3), p(2, 5), p(3, 6), p(4, 5)], white=[p(3, 3), p(3, 5)])
    assert board.play(p(3, 4), BLACK) == 2
    assert board.color(p(3, 3)) == EMPTY and board.color(p(3, 5)) == EMPTY
    assert board.liberties(p(3, 4)) == 4
    assert board.ko == -1


# ---------------------------------------------------------------- suicide


def test_single_stone_suicide_is_illegal() -> None:
    board = board_with(black=[p(0, 1), p(1, 0)])
    assert board.check(p(0, 0), WHITE) == "suicide"
    assert not board.is_legal(p(0, 0), WHITE)
    with pytest.raises(ValueError, match="illegal move: suicide"):
        board.play(p(0, 0), WHITE)
    assert board.color(p(0, 0)) == EMPTY
    assert board.liberties(p(0, 1)) == 3  # (0,0) (0,2) (1,1)
    # Black may fill its own eye.
    assert board.check(p(0, 0), BLACK) == "legal"


def test_multi_stone_suicide_is_illegal() -> None:
    board = board_with(black=[p(0, 2), p(1, 0), p(1, 1)], white=[p(0, 0)])
    assert board.liberties(p(0, 0)) == 1
    assert board.check(p(0, 1), WHITE) == "suicide"
    with pytest.raises(ValueError, match="suicide"):
        board.play(p(0, 1), WHITE)
    assert board.color(p(0, 1)) == EMPTY
    assert board.color(p(0, 0)) == WHITE
    assert board.liberties(p(0, 0)) == 1


def test_occupied_point_is_illegal() -> None:
    board = board_with(black=[p(9, 9)])
    assert board.check(p(9, 9), WHITE) == "point occupied"
    assert board.check(p(9, 9), BLACK) == "point occupied"
    with pytest.raises(ValueError, match="point occupied"):
        board.play(p(9, 9), WHITE)
    with pytest.raises(ValueError):
        board.place(p(9, 9), WHITE)
    assert board.color(p(9, 9)) == BLACK


def test_move_that_looks_like_suicide_but_captures_is_legal() -> None:
    # Two black stones, each in atari on (0,0): White (0,0) has no empty
    # neighbour but captures both.
    board = board_with(black=[p(0, 1), p(1, 0)], white=[p(0, 2), p(1, 1), p(2, 0)])
    assert board.liberties(p(0, 1)) == 1 and board.liberties(p(1, 0)) == 1
    assert board.check(p(0, 0), WHITE) == "legal"
    assert board.play(p(0, 0), WHITE) == 2
    assert board.color(p(0, 1)) == EMPTY and board.color(p(1, 0)) == EMPTY
    assert board.liberties(p(0, 0)) == 2
    assert board.ko == -1  # two stones captured: no ko


def test_filling_own_last_liberty_is_suicide_even_when_connected() -> None:
    # The black string (0,0)-(0,1) plays its last liberty (1,0)... which is
    # surrounded by white: suicide of three stones.
    board = board_with(black=[p(0, 0), p(0, 1)], white=[p(0, 2), p(1, 1), p(2, 0)])
    assert board.liberties(p(0, 0)) == 1
    assert board.check(p(1, 0), BLACK) == "suicide"


def test_pass_is_accepted_by_play() -> None:
    board = board_with(black=[p(3, 3)])
    assert board.play(PASS, WHITE) == 0
    assert board.color(p(3, 3)) == BLACK


# ---------------------------------------------------------------- ko

# Ko shape: White (3,3) sits in Black's mouth; Black (3,4) captures it.
KO_BLACK = [p(2, 3), p(4, 3), p(3, 2)]
KO_WHITE = [p(2, 4), p(4, 4), p(3, 5), p(3, 3)]
KO_POINT = p(3, 3)
KO_CAPTURE = p(3, 4)


def ko_board() -> golois.Board:
    board = board_with(black=KO_BLACK, white=KO_WHITE)
    assert board.play(KO_CAPTURE, BLACK) == 1
    return board


def test_simple_ko_retake_is_illegal_immediately() -> None:
    board = ko_board()
    assert board.ko == KO_POINT
    assert board.check(KO_POINT, WHITE) == "ko"
    assert not board.is_legal(KO_POINT, WHITE)
    with pytest.raises(ValueError, match="ko"):
        board.play(KO_POINT, WHITE)
    assert board.color(KO_POINT) == EMPTY
    assert board.color(KO_CAPTURE) == BLACK


def test_ko_ban_is_for_the_opponent_only() -> None:
    board = ko_board()
    # Black may fill the ko (it connects to three black stones).
    assert board.check(KO_POINT, BLACK) == "legal"


def test_ko_retake_is_legal_after_moves_elsewhere() -> None:
    board = ko_board()
    board.play(p(15, 15), WHITE)  # ko threat
    assert board.ko == -1
    board.play(p(15, 16), BLACK)  # answer
    assert board.check(KO_POINT, WHITE) == "legal"
    assert board.play(KO_POINT, WHITE) == 1
    assert board.color(KO_CAPTURE) == EMPTY
    # Now Black may not retake at once.
    assert board.ko == KO_CAPTURE
    assert board.check(KO_CAPTURE, BLACK) == "ko"


def test_ko_is_cleared_by_a_pass() -> None:
    board = ko_board()
    board.play(PASS, WHITE)
    assert board.ko == -1
    assert board.check(KO_POINT, WHITE) == "legal"


def test_single_capture_by_a_connected_stone_is_not_ko() -> None:
    # The capturing stone joins a black string, so the capture is no ko.
    board = board_with(black=[p(2, 3), p(4, 3), p(3, 2), p(2, 4)], white=[p(3, 3), p(4, 4), p(3, 5)])
    assert board.play(p(3, 4), BLACK) == 1
    assert board.ko == -1
    # Retaking is refused as suicide (the black string has liberties), not as ko.
    assert board.check(p(3, 3), WHITE) == "suicide"


# ---------------------------------------------------------------- superko


def ko_game() -> golois.GameState:
    state = golois.GameState(komi=7.5)
    for q in KO_BLACK:
        state.place(q, BLACK)
    for q in KO_WHITE:
        state.place(q, WHITE)
    assert state.to_play == BLACK
    state.play(KO_CAPTURE)
    assert state.board.color(KO_POINT) == EMPTY
    return state


def test_gamestate_alternates_and_counts_passes() -> None:
    state = golois.GameState()
    assert state.to_play == BLACK
    state.play(p(3, 3))
    assert state.to_play == WHITE
    state.play(PASS)
    assert state.passes == 1
    assert state.to_play == BLACK
    state.play(PASS)
    assert state.passes == 2
    state.play(p(15, 15))
    assert state.passes == 0
    assert state.moves == [p(3, 3), PASS, PASS, p(15, 15)]
    assert state.board.color(p(15, 15)) == WHITE  # B, W pass, B pass, W
    assert state.to_play == BLACK


def test_gamestate_simple_ko() -> None:
    state = ko_game()
    assert state.to_play == WHITE
    assert state.check(KO_POINT) == "ko"
    with pytest.raises(ValueError, match="ko"):
        state.play(KO_POINT)
    assert KO_POINT not in state.legal_points()
    assert state.to_play == WHITE  # a refused move changes nothing


def test_positional_superko_after_passes() -> None:
    # Passes lift the simple-ko ban, but retaking would recreate the whole
    # board position before Black's capture: positional superko refuses it.
    state = ko_game()
    state.play(PASS)  # White
    state.play(PASS)  # Black: two passes are no repetition
    assert state.passes == 2
    assert state.to_play == WHITE
    assert state.board.ko == -1
    assert state.board.check(KO_POINT, WHITE) == "legal"  # simple ko alone allows it
    assert state.check(KO_POINT) == "positional superko"
    with pytest.raises(ValueError, match="positional superko"):
        state.play(KO_POINT)
    assert KO_POINT not in state.legal_points()
    assert state.board.color(KO_POINT) == EMPTY
    # Passing again is always legal.
    assert state.check(PASS) == "legal"
    state.play(PASS)


def test_superko_retake_after_an_exchange_elsewhere_is_legal() -> None:
    # A threat and its answer change the board, so the retake is a new position.
    state = ko_game()
    state.play(p(15, 15))  # White threat
    state.play(p(15, 16))  # Black answer
    assert state.check(KO_POINT) == "legal"
    state.play(KO_POINT)
    assert state.board.color(KO_CAPTURE) == EMPTY
    # Black's immediate retake is a simple ko.
    assert state.check(KO_CAPTURE) == "ko"


def test_superko_in_a_ko_fight() -> None:
    # B takes, W threat, B answers, W retakes, B threat, W answers, B takes
    # again: each position is new (stones were added), so every move is
    # legal; after two passes White's retake would repeat a position.
    state = ko_game()
    for q in (p(15, 15), p(15, 16), KO_POINT, p(3, 15), p(2, 15), KO_CAPTURE):
        assert state.check(q) == "legal", q
        state.play(q)
    assert state.board.color(KO_POINT) == EMPTY
    state.play(PASS)
    state.play(PASS)
    assert state.check(KO_POINT) == "positional superko"


def test_gamestate_place_on_occupied_point_is_refused() -> None:
    # GameState.place must not silently overwrite a stone (Board.place refuses).
    state = golois.GameState()
    state.place(p(3, 3), BLACK)
    with pytest.raises(ValueError):
        state.place(p(3, 3), WHITE)
    assert state.board.color(p(3, 3)) == BLACK


def test_gamestate_score_uses_its_komi() -> None:
    state = golois.GameState(komi=6.5)
    state.place(p(9, 9), BLACK)
    assert state.score() == pytest.approx(361 - 6.5)


# ---------------------------------------------------------------- liberties


def test_merged_string_counts_shared_liberties_once() -> None:
    board = board_with(black=[p(3, 3), p(4, 4)])
    assert board.liberties(p(3, 3)) == 4
    assert board.liberties(p(4, 4)) == 4
    board.play(p(3, 4), BLACK)
    # (2,3) (3,2) (4,3) (2,4) (3,5) (4,5) (5,4): (4,3) is shared by two stones.
    assert board.string_size(p(4, 4)) == 3
    assert board.liberties(p(3, 3)) == 7
    assert board.liberties(p(4, 4)) == 7


def test_merging_three_strings() -> None:
    board = board_with(black=[p(3, 3), p(3, 5), p(2, 4)])
    board.play(p(3, 4), BLACK)
    assert board.string_size(p(3, 3)) == 4
    # (2,3) (4,3) (3,2) (2,5) (4,5) (3,6) (1,4) (4,4)
    assert board.liberties(p(2, 4)) == 8


def test_merging_a_square_with_opponent_stones() -> None:
    board = board_with(black=[p(9, 9), p(9, 10), p(10, 9)], white=[p(8, 9), p(11, 10)])
    assert board.liberties(p(9, 9)) == 6  # (9,8) (8,10) (9,11) (10,10) (10,8) (11,9)
    board.play(p(10, 10), BLACK)
    # Square: (8,10) (9,8) (9,11) (10,8) (10,11) (11,9); (8,9) and (11,10) white.
    assert board.string_size(p(9, 9)) == 4
    assert board.liberties(p(10, 10)) == 6
    assert board.liberties(p(8, 9)) == 3
    assert board.liberties(p(11, 10)) == 3


def test_liberties_match_flood_fill_in_a_random_game() -> None:
    rng = random.Random(7)
    state = golois.GameState()
    for _ in range(200):
        legal = state.legal_points()
        state.play(rng.choice(legal) if legal and rng.random() > 0.02 else PASS)
        board = state.board
        colours = colours_of(board)
        done: set[Point] = set()
        for q in range(361):
            if colours[q] == EMPTY or q in done:
                continue
            stones, libs = reference_string(colours, q)
            done |= stones
            assert libs, "a string without liberties is on the board"
            for s in stones:
                assert board.liberties(s) == len(libs), s
                assert board.string_size(s) == len(stones), s


def test_legal_points_agree_with_check() -> None:
    state = ko_game()
    legal = state.legal_points()
    assert PASS not in legal
    assert legal == [q for q in range(361) if state.check(q) == "legal"]
    assert len(legal) == 361 - 7 - 1  # 7 stones on the board, the ko point


# ---------------------------------------------------------------- hash


def test_hash_is_the_same_for_the_same_position_reached_in_other_orders() -> None:
    a, b = golois.Board(), golois.Board()
    for q, c in [(p(3, 3), BLACK), (p(15, 15), WHITE), (p(3, 15), BLACK), (p(15, 3), WHITE)]:
        a.play(q, c)
    for q, c in [(p(3, 15), BLACK), (p(15, 3), WHITE), (p(3, 3), BLACK), (p(15, 15), WHITE)]:
        b.play(q, c)
    assert a.hash == b.hash
    c = board_with(black=[p(3, 3), p(3, 15)], white=[p(15, 15), p(15, 3)])
    assert c.hash == a.hash


def test_hash_after_capture_equals_hash_of_the_same_stones_placed() -> None:
    board = ko_board()
    placed = board_with(black=[*KO_BLACK, KO_CAPTURE], white=[q for q in KO_WHITE if q != KO_POINT])
    assert colours_of(board) == colours_of(placed)
    assert board.hash == placed.hash


def test_hash_differs_for_different_positions() -> None:
    hashes = {
        golois.Board().hash,
        board_with(black=[p(3, 3)]).hash,
        board_with(white=[p(3, 3)]).hash,
        board_with(black=[p(3, 4)]).hash,
        board_with(black=[p(3, 3), p(3, 4)]).hash,
    }
    assert len(hashes) == 5


# ---------------------------------------------------------------- area


def test_area_of_a_board_split_by_walls() -> None:
    board = board_with(black=[p(r, 9) for r in range(19)], white=[p(r, 10) for r in range(19)])
    assert board.area() == (190, 171)  # columns 0..9 and 10..18
    assert board.score(7.5) == pytest.approx(190 - 171 - 7.5)
    assert board.score(0.0) == pytest.approx(19.0)


def test_shared_empty_points_count_for_neither() -> None:
    # Column 10 is empty and touches both walls (like seki liberties).
    board = board_with(black=[p(r, 9) for r in range(19)], white=[p(r, 11) for r in range(19)])
    assert board.area() == (190, 152)
    assert board.score(7.5) == pytest.approx(190 - 152 - 7.5)


def test_region_touching_both_colours_is_neutral() -> None:
    # A white stone inside Black's side makes the whole left region neutral.
    board = board_with(black=[p(r, 9) for r in range(19)], white=[p(r, 10) for r in range(19)] + [p(5, 3)])
    black, white = board.area()
    assert black == 19  # only the wall: the left region touches the white stone
    assert white == 171 + 1


def test_area_of_a_lone_stone_and_of_the_empty_board() -> None:
    assert golois.Board().area() == (0, 0)
    assert golois.Board().score(7.5) == pytest.approx(-7.5)
    assert board_with(black=[p(9, 9)]).area() == (361, 0)
    assert board_with(white=[p(0, 0)]).area() == (0, 361)
    assert board_with(black=[p(0, 0)], white=[p(18, 18)]).area() == (1, 1)


def test_area_of_small_territories_in_the_corner() -> None:
    # Black encloses the 2x2 corner (0..1, 0..1); the outside region touches
    # both colours, so it is neutral.
    board = board_with(black=[p(0, 2), p(1, 2), p(2, 0), p(2, 1), p(2, 2)], white=[p(10, 10)])
    assert board.area() == (5 + 4, 1)
