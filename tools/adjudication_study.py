"""Measures the judge's adjudication rule on course networks' games played to their end.

Every game of a round robin between course networks is played on to its end
(two passes, the move limit or an engine's own resignation) with the judge
watching: its win rate after every move is kept, and dead stones are settled
by GNU Go at the end. Any rule can then be checked against the games' real
ends: how often the play-out contradicts the adjudication, and the moves and
the machine time the rule saves (docs/results/adjudication.md).

    python3 tools/adjudication_study.py play --models ../shared/models/cocorigo-resnet.h5 ... \\
        --games-per-pair 10 --playouts 64 --out results/adjudication
    python3 tools/adjudication_study.py report --out results/adjudication

`play` resumes: the games already in games.jsonl are not played again.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import click
from tqdm import tqdm

from golois import BLACK, WHITE
from golois.engine.coords import colour_letter
from golois.engine.gtp_client import GtpClient
from golois.engine.judge import AdjudicationRule, DeadStoneJudge, Judge
from golois.engine.match import Judging, MatchSettings, Referee, wait_until_loaded
from golois.engine.openings import opening_for
from golois.files import write_atomic


def _played(out: Path) -> list[dict]:
    path = out / "games.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@click.group()
def main() -> None:
    """Adjudication measured on games played to their end."""


@main.command()
@click.option("--models", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--games-per-pair", default=10, show_default=True)
@click.option("--playouts", default=64, show_default=True, help="the tournament's playouts a move")
@click.option("--max-moves", default=MatchSettings.max_moves, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def play(models: tuple[str, ...], games_per_pair: int, playouts: int, max_moves: int, out: Path) -> None:
    """Plays the round robin with the judge watching; appends each game to OUT/games.jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    done = {(g["pair"], g["game"]) for g in _played(out)}
    pairs = list(itertools.combinations(sorted(models), 2))
    todo = [(p, k) for p in range(len(pairs)) for k in range(games_per_pair) if (p, k) not in done]
    engines: dict[str, GtpClient] = {}

    def engine(model: str) -> GtpClient:
        if model not in engines:
            command = f"{sys.executable} -m golois.cli gtp --model {model} --playouts {playouts} -q"
            engines[model] = GtpClient(command, out / f"{Path(model).stem}.log", Path(model).stem)
            wait_until_loaded(engines[model])
        return engines[model]

    watching = AdjudicationRule(from_move=10**6)  # records the curve; never ends a game
    judge = Judge.bundled(watching)
    dead_stones = DeadStoneJudge(out / "gnugo.log")
    try:
        for pair, game in tqdm(todo, desc="games", unit="game"):
            first, second = pairs[pair]
            black, white = (first, second) if game % 2 == 0 else (second, first)
            referee = Referee({BLACK: engine(black), WHITE: engine(white)},
                              MatchSettings(max_moves=max_moves), Judging(judge, dead_stones, adjudicate=False))
            per_move: list[float] = []  # the engines' seconds so far, after each move
            referee.on_move = lambda ref, per_move=per_move: per_move.append(round(sum(ref.thinking.values()), 3))
            referee.start()
            opening = opening_for(pair, game, games_per_pair)
            outcome = referee.play_opening(opening) or referee.play()
            winner, reason, detail = outcome
            gnugo_seconds = dead_stones.seconds if reason in ("score", "move limit") else 0.0
            record = {
                "pair": pair, "game": game, "black": Path(black).stem, "white": Path(white).stem,
                "opening": opening, "moves": len(referee.moves), "reason": str(reason), "detail": detail,
                "winner": colour_letter(winner) if winner is not None else None,
                "dead": len(referee.dead), "engine_seconds": per_move,
                "judge_seconds": round(judge.seconds, 3), "gnugo_seconds": round(gnugo_seconds, 3),
                "judge": [(m, round(r, 4)) for m, r in judge.curve],
                "winrates": {k: [(m, round(r, 4)) for m, r in v] for k, v in referee.winrates.items() if k != "judge"},
            }
            with (out / "games.jsonl").open("a") as file:
                file.write(json.dumps(record) + "\n")
    finally:
        for client in engines.values():
            client.close()
        dead_stones.close()


def evaluate(games: list[dict], rule: AdjudicationRule) -> dict:
    """What `rule` would have done to these games: adjudications, contradictions, moves and time saved."""
    adjudicated, wrong, moves_after, seconds_before, seconds_after = 0, [], [], 0.0, 0.0
    for g in games:
        judged = max(1, len(g["judge"]))
        per_judgement = g["judge_seconds"] / judged
        full = g["engine_seconds"][-1] if g["engine_seconds"] else 0.0
        seconds_before += full
        decision = rule.decision([tuple(point) for point in g["judge"]])
        if decision and decision[0] < g["moves"]:
            move, winner = decision
            adjudicated += 1
            if colour_letter(winner) != g["winner"]:
                wrong.append(f"pair {g['pair']} game {g['game']}: judge {colour_letter(winner)} at move {move}, "
                             f"played out {g['winner'] or 'draw'} ({g['reason']}, {g['detail']})")
            moves_after.append(move)
            seconds_after += g["engine_seconds"][move - 1] + per_judgement * move
        else:
            moves_after.append(g["moves"])
            seconds_after += full + g["judge_seconds"] + g["gnugo_seconds"]
    n = len(games)
    return {
        "rule": asdict(rule), "games": n, "adjudicated": adjudicated, "contradicted": len(wrong),
        "contradiction_rate": len(wrong) / adjudicated if adjudicated else 0.0, "contradictions": wrong,
        "median_moves_before": statistics.median(g["moves"] for g in games) if games else None,
        "median_moves_after": statistics.median(moves_after) if games else None,
        "games_per_hour_before": round(3600 * n / seconds_before, 1) if seconds_before else None,
        "games_per_hour_after": round(3600 * n / seconds_after, 1) if seconds_after else None,
    }


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def report(out: Path) -> None:
    """The default rule's figures on all games, and nearby rules, into OUT/report.json."""
    games = _played(out)
    if not games:
        raise click.ClickException(f"no games in {out}/games.jsonl: run `play` first")
    rule = AdjudicationRule()
    grid = [evaluate(games, replace(rule, from_move=m, threshold=t, in_a_row=k))
            for m in (100, 150, 200) for t in (0.9, 0.95, 0.98) for k in (4, 10, 20)]
    summary = {
        "default": evaluate(games, rule),
        "grid": [{key: r[key] for key in ("rule", "adjudicated", "contradicted", "median_moves_after",
                                          "games_per_hour_after")} for r in grid],
        "reasons": dict(Counter(g["reason"] for g in games)),
        "median_dead_stones": statistics.median(g["dead"] for g in games),
        "median_gnugo_seconds": statistics.median(g["gnugo_seconds"] for g in games),
    }
    write_atomic(out / "report.json", json.dumps(summary, indent=2) + "\n")
    d = summary["default"]
    click.echo(f"{d['games']} games, {d['adjudicated']} adjudicated, {d['contradicted']} contradicted by the "
               f"play-out ({d['contradiction_rate']:.1%}); median moves {d['median_moves_before']} -> "
               f"{d['median_moves_after']}; games an hour {d['games_per_hour_before']} -> {d['games_per_hour_after']}")


if __name__ == "__main__":
    main()
