"""The ``spine`` command: `_main` parses the command line and reports errors; each
``*_commands`` module (and `_doctor`) adds one command group and runs it through
`Spine`; `_common` holds what they share; `_views` and `_progress` render records and
progress as text.

Uses: `_config`, `_data`, `_plugins`, `_records`, `_alerts`, `_runs`, `_orchestration`, and
`spine._kernel` (the `Spine` object).
"""
