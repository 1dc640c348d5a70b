"""A page's answer read into records while it arrives, never whole in memory."""

from ._body import BrokenAnswer
from ._records import ACCEPT, PageReader, Records, joined, no_records

__all__ = ["ACCEPT", "BrokenAnswer", "PageReader", "Records", "joined", "no_records"]
