"""JSON: an array of objects, streamed element by element, and JSON Lines (one object per line).

Values map to columns by key; a missing key reads as NULL. Scalars become text and go
through the same conversion as delimited fields (numbers keep their exact digits);
nested arrays and objects become JSON text in a string column.

The reading is in three parts: `_source` chooses the columns (declared, or the keys of
the first records) and maps each object's values to them; `_objects` reads the objects,
from JSON Lines or an array; `_scanner` moves along the text of an array as it is read.
"""

from ._source import JsonSource

__all__ = ["JsonSource"]
