"""Errors a user can act on. The CLI prints their message and exits non-zero; pages show it."""


class WorkbenchError(Exception):
    """Base of every error whose message is meant for the user."""
