"""A page's answer read into records while it arrives, never whole in memory.

`_page` finds the answer's format and reads it with `_lines` (JSON Lines, delimited
text) or `_json_stream` (a JSON document, whose byte scanning is `_json_scan`), into
the blocks of `_records`; `_body` bounds the answer's bytes in size and time.
"""

from ._body import BrokenAnswer
from ._page import ACCEPT, PageReader
from ._records import Records, joined, no_records

__all__ = ["ACCEPT", "BrokenAnswer", "PageReader", "Records", "joined", "no_records"]
