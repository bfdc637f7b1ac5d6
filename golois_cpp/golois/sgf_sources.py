"""Turn the sources given to ``golois import-games`` into decoded SGF texts.

A source is an SGF file (``.sgf``, ``.sgfs``, optionally gzipped), a folder, or a
zip/tar archive of such files. Every SGF file or archive member becomes one
:class:`SgfDocument`; a file may hold a whole collection of games, which the SGF
parser splits. Bad content (corrupt archives, undecodable bytes) never stops an
import: it becomes a document with ``text=None`` and a short reason.
"""

import codecs
import enum
import gzip
import os
import re
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from golois.errors import GoloisError

# Keys of the ``ignored`` counter of iter_sgf_documents.
NOT_SGF_FILE = "not an SGF file"
NESTED_ARCHIVE = "archive inside an archive"


@dataclass(frozen=True)
class SgfDocument:
    """One SGF file or archive member: its decoded text, or why it has none."""

    name: str
    text: str | None
    error: str | None


class SourceError(GoloisError):
    """A source path that does not exist or is not a kind of source we read."""


class SgfEncodingError(GoloisError, ValueError):
    """No text encoding fits the bytes of an SGF file."""


# --- Decoding -------------------------------------------------------------------

# Python codec for the CA[] values met in practice. The GB, Korean, Japanese and
# Chinese-traditional names map to the codec's superset: writers that declare
# the base charset routinely emit characters only the superset has.
_CHARSET_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "gb18030": "gb18030",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "euc-kr": "cp949",
    "cp949": "cp949",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "cp932": "cp932",
    "big5": "cp950",
    "cp950": "cp950",
}

# CA is a root property; the lookbehind keeps e.g. "XCA[" from matching.
_CA_PROPERTY = re.compile(rb"(?<![A-Z])CA\s*\[\s*([A-Za-z0-9_.:-]{1,40})\s*\]")

# Legacy multi-byte codecs guessed, in this order, when neither UTF-8 nor the
# declared charset fits. GB first: Chinese programs are the usual source. The
# others are the strict base charsets, not the Windows supersets: cp932 for
# one accepts almost any byte string, which would rarely be a right guess.
_LEGACY_CJK_CODECS = ("gb18030", "euc-kr", "shift_jis", "big5")


def decode_sgf_bytes(data: bytes) -> str:
    """Decode the raw bytes of an SGF file, guessing the encoding when needed.

    Order: a UTF-16 BOM; strict UTF-8 (after any UTF-8 BOM); the CA[] charset,
    strict. Then, for data without NUL bytes, guesses: UTF-8 with replacement
    when most non-ASCII bytes are valid UTF-8; strict GB18030, EUC-KR,
    Shift-JIS, Big5; Latin-1. Raises SgfEncodingError when none fits.
    """
    data = data.removeprefix(codecs.BOM_UTF8)
    # No SGF text holds NUL: guessing would turn binary junk (or UTF-16 without
    # a BOM) into nonsense text instead of reporting it.
    guesses = () if b"\x00" in data else _GUESSES
    for attempt in (*_EXPECTED_ENCODINGS, *guesses):
        text = attempt(data)
        if text is not None:
            return text
    raise SgfEncodingError("no text encoding fits these bytes")


