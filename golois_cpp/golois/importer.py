"""`golois import-games`: SGF sources in, one compact games file out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from golois import _core
from golois.errors import GoloisError
from golois.sgf_sources import Ignored, iter_sgf_documents, total_input_bytes

NO_GAME = "no game in the file"
NAMES_SHOWN = 3  # file names printed for each reason, then a count


class NothingImported(GoloisError):
    """No game of the sources could be used; no file was written."""


@dataclass
class ImportSummary:
    """What an import read, kept and skipped."""

    games_read: int = 0
    games_written: int = 0
    positions: int = 0
    skipped: Ignored = field(default_factory=Ignored)  # games (or whole files) by reason, and the files concerned
    ignored_files: Ignored = field(default_factory=Ignored)
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
            "skipped_files": self.skipped.names,
            "ignored_files": dict(self.ignored_files),
            "ignored_names": self.ignored_files.names,
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
            lines += [f"  {reason:<28} {count:>8,}  {_some(self.skipped.names.get(reason, []))}"
                      for reason, count in self.skipped.most_common()]
        lines += [f"ignored files  {count:>10,}  ({reason}: {_some(self.ignored_files.names.get(reason, []))})"
                  for reason, count in self.ignored_files.items()]
        return "\n".join(lines)

    def reasons_in_words(self) -> str:
        return ", ".join(f"{count:,} {reason}" for reason, count in self.skipped.most_common()) or "none"


def _some(names: list[str]) -> str:
    """A few names, then how many more."""
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" and {len(names) - NAMES_SHOWN:,} more" if len(names) > NAMES_SHOWN else "")


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
    # Leaving the block by an exception (NothingImported below, an interrupt)
    # discards the temporary file at once; a clean exit renames it onto `out`.
    with _core.GamesWriter(str(out)) as writer, \
            tqdm(total=total, unit="B", unit_scale=True, disable=not progress, desc="importing") as bar:
        for document in iter_sgf_documents(sources, on_bytes=bar.update, ignored=summary.ignored_files):
            if document.text is None:
                summary.skipped.add(document.error or "unreadable file", document.name)
                continue
            games = _core.parse_sgf(document.text)
            if not games:
                summary.skipped.add(NO_GAME, document.name)
            for parsed in games:
                summary.games_read += 1
                if not parsed.ok:
                    summary.skipped.add(parsed.skip_reason, document.name)
                    continue
                writer.add(parsed.game)
                summary.games_written += 1
                summary.positions += parsed.game.num_positions
            bar.set_postfix(games=summary.games_written, skipped=sum(summary.skipped.values()), refresh=False)
        if summary.games_written == 0:
            if not summary.skipped and not summary.games_read:
                ignored = sum(summary.ignored_files.values())
                raise NothingImported("no SGF files found in " + ", ".join(str(s) for s in sources)
                                      + (f" ({ignored:,} other files ignored)" if ignored else ""))
            raise NothingImported(f"no usable game in the sources; skipped: {summary.reasons_in_words()}")
    summary.seconds = time.perf_counter() - start
    return summary
