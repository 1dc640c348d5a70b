"""The ``spine`` command: `_main` parses the command line and reports errors; each
``*_commands`` module adds its command group and runs it through `Spine` (``doctor``,
added with ``plugins``, runs in `_doctor`); `_common` holds what they share; `_views` and
`_progress` render records and progress as text.

Uses: `_config`, `_data`, `_plugins`, `_records`, `_alerts`, `_runs`, `_orchestration`, and
`spine._kernel` (the `Spine` object).
"""
