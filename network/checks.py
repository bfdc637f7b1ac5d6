"""The network file contract, checked stage by stage with a report a student can act on.

`contract_checks` runs the same stages as `load_network` (HDF5, the
description against the allowlists, building, input, outputs) and then the
parameter limit, recording each stage's figures; it stops at the first
failure. The tournament's upload checker adds play checks on top.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from golois.network.allowlist import layer_configs
from golois.network.h5file import (
    BOARD_SHAPE,
    NetworkFileError,
    build_model,
    check_description,
    check_input,
    check_outputs,
    open_audited,
)
from golois.network.limits import PARAMETER_LIMIT, OverParameterLimit, check_parameter_limit


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ContractChecks:
    """Runs the stages in order; `model` is the built network once `build` passed."""

    def __init__(self, path: Path, limit: int = PARAMETER_LIMIT) -> None:
        self.path, self.limit = Path(path), limit
        self.checks: list[Check] = []
        self.model: Any = None

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def record(self, name: str, detail: str, ok: bool = True) -> None:
        self.checks.append(Check(name, ok, detail))

    def run(self) -> bool:
        """True when the file meets the contract; every stage is in `checks`."""
        path = self.path
        try:
            h5, audit = open_audited(path)
        except NetworkFileError as error:
            self.record("HDF5 file", _reason(error, path), ok=False)
            return False
        with h5:
            self.record("HDF5 file", f"{path.stat().st_size:,} bytes: {audit.describe()}; data only (no links "
                        "out of the file, no external storage, no plug-in filters)")
            try:
                config = check_description(h5, path)
            except NetworkFileError as error:
                self.record("description", _reason(error, path), ok=False)
                return False
            layers = [layer for layer in layer_configs(config) if "config" in layer]
            self.record("description", f"{len(layers)} objects, all of allowed Keras classes and TensorFlow "
                        "operations (no Lambda, no custom code)")
            try:
                self.model = build_model(h5, path)
            except NetworkFileError as error:
                self.record("build", _reason(error, path), ok=False)
                return False
        self.record("build", f"{len(self.model.layers)} layers built by tf_keras")
        for name, check, detail in (("input", check_input, f"{BOARD_SHAPE} (31 planes)"),
                                    ("outputs", check_outputs, "policy (361) and value (1)")):
            try:
                check(self.model, path)
            except NetworkFileError as error:
                self.record(name, _reason(error, path), ok=False)
                return False
            self.record(name, detail)
        try:
            params = check_parameter_limit(self.model, "the network", self.limit)
        except OverParameterLimit as error:
            self.record("parameter limit", str(error), ok=False)
            return False
        self.record("parameter limit", f"{params:,} trainable parameters (limit {self.limit:,})")
        return True


def _reason(error: Exception, path: Path) -> str:
    """The error's message without the file path that starts it (the report names the file)."""
    message = str(error)
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message.replace(f"{path} ", "the file ", 1)
