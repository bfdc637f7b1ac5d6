"""Which network family learns most, per sample and per second: the zoo's families trained in turns on the same
games, validation positions and schedule, each evaluated on held-out games after every epoch.

    python tools/family_study.py --games /work/data/tygem-train.data --test /work/data/tygem-test.data \
        --until-epoch 3 [--families residual,mobilenet,mixnet,mixconv] [--runs training/runs/study]

Every family trains one epoch, then the next family does, and so on, so that however long a session lasts the
families stay within one epoch of each other. Each family's run is an ordinary `golois train` run
(`RUNS/FAMILY.h5`, `RUNS/FAMILY.run/`), stopped after each epoch with `--stop-after-epoch` and continued with
`--resume`: the study resumes wherever it was interrupted (an epoch cut short is trained again). After each
epoch the family's network (`last.h5`) is evaluated on TEST (the same positions for every family) and a row is
appended to `RUNS/study.csv`; `RUNS/study.png` plots the curves against samples and against training time.

The schedule is `restarts` (warm restarts of 1, 2, 4, 8 epochs): every family is annealed at the end of epochs
1, 3, 7 and 15, where comparisons are fair.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import click
from matplotlib.figure import Figure

from golois.files import atomic_path
from golois.training.run_files import RunFiles

# The same settings for every family (sizes are each family's defaults, just under the parameter limit).
SETTINGS = ("--epochs", "15", "--samples-per-epoch", "250000", "--batch", "128", "--lr", "0.002",
            "--schedule", "restarts", "--optimizer", "adam", "--validation", "5000", "--seed", "1",
            "--threads", "1", "--komi-planes", "random")
FAMILIES = ("residual", "mobilenet", "mixnet", "mixconv")
COLUMNS = ("family", "epoch", "samples", "train_seconds", "params", "val_policy_acc", "val_value_mse",
           "test_policy_acc", "test_top5_acc", "test_value_mse", "test_value_accuracy")
TEST_POSITIONS = 5000


def golois(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "golois.cli", *args], check=True, stdout=subprocess.PIPE, text=True)


def trained_epochs(out: Path) -> int:
    files = RunFiles(out)
    return files.read_state()["epoch"] if files.state.is_file() else 0


def train_one_epoch(family: str, out: Path, games: Path, epoch: int) -> None:
    if trained_epochs(out) == 0:
        golois("train", "--arch", family, "--games", str(games), "--out", str(out), *SETTINGS,
               "--stop-after-epoch", str(epoch), "--quiet", "--force")
    else:
        golois("train", "--out", str(out), "--resume", "--stop-after-epoch", str(epoch), "--quiet")


def recorded(table: Path) -> set[tuple[str, int]]:
    if not table.is_file():
        return set()
    with table.open(newline="") as handle:
        return {(row["family"], int(row["epoch"])) for row in csv.DictReader(handle)}


def record_epoch(family: str, out: Path, test: Path, table: Path) -> dict:
    files = RunFiles(out)
    state = files.read_state()
    with files.log.open(newline="") as handle:
        log = {int(row["epoch"]) + 1: row for row in csv.DictReader(handle)}[state["epoch"]]
    figures = json.loads(golois("evaluate", "--model", str(files.last), "--games", str(test),
                                "--positions", str(TEST_POSITIONS), "--json").stdout)
    row = {"family": family, "epoch": state["epoch"], "samples": int(float(log["samples"])),
           "train_seconds": float(log["seconds"]), "params": state["params"],
           "val_policy_acc": round(float(log["val_policy_acc"]), 4),
           "val_value_mse": round(float(log["val_value_mse"]), 4),
           "test_policy_acc": figures["policy_accuracy"], "test_top5_acc": figures["top5_accuracy"],
           "test_value_mse": figures["value_mse"], "test_value_accuracy": figures["value_accuracy"]}
    new = not table.is_file()
    with table.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)
    return row


def plot(table: Path, out: Path) -> None:
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    figure = Figure(figsize=(15, 8))
    panels = figure.subplots(2, 3)
    for family in dict.fromkeys(row["family"] for row in rows):
        mine = sorted((row for row in rows if row["family"] == family), key=lambda row: int(row["epoch"]))
        for line, x_key, scale in ((0, "samples", 1e6), (1, "train_seconds", 3600)):
            x = [float(row[x_key]) / scale for row in mine]
            for axis, key in zip(panels[line], ("test_policy_acc", "test_top5_acc", "test_value_mse"), strict=True):
                axis.plot(x, [float(row[key]) for row in mine], marker=".", label=family)
    for line, label in ((0, "training samples (millions)"), (1, "training time on this machine (hours)")):
        for axis, title in zip(panels[line], ("policy accuracy", "top-5 accuracy", "value MSE"), strict=True):
            axis.set_title(f"{title}, held-out games")
            axis.set_xlabel(label)
            axis.grid(alpha=0.3)
            axis.legend()
    figure.tight_layout()
    with atomic_path(out) as tmp:
        figure.savefig(tmp, dpi=90, format="png")


@click.command()
@click.option("--games", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--test", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Held-out games to evaluate each epoch's network on.")
@click.option("--until-epoch", type=click.IntRange(1, 15), default=3, show_default=True)
@click.option("--families", default=",".join(FAMILIES), show_default=True)
@click.option("--runs", type=click.Path(file_okay=False, path_type=Path), default=Path("training/runs/study"),
              show_default=True)
def main(games: Path, test: Path, until_epoch: int, families: str, runs: Path) -> None:
    runs.mkdir(parents=True, exist_ok=True)
    table = runs / "study.csv"
    names = [name.strip() for name in families.split(",") if name.strip()]
    for epoch in range(1, until_epoch + 1):
        for family in names:
            out = runs / f"{family}.h5"
            if trained_epochs(out) < epoch:
                click.echo(f"{family}: training epoch {epoch}", err=True)
                train_one_epoch(family, out, games, epoch)
            if (family, epoch) not in recorded(table) and trained_epochs(out) == epoch:
                row = record_epoch(family, out, test, table)
                click.echo(f"{family} epoch {epoch}: held-out policy {row['test_policy_acc']:.4f}, "
                           f"value MSE {row['test_value_mse']:.4f} ({row['train_seconds']:.0f} s)", err=True)
                plot(table, runs / "study.png")


if __name__ == "__main__":
    main()
