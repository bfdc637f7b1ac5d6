"""Where a training run keeps its files, and its resumable state.

For `--out model.h5` the best network is model.h5 itself; everything else
lives in the folder model.run/ beside it.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_KEYS = ("config", "epoch", "best_val_policy_acc", "best_epoch", "seconds")


@dataclass(frozen=True)
class RunFiles:
    best: Path

    @property
    def folder(self) -> Path:
        return self.best.with_name(self.best.stem + ".run")

    @property
    def last(self) -> Path:
        """The network after the latest epoch (portable .h5)."""
        return self.folder / "last.h5"

    @property
    def checkpoints(self) -> Path:
        """Weights and optimizer state after each of the latest epochs, to resume from."""
        return self.folder / "checkpoints"

    @property
    def state(self) -> Path:
        return self.folder / "state.json"

    @property
    def log(self) -> Path:
        return self.folder / "log.csv"

    @property
    def curves(self) -> Path:
        return self.folder / "curves.png"

    @property
    def validation(self) -> Path:
        return self.folder / "validation.data"

    def read_state(self) -> dict[str, Any]:
        if not self.state.is_file():
            raise FileNotFoundError(f"nothing to resume: {self.state} does not exist")
        try:
            state = json.loads(self.state.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{self.state} is damaged ({error}); start over with --force") from error
        missing = [key for key in STATE_KEYS if not isinstance(state, dict) or key not in state]
        if missing:
            raise ValueError(f"{self.state} is damaged (no {', '.join(missing)}); start over with --force")
        return state

    def write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self.state)

    def keep_log_before(self, epoch: int) -> None:
        """Drops log rows of epochs not recorded in the state (an interruption between the two)."""
        if not self.log.is_file():
            return
        with self.log.open(newline="") as handle:
            rows = list(csv.reader(handle))
        kept = rows[:1] + [row for row in rows[1:] if row and int(row[0]) < epoch]
        with self.log.open("w", newline="") as handle:
            csv.writer(handle).writerows(kept)

    def remove_run(self) -> None:
        """Removes the run's state, log, validation set and checkpoints (for --force)."""
        for stale in (self.state, self.log, self.validation, self.last, self.curves):
            stale.unlink(missing_ok=True)
        shutil.rmtree(self.checkpoints, ignore_errors=True)
