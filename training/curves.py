"""The learning curves of a run, drawn from its CSV log."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from matplotlib.figure import Figure  # not pyplot: no global backend or window, safe in any process

from golois.files import atomic_path

PANELS = (
    ("policy accuracy", ("policy_acc", "val_policy_acc", "val_policy_top5")),
    ("loss", ("loss", "val_loss")),
    ("value MSE", ("value_mse", "val_value_mse")),
    ("value accuracy (side favoured won)", ("value_acc", "val_value_acc")),
    ("ownership loss (training only)", ("ownership_loss", "val_ownership_loss")),
)


def _number(text: str | None) -> float:
    try:
        return float(text) if text is not None else math.nan
    except ValueError:  # CSVLogger writes NA for a figure an epoch lacks
        return math.nan


def plot_curves(log: Path, out: Path) -> None:
    """One panel per quantity, against millions of training samples."""
    with log.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return
    samples = [_number(row.get("samples")) / 1e6 for row in rows]
    figure = Figure(figsize=(5 * len(PANELS), 4))
    for axis, (title, keys) in zip(figure.subplots(1, len(PANELS)), PANELS, strict=True):
        for key in keys:
            if key in rows[0]:
                axis.plot(samples, [_number(row[key]) for row in rows], marker=".", label=key)
        axis.set_title(title)
        axis.set_xlabel("training samples (millions)")
        axis.grid(alpha=0.3)
        if axis.lines:
            axis.legend()
    figure.tight_layout()
    with atomic_path(out) as tmp:
        figure.savefig(tmp, dpi=100, format="png")