def _decode_strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    # LookupError: a CA[] value naming a codec Python lacks, or a non-text codec.
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_utf16_with_bom(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_strict(data, "utf-16")
    return None


def _decode_utf8(data: bytes) -> str | None:
    return _decode_strict(data, "utf-8")


def _decode_declared(data: bytes) -> str | None:
    match = _CA_PROPERTY.search(data)
    if match is None:
        return None
    charset = match.group(1).decode("ascii").lower().replace("_", "-")
    return _decode_strict(data, _CHARSET_ALIASES.get(charset, charset))


def _decode_mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with U+FFFD for broken sequences, if most non-ASCII text is UTF-8.

    Real files hold UTF-8 whose names were cut in the middle of a character.
    Such bytes often happen to be valid GB18030, which would then pair a lead
    byte with a following "]" or "\\" and wreck the SGF structure. UTF-8 never
    uses ASCII bytes inside a character, so a replacing UTF-8 decode keeps every
    "]" and "\\" where it was.
    """
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return text if non_ascii - broken > broken else None


def _decode_legacy_cjk(data: bytes) -> str | None:
    for codec in _LEGACY_CJK_CODECS:
        text = _decode_strict(data, codec)
        if text is not None:
            return text
    return None


def _decode_latin1(data: bytes) -> str:
    # Last resort, and a safe one: GBK, Shift-JIS and Big5 trail bytes may be
    # 0x5C "\" or 0x5D "]", so a wrong multi-byte codec (or a replacing decode
    # that swallows a byte after a bad lead byte) can move or hide the SGF
    # structure characters. Latin-1 maps every byte to one character, so the
    # tree reads exactly as the bytes say; only non-ASCII text is garbled.
    return data.decode("latin-1")


# UTF-8 comes before the declared charset: valid UTF-8 with non-ASCII bytes is
# almost never an accident, while CA[] is often stale (files converted to UTF-8
# keep their old CA[GB2312]). A wrong UTF-8 guess also cannot hurt the tree
# structure, unlike a wrong multi-byte guess (see _decode_mostly_utf8).
_EXPECTED_ENCODINGS: tuple[Callable[[bytes], str | None], ...] = (
    _decode_utf16_with_bom,
    _decode_utf8,
    _decode_declared,
)
_GUESSES: tuple[Callable[[bytes], str | None], ...] = (
    _decode_mostly_utf8,
    _decode_legacy_cjk,
    _decode_latin1,
)


def _document(name: str, data: bytes) -> SgfDocument:
    try:
        return SgfDocument(name, decode_sgf_bytes(data), None)
    except SgfEncodingError:
        return SgfDocument(name, None, "unreadable encoding")


def _gzip_document(name: str, compressed: bytes) -> SgfDocument:
    try:
        data = gzip.decompress(compressed)
    # BadGzipFile is an OSError; truncation raises EOFError; bad deflate data zlib.error.
    except (OSError, EOFError, zlib.error):
        return SgfDocument(name, None, "corrupt gzip data")
    return _document(name, data)


# --- Finding the files ----------------------------------------------------------


class _Kind(enum.Enum):
    SGF = enum.auto()
    SGF_GZ = enum.auto()
    ZIP = enum.auto()
    TAR = enum.auto()


_SUFFIXES = {
    _Kind.SGF: (".sgf", ".sgfs"),
    _Kind.SGF_GZ: (".sgf.gz", ".sgfs.gz"),
    _Kind.ZIP: (".zip",),
    _Kind.TAR: (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2"),
}
_ARCHIVE_KINDS = (_Kind.ZIP, _Kind.TAR)


def _kind_of(name: str) -> _Kind | None:
    lower = name.lower()
    for kind, suffixes in _SUFFIXES.items():
        if lower.endswith(suffixes):
            return kind
    return None


def sgf_source_hint(path: str | Path) -> str | None:
    """For a path that is an SGF file, folder or archive rather than a games file: what to run first."""
    path = Path(path)
    holds_sgf = path.is_dir() and any(_kind_of(name) for _, _, names in os.walk(path) for name in names)
    if holds_sgf or (path.is_file() and _kind_of(path.name) is not None):
        return (f"{path} holds SGF games, not a games file; make one first: "
                f"golois import-games {path} --out games.data")
    return None


@dataclass(frozen=True)
class _InputFile:
    path: Path
    kind: _Kind | None  # None: a file inside a folder that is not ours to read


def _expand(sources: Sequence[str | Path]) -> list[_InputFile]:
    """All files behind the sources, in reading order; checks every source first."""
    # A lone path is a Sequence too (of characters): refuse it rather than walk ".".
    if isinstance(sources, (str, os.PathLike)):
        raise TypeError("sources must be a sequence of paths, not a single path")
    files: list[_InputFile] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files.extend(_folder_files(path))
        elif path.is_file():
            files.append(_source_file(path))
        elif path.exists():
            raise SourceError(f"{path}: not a regular file or folder")
        else:
            raise SourceError(f"{path}: not found")
    return files


def _source_file(path: Path) -> _InputFile:
    kind = _kind_of(path.name)
    if kind is None:
        known = ", ".join(suffix for group in _SUFFIXES.values() for suffix in group)
        raise SourceError(f"{path}: not a supported kind of source (expected a folder or {known})")
    return _InputFile(path, kind)


def _folder_files(folder: Path) -> Iterator[_InputFile]:
    # os.walk rather than rglob: it does not follow symlinked folders into loops,
    # and sorting in place fixes the order on every file system.
    for root, folders, names in os.walk(folder):
        folders.sort()
        for name in sorted(names):
            path = Path(root, name)
            if path.is_file():
                yield _InputFile(path, _kind_of(name))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def total_input_bytes(sources: Sequence[str | Path]) -> int:
    """On-disk size of every file iter_sgf_documents will open.

    Raises SourceError for a source that does not exist or is not supported.
    """
    return sum(_size(item.path) for item in _expand(sources) if item.kind is not None)


# --- Reading --------------------------------------------------------------------


def _no_report(_: int) -> None:
    pass


class _Progress:
    """Reports the on-disk bytes of one file as they are consumed, exactly once."""

    def __init__(self, report: Callable[[int], None], size: int) -> None:
        self._report = report
        self._size = size
        self._done = 0

    def advance_to(self, position: int) -> None:
        # Positions are estimates for archives: clamp so the total never overshoots.
        position = min(position, self._size)
        if position > self._done:
            self._report(position - self._done)
            self._done = position

    def finish(self) -> None:
        self.advance_to(self._size)


class Ignored(Counter):
    """Files and members left out, counted by reason, with their names (`names[reason]`)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, list[str]] = {}

    def add(self, reason: str, name: str) -> None:
        """Counts one more; a name is listed once however many times in a row it is left out
        (several games of one file)."""
        self[reason] += 1
        names = self.names.setdefault(reason, [])
        if not names or names[-1] != name:
            names.append(name)


