"""Delimited text: CSV, TSV, pipe-delimited and any other one-character delimiter.

`_source` decides the columns (a header, declared ones, or the first record's width)
and checks the limits; `_records` cuts the text into records, quoted or not, in blocks;
`_quoting` says where a record's quoting went wrong; `_sniff` guesses the delimiter.
"""

from ._source import DelimitedSource

__all__ = ["DelimitedSource"]
