"""``execapi``: the command-line client of the Execution Management API."""

__version__ = "0.1.0"