def _count(ignored: Counter[str] | None, reason: str, name: str) -> None:
    if isinstance(ignored, Ignored):
        ignored.add(reason, name)
    elif ignored is not None:
        ignored[reason] += 1


def _printable(name: str) -> str:
    # Undecodable bytes in file names arrive as lone surrogates, which would make
    # printing the name (or writing it as UTF-8) fail later on.
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _member_kind(name: str, ignored: Counter[str] | None) -> _Kind | None:
    """The kind of an archive member we read, or None after counting why not."""
    kind = _kind_of(name)
    if kind in _ARCHIVE_KINDS:
        _count(ignored, NESTED_ARCHIVE, _printable(name))
        return None
    if kind is None:
        _count(ignored, NOT_SGF_FILE, _printable(name))
    return kind


def _sgf_document(name: str, kind: _Kind, data: bytes) -> SgfDocument:
    """The document for the bytes of an SGF or gzipped SGF file."""
    return _gzip_document(name, data) if kind is _Kind.SGF_GZ else _document(name, data)


_ZIP_UTF8_NAME_FLAG = 0x800


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    # Without the UTF-8 flag zipfile decodes names as CP437, but the tools that
    # skip the flag usually wrote UTF-8 or, on Chinese Windows, GBK.
    if info.flag_bits & _ZIP_UTF8_NAME_FLAG:
        return info.filename
    raw = info.filename.encode("cp437")
    for codec in ("utf-8", "gb18030"):
        name = _decode_strict(raw, codec)
        if name is not None:
            return name
    return info.filename


# Corrupt or truncated data, encrypted members (RuntimeError), or features
# zipfile lacks (NotImplementedError: newer format versions, compression methods).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    zlib.error,
    RuntimeError,
    NotImplementedError,
)


def _read_zip(
    stream: BinaryIO, name: str, progress: _Progress, ignored: Counter[str] | None
) -> Iterator[SgfDocument]:
    try:
        archive = zipfile.ZipFile(stream)
    except _ZIP_ERRORS:
        yield SgfDocument(name, None, "corrupt zip archive")
        return
    with archive:
        for info in archive.infolist():
            progress.advance_to(info.header_offset)
            kind = None if info.is_dir() else _member_kind(info.filename, ignored)
            if kind is None:
                continue
            member_name = f"{name}:{_zip_member_name(info)}"
            try:
                data = archive.read(info)
            except _ZIP_ERRORS:
                yield SgfDocument(member_name, None, "unreadable zip member")
                continue
            yield _sgf_document(member_name, kind, data)


def _read_tar(
    stream: BinaryIO, name: str, progress: _Progress, ignored: Counter[str] | None
) -> Iterator[SgfDocument]:
    # Stream mode ("r|*") reads the archive once, front to back, which keeps
    # big compressed archives cheap and makes stream.tell() a progress measure.
    # A damaged stream cannot be resumed, so one error ends the archive.
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            for member in archive:
                progress.advance_to(stream.tell())
                kind = _member_kind(member.name, ignored) if member.isfile() else None
                if kind is None:
                    continue
                extracted = archive.extractfile(member)
                assert extracted is not None  # regular files always have contents
                yield _sgf_document(f"{name}:{_printable(member.name)}", kind, extracted.read())
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        yield SgfDocument(name, None, "corrupt tar archive")


def _file_documents(
    path: Path, kind: _Kind, progress: _Progress, ignored: Counter[str] | None
) -> Iterator[SgfDocument]:
    name = _printable(str(path))
    try:
        stream = path.open("rb")
    except OSError as error:
        yield SgfDocument(name, None, f"cannot open file: {error.strerror}")
        return
    with stream:
        if kind is _Kind.ZIP:
            yield from _read_zip(stream, name, progress, ignored)
        elif kind is _Kind.TAR:
            yield from _read_tar(stream, name, progress, ignored)
        else:
            yield _sgf_document(name, kind, stream.read())


def iter_sgf_documents(
    sources: Sequence[str | Path],
    on_bytes: Callable[[int], None] | None = None,
    ignored: Counter[str] | None = None,
) -> Iterator[SgfDocument]:
    """One SgfDocument per SGF file or archive member behind the sources.

    Folders are walked recursively in sorted order; archive members come in
    archive order. ``on_bytes(n)`` receives on-disk bytes as they are consumed;
    over a whole run the calls add up to total_input_bytes(sources). Skipped
    files and members are counted in ``ignored`` under NOT_SGF_FILE or
    NESTED_ARCHIVE (directories are not counted).

    Raises SourceError, before yielding anything, for a source that does not
    exist or is not supported; unreadable content yields a document with
    ``text=None`` and continues.
    """
    report = on_bytes or _no_report
    for item in _expand(sources):
        if item.kind is None:
            _count(ignored, NOT_SGF_FILE, _printable(str(item.path)))
            continue
        progress = _Progress(report, _size(item.path))
        yield from _file_documents(item.path, item.kind, progress, ignored)
        progress.finish()
