"""Tests for golois.sgf_sources: finding, unpacking and decoding SGF sources."""

import gzip
import io
import os
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from golois.sgf_sources import (
    NESTED_ARCHIVE,
    NOT_SGF_FILE,
    SgfDocument,
    SgfEncodingError,
    SourceError,
    decode_sgf_bytes,
    iter_sgf_documents,
    total_input_bytes,
)

GAME = "(;GM[1]FF[4]SZ[19]PB[Black]PW[White];B[pd];W[dp])"
REAL_GAMES_ZIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "ai-games.zip"  # beside the repository


def game(player: str = "Black", charset: str | None = None) -> str:
    ca = f"CA[{charset}]" if charset else ""
    return f"(;GM[1]FF[4]{ca}SZ[19]PB[{player}]BR[9段]PW[White];B[pd];W[dp])"


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_tar(path: Path, mode: str, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if name.endswith("/"):
                info.type = tarfile.DIRTYPE
            else:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def read_all(*sources: Path, ignored: Counter[str] | None = None) -> list[SgfDocument]:
    return list(iter_sgf_documents(list(sources), ignored=ignored))


def texts(documents: list[SgfDocument]) -> dict[str, str | None]:
    return {document.name: document.text for document in documents}


# --- Kinds of sources -----------------------------------------------------------


@pytest.mark.parametrize("file_name", ["a.sgf", "A.SGF", "b.Sgf", "games.sgfs"])
def test_reads_plain_sgf_files_whatever_the_case_of_the_extension(tmp_path: Path, file_name: str) -> None:
    path = write(tmp_path / file_name, GAME.encode())
    assert read_all(path) == [SgfDocument(str(path), GAME, None)]


def test_sgfs_file_is_passed_on_whole_with_one_game_per_line(tmp_path: Path) -> None:
    lines = GAME + "\n" + GAME.replace("pd", "dd") + "\n"
    path = write(tmp_path / "selfplay.sgfs", lines.encode())
    assert [document.text for document in read_all(path)] == [lines]


@pytest.mark.parametrize("file_name", ["month.sgf.gz", "MONTH.SGF.GZ", "a.sgfs.gz"])
def test_reads_gzipped_sgf_collections(tmp_path: Path, file_name: str) -> None:
    collection = GAME * 3
    path = write(tmp_path / file_name, gzip.compress(collection.encode()))
    assert read_all(path) == [SgfDocument(str(path), collection, None)]


def test_folder_is_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    root = tmp_path / "games"
    write(root / "b.sgf", b"(;C[b])")
    write(root / "a" / "sub" / "deep.SGF", b"(;C[deep])")
    write(root / "a" / "z.sgf.gz", gzip.compress(b"(;C[z])"))
    write(root / "a" / "notes.txt", b"not a game")
    write(root / "README", b"no extension")
    make_zip(root / "c" / "more.zip", {"m.sgf": b"(;C[m])"})
    ignored: Counter[str] = Counter()

    documents = read_all(root, ignored=ignored)

    # A folder's own files come before its subfolders, each in sorted order.
    assert [(document.name, document.text) for document in documents] == [
        (str(root / "b.sgf"), "(;C[b])"),
        (str(root / "a" / "z.sgf.gz"), "(;C[z])"),
        (str(root / "a" / "sub" / "deep.SGF"), "(;C[deep])"),
        (f"{root / 'c' / 'more.zip'}:m.sgf", "(;C[m])"),
    ]
    assert ignored == Counter({NOT_SGF_FILE: 2})


def test_zip_members_are_read_and_other_members_counted(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "games.zip",
        {
            "AI/": b"",
            "AI/Leela/x.sgf": b"(;C[x])",
            "AI/Leela/Y.SGF": b"(;C[y])",
            "AI/packed.sgf.gz": gzip.compress(b"(;C[packed])"),
            "AI/kifu/2017-07": b"kifu lines",
            "AI/list.index": b"index",
            "AI/inner.zip": b"PK",
        },
    )
    ignored: Counter[str] = Counter()

    documents = read_all(path, ignored=ignored)

    assert texts(documents) == {
        f"{path}:AI/Leela/x.sgf": "(;C[x])",
        f"{path}:AI/Leela/Y.SGF": "(;C[y])",
        f"{path}:AI/packed.sgf.gz": "(;C[packed])",
    }
    assert ignored == Counter({NOT_SGF_FILE: 2, NESTED_ARCHIVE: 1})


@pytest.mark.parametrize(
    ("file_name", "mode"),
    [
        ("games.tar", "w"),
        ("games.tar.gz", "w:gz"),
        ("games.tgz", "w:gz"),
        ("games.tar.bz2", "w:bz2"),
        ("games.TBZ2", "w:bz2"),
    ],
)
def test_tar_members_are_read_and_other_members_counted(tmp_path: Path, file_name: str, mode: str) -> None:
    path = make_tar(
        tmp_path / file_name,
        mode,
        {
            "2011-01/": b"",
            "2011-01/1.sgf": b"(;C[1])",
            "2011-01/2.SGF": b"(;C[2])",
            "2011-01/all.sgf.gz": gzip.compress(b"(;C[all])"),
            "2011-01/readme.txt": b"text",
        },
    )
    ignored: Counter[str] = Counter()

    documents = read_all(path, ignored=ignored)

    assert texts(documents) == {
        f"{path}:2011-01/1.sgf": "(;C[1])",
        f"{path}:2011-01/2.SGF": "(;C[2])",
        f"{path}:2011-01/all.sgf.gz": "(;C[all])",
    }
    assert ignored == Counter({NOT_SGF_FILE: 1})


def test_non_ascii_file_names_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "棋譜" / "神的血脉 vs CGI (65495949).SGF", GAME.encode())
    assert read_all(tmp_path) == [SgfDocument(str(path), GAME, None)]


