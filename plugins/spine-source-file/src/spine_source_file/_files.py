"""Finding and opening the file: paths and file:// URLs, gzip by its magic bytes, the format,
and text reading whose failures become `SourceError` naming the file and the line."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

import spine

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_COMPRESSED_SUFFIXES = (".gz", ".gzip")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".psv": "psv",
    ".pipe": "psv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# Characters per read: enough to amortise the per-read work (splitting a read into lines
# costs about as much per read as per line: 64K reads are faster than 16K), few enough to stay in cache.
_READ_SIZE = 64 * 1024
_SNIFF_BYTES = 4096
_READ_ERRORS = (EOFError, OSError, zlib.error)  # what reading (gzip) data raises, besides decoding


@dataclass(frozen=True)
class FileRef:
    """A readable file: its path as the user named it (used in every message) and whether it is gzip."""

    path: str
    gzipped: bool

    def open_binary(self) -> gzip.GzipFile | io.BufferedReader:
        return gzip.open(self.path, "rb") if self.gzipped else open(self.path, "rb")

    def error(self, message: str, line: int | None = None) -> spine.SourceError:
        where = f"{self.path}: line {line}: " if line is not None else f"{self.path}: "
        return spine.SourceError(where + message, context={"file": self.path, "line": line})


def resolve(location: str | os.PathLike[str]) -> FileRef:
    """The file named by a path or a ``file://`` URL; a missing or empty file is a `SourceError`."""
    path = os.fspath(location)
    url = urlsplit(path)
    if url.scheme == "file":
        if url.netloc not in ("", "localhost"):
            raise spine.ConfigError(
                f"{path}: the file source reads local files; file:// URLs must not name a host",
                context={"location": path},
            )
        path = url2pathname(url.path)
    elif len(url.scheme) > 1 and not os.path.exists(path):  # one letter is a Windows drive
        raise spine.ConfigError(
            f"{path}: the file source reads local paths and file:// URLs, not {url.scheme}://",
            context={"location": path},
        )
    try:
        with open(path, "rb") as raw:
            magic = raw.read(len(GZIP_MAGIC))
    except FileNotFoundError:
        raise spine.SourceError(f"{path}: no such file", context={"file": path}) from None
    except IsADirectoryError:
        raise spine.SourceError(f"{path}: is a directory, expected a file", context={"file": path}) from None
    except OSError as exc:
        raise spine.SourceError(f"{path}: cannot open: {exc.strerror}", context={"file": path}) from None
    if not magic:
        raise spine.SourceError(f"{path}: the file is empty", context={"file": path})
    return FileRef(path, magic == GZIP_MAGIC)


def format_from_name(ref: FileRef) -> str | None:
    """``data.psv.gz`` -> ``psv``; None when the extension says nothing."""
    name = ref.path.lower()
    for suffix in _COMPRESSED_SUFFIXES:
        name = name.removesuffix(suffix)
    return _EXTENSIONS.get(os.path.splitext(name)[1])


def format_from_content(ref: FileRef, decoding: str) -> str:
    """Parquet by its magic bytes, JSON by its first character, otherwise ``delimited``."""
    try:
        with ref.open_binary() as binary:
            head = binary.read(_SNIFF_BYTES)
    except _READ_ERRORS as exc:
        raise _read_error(ref, exc, 0) from None
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    text = codecs.getincrementaldecoder(decoding)(errors="replace").decode(head).lstrip()
    return {"[": "json", "{": "jsonl"}.get(text[:1], "delimited")


def _longer(line: str, limit: int) -> bool:
    """Whether `line` is longer than `limit` characters, its line ending not counted."""
    return len(line) > limit and len(line.rstrip("\r\n")) > limit


def _read_error(ref: FileRef, error: BaseException, lines_read: int) -> spine.SourceError:
    where = f"after line {lines_read}" if lines_read else "before the first line"
    if isinstance(error, EOFError):
        return ref.error(
            f"the gzip data is truncated {where} (the file ends before the compressed stream does)"
        )
    return ref.error(f"cannot read {where}: {error}")


