"""Bad input never crashes the interpreter and never raises anything but a
clean Python exception: damaged SGF text, garbage and truncated games files.

Inputs that could take the interpreter down (deep recursion) run in a
subprocess, so that a crash fails one test instead of the whole session.
"""

from __future__ import annotations

import contextlib
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import game_to_sgf, make_random_games, write_binary_games

import golois

CLEAN_ERRORS = (RuntimeError, ValueError, IndexError)

SKIP_REASONS = {
    "truncated SGF", "SGF syntax error", "bad coordinates", "no moves", "no result", "not 19x19", "bad komi",
    "not a Go game", "illegal move", "setup stones mid-game", "game too long",
}


def valid_sgf_text() -> str:
    """A random game as SGF, with comments holding escapes and non-ASCII text."""
    game = make_random_games(1, seed=41, min_moves=60, max_moves=80)[0]
    text = game_to_sgf(game)
    return text.replace("]", "]C[a comment with \\] and \\\\ and é 黑]", 3)


def check_parsed(text: str) -> list[golois.SgfGame]:
    parsed = golois.parse_sgf(text)
    assert isinstance(parsed, list)
    for item in parsed:
        if item.ok:
            assert item.skip_reason == ""
            assert len(item.game) > 0
            assert item.game.replay_error() == ""
        else:
            assert item.skip_reason in SKIP_REASONS, item.skip_reason
    return parsed


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A few random byte changes: replaced, inserted (often SGF syntax), deleted; sometimes cut."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 10)):
        i = rng.randrange(len(out))
        op = rng.random()
        if op < 0.4:
            out[i] = rng.randrange(256)
        elif op < 0.6:
            out.insert(i, rng.choice(b"()[];\\\n"))
        elif op < 0.8:
            del out[i]
        else:
            out[i] = rng.choice(b"()[];\\")
    if rng.random() < 0.2:
        out = out[: rng.randrange(len(out))]
    return bytes(out)


# ---------------------------------------------------------------- SGF


def test_valid_text_parses() -> None:
    parsed = check_parsed(valid_sgf_text())
    assert len(parsed) == 1 and parsed[0].ok


def test_parse_sgf_on_mutated_text() -> None:
    rng = random.Random(2024)
    data = valid_sgf_text().encode()
    reasons = set()
    for _ in range(300):
        for item in check_parsed(mutate(data, rng).decode("utf-8", errors="replace")):
            reasons.add(item.skip_reason)
    assert len(reasons) >= 4, reasons  # the mutations do reach several code paths


def test_parse_sgf_on_random_garbage() -> None:
    rng = random.Random(7)
    alphabet = "()[];\\:BWABAWSZKMRE+-.0123456789abcdefghijklmnopqrst \n\t\r\x00é黑白\ufffd"
    for _ in range(300):
        check_parsed("".join(rng.choice(alphabet) for _ in range(rng.randrange(200))))


EDGE_CASES = {
    "empty": "", "open": "(", "close": ")", "open-node": "(;", "open-value": "(;B[",
    "escape-at-end": "(;B[aa]\\", "unclosed-value": "(;B[aa", "tree-in-tree": "((;))", "nodes-only": ";;;",
    "open-variation": "(;B[aa](;W[bb]", "backslashes": "\\" * 100, "closing-brackets": "]" * 100,
    "opening-brackets": "[" * 100, "nul": "\x00" * 10,
    "same-point": "(;B[aa];W[aa])", "passes": "(;SZ[19:19]RE[B+1];B[tt];W[])",
    "setup-rectangle": "(;AB[aa:ss]RE[W+R];W[tt])", "reversed-rectangle": "(;AB[ss:aa]RE[W+R];W[jj])",
    "two-moves-in-a-node": "(;B[aa]B[bb]RE[W+R])", "komi-nan": "(;KM[nan]RE[W+R];B[aa])",
    "komi-overflow": "(;KM[1e999]RE[W+R];B[aa])", "long-value": "(;RE[W+R];B[" + "a" * 100000 + "])",
    "odd-backslashes": "(;C[" + "\\" * 100001 + "])", "long-game": "(;RE[W+R]" + ";B[aa];W[bb]" * 20000 + ")",
}


