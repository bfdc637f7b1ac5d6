"""The `golois` command line: import-games, info, bench batch."""

from __future__ import annotations

import bz2
import gc
import gzip
import io
import json
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import game_to_sgf, make_random_games, move_record, temporary_files, write_binary_games

import golois
from golois.cli import main
from golois.importer import import_games
from golois.sgf_sources import SourceError

NINE_BY_NINE = "(;GM[1]FF[4]SZ[9]KM[7]RE[B+R];B[ee];W[cc];B[gg];W[cg])\n"


def golois_script() -> str:
    script = shutil.which("golois")
    assert script is not None, "the golois console script is not installed"
    return script


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def record(game: golois.Game) -> tuple:
    """What an SGF import must keep of a game."""
    return game.komi, game.result, move_record(game)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def failed(result: Result) -> str:
    """The error text of a command that must fail cleanly (no traceback)."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    return result.output


# ---------------------------------------------------------------- sources


class Sources:
    """A folder of .sgf files, a .zip, a .tar.bz2 and a .sgf.gz collection,
    made of random games, and the games each holds in import order."""

    def __init__(self, root: Path) -> None:
        games = make_random_games(14, seed=31, min_moves=40, max_moves=80)
        self.folder_games, self.zip_games = games[:5], games[5:8]
        self.tar_games, self.gz_games = games[8:11], games[11:]

        self.folder = root / "sgf"
        self.folder.mkdir()
        for i, g in enumerate(self.folder_games):
            (self.folder / f"game{i}.sgf").write_text(game_to_sgf(g))
        (self.folder / "notes.txt").write_text("not a game\n")
        (self.folder / "small9.sgf").write_text(NINE_BY_NINE)
        text = game_to_sgf(games[0])
        (self.folder / "truncated.sgf").write_text(text[: len(text) // 2])

        self.zip = root / "games.zip"
        with zipfile.ZipFile(self.zip, "w", zipfile.ZIP_DEFLATED) as z:
            for i, g in enumerate(self.zip_games):
                z.writestr(f"z/{i}.sgf", game_to_sgf(g))
            z.writestr("z/readme.txt", "hello")

        self.tar = root / "games.tar.bz2"
        with tarfile.open(self.tar, "w:bz2") as t:
            for i, g in enumerate(self.tar_games):
                data = game_to_sgf(g).encode()
                info = tarfile.TarInfo(f"t/{i}.sgf")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))

        self.gz = root / "collection.sgf.gz"
        self.gz.write_bytes(gzip.compress("".join(game_to_sgf(g) for g in self.gz_games).encode()))

    @property
    def all(self) -> list[Path]:
        return [self.folder, self.zip, self.tar, self.gz]

    @property
    def usable_games(self) -> list[golois.Game]:
        return self.folder_games + self.zip_games + self.tar_games + self.gz_games


@pytest.fixture
def sources(tmp_path: Path) -> Sources:
    return Sources(tmp_path)


# ---------------------------------------------------------------- import-games


def test_import_from_every_kind_of_source(tmp_path: Path, sources: Sources) -> None:
    out = tmp_path / "games.data"
    result = ok(run("import-games", *sources.all, "--out", out, "--quiet"))
    usable = sources.usable_games
    positions = sum(g.num_positions for g in usable)
    text = result.stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert f"games read {len(usable) + 2:,}" in lines  # + the 9x9 and the truncated game
    assert f"games written {len(usable):,}" in lines
    assert f"positions {positions:,}" in lines
    assert "skipped 2" in lines
    # Each reason names its files (a few, then a count), in words.
    assert any(line.startswith("not 19x19 1 ") and line.endswith("small9.sgf") for line in lines), lines
    assert any(line.startswith("truncated SGF 1 ") and line.endswith("truncated.sgf") for line in lines), lines
    ignored = next(line for line in lines if line.startswith("ignored files 2"))
    assert "not an SGF file:" in ignored and "notes.txt" in ignored and "readme.txt" in ignored

    assert golois.is_binary_games_file(str(out))
    written = golois.read_games(str(out))
    assert [record(g) for g in written] == [record(g) for g in usable]
    assert not temporary_files(out)


@pytest.mark.parametrize("kind", ["folder", "zip", "tar", "gz"])
def test_import_each_kind_alone(tmp_path: Path, sources: Sources, kind: str) -> None:
    out = tmp_path / "games.data"
    source = getattr(sources, kind)
    expected = getattr(sources, f"{kind}_games")
    ok(run("import-games", source, "--out", out, "--quiet"))
    assert [record(g) for g in golois.read_games(str(out))] == [record(g) for g in expected]


def test_import_from_sgf_files_given_one_by_one(tmp_path: Path, sources: Sources) -> None:
    out = tmp_path / "games.data"
    files = sorted(sources.folder.glob("game*.sgf"))
    ok(run("import-games", *files, "--out", out, "-q"))
    assert [record(g) for g in golois.read_games(str(out))] == [record(g) for g in sources.folder_games]


def test_json_summary(tmp_path: Path, sources: Sources) -> None:
    result = ok(run("import-games", *sources.all, "--out", tmp_path / "games.data", "--json", "--quiet"))
    summary = json.loads(result.stdout)
    assert {"games_read", "games_written", "positions", "skipped", "games_per_second"} <= set(summary)
    usable = sources.usable_games
    assert summary["games_read"] == len(usable) + 2
    assert summary["games_written"] == len(usable)
    assert summary["positions"] == sum(g.num_positions for g in usable)
    assert summary["skipped"] == {"not 19x19": 1, "truncated SGF": 1}
    assert summary["games_per_second"] >= 0


def test_progress_bar_does_not_spoil_the_json(tmp_path: Path, sources: Sources) -> None:
    result = ok(run("import-games", sources.gz, "--out", tmp_path / "games.data", "--json"))
    assert json.loads(result.stdout)["games_written"] == len(sources.gz_games)


def test_imported_file_trains(tmp_path: Path, sources: Sources) -> None:
    out = tmp_path / "games.data"
    ok(run("import-games", *sources.all, "--out", out, "-q"))
    dataset = golois.Dataset(out)
    assert dataset.num_games == len(sources.usable_games)
    assert dataset.num_training_positions == sum(g.num_positions for g in sources.usable_games)


def test_existing_output_needs_force(tmp_path: Path, sources: Sources) -> None:
    out = tmp_path / "games.data"
    out.write_bytes(b"precious")
    message = failed(run("import-games", sources.gz, "--out", out, "-q"))
    assert "--force" in message
    assert out.read_bytes() == b"precious"

    ok(run("import-games", sources.gz, "--out", out, "-q", "--force"))
    assert [record(g) for g in golois.read_games(str(out))] == [record(g) for g in sources.gz_games]


def test_missing_source(tmp_path: Path, sources: Sources) -> None:
    out = tmp_path / "games.data"
    message = failed(run("import-games", sources.gz, tmp_path / "nowhere.sgf", "--out", out, "-q"))
    assert "nowhere.sgf" in message and "not found" in message
    assert not out.exists()
    gc.collect()  # CliRunner keeps the exception (and the importer's frame) in a reference cycle
    assert not temporary_files(out)


def test_missing_source_with_the_real_script_leaves_nothing(tmp_path: Path, sources: Sources) -> None:
    command = [golois_script(), "import-games", str(sources.gz), "nowhere.sgf", "--out", "games.data", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode != 0
    assert "nowhere.sgf: not found" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "games.data").exists()
    assert not temporary_files(tmp_path / "games.data")


def test_import_api_checks_the_sources_before_creating_the_temporary_file(tmp_path: Path,
                                                                         sources: Sources) -> None:
    # import_games opened its temporary file (GamesWriter) before it looked at the sources;
    # the temporary file then lives as long as the SourceError's traceback
    # (e.g. sys.last_traceback in a notebook) instead of never existing.
    out = tmp_path / "games.data"
    with pytest.raises(SourceError) as error:
        import_games([sources.gz, tmp_path / "nowhere.sgf"], out, progress=False)
    assert "nowhere.sgf" in str(error.value)  # the exception is still held here, as a caller may
    assert not temporary_files(out)


def test_unsupported_source_file(tmp_path: Path) -> None:
    source = tmp_path / "games.rar"
    source.write_bytes(b"Rar!")
    out = tmp_path / "games.data"
    assert "games.rar" in failed(run("import-games", source, "--out", out, "-q"))
    assert not out.exists()
    gc.collect()
    assert not temporary_files(out)


def test_no_usable_game(tmp_path: Path, sources: Sources) -> None:
    out = tmp_path / "games.data"
    message = failed(run("import-games", sources.folder / "small9.sgf", sources.folder / "truncated.sgf",
                         "--out", out, "-q"))
    assert "no usable game" in message
    assert "not 19x19" in message
    assert not out.exists()
    assert not temporary_files(out)


def test_an_empty_folder_has_no_sgf_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = tmp_path / "games.data"
    message = failed(run("import-games", tmp_path / "empty", "--out", out, "-q"))
    assert "no SGF files found in" in message and "empty" in message
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "empty"]
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    assert "(1 other files ignored)" in failed(run("import-games", tmp_path / "empty", "--out", out, "-q"))


def test_a_file_without_a_game_is_counted_and_named(tmp_path: Path, sources: Sources) -> None:
    (sources.folder / "blank.sgf").write_text("no game here, just text\n")
    many = [sources.folder / f"nine{i}.sgf" for i in range(5)]
    for path in many:
        path.write_text(NINE_BY_NINE)
    result = ok(run("import-games", sources.folder, "--out", tmp_path / "g.data", "-q"))
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    blank = next(line for line in lines if line.startswith("no game in the file 1"))
    assert blank.endswith("blank.sgf")
    nine = next(line for line in lines if line.startswith("not 19x19 6"))
    assert nine.endswith("and 3 more")  # three names, then a count
    message = failed(run("import-games", sources.folder / "small9.sgf", "--out", tmp_path / "h.data", "-q"))
    assert "skipped: 1 not 19x19" in message and "{" not in message


def test_output_in_a_missing_folder_is_a_clean_error(tmp_path: Path, sources: Sources) -> None:
    # GamesWriter's RuntimeError ("...games.data.tmp.<random>: cannot open: No such file
    # or directory") is not caught by import_games_command: a traceback.
    out = tmp_path / "no-such-folder" / "games.data"
    assert "no-such-folder" in failed(run("import-games", sources.gz, "--out", out, "-q"))
    assert not out.exists()


def test_sources_are_required(tmp_path: Path) -> None:
    result = run("import-games", "--out", tmp_path / "games.data")
    assert result.exit_code == 2  # click usage error
    assert "SOURCES" in result.output


# ---------------------------------------------------------------- info


def test_info(tmp_path: Path) -> None:
    games = make_random_games(4, seed=32, min_moves=40, max_moves=80)
    path = write_binary_games(tmp_path / "games.data", games)
    text = ok(run("info", path)).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "format binary" in lines
    assert "games 4" in lines
    assert f"moves {sum(len(g) for g in games):,}" in lines
    assert f"positions {sum(g.num_positions for g in games):,}" in lines


def test_info_on_the_original_text_format(tmp_path: Path) -> None:
    games = make_random_games(3, seed=33, min_moves=40, max_moves=80)
    path = tmp_path / "games.data"
    golois.write_text_games(str(path), games)
    text = ok(run("info", path)).stdout
    assert "text" in text.splitlines()[0]
    assert f"moves      {sum(len(g) for g in games):,}" in text


def test_info_on_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "games.data"
    path.write_bytes(b"GOLOISG1" + bytes(range(40)))
    assert "games.data" in failed(run("info", path))


def test_info_on_a_file_that_is_not_text(tmp_path: Path) -> None:
    # Not a binary games file, so read as the text format; the reader's error
    # quotes raw bytes and surfaces as UnicodeDecodeError, which `info` does
    # not catch (only RuntimeError): a traceback instead of "Error: ...".
    path = tmp_path / "model.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n\xff\xfe" + bytes(range(256)))
    assert "model.h5" in failed(run("info", path))


def test_info_on_a_missing_file(tmp_path: Path) -> None:
    result = run("info", tmp_path / "missing.data")
    assert result.exit_code == 2
    assert "missing.data" in result.output


# ---------------------------------------------------------------- bench


def bench_file(folder: Path) -> Path:
    games = make_random_games(4, seed=34, min_moves=40, max_moves=80)
    return write_binary_games(folder / "games.data", games)


def test_bench_batch_json(tmp_path: Path) -> None:
    path = bench_file(tmp_path)
    result = ok(run("bench", "batch", "--games", path, "-n", "200", "--repeat", "1", "--json"))
    report = json.loads(result.stdout)
    assert report["samples_per_second"] > 0
    assert isinstance(report["threads"], int) and report["threads"] >= 1
    assert report["baseline"]["samples_per_second"] > 0
    assert report["speedup"] > 0
    assert report["games"] == 4
    assert report["batch"] == 200


def test_bench_batch_text_report(tmp_path: Path) -> None:
    path = bench_file(tmp_path)
    text = ok(run("bench", "batch", "--games", path, "-n", "100", "--repeat", "1", "--threads", "1")).stdout
    assert "samples/s" in text and "baseline" in text and "speedup" in text


def test_bench_batch_refuses_zero_samples(tmp_path: Path) -> None:
    path = bench_file(tmp_path)
    assert run("bench", "batch", "--games", path, "-n", "0").exit_code != 0


# ---------------------------------------------------------------- the installed script


def test_console_script_help() -> None:
    done = subprocess.run([golois_script(), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in ("import-games", "info", "bench"):
        assert command in done.stdout


def test_import_games_help_lists_the_options() -> None:
    text = ok(run("import-games", "--help")).stdout
    for option in ("--out", "--force", "--quiet", "--json"):
        assert option in text


def test_bz2_is_really_used(sources: Sources) -> None:
    # Guard for the fixture itself: the .tar.bz2 is bzip2 data.
    assert bz2.decompress(sources.tar.read_bytes())[:1]
