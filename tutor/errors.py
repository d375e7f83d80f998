"""The one error a front door reports without a traceback.

``UsageError`` means: what was asked cannot be done as asked, and the message (one line, for the user) says why.
Core functions raise it (or a domain error the front door turns into it); ``tutor.cli.main`` prints it as
``error: <message>`` with exit code 2, and the app shows it in a message box. Every other exception is a bug.
"""

from __future__ import annotations


class UsageError(Exception):
    """A problem to report in one line (exit code 2 on the command line)."""
