"""The upload scores measured on real course networks: how well held-out accuracy predicts tournament
strength, and where the copy finder's near-copy thresholds lie.

    python tools/scores_and_copies.py MODEL.h5 ... --standings results/tournament/round-robin-shared/standings.csv \
        --games /work/data/tygem-train.data --out results/copies

1. Every network (and the bundled one) is scored as the server scores an upload (`golois.network.scores` on the
   held-out positions shipped with the project); with --standings, the Spearman rank correlation of each
   score with the tournament rating of that round robin (networks matched by file name: `NAME.h5` is
   `NAME/net` in the standings, the bundled network `golois/default`).
2. Every pair of these independently trained networks is compared as the copy finder compares them
   (`agreement`: same top move on the noise inputs, which decides, and on the held-out positions; mean value
   difference).
3. Each network is copied and fine-tuned for STEPS batches of GAMES (`golois.training.fine_tune`), then
   compared with its original: what a copy that was trained a little looks like.

Writes OUT/scores-and-copies.json and prints the tables of docs/results/copies.md.
"""

from __future__ import annotations

import csv
import itertools
import json
import time
from pathlib import Path

import click
import numpy as np

from golois import SAMPLE_GAMES
from golois.files import write_atomic
from golois.network import DEFAULT_NETWORK, NetworkFileError, load_network
from golois.network.scores import agreement, fingerprint, held_out_positions, noise_boards, predict, score
from golois.training.fine_tune import fine_tune

FIGURES = ("policy_accuracy", "top5_accuracy", "value_mse", "value_accuracy")


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman's rank correlation (ties get their mean rank)."""
    def ranks(values: list[float]) -> np.ndarray:
        values = np.asarray(values, np.float64)
        order = values.argsort()
        result = np.empty(len(values))
        result[order] = np.arange(len(values), dtype=np.float64)
        for value in np.unique(values):
            same = values == value
            result[same] = result[same].mean()
        return result
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def standings_ratings(path: Path) -> dict[str, float]:
    with path.open() as file:
        return {row["network"].rsplit(" v", 1)[0]: float(row["rating"]) for row in csv.DictReader(file)}


def label_of(path: Path) -> str:
    return "golois/default" if path == DEFAULT_NETWORK else f"{path.stem}/net"


@click.command()
@click.argument("models", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--standings", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A round robin's standings.csv, for the rank correlation with its ratings.")
@click.option("--games", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=SAMPLE_GAMES,
              show_default=True, help="Games the copies are fine-tuned on.")
@click.option("--steps", type=int, default=300, show_default=True, help="Fine-tuning batches of each copy.")
@click.option("--batch", type=int, default=64, show_default=True)
@click.option("--learning-rate", type=float, default=1e-3, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results/copies"),
              show_default=True)
def main(models: tuple[Path, ...], standings: Path | None, games: Path, steps: int, batch: int,
         learning_rate: float, out: Path) -> None:
    positions, noise = held_out_positions(), noise_boards()
    paths = [DEFAULT_NETWORK, *models]
    scored, prints = {}, {}
    for path in paths:
        try:
            model = load_network(path)
        except NetworkFileError as error:
            click.echo(f"{path.name}: skipped ({error})", err=True)
            continue
        predictions = predict(model, positions.boards)
        label = label_of(path)
        scored[label] = {k: round(v, 4) for k, v in score(predictions, positions.moves_played,
                                                          positions.white_won).items()}
        prints[label] = fingerprint(predictions, predict(model, noise))
        click.echo(f"{label}: " + ", ".join(f"{k} {scored[label][k]:.4f}" for k in FIGURES), err=True)
    result: dict = {"positions": len(positions), "scores": scored}
    if standings:
        ratings = standings_ratings(standings)
        common = [label for label in scored if label in ratings]
        result["rank_correlation"] = {
            "standings": str(standings), "networks": common, "ratings": {k: ratings[k] for k in common},
            **{figure: round(spearman([scored[k][figure] for k in common], [ratings[k] for k in common]), 3)
               for figure in FIGURES}}
    result["independent_pairs"] = [{"a": a, "b": b, **agreement(prints[a], prints[b])}
                                   for a, b in itertools.combinations(prints, 2)]
    copies = []
    for path in paths:
        label = label_of(path)
        if label not in prints:
            continue
        start = time.perf_counter()
        copy = fine_tune(load_network(path), games, steps, batch, learning_rate)
        alike = agreement(prints[label], fingerprint(predict(copy, positions.boards), predict(copy, noise)))
        copies.append({"original": label, "steps": steps, "batch": batch, "learning_rate": learning_rate,
                       "seconds": round(time.perf_counter() - start, 1), **alike})
        click.echo(f"{label} fine-tuned {steps} steps: {alike}", err=True)
    result["fine_tuned_copies"] = copies
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "scores-and-copies.json", json.dumps(result, indent=1) + "\n")
    print_tables(result)


def print_tables(result: dict) -> None:
    click.echo("| network | top move | top 5 | value MSE | value right |\n|---|---|---|---|---|")
    for label, s in result["scores"].items():
        click.echo(f"| {label} | {s['policy_accuracy']:.4f} | {s['top5_accuracy']:.4f} | {s['value_mse']:.4f} "
                   f"| {s['value_accuracy']:.4f} |")
    if "rank_correlation" in result:
        r = result["rank_correlation"]
        click.echo("\nSpearman with the tournament rating (" + ", ".join(r["networks"]) + "): "
                   + ", ".join(f"{figure} {r[figure]:+.3f}" for figure in FIGURES))
    click.echo("\n| pair | same top move, noise inputs | same top move, held-out | value difference |\n"
               "|---|---|---|---|")
    for pair in sorted(result["independent_pairs"], key=lambda p: -p["noise_same_top_move"]):
        click.echo(f"| {pair['a']} / {pair['b']} | {pair['noise_same_top_move']:.4f} | {pair['same_top_move']:.4f} "
                   f"| {pair['value_difference']:.4f} |")
    click.echo("\n| fine-tuned copy of | steps | same top move, noise inputs | same top move, held-out "
               "| value difference |\n|---|---|---|---|---|")
    for copy in result["fine_tuned_copies"]:
        click.echo(f"| {copy['original']} | {copy['steps']} | {copy['noise_same_top_move']:.4f} "
                   f"| {copy['same_top_move']:.4f} | {copy['value_difference']:.4f} |")


if __name__ == "__main__":
    main()