@pytest.mark.parametrize("text", list(EDGE_CASES.values()), ids=list(EDGE_CASES))
def test_parse_sgf_on_edge_cases(text: str) -> None:
    check_parsed(text)


def test_moderately_nested_variations_in_process() -> None:
    depth = 2000
    parsed = check_parsed("(;RE[W+R]" + "(;B[aa]" * depth + ")" * depth + ")")
    assert len(parsed) == 1


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_many_open_parentheses_do_not_crash() -> None:
    done = run_python("import golois; r = golois.parse_sgf('(' * 10000); "
                      "assert all(not g.ok for g in r), r")
    assert done.returncode == 0, f"return code {done.returncode}: {done.stderr[-2000:]}"


def test_deeply_nested_variations_do_not_crash() -> None:
    # "(;(;(;..." makes Parser::tree (src/sgf.cpp) recurse once per level: at
    # some 40,000 levels (a 80 kB text) it overflows the 8 MB stack and the
    # interpreter dies with SIGSEGV (return code -11), e.g. in import-games.
    done = run_python("import golois; r = golois.parse_sgf('(;' * 100000); "
                      "assert len(r) == 1 and not r[0].ok, r")
    assert done.returncode == 0, f"return code {done.returncode} (-11: SIGSEGV): {done.stderr[-2000:]}"


def test_deeply_nested_closed_variations_do_not_crash() -> None:
    done = run_python("import golois; n = 100000; "
                      "r = golois.parse_sgf('(;RE[W+R]' + '(;B[aa]' * n + ')' * n + ')'); "
                      "assert len(r) == 1, r")
    assert done.returncode == 0, f"return code {done.returncode} (-11: SIGSEGV): {done.stderr[-2000:]}"


@pytest.mark.parametrize("text", [
    "(;RE[W+R];B[aaaaaaa€])",            # the detail quotes 8 bytes of the value: cut inside "€"
    "(;KM[123456789012345€]RE[W+R];B[aa])",  # 16 bytes of the komi: cut inside "€"
    "(;GM[€]RE[W+R];B[aa])",
])
def test_skip_detail_is_always_text(text: str) -> None:
    # SgfGame.detail quotes the start of the bad value, cut at a byte count
    # (src/sgf.cpp parse_point: v.substr(0, 8); KM: v.substr(0, 16)); a cut
    # inside a UTF-8 character makes reading .detail raise UnicodeDecodeError.
    (item,) = golois.parse_sgf(text)
    assert not item.ok
    assert isinstance(item.detail, str)


# ---------------------------------------------------------------- binary games files


