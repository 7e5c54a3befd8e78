"""The domain exception hierarchy of the ``hundi`` core."""


class HundiError(Exception):
    """Base class of every error raised by the hundi core."""
