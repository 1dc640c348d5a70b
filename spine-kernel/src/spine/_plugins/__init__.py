"""The plugin machinery: the hook specifications, the typed descriptors plugins register
(`SourceSpec`, `PipelineSpec`, `Param`, ...), finding entry points without importing
them, matching a plugin's ``spine-kernel`` requirement, the registry that loads plugins
one at a time, the kernel's own built-in plugin, and the helpers plugins that speak
HTTP share.

Uses: `_config`, `_data`.
"""
