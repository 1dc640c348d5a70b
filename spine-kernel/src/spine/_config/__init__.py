"""Configuration: where settings come from (overrides, ``SPINE_*``, ``spine.toml``) and
how they are read before pydantic is imported (`ConfigSources`, `BootSettings`); the
pydantic base every settings model extends (`SpineSettings`); the masking of secrets
(`Redactor`); and log output.

Uses: no other room (only `spine._errors` and `spine._version`, which every room may use).
"""
