"""Offline tutor core: exercises, sandboxed test runner, engines, hint pipeline. Never imports Qt."""

__version__ = "0.1.0"