def test_undecodable_file_name_gives_a_printable_name(tmp_path: Path) -> None:
    gbk_name = "围棋.sgf".encode("gbk")
    with open(os.path.join(os.fsencode(tmp_path), gbk_name), "wb") as file:
        file.write(GAME.encode())

    [document] = read_all(tmp_path)

    assert document.text == GAME
    document.name.encode("utf-8")  # must not raise on lone surrogates
    assert document.name.endswith(".sgf")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_zip_member_names_without_utf8_flag_are_decoded(tmp_path: Path, encoding: str) -> None:
    # zipfile always flags non-ASCII names as UTF-8, so patch an ASCII
    # placeholder of the same length, as Windows tools write them, in the bytes.
    real_name = "围棋".encode(encoding)
    placeholder = b"X" * len(real_name)
    archive = make_zip(tmp_path / "g.zip", {f"AI/{placeholder.decode()}.sgf": GAME.encode()})
    path = write(archive, archive.read_bytes().replace(placeholder, real_name))

    assert texts(read_all(path)) == {f"{path}:AI/围棋.sgf": GAME}


# --- Decoding -------------------------------------------------------------------


def test_gbk_trail_bytes_equal_to_bracket_or_backslash_stay_inside_the_name() -> None:
    name = "李誠揮"
    encoded = game(name, "GB2312").encode("gbk")
    assert "誠".encode("gbk") == b"\xd5\\" and "揮".encode("gbk") == b"\x93]"

    assert decode_sgf_bytes(encoded) == game(name, "GB2312")
    assert decode_sgf_bytes(game(name).encode("gbk")) == game(name)


def test_gbk_bytes_under_a_wrong_utf8_declaration_decode_as_gb18030() -> None:
    text = game("柯洁誠", "UTF-8")
    assert decode_sgf_bytes(text.encode("gbk")) == text


@pytest.mark.parametrize(
    ("charset", "encoding", "player", "tricky_bytes"),
    [
        ("EUC-KR", "euc-kr", "이세돌", None),
        ("Shift_JIS", "shift_jis", "表ソ", b"\x95\\"),
        ("SJIS", "shift_jis", "本因坊", None),
        ("Big5", "big5", "許功", b"\xb3\\"),
    ],
)
def test_declared_legacy_charsets(
    charset: str, encoding: str, player: str, tricky_bytes: bytes | None
) -> None:
    text = game(player, charset)
    encoded = text.encode(encoding)
    assert tricky_bytes is None or tricky_bytes in encoded

    assert decode_sgf_bytes(encoded) == text


def test_declared_latin1() -> None:
    text = "(;CA[ISO-8859-1]PB[Müller]PW[Sánchez])"
    assert decode_sgf_bytes(text.encode("latin-1")) == text


def test_valid_utf8_wins_over_a_stale_declaration() -> None:
    text = game("柯洁", "GB2312")
    assert decode_sgf_bytes(text.encode("utf-8")) == text


def test_utf8_byte_order_mark_is_stripped() -> None:
    text = game("柯洁", "UTF-8")
    assert decode_sgf_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def test_utf16_with_byte_order_mark() -> None:
    text = game("柯洁")
    assert decode_sgf_bytes(text.encode("utf-16")) == text


def test_pure_ascii_without_declaration() -> None:
    assert decode_sgf_bytes(GAME.encode("ascii")) == GAME


def test_utf8_cut_inside_a_character_keeps_the_tree_structure() -> None:
    # As in real files whose names were truncated to a byte length.
    data = "(;CA[UTF-8]PW[东方明".encode() + "珏".encode()[:2] + b"]WR[9d])"
    assert "]WR[9d]" not in data.decode("gb18030")  # why GB18030 must not win

    assert decode_sgf_bytes(data) == "(;CA[UTF-8]PW[东方明\ufffd]WR[9d])"


def test_latin1_is_the_last_resort_for_text() -> None:
    assert decode_sgf_bytes(b"(;PW[Jos\xe9 \xff])") == "(;PW[José ÿ])"


