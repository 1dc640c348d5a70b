"""Running one pipeline: the runner and `RunContext`, the run log (run records, rejects,
pipeline state), heartbeats, the names of the processes that run them, and the
built-in ``load`` and ``demo`` pipelines.

Uses: `_config`, `_data`, `_plugins`, `_records`, `_alerts`.
"""
