"""`golois import-games`: SGF sources in, one compact games file out."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from golois import _core
from golois.sgf_sources import iter_sgf_documents, total_input_bytes


class NothingImported(Exception):
    """No game of the sources could be used; no file was written."""


@dataclass
class ImportSummary:
    """What an import read, kept and skipped."""

    games_read: int = 0
    games_written: int = 0
    positions: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    ignored_files: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def games_per_second(self) -> float:
        return self.games_read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "games_read": self.games_read,
            "games_written": self.games_written,
            "positions": self.positions,
            "skipped": dict(self.skipped.most_common()),
            "ignored_files": dict(self.ignored_files),
            "seconds": round(self.seconds, 3),
            "games_per_second": round(self.games_per_second, 1),
        }

    def report(self) -> str:
        lines = [
            f"games read     {self.games_read:>10,}",
            f"games written  {self.games_written:>10,}",
            f"positions      {self.positions:>10,}",
            f"time           {self.seconds:>10.1f} s ({self.games_per_second:,.0f} games/s)",
        ]
        if self.skipped:
            lines.append(f"skipped        {sum(self.skipped.values()):>10,}")
            lines += [f"  {reason:<28} {count:>8,}" for reason, count in self.skipped.most_common()]
        lines += [f"ignored files  {count:>10,}  ({reason})" for reason, count in self.ignored_files.items()]
        return "\n".join(lines)


def import_games(sources: Sequence[str | Path], out: str | Path, *, progress: bool = True) -> ImportSummary:
    """Reads every game of `sources` and writes the usable ones to `out`.

    The file appears only when the import succeeds (it is written beside
    `out` and renamed), so an interrupted import never leaves a broken file.
    Raises NothingImported when no game is usable, SourceError for a
    missing source.
    """
    summary = ImportSummary()
    start = time.perf_counter()
    total = total_input_bytes(sources)  # checks every source before anything is written
    writer = _core.GamesWriter(str(out))
    with tqdm(total=total, unit="B", unit_scale=True, disable=not progress, desc="importing") as bar:
        for document in iter_sgf_documents(sources, on_bytes=bar.update, ignored=summary.ignored_files):
            if document.text is None:
                summary.skipped[document.error or "unreadable file"] += 1
                continue
            for parsed in _core.parse_sgf(document.text):
                summary.games_read += 1
                if not parsed.ok:
                    summary.skipped[parsed.skip_reason] += 1
                    continue
                writer.add(parsed.game)
                summary.games_written += 1
                summary.positions += parsed.game.num_positions
            bar.set_postfix(games=summary.games_written, skipped=sum(summary.skipped.values()), refresh=False)
    summary.seconds = time.perf_counter() - start
    if summary.games_written == 0:
        del writer  # removes the temporary file
        raise NothingImported(f"no usable game in the sources (skipped: {dict(summary.skipped) or 'none'})")
    writer.close()
    return summary
