"""Which character separates the fields, when neither the options nor the format say."""

from __future__ import annotations

import csv

from .._files import FileRef, TextFile
from .._options import FileOptions

_SNIFF_CHARACTERS = 64 * 1024
_SNIFF_LINES = 50
_CANDIDATES = ",\t|;"


def sniff(ref: FileRef, options: FileOptions) -> str:
    """The delimiter of a file whose format does not say, guessed from its first lines."""
    file = TextFile(ref, options.encoding, options.decoding)
    try:
        sample = file.read(_SNIFF_CHARACTERS)
    finally:
        file.close()
    lines = sample.splitlines()
    if len(sample) == _SNIFF_CHARACTERS:
        lines = lines[:-1]  # cut short
    try:
        return csv.Sniffer().sniff("\n".join(lines[:_SNIFF_LINES]), delimiters=_CANDIDATES).delimiter
    except csv.Error:
        raise ref.error(
            "cannot tell which delimiter separates the fields; set the delimiter option "
            "(for example -o delimiter=,) or the format option (csv, tsv, psv)"
        ) from None