@pytest.fixture(scope="module")
def small_binary(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    games = make_random_games(3, seed=42, min_moves=15, max_moves=25)
    games.append(golois.Game(komi=6.5, result="B", setup=[(60, golois.BLACK)],
                             moves=[(72, golois.WHITE, 0.25, -1.5), (288, golois.BLACK, 0.5, 2.0)]))
    return write_binary_games(tmp_path_factory.mktemp("bin") / "games.data", games).read_bytes()


def load_everything(path: Path) -> None:
    """Every way to read a games file; each must succeed or raise a clean error."""
    for read in (lambda: golois.read_games(str(path)), lambda: golois.Dataset(path),
                 lambda: [golois.GamesFile(str(path))[i] for i in range(len(golois.GamesFile(str(path))))]):
        with contextlib.suppress(*CLEAN_ERRORS):
            read()


def test_magic_header_followed_by_garbage(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "games.data"
    for _ in range(200):
        path.write_bytes(b"GOLOISG1" + rng.randbytes(rng.randrange(300)))
        with pytest.raises(CLEAN_ERRORS):
            golois.GamesFile(str(path))
        with pytest.raises(CLEAN_ERRORS):
            golois.read_games(str(path))


def test_valid_header_followed_by_garbage(tmp_path: Path) -> None:
    # Past the header checks: random game counts and index offsets into random data.
    rng = random.Random(4)
    path = tmp_path / "games.data"
    for _ in range(300):
        body = rng.randbytes(rng.randrange(400))
        size = 32 + len(body)
        games = rng.choice([0, 1, 2, rng.randrange(1 << 20), (1 << 64) - 1])
        offset = rng.choice([32, rng.randrange(size + 1), size, (1 << 64) - 1])
        path.write_bytes(b"GOLOISG1" + struct.pack("<IIQQ", 1, 0, games, offset) + body)
        load_everything(path)


def test_mutated_binary_file(tmp_path: Path, small_binary: bytes) -> None:
    rng = random.Random(5)
    path = tmp_path / "games.data"
    for _ in range(300):
        data = bytearray(small_binary)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(8, len(data))] = rng.randrange(256)  # the magic stays: binary reader
        path.write_bytes(bytes(data))
        load_everything(path)


def test_every_truncation_of_a_binary_file(tmp_path: Path, small_binary: bytes) -> None:
    path = tmp_path / "games.data"
    for size in range(len(small_binary)):
        path.write_bytes(small_binary[:size])
        with pytest.raises(RuntimeError):
            golois.read_games(str(path))
        with pytest.raises(RuntimeError):
            golois.Dataset(path)
        if size >= 8:
            with pytest.raises(RuntimeError):
                golois.GamesFile(str(path))
    path.write_bytes(small_binary)
    assert len(golois.read_games(str(path))) == 4


def test_games_file_of_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="missing.data"):
        golois.GamesFile(str(tmp_path / "missing.data"))
    with pytest.raises(RuntimeError, match="missing.data"):
        golois.read_games(str(tmp_path / "missing.data"))


def test_games_writer_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no-such-folder"):
        golois.GamesWriter(str(tmp_path / "no-such-folder" / "games.data"))


# ---------------------------------------------------------------- text games files


def test_ascii_garbage_as_a_text_games_file(tmp_path: Path) -> None:
    rng = random.Random(6)
    path = tmp_path / "games.data"
    for _ in range(200):
        path.write_text("".join(rng.choice("0123456789 -.\nenaix") for _ in range(rng.randrange(120))))
        load_everything(path)


@pytest.mark.parametrize("content", [
    b"\xff\xfe\x00garbage",                        # e.g. a UTF-16 file or any binary file
    b"2\n7.5 0 2 72 1 \xe9 0 288 0 1 0\n",         # one Latin-1 byte in a value
    b"1\n7.5 0 1 72 1 aaaaaaaaaaaaaaaaaaa\xc3\xa9 0\n",  # valid UTF-8, but the quote cuts "\xc3\xa9"
])
def test_non_utf8_bytes_in_a_text_games_file(tmp_path: Path, content: bytes) -> None:
    # The reader's error quotes up to 20 raw bytes of the bad token; pybind11
    # then fails to decode the message and raises UnicodeDecodeError (with no
    # file name) instead of the RuntimeError naming the file. `golois info`
    # catches only RuntimeError and shows a traceback.
    path = tmp_path / "games.data"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match="games.data"):
        golois.read_games(str(path))
    with pytest.raises(RuntimeError, match="games.data"):
        golois.Dataset(path)


def test_huge_counts_in_a_text_games_file(tmp_path: Path) -> None:
    path = tmp_path / "games.data"
    for content in ("9223372036854775807\n7.5 0 1 72 1 1 0\n", "1\n7.5 0 2147483647 72 1 1 0\n",
                    "1\n7.5 0 99999999999999999999 72 1 1 0\n", "1\nnan 0 1 72 1 nan 0\n"):
        path.write_text(content)
        load_everything(path)


# ---------------------------------------------------------------- constructors


@pytest.mark.parametrize("kwargs", [
    {"moves": [(400, golois.BLACK)]}, {"moves": [(-1, golois.BLACK)]}, {"moves": [(3, 3)]},
    {"moves": [(3,)]}, {"moves": [(3, golois.BLACK, 0.5, 1.0, 9)]}, {"result": "X"},
    {"setup": [(golois.PASS, golois.BLACK)]}, {"moves": [("a", golois.BLACK)]},
])
def test_bad_game_records_are_refused(kwargs: dict) -> None:
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        golois.Game(**kwargs)
