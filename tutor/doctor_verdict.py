"""``tutor doctor``'s last line: "ready", or the one thing to fix first, read from the doctor's report.

The checks go from what stops everything to what only weakens it: a broken school policy (hints and models are
off until it is fixed), llama.cpp missing or unable to load a CPU code path, the model missing or unpreparable,
bundled exercises that do not load, and learner code running without the OS sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

READY = "ready"


def verdict(report: dict[str, Any]) -> str:
    """``ready`` or ``fix first: ...`` (one line)."""
    for check in _CHECKS:
        problem = check(report)
        if problem:
            return f"fix first: {problem}"
    return READY


def _policy(report: dict[str, Any]) -> str:
    error = (report.get("policy") or {}).get("error")
    return f"the school policy file has an error ({error})" if error else ""


def _llama(report: dict[str, Any]) -> str:
    llama = report.get("llama_cpp") or {}
    if llama and not llama.get("available", True):
        return f"llama.cpp cannot be imported ({llama.get('error', 'unknown error')}); reinstall the tutor"
    path = str((report.get("cpu") or {}).get("code_path", ""))
    if path.startswith(("unavailable", "none")):
        return f"llama.cpp has no CPU code path that runs here ({path})"
    return ""


def _model(report: dict[str, Any]) -> str:
    model = report.get("model") or {}
    if model.get("error"):
        return f"the model cannot be prepared ({model['error']})"
    if model.get("exists") is False:
        return f"the model file {model.get('path')} does not exist"
    return ""


def _exercises(report: dict[str, Any]) -> str:
    text = str(report.get("exercises", ""))
    errors = text.split(", ")[-1].split()[0] if ", " in text else "0"
    if errors in ("0", ""):
        return ""
    return f"{text.split(', ')[-1]} in the bundled exercises (`tutor exercises` shows where)"


def _sandbox(report: dict[str, Any]) -> str:
    text = str(report.get("sandbox", ""))
    if "WITHOUT an OS sandbox" in text:
        return text.replace(
            "learner code runs WITHOUT an OS sandbox: ", "learner code runs without the OS sandbox ("
        ) + ("); install bubblewrap (see packaging/SANDBOX.md)")
    return ""


_CHECKS: tuple[Callable[[dict[str, Any]], str], ...] = (_policy, _llama, _model, _exercises, _sandbox)
