"""Errors that the entry points turn into one clear message instead of a traceback.

Raise these where the user can fix the cause (bad config value, missing or corrupt data); the
message must say what was wrong and what to do.
"""


class LabkitError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""


class ConfigError(LabkitError, ValueError):
    """A config value is out of range or inconsistent."""


class DataError(LabkitError):
    """A dataset is missing, truncated or corrupt."""
