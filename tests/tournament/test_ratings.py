"""Ratings: a Bradley-Terry fit with Black's advantage, an anchor at 0, and honest intervals."""

from __future__ import annotations

import random

import pytest

from golois.tournament.ratings import GameResult, fit_ratings, ordinal


def simulate(strengths: dict[int, float], games_per_pair: int, black_advantage: float = 0.0,
             seed: int = 1) -> list[GameResult]:
    rng = random.Random(seed)
    results = []
    for a in strengths:
        for b in strengths:
            if a < b:
                for game in range(games_per_pair):
                    black, white = (a, b) if game % 2 == 0 else (b, a)
                    p = 1 / (1 + 10 ** (-(strengths[black] - strengths[white] + black_advantage) / 400))
                    results.append(GameResult(black, white, 1.0 if rng.random() < p else 0.0))
    return results


def test_the_anchor_is_zero_and_equal_results_give_equal_ratings():
    results = [GameResult(1, 2, 1.0), GameResult(2, 1, 1.0), GameResult(1, 3, 1.0), GameResult(3, 1, 1.0),
               GameResult(2, 3, 1.0), GameResult(3, 2, 1.0)]
    fit = fit_ratings([1, 2, 3], results, anchor=1)
    assert fit.ratings[1].rating == 0 and fit.ratings[1].low == fit.ratings[1].high == 0
    assert fit.ratings[2].rating == pytest.approx(0, abs=1e-6) and fit.ratings[3].rating == pytest.approx(0, abs=1e-6)
    assert fit.black_advantage > 100  # Black won every game


def test_known_strengths_are_recovered_within_their_intervals():
    strengths = {0: 0.0, 1: 250.0, 2: -200.0, 3: 500.0, 4: -450.0}
    fit = fit_ratings(list(strengths), simulate(strengths, 60, black_advantage=60), anchor=0)
    assert fit.order == [3, 1, 0, 2, 4]
    for player, truth in strengths.items():
        rating = fit.ratings[player]
        assert rating.low <= truth <= rating.high, (player, rating)
    low, high = fit.black_advantage_interval
    assert low <= 60 <= high


def test_intervals_shrink_with_more_games():
    strengths = {0: 0.0, 1: 200.0, 2: -100.0}
    few = fit_ratings(list(strengths), simulate(strengths, 4), anchor=0)
    many = fit_ratings(list(strengths), simulate(strengths, 200), anchor=0)
    for player in (1, 2):
        assert (many.ratings[player].high - many.ratings[player].low) < \
            (few.ratings[player].high - few.ratings[player].low) / 4


def test_a_network_that_wins_everything_gets_a_finite_rating_and_wide_interval():
    results = [GameResult(1, 2, 1.0), GameResult(2, 1, 0.0)]
    fit = fit_ratings([1, 2], results, anchor=2)
    assert 0 < fit.ratings[1].rating < 1000
    assert fit.ratings[1].low < 0 < fit.ratings[1].high  # two games prove nothing


def test_rank_intervals_contain_the_rank_and_say_when_neighbours_are_tied():
    strengths = {0: 0.0, 1: 30.0, 2: 600.0}
    fit = fit_ratings(list(strengths), simulate(strengths, 20), anchor=0)
    for rating in fit.ratings.values():
        assert rating.rank_low <= rating.rank <= rating.rank_high
    best, second = fit.ratings[fit.order[0]], fit.ratings[fit.order[1]]
    assert best.player == 2 and best.rank_low == best.rank_high == 1 and best.stronger_than_next > 0.99
    assert second.stronger_than_next < 0.95  # 0 and 1 are 30 Elo apart: a tie on 40 games
    assert fit.ratings[fit.order[-1]].stronger_than_next is None


def test_players_without_games_are_not_rated_and_the_anchor_falls_back():
    fit = fit_ratings([5, 6, 7], [GameResult(6, 7, 1.0), GameResult(7, 6, 1.0)], anchor=5)
    assert fit.ratings[5].rating is None and fit.ratings[5].rank is None
    assert fit.anchor == 6 and fit.ratings[6].rating == 0


def test_draws_count_half():
    fit = fit_ratings([1, 2], [GameResult(1, 2, 0.5), GameResult(2, 1, 0.5)] * 5, anchor=1)
    assert fit.ratings[2].rating == pytest.approx(0, abs=1e-6)


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
