"""The learning curves of a run, drawn from its CSV log."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the trainer often runs without a display

import matplotlib.pyplot as plt  # noqa: E402

PANELS = (
    ("policy accuracy", ("policy_acc", "val_policy_acc", "val_policy_top5")),
    ("loss", ("loss", "val_loss")),
    ("value MSE", ("value_mse", "val_value_mse")),
)


def plot_curves(log: Path, out: Path) -> None:
    """One panel per quantity, against millions of training samples."""
    with log.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return
    samples = [float(row["samples"]) / 1e6 for row in rows]
    figure, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4))
    for axis, (title, keys) in zip(axes, PANELS, strict=True):
        for key in keys:
            if key in rows[0]:
                axis.plot(samples, [float(row[key]) for row in rows], marker=".", label=key)
        axis.set_title(title)
        axis.set_xlabel("training samples (millions)")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    tmp = out.with_name(out.stem + ".tmp.png")
    figure.savefig(tmp, dpi=100)
    plt.close(figure)
    tmp.replace(out)
