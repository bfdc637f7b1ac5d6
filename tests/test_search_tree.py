"""The C++ PUCT tree (golois._core.Search), driven by small hand-written evaluators.

The evaluators here are plain functions of the planes, so every expectation
is exact: which leaves a batch holds, how values back up, what the tree keeps.
"""

from __future__ import annotations

import numpy as np
import pytest

import golois
from golois import BLACK, PASS, WHITE, _core

PLANES = (19, 19, 31)


def point(row: int, col: int) -> int:
    return 19 * row + col


def uniform(planes: np.ndarray, white_wins: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    n = len(planes)
    return np.full((n, 361), 1 / 361, np.float32), np.full(n, white_wins, np.float32)


def run(search: _core.Search, playouts: int, batch: int = 8, evaluate=uniform) -> None:
    planes = np.zeros((batch, *PLANES), np.float32)
    start = search.root_visits
    while search.root_visits - start < playouts:
        count = search.gather(planes)
        if count:
            policy, value = evaluate(planes[:count])
            search.apply(policy, value, count)


def test_leaf_planes_are_the_training_encoding_of_the_same_position(random_games) -> None:
    games = random_games(3, seed=4)
    with_setup = golois.Game(komi=6.5, result="W", setup=[(point(3, 3), BLACK), (point(15, 15), BLACK)],
                             moves=[(q, WHITE if i % 2 == 0 else BLACK) for i, (q, _, _, _) in
                                    enumerate(games[0].moves[:40]) if q not in (point(3, 3), point(15, 15))])
    dataset = _core.Dataset(0)
    games = [*games, with_setup]
    for game in games:
        assert dataset.add_game(game) == ""
    for index, game in enumerate(games):
        search = _core.Search(komi=game.komi)
        for q, colour in game.setup:
            search.place(q, colour)
        for k, (q, colour, _, _) in enumerate(game.moves):
            if q != PASS and k % 5 == 0:
                for symmetry in (0, 3, 6):
                    expected = dataset.sample(index, k, symmetry)["input"]
                    assert np.array_equal(search.encode(symmetry), expected), (index, k, symmetry)
            search.play(q, colour)


def test_first_batch_is_the_root_then_virtual_loss_spreads_the_leaves() -> None:
    search = _core.Search(seed=1, random_symmetry=False)
    planes = np.zeros((8, *PLANES), np.float32)
    assert search.gather(planes) == 1  # the unexpanded root
    search.apply(*uniform(planes[:1]), 1)
    assert search.root_expanded and search.root_visits == 1
    assert search.gather(planes) == 8
    assert len({tuple(np.flatnonzero(p[..., 12])) for p in planes}) == 8  # eight different last moves
    search.apply(*uniform(planes), 8)
    assert search.root_visits == 9
    assert sum(c["visits"] for c in search.root_children()) == 8


def test_two_batches_may_be_pending_and_apply_takes_the_oldest() -> None:
    search = _core.Search(seed=1, random_symmetry=False)
    run(search, 1)
    first, second = np.zeros((4, *PLANES), np.float32), np.zeros((4, *PLANES), np.float32)
    assert search.gather(first) == 4 and search.gather(second) == 4
    assert not set(map(tuple, first.reshape(4, -1))) & set(map(tuple, second.reshape(4, -1)))  # other leaves
    with pytest.raises(RuntimeError, match="apply"):
        search.gather(first)
    with pytest.raises(RuntimeError, match="apply"):
        search.play(point(3, 3), BLACK)
    with pytest.raises(ValueError, match="has 4 leaves, not 3"):
        search.apply(*uniform(first[:3]), 3)
    search.apply(*uniform(first), 4)
    search.apply(*uniform(second), 4)
    assert search.root_visits == 9 and search.pending_batches == 0
    search.gather(first)
    search.discard_pending()
    assert search.pending_batches == 0 and search.root_visits == 9
    run(search, 20)
    assert search.root_visits >= 29


def test_bad_arrays_are_refused() -> None:
    search = _core.Search()
    with pytest.raises(ValueError, match="inputs"):
        search.gather(np.zeros((4, 19, 19, 30), np.float32))
    with pytest.raises(ValueError, match="inputs"):
        search.gather(np.zeros((0, *PLANES), np.float32))
    planes = np.zeros((2, *PLANES), np.float32)
    count = search.gather(planes)
    with pytest.raises(ValueError, match="policy"):
        search.apply(np.zeros((count, 360), np.float32), np.zeros(count, np.float32), count)


def test_policy_priors_follow_the_network_through_the_symmetry() -> None:
    marker, favourite = point(2, 3), point(3, 15)  # the marker is on no axis of symmetry

    def likes_one_point(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Find the symmetry each leaf is seen through from where the marker
        # stone is, and put the policy's mass on the favourite's image.
        policy = np.full((len(planes), 361), 1e-4, np.float32)
        for i, leaf in enumerate(planes):
            stones = set(np.flatnonzero(leaf[..., 11:21].sum(-1)).tolist())
            (symmetry,) = [s for s in range(8) if golois.transform_point(marker, s) in stones]
            policy[i, golois.transform_point(favourite, symmetry)] = 1.0
        return policy, np.full(len(planes), 0.5, np.float32)

    search = _core.Search(seed=2)
    search.place(marker, BLACK)
    run(search, 1, evaluate=likes_one_point)
    prior = {c["move"]: c["prior"] for c in search.root_children()}
    assert max(prior, key=prior.get) == favourite and prior[favourite] > 0.9
    run(search, 200, evaluate=likes_one_point)
    assert search.best_move() == favourite


def test_values_back_up_for_the_side_that_moved() -> None:
    # White wins everything: Black's root win rate goes to 0, White's moves look perfect.
    search = _core.Search()
    run(search, 50, evaluate=lambda p: uniform(p, white_wins=1.0))
    assert search.root_winrate == pytest.approx(0.0, abs=1e-6)
    search.play(search.best_move(), BLACK)
    assert search.root_winrate == pytest.approx(1.0, abs=1e-6)


def test_tree_reuse_keeps_the_subtree_of_the_move_played() -> None:
    search = _core.Search(seed=3)
    run(search, 300)
    best = search.root_children()[0]
    search.play(best["move"], BLACK)
    assert search.root_visits == best["visits"]
    other = next(c for c in search.root_children() if c["visits"] == 0)["move"]
    search.play(other, WHITE)
    assert search.root_visits == 0 and not search.root_expanded


def after_white_passes(wall_colour: int, wall_column: int) -> _core.Search:
    """A search on a board split by a wall of one colour, just after White passed."""
    search = _core.Search(komi=7.5)
    for row in range(19):
        search.place(point(row, wall_column), wall_colour)
    search.set_to_play(WHITE)
    search.play(PASS, WHITE)
    return search


def test_two_passes_end_the_game_and_are_scored_by_area() -> None:
    # Black's wall owns the whole board; White passed: passing wins at once.
    search = after_white_passes(BLACK, 9)
    run(search, 400)
    assert search.best_move() == PASS
    passing = next(c for c in search.root_children() if c["move"] == PASS)
    assert passing["winrate"] == 1.0
    search.play(PASS, BLACK)
    assert search.passes == 2
    assert search.gather(np.zeros((4, *PLANES), np.float32)) == 0  # the game is over


def test_a_lost_pass_is_not_chosen() -> None:
    # White owns more: after White's pass, Black's pass would lose, so the search plays on.
    search = after_white_passes(WHITE, 5)
    run(search, 400)
    passing = next(c for c in search.root_children() if c["move"] == PASS)
    assert passing["visits"] == 0 or passing["winrate"] == 0.0
    assert search.best_move() != PASS
    few = after_white_passes(WHITE, 5)  # a handful of playouts: even if the pass has the most visits...
    run(few, 3, batch=1)
    assert few.best_move() != PASS  # ...a pass that loses is never the answer while another move exists


def test_the_root_moves_are_the_legal_ones_but_own_eyes() -> None:
    search = _core.Search()
    eye = point(0, 0)
    for q in (point(0, 1), point(1, 0), point(1, 1)):
        search.place(q, BLACK)
    search.set_to_play(BLACK)
    run(search, 1)
    moves = {c["move"] for c in search.root_children()}
    assert search.is_own_eye(eye, BLACK)
    assert moves == (set(search.legal_points()) - {eye}) | {PASS}


def test_positional_superko_moves_are_not_searched() -> None:
    # A ko: Black captures one stone; White may not retake at once.
    search = _core.Search()
    black = [point(8, 9), point(9, 8), point(10, 9)]
    white = [point(8, 10), point(10, 10), point(9, 11), point(9, 9)]
    for q in black:
        search.place(q, BLACK)
    for q in white:
        search.place(q, WHITE)
    search.set_to_play(BLACK)
    search.play(point(9, 10), BLACK)  # captures the white stone at (9, 9)
    assert search.check(point(9, 9), WHITE) in ("ko", "positional superko")
    run(search, 1)
    assert point(9, 9) not in {c["move"] for c in search.root_children()}


def test_dirichlet_noise_keeps_a_distribution_and_changes_it() -> None:
    search = _core.Search(seed=5)
    run(search, 1)
    before = [c["prior"] for c in search.root_children()]
    search.add_root_noise(0.03, 0.25)
    after = [c["prior"] for c in search.root_children()]
    assert sum(after) == pytest.approx(1.0, abs=1e-4)
    assert max(abs(a - b) for a, b in zip(sorted(before), sorted(after), strict=True)) > 1e-3


def test_same_seed_same_search() -> None:
    def visits(seed: int) -> list[tuple[int, int]]:
        search = _core.Search(seed=seed)
        rng = np.random.default_rng(0)

        def noisy(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            policy = rng.random((len(planes), 361)).astype(np.float32)
            return policy / policy.sum(1, keepdims=True), rng.random(len(planes)).astype(np.float32)

        run(search, 300, evaluate=noisy)
        return [(c["move"], c["visits"]) for c in search.root_children()]

    assert visits(9) == visits(9)


def test_setup_after_moves_and_illegal_moves_are_refused() -> None:
    search = _core.Search()
    search.play(point(3, 3), BLACK)
    with pytest.raises(ValueError, match="illegal move: point occupied"):
        search.play(point(3, 3), WHITE)
    with pytest.raises(ValueError, match="before the first move"):
        search.place(point(4, 4), BLACK)
    with pytest.raises(ValueError, match="0..360"):
        search.play(400, WHITE)