def test_binary_data_is_an_encoding_error() -> None:
    with pytest.raises(SgfEncodingError):
        decode_sgf_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x80")
    assert issubclass(SgfEncodingError, ValueError)


# --- Damaged content ------------------------------------------------------------


def test_damaged_sources_yield_errors_and_the_import_goes_on(tmp_path: Path) -> None:
    sgf_gz = gzip.compress((GAME * 50).encode())
    truncated_gz = write(tmp_path / "1.sgf.gz", sgf_gz[: len(sgf_gz) // 2])
    bad_crc_gz = write(tmp_path / "2.sgf.gz", sgf_gz[:-8] + b"\0\0\0\0" + sgf_gz[-4:])
    not_a_zip = write(tmp_path / "3.zip", b"this is not a zip archive" * 10)
    binary_sgf = write(tmp_path / "4.sgf", b"\x00\x01\x02\xff\xfe\x80")
    good = write(tmp_path / "5.sgf", GAME.encode())

    documents = read_all(truncated_gz, bad_crc_gz, not_a_zip, binary_sgf, good)

    assert [(document.name, document.error) for document in documents] == [
        (str(truncated_gz), "corrupt gzip data"),
        (str(bad_crc_gz), "corrupt gzip data"),
        (str(not_a_zip), "corrupt zip archive"),
        (str(binary_sgf), "unreadable encoding"),
        (str(good), None),
    ]
    assert all(document.text is None for document in documents[:-1])


def test_zip_member_with_bad_crc_does_not_stop_the_archive(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.sgf", "(;C[aaaa])")
        archive.writestr("b.sgf", "(;C[bbbb])")
    path = write(tmp_path / "g.zip", buffer.getvalue().replace(b"aaaa", b"abab"))

    documents = read_all(path)

    assert [(d.name, d.text, d.error) for d in documents] == [
        (f"{path}:a.sgf", None, "unreadable zip member"),
        (f"{path}:b.sgf", "(;C[bbbb])", None),
    ]


def test_truncated_tar_keeps_the_members_before_the_damage(tmp_path: Path) -> None:
    members = {f"{index:02}.sgf": f"(;C[{index}])".encode() * 200 for index in range(20)}
    archive = make_tar(tmp_path / "full.tar", "w", members).read_bytes()
    # Cut inside a member: a cut exactly between members looks like a normal end.
    path = write(tmp_path / "cut.tar", archive[: len(archive) // 2 + 700])

    documents = read_all(path)

    assert 0 < len(documents) < len(members)
    assert all(document.error is None for document in documents[:-1])
    assert documents[-1] == SgfDocument(str(path), None, "corrupt tar archive")


# --- Progress and errors --------------------------------------------------------


def test_reported_bytes_add_up_to_the_total(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    write(folder / "a.sgf", GAME.encode())
    write(folder / "skip.txt", b"x" * 1000)
    big_members = {f"{index}.sgf": os.urandom(5000) for index in range(10)}
    sources = [
        folder,
        make_zip(tmp_path / "z.zip", big_members | {"x.index": b"i"}),
        make_tar(tmp_path / "t.tar.gz", "w:gz", big_members),
        make_tar(tmp_path / "t.tar.bz2", "w:bz2", big_members),
        write(tmp_path / "g.sgf.gz", gzip.compress(GAME.encode())),
        write(tmp_path / "bad.zip", b"garbage"),
    ]
    calls: list[int] = []

    for _ in iter_sgf_documents(sources, on_bytes=calls.append):
        pass

    on_disk = sum(path.stat().st_size for path in sources if path.is_file())
    assert total_input_bytes(sources) == on_disk + len(GAME.encode())
    assert sum(calls) == total_input_bytes(sources)
    assert all(count > 0 for count in calls)
    assert len(calls) > len(sources)  # archives report while they are read


def test_missing_source_raises_before_anything_is_read(tmp_path: Path) -> None:
    good = write(tmp_path / "a.sgf", GAME.encode())
    missing = tmp_path / "missing.sgf"

    with pytest.raises(SourceError, match="missing.sgf: not found"):
        next(iter_sgf_documents([good, missing]))
    with pytest.raises(SourceError, match="missing.sgf: not found"):
        total_input_bytes([good, missing])


def test_a_single_path_instead_of_a_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="sequence of paths"):
        total_input_bytes(str(tmp_path))


def test_unsupported_source_file_raises(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.txt", GAME.encode())
    with pytest.raises(SourceError, match="notes.txt: not a supported kind"):
        total_input_bytes([notes])


def test_real_ai_games_archive_decodes() -> None:
    if not REAL_GAMES_ZIP.exists():
        pytest.skip(f"{REAL_GAMES_ZIP} is not on this machine")
    documents = list(iter_sgf_documents([REAL_GAMES_ZIP]))
    decoded = [document.text for document in documents if document.text is not None]
    assert len(decoded) > 0.95 * len(documents)
    assert all("(;" in text for text in decoded)
