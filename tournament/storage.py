"""Network files stored by content: <data>/networks/<first two hex digits>/<sha256>.h5.

A file is only ever added whole (renamed into place) and never changed, so
a path found here is complete. The folder is outside anything the web
server serves; the API hands files out by hash, to workers only.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

from golois.files import atomic_path, sha256_file


class NetworkStore:
    LOCK_NAME = ".lock"  # beside the hash folders; see `locked`

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the store's lock (threads and processes of this machine) for the block.

        Uploads hold it from adding their file to recording it (or taking it
        back), so a failed upload never removes a file that a concurrent upload
        of the same content is recording.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / self.LOCK_NAME, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.h5"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def add(self, source: Path, keep_source: bool = False) -> str:
        """Copies `source` into the store (then removes it unless `keep_source`); returns its hash."""
        digest = sha256_file(source)
        target = self.path(digest)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            # A temporary name of its own per writer: two threads storing the same
            # file at once each rename a whole copy onto the same content.
            with atomic_path(target) as partial:
                shutil.copyfile(source, partial)
        if not keep_source:
            source.unlink(missing_ok=True)
        return digest

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)
