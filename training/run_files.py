"""Where a training run keeps its files, and its resumable state.

For `--out model.h5` the best network is model.h5 itself; everything else
lives in the folder model.run/ beside it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from golois.errors import GoloisError
from golois.files import write_atomic
from golois.training.config import TrainConfig

STATE_KEYS = ("config", "epoch", "best_val_policy_acc", "best_epoch", "seconds")


class RunExists(GoloisError, FileExistsError):
    """A run or a network already lives where a new run would write."""


class RunFinished(GoloisError, ValueError):
    """--resume of a run that has trained all its epochs."""


def prepare_run(config: TrainConfig, resume: bool, force: bool) -> tuple[TrainConfig, dict[str, Any]]:
    """The configuration to train with (the saved one when resuming, at today's paths) and the saved state.

    Needs no TensorFlow, so that the command line refuses at once what cannot run."""
    files = RunFiles(config.out)
    if resume:
        state = files.read_state()
        saved = replace(TrainConfig.from_dict(state["config"]), out=config.out.resolve())
        if state["epoch"] >= saved.epochs:
            raise RunFinished(f"the run of {config.out} is finished: it trained all {saved.epochs} epochs (best "
                              f"validation policy accuracy {state['best_val_policy_acc']:.4f} at epoch "
                              f"{state['best_epoch']}); train a new one with --force, or another --out")
        return saved, state
    if not force and files.state.exists():
        raise RunExists(f"a training run already exists in {files.folder}; "
                        "use --resume to continue it or --force to start over")
    if not force and config.out.exists():
        raise RunExists(f"{config.out} exists; use --force to replace it")
    config.check()
    return replace(config, games=config.games.resolve(), out=config.out.resolve()), {}


@dataclass(frozen=True)
class RunFiles:
    best: Path

    @classmethod
    def of_folder(cls, folder: Path) -> RunFiles:
        """The files of the run kept in `folder` (NAME.run, beside NAME.h5)."""
        if folder.suffix != ".run":
            raise ValueError(f"{folder} is not a run folder (NAME.run, made by golois train --out NAME.h5)")
        return cls(folder.with_suffix(".h5"))

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

    def checkpoint(self, epoch: int) -> Path:
        """The checkpoint saved at the end of `epoch`, as TensorFlow names it (no suffix)."""
        path = self.checkpoints / f"ckpt-{epoch}"
        if not path.with_suffix(".index").is_file():
            raise FileNotFoundError(f"nothing to resume: no checkpoint {path} for epoch {epoch}")
        return path

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
        config = state["config"]
        state["config"] = {**config, "games": str((self.folder / config["games"]).resolve()), "out": str(self.best)}
        return state

    def write_state(self, state: dict[str, Any]) -> None:
        """Paths are written relative to the run folder, so that a run resumes from any clone or machine
        that has its games file at the same place beside it."""
        config = state["config"]
        portable = {**config, "games": os.path.relpath(config["games"], self.folder),
                    "out": os.path.relpath(self.best, self.folder)}
        write_atomic(self.state, json.dumps({**state, "config": portable}, indent=2) + "\n")

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
