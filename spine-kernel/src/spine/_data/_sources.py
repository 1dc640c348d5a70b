"""The source contract: a schema, then batches of typed rows, each row with its position."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from ._schema import Schema

# Small enough that a batch's rows and values stay in the CPU's cache through every
# stage (parse, convert, check, write): at 10,000 rows a load ran markedly slower,
# each stage fetching the batch from main memory again.
DEFAULT_BATCH_SIZE = 500


class Reject(NamedTuple):
    """A record that could not be used, kept with where it came from and why."""

    origin: str  # file path, or URL and page
    position: int | None  # line number in a file, index within a page
    raw: str  # the record as read, for the rejects table
    reason: str


class Batch(NamedTuple):
    """A stretch of a source: typed rows plus the records of that stretch that failed to parse.

    ``rows[i]`` is a tuple in schema order found at ``positions[i]`` of ``origin``
    (a line number in a file, an index within a page). ``raw`` (optional, same
    length as rows) holds each row's original text, for rejects raised later by
    checks; sources that cannot provide it leave it empty.

    ``checkpoint`` (optional, for sources with a `Source.state_key`) is where the source
    stands once this batch is in: the kernel then commits the rows up to here with this
    value as the source's state, in one transaction, and a later load that is given it
    by `Source.resume` goes on from there. A big read so becomes resumable; the load
    must append or merge, since a replace cannot be committed a part at a time.
    """

    rows: list[tuple[Any, ...]]
    positions: list[int]
    origin: str
    rejects: Sequence[Reject] = ()
    raw: Sequence[str] = ()
    checkpoint: str | None = None

    def text(self, index: int) -> str:
        """Row `index` as the rejects table shows it: its original text, else its
        values joined with ``|``."""
        if self.raw:
            return self.raw[index]
        return "|".join("" if value is None else str(value) for value in self.rows[index])


class SourceTable(NamedTuple):
    """One table a location holds, as a source would read it: for ``spine inspect``."""

    name: str
    schema: Schema
    warnings: tuple[str, ...] = ()


class Source(ABC):
    """A source of records. Factories registered with `SourceSpec` return one.

    A source is built as ``factory(location, **options)`` where options are the
    strings given with ``spine load -o KEY=VALUE`` (or Python values from code). It
    must stream: memory may grow with the batch size, never with the input.
    Structural problems (unreadable file, wrong header, bad encoding, truncated
    input) raise `SourceError` naming the file and line; a record that cannot be
    parsed becomes a `Reject` in its batch and reading goes on.
    """

    @abstractmethod
    def schema(self) -> Schema:
        """The columns of every row this source yields (may read the header)."""

    @abstractmethod
    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Batch]:
        """Yield batches of at most `batch_size` rows (plus that stretch's rejects)."""

    def prefer_types(self, types: Mapping[str, str]) -> None:  # noqa: B027 - optional
        """Read the columns named in `types` (lower-case names) as those logical types,
        unless told otherwise by the source's own options.

        A load calls it before `schema` with the types of the table it goes into.
        Sources whose input carries its own types (Parquet, a typed API) ignore it.
        """

    def describe(self) -> str:
        """Where the data comes from, for messages and run records (no secrets)."""
        return type(self).__name__

    def warnings(self) -> list[str]:
        """What the source decided on its own that the user should know (a column read
        as string because a few of its values were not numbers, ...), each a sentence
        naming the column and where; available once `schema` has been called.

        The kernel logs each one as a warning and records it with the run. Text sources
        word their inference warnings with `spine.infer_column`, so that every source
        says them the same way.
        """
        return []

    def tables(self) -> list[SourceTable] | None:
        """Every table the location holds, each as this source would read it, when the
        location holds several and options pick one (a database): ``spine inspect`` lists
        them. None (the default): the location is one input, whose columns are `schema`."""
        return None

    def progress(self) -> float | None:
        """How far through its input the source has read, from 0.0 to 1.0, or None when
        it cannot tell (the default). The kernel asks after each batch, for the progress
        line: it must be cheap (no I/O of its own beyond, say, a file position)."""
        return None

    def secrets(self) -> Iterable[str]:
        """Values this source was given that must never be shown (tokens, passwords):
        the kernel that opens it masks them in everything it logs, records or returns.
        It asks again with each batch, so a secret obtained while reading (an OAuth2
        token) is masked from the next batch on."""
        return ()

    def state_key(self) -> str | None:
        """The name under which this source keeps a value between loads (a cursor, a
        high-water mark), or None when it keeps none. A load keys it by pipeline too."""
        return None

    def resume(self, saved: str | None) -> None:  # noqa: B027 - optional, with state_key
        """Take the value `checkpoint` gave at the end of the last committed load (None
        on the first); called before `schema` and `batches`."""

    def checkpoint(self) -> str | None:
        """The value to keep once this load has committed (None: keep the saved one); the
        kernel asks when the last batch is read and keeps it in the transaction that
        commits the rows."""
        return None

    def close(self) -> None:  # noqa: B027 - optional for sources that hold nothing open
        """Release files or connections; called once the run is done with the source."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
