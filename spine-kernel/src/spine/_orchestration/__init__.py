"""Runs of runs: workflows (DAGs of pipeline steps, from plugins or YAML files), their
runner and records; schedules (from plugins and settings), their records and the
scheduler that fires them; closing runs whose process died.

Uses: `_config`, `_data`, `_plugins`, `_records`, `_alerts`, `_runs`.
"""
