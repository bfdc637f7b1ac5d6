"""The shared file helpers: atomic writes leave the whole file or nothing, with an ordinary file's mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from golois.files import atomic_path, write_atomic


def test_a_written_file_gets_the_mode_of_any_new_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    write_atomic(tmp_path / "atomic", "x")
    modes = {stat.S_IMODE((tmp_path / name).stat().st_mode) for name in ("plain", "atomic")}
    assert len(modes) == 1, modes  # not mkstemp's private 0600


def test_an_error_in_the_block_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("stopped")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["state.json"]
