"""Where a training run keeps its files, and its resumable state.

For `--out model.h5` the best network is model.h5 itself; everything else
lives in the folder model.run/ beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
    def checkpoint(self) -> Path:
        """Weights and optimizer state after the latest epoch, to resume from."""
        return self.folder / "checkpoint" / "ckpt"

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
        return json.loads(self.state.read_text())

    def write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self.state)
