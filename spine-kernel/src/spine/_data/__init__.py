"""The data path: schemas and the conversions from text; the source and store contracts
(`Source`, `Store`, `Target`); what a load does with an existing table; streaming a
source through transforms and checks into a store with every reject kept; and the
built-in SQLite store.

Uses: `_config`.
"""
