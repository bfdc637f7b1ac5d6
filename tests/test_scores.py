"""The held-out scores and fingerprints (golois.network.scores), and how the server cleans a checker's figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from golois import HELD_OUT_GAMES
from golois.network.scores import (
    CALIBRATION_BINS,
    HELD_OUT_POSITIONS,
    NOISE_POSITIONS,
    Predictions,
    agreement,
    calibration,
    fingerprint,
    held_out_positions,
    noise_boards,
    score,
)
from golois.tournament.upload_check import Verdict, clean_fingerprint, clean_scores, verdict_from_json


def test_the_held_out_set_is_shipped_and_the_same_every_time() -> None:
    assert HELD_OUT_GAMES.is_file()
    first, again = held_out_positions(), held_out_positions()
    assert len(first) == HELD_OUT_POSITIONS == 2000, "one position a game of the 2,000 shipped"
    np.testing.assert_array_equal(first.boards, again.boards)
    np.testing.assert_array_equal(first.moves_played, again.moves_played)
    assert set(np.unique(first.white_won)) <= {0.0, 0.5, 1.0}
    assert 0.35 < first.white_won.mean() < 0.65 and first.move_number.max() > 150


def test_calibration_bins_the_predictions_and_counts_who_won() -> None:
    predicted = np.array([0.05, 0.07, 0.55, 0.58, 0.95, 1.0])
    white_won = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    rows = calibration(predicted, white_won)
    assert len(rows) == CALIBRATION_BINS and sum(row["positions"] for row in rows) == 6
    assert rows[0] == {"low": 0.0, "high": 0.1, "positions": 2, "predicted": 0.06, "white_won": 0.5}
    assert rows[5]["white_won"] == 1.0 and rows[9]["positions"] == 2, "1.0 falls in the last bin"
    assert rows[3]["positions"] == 0 and rows[3]["predicted"] is None


def test_agreement_of_a_network_with_itself_and_with_another() -> None:
    rng = np.random.default_rng(0)
    policy = rng.random((100, 361))
    noise = Predictions(rng.random((50, 361)), rng.random(50))
    mine = fingerprint(Predictions(policy, rng.random(100)), noise)
    assert agreement(mine, mine) == {"noise_same_top_move": 1.0, "same_top_move": 1.0, "value_difference": 0.0,
                                     "positions": 100}
    other = fingerprint(Predictions(rng.random((100, 361)), rng.random(100)), Predictions(rng.random((50, 361)),
                                                                                          rng.random(50)))
    alike = agreement(mine, other)
    assert alike["noise_same_top_move"] < 0.1 and alike["same_top_move"] < 0.1 and alike["value_difference"] > 0.2


def test_the_noise_inputs_are_fixed() -> None:
    first = noise_boards()
    assert first.shape == (NOISE_POSITIONS, 19, 19, 31) and 0.29 < first.mean() < 0.31
    np.testing.assert_array_equal(first, noise_boards())


def test_scores_of_perfect_and_of_constant_predictions() -> None:
    moves, won = np.array([3, 7, 10, 360]), np.array([1.0, 0.0, 1.0, 0.0])
    perfect = Predictions(np.eye(361)[moves], won.copy())
    figures = score(perfect, moves, won, np.array([0, 60, 120, 200]))
    assert figures["policy_accuracy"] == figures["top5_accuracy"] == figures["value_accuracy"] == 1.0
    assert figures["value_mse"] == 0.0 and list(figures["value_by_phase"]) == ["0-49", "50-99", "100-149", "150+"]
    constant = Predictions(np.full((4, 361), 1 / 361), np.full(4, 0.5))
    figures = score(constant, moves, won)
    assert figures["value_std"] == 0.0 and figures["value_mse"] == 0.25 and figures["value_accuracy"] == 0.5


def child_scores() -> dict:
    """Figures as the child reports them (before the server cleans them)."""
    phases = {name: {"positions": 500, "value_mse": 0.2, "value_accuracy": 0.6}
              for name in ("0-49", "50-99", "100-149", "150+")}
    bins = [{"low": b / 10, "high": (b + 1) / 10, "positions": 200, "predicted": b / 10 + 0.05, "white_won": 0.5}
            for b in range(10)]
    return {"positions": 2000, "policy_accuracy": 0.41234567, "top5_accuracy": 0.7, "value_mse": 0.21,
            "value_accuracy": 0.6, "value_std": 0.1, "value_by_phase": phases, "calibration": bins,
            "playouts_per_cpu_second": 812.345}


def test_clean_scores_keeps_the_expected_figures_and_adds_what_two_seconds_give() -> None:
    cleaned = clean_scores({**child_scores(), "script": "<script>alert(1)</script>"})
    assert "script" not in cleaned, "keys the server does not expect are dropped"
    assert cleaned["policy_accuracy"] == 0.4123 and cleaned["playouts_per_cpu_second"] == 812.3
    assert cleaned["playouts_per_move"] == 1624 and cleaned["seconds_per_move"] == 2.0


@pytest.mark.parametrize("spoil", [
    lambda s: s.update(policy_accuracy=float("nan")),
    lambda s: s.update(policy_accuracy=1.5),
    lambda s: s.update(value_mse="0.2"),
    lambda s: s.update(playouts_per_cpu_second=float("inf")),
    lambda s: s.update(positions=10**9),
    lambda s: s.update(calibration=s["calibration"][:3]),
    lambda s: s["value_by_phase"].pop("150+"),
    lambda s: s["calibration"][0].update(positions=-1),
])
def test_figures_of_the_wrong_shape_are_not_trusted(spoil) -> None:
    scores = child_scores()
    spoil(scores)
    with pytest.raises((ValueError, TypeError, KeyError)):
        clean_scores(scores)
    fingerprint = {"top": [1, 2], "value": [0.5, 0.25], "noise_top": [3]}
    verdict = Verdict(True, "accepted", [], 1000, scores=scores, fingerprint=fingerprint)
    text = json.dumps(verdict.as_dict())
    parsed = verdict_from_json(text)
    assert parsed is not None and parsed.accepted, "bad figures do not turn into a bad verdict"
    assert parsed.scores is None and parsed.fingerprint == fingerprint


@pytest.mark.parametrize("fingerprint_data", [
    {"top": [1, 362], "value": [0.5, 0.5], "noise_top": []},
    {"top": [1, 2], "value": [0.5], "noise_top": []},
    {"top": [1.5], "value": [0.5], "noise_top": []},
    {"top": [1], "value": [math.nan], "noise_top": []},
    {"top": [1], "value": [0.5], "noise_top": [-1]},
    {"top": [1], "value": [0.5]},
    {"top": [1], "value": [0.5], "noise_top": [0] * (NOISE_POSITIONS + 1)},
    {"top": list(range(HELD_OUT_POSITIONS + 1)), "value": [0.5] * (HELD_OUT_POSITIONS + 1), "noise_top": []},
    {"top": "abc", "value": "abc", "noise_top": []},
])
def test_malformed_fingerprints_are_refused(fingerprint_data) -> None:
    with pytest.raises((ValueError, TypeError, KeyError)):
        clean_fingerprint(fingerprint_data)


def test_a_weights_digest_must_be_a_sha256() -> None:
    verdict = Verdict(True, "accepted", [], 1000, weights_sha256="../../etc/passwd")
    assert verdict_from_json(json.dumps(verdict.as_dict())).weights_sha256 is None
    good = "ab" * 32
    assert verdict_from_json(json.dumps({**verdict.as_dict(), "weights_sha256": good})).weights_sha256 == good
