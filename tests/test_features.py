"""The 31 input planes and the targets of one sample, on hand-made positions.

Every position is built as a golois.Game (setup stones + moves), loaded in a
one-game golois._core.Dataset and read back with sample(0, k, symmetry): the
position BEFORE move k, the player to play being the colour of move k.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import numpy as np
import pytest

import golois
from golois import BLACK, EMPTY, PASS, WHITE, _core

Point = int
Stone = tuple[Point, int]
Move = tuple  # (point, colour[, value[, score]])

TO_PLAY = 0
LOST_IN_ATARI, NEXT_TO_LOST, LADDER_CAPTURABLE, NEXT_TO_CAPTURABLE = 1, 2, 3, 4
FIRST_LIBERTY, FIRST_HISTORY, FIRST_KOMI = 5, 11, 21
FAR = 19 * 0 + 18  # (0, 18): a quiet point for "the next move"


def p(row: int, col: int) -> Point:
    return 19 * row + col


def rc(q: Point) -> tuple[int, int]:
    return divmod(q, 19)


def other(colour: int) -> int:
    return WHITE if colour == BLACK else BLACK


def make_dataset(games: Sequence[golois.Game]) -> _core.Dataset:
    ds = _core.Dataset(0)
    for g in games:
        why = ds.add_game(g)
        assert why == "", why
    ds.shuffle()
    return ds


def sample(setup: Iterable[Stone] = (), moves: Iterable[Move] = ((FAR, BLACK),), k: int = 0,
           symmetry: int = 0, komi: float = 7.5, result: str = "W") -> dict[str, np.ndarray]:
    game = golois.Game(komi=komi, result=result, setup=list(setup), moves=list(moves))
    return make_dataset([game]).sample(0, k, symmetry)


def points_on(plane: np.ndarray) -> set[Point]:
    """The points where a (19, 19) plane is 1 (and checks it is 0/1)."""
    assert set(np.unique(plane)) <= {0.0, 1.0}
    rows, cols = np.nonzero(plane)
    return {p(int(r), int(c)) for r, c in zip(rows, cols, strict=True)}


def plane(x: dict[str, np.ndarray], index: int) -> set[Point]:
    return points_on(x["input"][:, :, index])


def transform_game(game: golois.Game, s: int) -> golois.Game:
    t = golois.transform_point
    return golois.Game(komi=game.komi, result=game.result, setup=[(t(q, s), c) for q, c in game.setup],
                       moves=[(t(q, s), c, v, sc) for q, c, v, sc in game.moves])


def partition(groups: np.ndarray) -> set[frozenset[Point]]:
    g = groups.reshape(361)
    ids = {int(v) for v in np.unique(g) if v != 0}
    return {frozenset(int(q) for q in np.nonzero(g == i)[0]) for i in ids}


# ---------------------------------------------------------------- reference


def neighbours(q: Point) -> list[Point]:
    r, c = rc(q)
    return [19 * rr + cc for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
            if 0 <= rr < 19 and 0 <= cc < 19]


def reference_strings(colours: Sequence[int]) -> list[tuple[set[Point], set[Point]]]:
    """(stones, liberties) of every string, by flood fill."""
    seen: set[Point] = set()
    out = []
    for q in range(361):
        if colours[q] == EMPTY or q in seen:
            continue
        stones, libs, todo = {q}, set(), [q]
        while todo:
            s = todo.pop()
            for n in neighbours(s):
                if colours[n] == EMPTY:
                    libs.add(n)
                elif colours[n] == colours[q] and n not in stones:
                    stones.add(n)
                    todo.append(n)
        seen |= stones
        out.append((stones, libs))
    return out


def replay(game: golois.Game) -> list[list[int]]:
    """Colours of every point before each move, and after the last one."""
    board = golois.Board()
    for q, c in game.setup:
        board.place(q, c)
    positions = []
    for q, c, _, _ in game.moves:
        positions.append([board.color(i) for i in range(361)])
        board.play(q, c)
    positions.append([board.color(i) for i in range(361)])
    return positions


def random_game(seed: int, length: int = 120, pass_rate: float = 0.03) -> golois.Game:
    """A game of random legal moves (fixed seed), with an occasional pass."""
    rng = random.Random(seed)
    state = golois.GameState(komi=7.5)
    moves = []
    for i in range(length):
        colour = BLACK if i % 2 == 0 else WHITE
        assert state.to_play == colour
        legal = state.legal_points()
        q = rng.choice(legal) if legal and rng.random() > pass_rate else PASS
        state.play(q)
        moves.append((q, colour))
    return golois.Game(komi=7.5, result="B", moves=moves)


RANDOM_GAME = random_game(2024)


# ---------------------------------------------------------------- plane 0


def test_plane_0_is_ones_when_black_is_to_play() -> None:
    moves = [(p(3, 3), BLACK), (p(15, 15), WHITE), (p(3, 15), BLACK)]
    assert np.all(sample(moves=moves, k=0)["input"][:, :, TO_PLAY] == 1.0)
    assert np.all(sample(moves=moves, k=1)["input"][:, :, TO_PLAY] == 0.0)
    assert np.all(sample(moves=moves, k=2)["input"][:, :, TO_PLAY] == 1.0)


def test_plane_0_follows_the_colour_of_the_next_move_not_parity() -> None:
    # Handicap: White moves first after the setup stones.
    setup = [(p(3, 3), BLACK), (p(15, 15), BLACK)]
    moves = [(p(3, 15), WHITE), (p(15, 3), BLACK)]
    assert np.all(sample(setup, moves, k=0)["input"][:, :, TO_PLAY] == 0.0)
    assert np.all(sample(setup, moves, k=1)["input"][:, :, TO_PLAY] == 1.0)


def test_output_shapes_and_dtypes() -> None:
    x = sample()
    assert x["input"].shape == (19, 19, golois.PLANES) == (19, 19, 31)
    assert x["policy"].shape == (361,)
    assert x["value"].shape == (1,)
    assert x["end"].shape == (19, 19, 2)
    assert x["groups"].shape == (19, 19, 1)
    for a in x.values():
        assert a.dtype == np.float32


# ---------------------------------------------------------------- komi


@pytest.mark.parametrize(("komi", "expected_plane"), [
    (6.5, 27), (7.5, 28), (0.5, 21), (0.0, 21), (5.0, 26), (9.5, 30), (9.99, 30),
    (-0.5, None), (-7.5, None), (10.0, None), (10.5, None), (75.0, None),
])
def test_komi_planes(komi: float, expected_plane: int | None) -> None:
    x = sample(komi=komi)["input"]
    for k in range(10):
        want = 1.0 if FIRST_KOMI + k == expected_plane else 0.0
        assert np.all(x[:, :, FIRST_KOMI + k] == want), (komi, FIRST_KOMI + k)


def test_komi_planes_do_not_depend_on_the_player_to_play() -> None:
    moves = [(p(3, 3), BLACK), (p(15, 15), WHITE)]
    for k in (0, 1):
        x = sample(moves=moves, k=k, komi=6.5)["input"]
        assert np.all(x[:, :, 27] == 1.0)
        assert x[:, :, 21:31].sum() == 361


# ---------------------------------------------------------------- liberties


LIBERTY_SETUP = [
    (p(0, 0), BLACK),                        # corner: 2
    (p(0, 9), WHITE),                        # edge: 3
    (p(9, 9), WHITE),                        # centre: 4
    (p(5, 14), BLACK), (p(5, 15), BLACK),    # 6 - 1 (white on (4,14)): 5
    (p(4, 14), WHITE),                       # 3
    (p(14, 3), WHITE), (p(14, 4), WHITE),    # 6
    (p(14, 10), BLACK), (p(14, 11), BLACK), (p(14, 12), BLACK),  # 8 -> 6+
    (p(18, 0), BLACK),                       # 1 (white on (18,1))
    (p(18, 1), WHITE),                       # 2
]
LIBERTIES = {
    p(0, 0): 2, p(0, 9): 3, p(9, 9): 4, p(5, 14): 5, p(5, 15): 5, p(4, 14): 3, p(14, 3): 6, p(14, 4): 6,
    p(14, 10): 8, p(14, 11): 8, p(14, 12): 8, p(18, 0): 1, p(18, 1): 2,
}


@pytest.mark.parametrize("to_play", [BLACK, WHITE])
def test_liberty_planes(to_play: int) -> None:
    x = sample(LIBERTY_SETUP, [(p(12, 16), to_play)])["input"]
    for q in range(361):
        r, c = rc(q)
        onehot = x[r, c, FIRST_LIBERTY:FIRST_LIBERTY + 6]
        if q in LIBERTIES:
            want = np.zeros(6, np.float32)
            want[min(LIBERTIES[q], 6) - 1] = 1.0
            assert np.array_equal(onehot, want), (rc(q), onehot)
        else:
            assert not onehot.any(), rc(q)


def test_liberty_planes_of_a_random_game_match_flood_fill() -> None:
    positions = replay(RANDOM_GAME)
    ds = make_dataset([RANDOM_GAME])
    for k in (5, 40, 77, 110):
        if RANDOM_GAME.moves[k][0] == PASS:
            continue
        x = ds.sample(0, k)["input"]
        want = np.zeros((19, 19, 6), np.float32)
        for stones, libs in reference_strings(positions[k]):
            for s in stones:
                want[rc(s) + (min(len(libs), 6) - 1,)] = 1.0
        assert np.array_equal(x[:, :, FIRST_LIBERTY:FIRST_LIBERTY + 6], want), k


def test_setup_string_without_liberties_does_not_leak_into_plane_4() -> None:
    # A white setup stone with no liberty at all (a broken setup). The game
    # may be refused; if it is accepted, the liberty one-hot must not write
    # plane 5 + 0 - 1 = 4 (the "next to ladder-capturable" plane).
    setup = [(p(9, 9), WHITE), (p(8, 9), BLACK), (p(10, 9), BLACK), (p(9, 8), BLACK), (p(9, 10), BLACK)]
    game = golois.Game(komi=7.5, result="W", setup=setup, moves=[(FAR, BLACK)])
    ds = _core.Dataset(0)
    if ds.add_game(game) != "":
        return
    ds.shuffle()
    x = ds.sample(0, 0)["input"]
    assert not x[:, :, NEXT_TO_CAPTURABLE].any(), sorted(rc(q) for q in points_on(x[:, :, 4]))


# ---------------------------------------------------------------- history

# White (3,3) is captured by Black's move 1 at (3,4).
HISTORY_SETUP = [(p(3, 3), WHITE), (p(2, 3), BLACK), (p(4, 3), BLACK), (p(3, 2), BLACK)]
HISTORY_MOVES = [(p(15, 15), WHITE), (p(3, 4), BLACK), (p(15, 3), WHITE), (p(10, 10), BLACK)]
THREE_BLACK = {p(2, 3), p(4, 3), p(3, 2)}
FOUR_BLACK = THREE_BLACK | {p(3, 4)}


def history(x: dict[str, np.ndarray], age: int) -> tuple[set[Point], set[Point]]:
    return plane(x, FIRST_HISTORY + 2 * age), plane(x, FIRST_HISTORY + 2 * age + 1)


def test_history_at_the_start_of_the_game() -> None:
    x = sample(HISTORY_SETUP, HISTORY_MOVES, k=0)
    assert history(x, 0) == ({p(3, 3)}, THREE_BLACK)  # White to play: own = white
    for age in range(1, 5):
        assert history(x, age) == (set(), set()), age


def test_history_after_a_capture_white_to_play() -> None:
    x = sample(HISTORY_SETUP, HISTORY_MOVES, k=2)  # before White's (15,3)
    assert history(x, 0) == ({p(15, 15)}, FOUR_BLACK)
    assert history(x, 1) == ({p(3, 3), p(15, 15)}, THREE_BLACK)  # captured stone still there
    assert history(x, 2) == ({p(3, 3)}, THREE_BLACK)  # the setup position
    assert history(x, 3) == (set(), set())  # before the start of the game
    assert history(x, 4) == (set(), set())


def test_history_colours_are_those_of_the_player_to_play_now() -> None:
    x = sample(HISTORY_SETUP, HISTORY_MOVES, k=3)  # before Black's (10,10)
    assert history(x, 0) == (FOUR_BLACK, {p(15, 15), p(15, 3)})
    assert history(x, 1) == (FOUR_BLACK, {p(15, 15)})
    assert history(x, 2) == (THREE_BLACK, {p(3, 3), p(15, 15)})
    assert history(x, 3) == (THREE_BLACK, {p(3, 3)})
    assert history(x, 4) == (set(), set())


def test_history_counts_passes_as_moves() -> None:
    moves = [(p(3, 3), BLACK), (PASS, WHITE), (p(15, 15), BLACK), (p(3, 15), WHITE)]
    x = sample(moves=moves, k=3)  # White to play
    assert history(x, 0) == (set(), {p(3, 3), p(15, 15)})
    assert history(x, 1) == (set(), {p(3, 3)})  # before Black's (15,15), after the pass
    assert history(x, 2) == (set(), {p(3, 3)})  # before the pass
    assert history(x, 3) == (set(), set())  # the empty board
    assert history(x, 4) == (set(), set())


def test_history_planes_of_a_random_game_match_replay() -> None:
    # Covers positions just before and after the dataset's internal snapshots.
    positions = replay(RANDOM_GAME)
    ds = make_dataset([RANDOM_GAME])
    for k in (1, 3, 4, 5, 15, 16, 17, 19, 20, 21, 31, 32, 33, 36, 47, 64, 100, 119):
        q, to_play = RANDOM_GAME.moves[k][:2]
        if q == PASS:
            continue
        x = ds.sample(0, k)
        for age in range(5):
            if k - age < 0:
                want: tuple[set[Point], set[Point]] = (set(), set())
            else:
                colours = positions[k - age]
                want = ({i for i in range(361) if colours[i] == to_play},
                        {i for i in range(361) if colours[i] == other(to_play)})
            assert history(x, age) == want, (k, age)


# ---------------------------------------------------------------- targets


def test_policy_is_one_hot_on_the_next_move() -> None:
    moves = [(p(3, 3), BLACK), (p(15, 16), WHITE)]
    for k, (q, _) in enumerate(moves):
        policy = sample(moves=moves, k=k)["policy"]
        assert policy[q] == 1.0
        assert policy.sum() == 1.0
        assert np.count_nonzero(policy) == 1


@pytest.mark.parametrize(("result", "value"), [("W", 1.0), ("B", 0.0), ("draw", 0.5)])
def test_value_from_the_result(result: str, value: float) -> None:
    moves = [(p(3, 3), BLACK), (p(15, 15), WHITE)]
    for k in (0, 1):  # the probability that WHITE wins, whoever is to play
        assert sample(moves=moves, k=k, result=result)["value"][0] == value


def test_per_move_values_override_the_result() -> None:
    moves = [(p(3, 3), BLACK, 0.25), (p(15, 15), WHITE, 0.8), (p(3, 15), BLACK)]
    game = golois.Game(komi=7.5, result="B", moves=moves)
    assert game.value_target(0) == 0.25
    assert game.value_target(1) == pytest.approx(0.8)
    assert game.value_target(2) == 0.0
    ds = make_dataset([game])
    assert ds.sample(0, 0)["value"][0] == pytest.approx(0.25, abs=1e-4)
    assert ds.sample(0, 1)["value"][0] == pytest.approx(0.8, abs=1e-4)
    assert ds.sample(0, 2)["value"][0] == 0.0


def test_unknown_value_is_not_sampled() -> None:
    moves = [(p(3, 3), BLACK, 0.6), (p(15, 15), WHITE), (p(3, 15), BLACK, 0.4)]
    game = golois.Game(komi=7.5, result="?", moves=moves)
    assert game.value_target(1) == -1.0
    ds = make_dataset([game])
    assert ds.num_training_positions == 2
    with pytest.raises(ValueError, match="not a sampleable position"):
        ds.sample(0, 1)
    assert ds.sample(0, 2)["value"][0] == pytest.approx(0.4, abs=1e-4)


def test_positions_before_a_pass_are_not_sampled() -> None:
    moves = [(p(3, 3), BLACK), (PASS, WHITE), (p(3, 15), BLACK), (PASS, WHITE), (PASS, BLACK)]
    ds = make_dataset([golois.Game(komi=7.5, result="W", moves=moves)])
    assert ds.num_training_positions == 2
    for k in (1, 3, 4):
        with pytest.raises(ValueError):
            ds.sample(0, k)
    assert ds.sample(0, 2)["policy"][p(3, 15)] == 1.0


def test_a_game_without_sampleable_position_is_refused() -> None:
    ds = _core.Dataset(0)
    assert ds.add_game(golois.Game(result="?", moves=[(p(3, 3), BLACK)])) == "no position to sample"
    passes = golois.Game(result="W", moves=[(PASS, BLACK), (PASS, WHITE)])
    assert ds.add_game(passes) == "no position to sample"
    assert ds.num_games == 0


def test_end_planes_are_the_final_position_seen_by_the_player_to_play() -> None:
    final_black = FOUR_BLACK | {p(10, 10)}
    final_white = {p(15, 15), p(15, 3)}  # (3,3) was captured
    for k, to_play in ((0, WHITE), (1, BLACK), (2, WHITE), (3, BLACK)):
        end = sample(HISTORY_SETUP, HISTORY_MOVES, k=k)["end"]
        own, opp = points_on(end[:, :, 0]), points_on(end[:, :, 1])
        if to_play == WHITE:
            assert (own, opp) == (final_white, final_black), k
        else:
            assert (own, opp) == (final_black, final_white), k


def test_groups_target() -> None:
    setup = [(p(3, 3), BLACK), (p(3, 4), BLACK), (p(4, 4), BLACK),  # one string
             (p(5, 5), BLACK),                                      # diagonal: another string
             (p(3, 5), WHITE), (p(10, 10), WHITE)]
    groups = sample(setup)["groups"][:, :, 0]
    ids = {q: groups[rc(q)] for q, _ in setup}
    assert ids[p(3, 3)] == ids[p(3, 4)] == ids[p(4, 4)] > 0
    assert len({ids[p(3, 3)], ids[p(5, 5)], ids[p(3, 5)], ids[p(10, 10)]}) == 4
    assert all(v > 0 for v in ids.values())
    stones = {q for q, _ in setup}
    assert all(groups[rc(q)] == 0 for q in range(361) if q not in stones)
    assert partition(groups) == {frozenset({p(3, 3), p(3, 4), p(4, 4)}), frozenset({p(5, 5)}),
                                 frozenset({p(3, 5)}), frozenset({p(10, 10)})}


def test_groups_of_a_random_game_match_flood_fill() -> None:
    positions = replay(RANDOM_GAME)
    ds = make_dataset([RANDOM_GAME])
    for k in (30, 90, 119):
        if RANDOM_GAME.moves[k][0] == PASS:
            continue
        groups = ds.sample(0, k)["groups"]
        want = {frozenset(stones) for stones, _ in reference_strings(positions[k])}
        assert partition(groups) == want, k


# ---------------------------------------------------------------- ladders

# White (9,9) with two liberties (10,9) and (9,8): Black (9,8) atari, White
# extends to (10,9) with two liberties and the ladder runs down-left.
LADDER_2 = [(p(9, 9), WHITE), (p(8, 9), BLACK), (p(9, 10), BLACK), (p(10, 10), BLACK)]
# The same white stone already in atari (Black (9,8)): lost in a ladder.
LADDER_1 = LADDER_2 + [(p(9, 8), BLACK)]
# The ladder's path: (10,9) (10,8) (11,8) (11,7) ... towards the lower-left.
BREAKER = (p(14, 3), WHITE)


def ladder_planes(setup: Sequence[Stone], to_play: int = BLACK) -> list[set[Point]]:
    x = sample(setup, [(FAR, to_play)])
    return [plane(x, i) for i in (LOST_IN_ATARI, NEXT_TO_LOST, LADDER_CAPTURABLE, NEXT_TO_CAPTURABLE)]


def swap_colours(setup: Sequence[Stone]) -> list[Stone]:
    return [(q, other(c)) for q, c in setup]


@pytest.mark.parametrize("to_play", [BLACK, WHITE])
def test_two_liberty_string_capturable_by_ladder(to_play: int) -> None:
    lost, next_lost, capturable, next_capturable = ladder_planes(LADDER_2, to_play)
    assert capturable == {p(9, 9)}
    assert next_capturable == {p(8, 9), p(9, 10), p(10, 10)}  # whole adjacent strings
    assert lost == set() and next_lost == set()


@pytest.mark.parametrize("to_play", [BLACK, WHITE])
def test_string_in_atari_lost_in_a_ladder(to_play: int) -> None:
    lost, next_lost, capturable, next_capturable = ladder_planes(LADDER_1, to_play)
    assert lost == {p(9, 9)}
    assert next_lost == {p(8, 9), p(9, 8), p(9, 10), p(10, 10)}
    assert capturable == set() and next_capturable == set()


def test_ladder_planes_for_black_strings() -> None:
    assert ladder_planes(swap_colours(LADDER_1)) == ladder_planes(LADDER_1)
    assert ladder_planes(swap_colours(LADDER_2)) == ladder_planes(LADDER_2)


def test_ladder_breaker_saves_both_strings() -> None:
    assert ladder_planes(LADDER_1 + [BREAKER]) == [set(), set(), set(), set()]
    assert ladder_planes(LADDER_2 + [BREAKER]) == [set(), set(), set(), set()]


def test_stone_off_the_ladder_path_is_no_breaker() -> None:
    # A white stone on the other side (upper-left) does not help.
    lost, next_lost, _, _ = ladder_planes(LADDER_1 + [(p(5, 5), WHITE)])
    assert lost == {p(9, 9)}
    assert next_lost == {p(8, 9), p(9, 8), p(9, 10), p(10, 10)}


def test_ladder_breaker_of_the_attacker_colour_does_not_break() -> None:
    # A black stone on the path only makes the ladder work better.
    lost, _, _, _ = ladder_planes(LADDER_1 + [(p(14, 3), BLACK)])
    assert lost == {p(9, 9)}


def test_string_in_atari_that_escapes_by_capturing() -> None:
    # Black (8,9), next to the white stone, is itself in atari (liberty (8,8)):
    # White captures it and escapes, so (9,9) is not lost.
    setup = LADDER_1 + [(p(7, 9), WHITE), (p(8, 10), WHITE)]
    x = sample(setup, [(FAR, WHITE)])
    assert x["input"][9, 9, FIRST_LIBERTY] == 1.0  # in atari
    assert x["input"][8, 9, FIRST_LIBERTY] == 1.0  # so is the black stone
    assert p(9, 9) not in plane(x, LOST_IN_ATARI)
    assert plane(x, NEXT_TO_LOST) == set()


def test_two_liberty_string_that_cannot_be_laddered() -> None:
    # Without Black (10,10) White extends to three liberties either way.
    setup = [(p(9, 9), WHITE), (p(8, 9), BLACK), (p(9, 10), BLACK)]
    x = sample(setup)
    assert x["input"][9, 9, FIRST_LIBERTY + 1] == 1.0  # two liberties
    assert ladder_planes(setup) == [set(), set(), set(), set()]


def test_lone_corner_stone_is_capturable_along_the_edge() -> None:
    # A lone stone in the corner has two liberties and dies in a first-line ladder.
    lost, _, capturable, next_capturable = ladder_planes([(p(18, 18), WHITE)])
    assert capturable == {p(18, 18)}
    assert next_capturable == set()  # no adjacent string
    assert lost == set()


# ---------------------------------------------------------------- symmetries


def test_transform_point_is_the_documented_dihedral_group() -> None:
    t = golois.transform_point
    images = set()
    for s in range(8):
        image = tuple(t(q, s) for q in range(361))
        assert sorted(image) == list(range(361)), s  # a bijection
        images.add(image)
        assert t(PASS, s) == PASS
        r, c = 2, 5
        if s & 4:
            r, c = c, r
        if s & 1:
            r = 18 - r
        if s & 2:
            c = 18 - c
        assert t(p(2, 5), s) == p(r, c), s
    assert len(images) == 8
    assert all(t(q, 0) == q for q in range(361))


def symmetric_games() -> list[tuple[str, golois.Game]]:
    ladder = golois.Game(komi=6.5, result="W", setup=LADDER_1 + [(p(3, 15), BLACK)],
                         moves=[(p(10, 9), WHITE), (p(10, 8), BLACK), (p(11, 9), WHITE)])
    ladder2 = golois.Game(komi=6.5, result="B", setup=LADDER_2 + [(p(7, 9), WHITE), (p(8, 10), WHITE)],
                          moves=[(p(0, 1), BLACK, 0.3), (p(17, 2), WHITE, 0.7)])
    history = golois.Game(komi=0.5, result="draw", setup=HISTORY_SETUP, moves=HISTORY_MOVES)
    liberties = golois.Game(komi=7.5, result="W", setup=LIBERTY_SETUP, moves=[(p(12, 16), WHITE)])
    return [("ladder", ladder), ("ladder2", ladder2), ("history", history), ("liberties", liberties),
            ("random", RANDOM_GAME)]


def sample_positions(game: golois.Game) -> list[int]:
    candidates = [k for k, m in enumerate(game.moves) if m[0] != PASS]
    if len(candidates) <= 6:
        return candidates
    return [candidates[i] for i in (0, 1, 16, 17, len(candidates) // 2, len(candidates) - 1)]


@pytest.mark.parametrize(("name", "game"), symmetric_games(), ids=lambda v: v if isinstance(v, str) else "")
def test_transformed_game_equals_symmetric_sample(name: str, game: golois.Game) -> None:
    original = make_dataset([game])
    transformed = make_dataset([transform_game(game, s) for s in range(8)])
    for k in sample_positions(game):
        for s in range(8):
            a = original.sample(0, k, s)
            b = transformed.sample(s, k, 0)
            assert np.array_equal(a["input"], b["input"]), (name, k, s)
            assert np.array_equal(a["policy"], b["policy"]), (name, k, s)
            assert np.array_equal(a["value"], b["value"]), (name, k, s)
            assert np.array_equal(a["end"], b["end"]), (name, k, s)
            assert partition(a["groups"]) == partition(b["groups"]), (name, k, s)
            assert np.array_equal(a["groups"] > 0, b["groups"] > 0), (name, k, s)


@pytest.mark.parametrize(("name", "game"), symmetric_games(), ids=lambda v: v if isinstance(v, str) else "")
def test_symmetry_s_moves_every_point_by_transform_point(name: str, game: golois.Game) -> None:
    ds = make_dataset([game])
    k = sample_positions(game)[-1]
    identity = ds.sample(0, k, 0)
    for s in range(8):
        image = np.array([golois.transform_point(q, s) for q in range(361)])
        x = ds.sample(0, k, s)
        flat = x["input"].reshape(361, 31)
        assert np.array_equal(flat[image], identity["input"].reshape(361, 31)), (name, s)
        assert np.array_equal(x["policy"][image], identity["policy"]), (name, s)
        assert np.array_equal(x["end"].reshape(361, 2)[image], identity["end"].reshape(361, 2)), (name, s)
        assert partition(x["groups"].reshape(361)[image]) == partition(identity["groups"]), (name, s)


@pytest.mark.parametrize("s", range(8))
def test_edge_ladder_is_read_the_same_in_every_orientation(s: int) -> None:
    # A lone black corner stone with a friendly stone on its top edge: White
    # captures it by chasing it down the left edge (the ladder along the top
    # edge is broken by (0,9)). The answer must not depend on the orientation
    # of the board.
    t = golois.transform_point
    setup = [(t(p(0, 0), s), BLACK), (t(p(0, 9), s), BLACK)]
    x = sample(setup, [(t(p(12, 16), s), WHITE)])
    assert plane(x, LADDER_CAPTURABLE) == {t(p(0, 0), s)}


def test_ladder_positions_are_found_in_every_orientation() -> None:
    for s in range(8):
        t = golois.transform_point
        setup = [(t(q, s), c) for q, c in LADDER_1]
        far = t(FAR, s)
        x = sample(setup, [(far, BLACK)])
        assert plane(x, LOST_IN_ATARI) == {t(p(9, 9), s)}, s
        broken = setup + [(t(BREAKER[0], s), WHITE)]
        assert plane(sample(broken, [(far, BLACK)]), LOST_IN_ATARI) == set(), s
