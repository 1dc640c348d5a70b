"""The kernel's own records in the store: the ``spine_*`` tables and their migrations,
the statuses and result envelopes they hold, the queries every record log shares, and
reading a damaged row without failing the whole listing.

Uses: `_config`, `_data`.
"""