class TextFile:
    """The file decoded as text, read in chunks; reading errors become `SourceError`.

    Opened with ``newline=""`` as the csv module requires: line endings stay in the
    text, so quoted fields keep their line breaks and line numbers stay physical.
    """

    def __init__(self, ref: FileRef, encoding: str, decoding: str) -> None:
        self.ref = ref
        self.lines_read = 0
        self._encoding = encoding
        self._decoding = decoding
        with self._reading():
            binary = ref.open_binary()
            self._stream = io.TextIOWrapper(binary, encoding=decoding, newline="")
        # The bytes on disk, for progress: a GzipFile reads the compressed file it keeps as fileobj.
        self._disk = cast(io.BufferedReader, binary.fileobj if isinstance(binary, gzip.GzipFile) else binary)
        self._size = max(os.fstat(self._disk.fileno()).st_size, 1)
        self._progress = 0.0

    def line_chunks(self, limit: int, option: str) -> Iterator[list[str]]:
        """Lists of whole lines, each line with its ending, until the end of the file.

        A line longer than `limit` characters (its ending not counted) is a `SourceError`
        naming it and `option`, raised once that much of it is read: memory holds about
        `limit` characters of a line, never a line of any length (as ``readlines`` would).
        """
        carry: list[str] = []  # the start of a line whose end is not read yet, in pieces
        carried = 0  # its length
        while True:
            with self._reading():
                block = self._stream.read(_READ_SIZE)
            if not block:
                if carry:
                    self.lines_read += 1
                    yield ["".join(carry)]
                return
            # StringIO with newline="" splits lines as the text layer does: at \n, \r\n and \r.
            lines = io.StringIO(block, newline="").readlines()
            tail = "" if lines[-1].endswith("\n") else lines.pop()  # it may go on (or "\r" be half of "\r\n")
            checked = carried + len(block) > limit  # else no line here can be too long
            if carry and carry[-1].endswith("\r") and not block.startswith("\n"):
                lines.insert(0, "".join(carry))  # a "\r" alone ended it
                carry, carried = [], 0
            elif carry and lines:
                lines[0] = "".join([*carry, lines[0]])
                carry, carried = [], 0
            if tail:  # pieces, joined once the line ends: copying a long line stays linear
                carry.append(tail)
                carried += len(tail)
            if checked:
                over = next((number for number, line in enumerate(lines) if _longer(line, limit)), None)
                if (
                    over is None and carry and carried - carry[-1].endswith("\r") > limit
                ):  # a carry has no "\n"
                    over = len(lines)
                if over is not None:
                    raise self.ref.error(
                        f"the line goes on past {option} ({limit} characters): raise it "
                        f"(-o {option}=N) if the lines are that long",
                        self.lines_read + over + 1,
                    )
            if lines:
                self.lines_read += len(lines)
                yield lines

    def read(self, size: int) -> str:
        with self._reading():
            text = self._stream.read(size)
        self.lines_read += text.count("\n")
        return text

    def progress(self) -> float:
        """How far through the file's bytes (the compressed ones for gzip) reading has
        gone, 0.0 to 1.0: one position look-up, no read. After `close`, the last one."""
        if not self._stream.closed:
            self._progress = min(self._disk.tell() / self._size, 1.0)
        return self._progress

    def close(self) -> None:
        if not self._stream.closed:
            self.progress()
            self._stream.close()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except UnicodeDecodeError:
            raise self._decode_error() from None
        except _READ_ERRORS as exc:
            raise _read_error(self.ref, exc, self.lines_read) from None

    def _decode_error(self) -> spine.SourceError:
        # The text layer decodes ahead in blocks, so it cannot say which line failed; going
        # over the bytes again line by line can. This runs once, on the way to an error.
        decoder = codecs.getincrementaldecoder(self._decoding)()
        line = 0
        try:
            with self.ref.open_binary() as binary:
                for line, data in enumerate(binary, start=1):  # noqa: B007 - used after the loop
                    decoder.decode(data)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            found = " ".join(f"0x{byte:02x}" for byte in exc.object[exc.start : exc.end])
            return self.ref.error(
                f"cannot decode {found} as {self._encoding} ({exc.reason}); set the encoding option "
                "to the file's encoding, for example -o encoding=latin-1",
                line,
            )
        except _READ_ERRORS:
            pass  # unreadable further on as well: the line is not known
        return self.ref.error(f"cannot decode the text as {self._encoding}; set the encoding option")
