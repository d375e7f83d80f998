"""The school's site policy (TOML): which models, downloads on or off, a mirror, hint quotas, exam mode, words
hints must never contain, where progress is stored, and whether teachers may grade and compare hints.

**Where it is read from.** Two kinds of policy file, *all* of those that exist apply, merged:

- *System* files, which a learner cannot move or hide: the fixed machine-wide file (``SYSTEM_POLICY_DIR``:
  ``/etc/xdg/offline-tutor/policy.toml`` on Linux and other Unix systems, read whatever ``XDG_CONFIG_DIRS``
  says; ``platformdirs``' site config folder on Windows and macOS, which comes from the operating system, not
  from an environment variable), and ``policy.toml`` beside the executable (portable installs).
- *Extra* files, which a learner can choose: the file named by ``TUTOR_POLICY``, and ``policy.toml`` in the
  site config folder that ``XDG_CONFIG_DIRS`` points to when that is not the fixed one. An extra file can only
  make the policy **stricter**; it never replaces or removes a system file. A ``TUTOR_POLICY`` that names no
  file is an error (hints and models off), so a typo in a lab's login script is seen.

Tests point the fixed system folder elsewhere by setting the module constant ``UNIX_SITE_DIR`` (or
monkeypatching ``system_policy_paths``) from Python, never through an environment variable, so a learner on a lab
machine cannot do the same from a shell (a learner who can run Python of their own is beyond any policy; see
packaging/SCHOOLS.md).

**How files merge** (every file is read with its own defaults for the keys it leaves out, then):

==========================  =================================================================================
``models.allowed``          every file that lists models restricts: a model must be allowed by *each* (the
                            lists are intersected, by sha256); an empty list restricts nothing
``models.default``          the first file that sets it (system files first)
``models.shared_folders``   all folders of all files (each model found there still has to be allowed)
``models.downloads``        on only if every file leaves it on
``models.hf_endpoint``      the first file that sets it
``hints.per_exercise``      the smallest quota (0, "no limit", never wins over a number)
``hints.exam_mode``         on if any file turns it on
``hints.avoid``             the words of all files
``data.progress_dir``       the first file that sets it
``grading.allowed``         on only if every file says ``true`` (a file that leaves it out says ``false``)
``arena.compare_hints``     on only if every file says ``true``
``arena.systems``           the first file that sets it
``course.packs``            all packs of all files (pinned: read-only folders or built pack files)
``course.hide_bundled_course``  on if any file turns it on (the learner sees only the pinned and imported packs)
==========================  =================================================================================

A file with an error (bad TOML, unknown key, wrong type, an allowed model that is neither a sha256 nor a
catalog model) is reported with its file and line; the other files still apply and hints, models and
downloads stay off until it is fixed, so a school's intent is never silently ignored.

**Allowed models** are checked by content: an entry of ``models.allowed`` is a sha256 (64 hex digits) or a
catalog id or catalog file name, which stands for the sha256 the catalog pins. A file name the catalog does not
know is an error: names alone are not trusted (any GGUF can be renamed). The embedded model is always allowed
(its file must have the catalog's sha256); ``exam_mode`` is how a school turns every model off.

**Paths** (``data.progress_dir``, ``models.shared_folders``) expand ``$USER``, ``${USER}``, ``%USERNAME%`` and
a leading ``~`` from the operating system's account of the user running the tutor, never from environment
variables a learner can set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import platformdirs

from tutor.paths import APP_NAME, site_config_dir
from tutor.policy_schema import (
    DEFAULT_COMPARE_SYSTEMS,
    SCHEMA,
    SHA256,
    Policy,
    PolicyError,
    current_user,
    embedded_sha256,
    expand_path,
    flat_keys,
    parse_policy,
    resolve_allowed,
)

__all__ = [
    "DEFAULT_COMPARE_SYSTEMS",
    "SCHEMA",
    "SHA256",
    "Policy",
    "PolicyError",
    "current_user",
    "embedded_sha256",
    "expand_path",
    "load_policy",
    "merge_policies",
    "parse_policy",
    "resolve_allowed",
    "safe_policy",
]

POLICY_NAME = "policy.toml"
UNIX_SITE_DIR = Path("/etc/xdg") / APP_NAME  # XDG's default system config folder, fixed


# -- where the files are ------------------------------------------------------------------------------------------
def system_policy_paths() -> list[tuple[Path, str]]:
    """The policy files a learner cannot move or hide (see the module docstring). Tests monkeypatch this."""
    if os.name == "posix" and sys.platform != "darwin":
        fixed = UNIX_SITE_DIR
    else:  # Windows: the Windows API's ProgramData; macOS: /Library/Application Support
        fixed = Path(platformdirs.site_config_dir(APP_NAME, appauthor=False))
    return [
        (fixed / POLICY_NAME, "system config folder"),
        (Path(sys.executable).parent / POLICY_NAME, "beside the executable"),
    ]


def extra_policy_paths() -> list[tuple[Path, str]]:
    """Policy files named through the environment: they can only make the policy stricter."""
    paths: list[tuple[Path, str]] = []
    if os.environ.get("TUTOR_POLICY"):
        paths.append((Path(os.environ["TUTOR_POLICY"]), "TUTOR_POLICY"))
    xdg = site_config_dir() / POLICY_NAME
    if all(xdg != path for path, _ in system_policy_paths()):
        paths.append((xdg, "XDG_CONFIG_DIRS"))
    return paths


def candidate_paths() -> list[tuple[Path, str]]:
    """Every place a policy file is looked for, system files first."""
    return [*system_policy_paths(), *extra_policy_paths()]


# -- loading and merging ------------------------------------------------------------------------------------------
def load_policy() -> Policy:
    """The policy in force: every system and extra file that exists, merged (no file: the open defaults)."""
    layers: list[Policy] = []
    for path, origin in candidate_paths():
        if path.is_file():
            try:
                layers.append(parse_policy(path))
            except (PolicyError, OSError, UnicodeDecodeError) as exc:
                layers.append(safe_policy(path, str(exc)))
        elif origin == "TUTOR_POLICY":
            layers.append(safe_policy(path, f"{path}: the policy file named by TUTOR_POLICY does not exist"))
    if not layers:
        policy = Policy()
        policy.sources = {key: "default (no policy file)" for key in flat_keys()}
        return policy
    merged = layers[0]
    for layer in layers[1:]:
        merged = merge_policies(merged, layer)
    return merged


def safe_policy(path: Path, error: str) -> Policy:
    """What a broken policy file adds: hints, models and downloads off until the file is fixed."""
    policy = Policy(
        downloads=False, exam_mode=False, grading_allowed=False, path=path, error=error, files=[path]
    )
    policy.sources = {key: "safe default (the policy file has an error)" for key in flat_keys()}
    return policy


def _first(a: Any, b: Any) -> Any:
    return a or b


def _union(a: list[Any], b: list[Any]) -> list[Any]:
    return [*a, *(item for item in b if item not in a)]


def _quota(a: int, b: int) -> int:
    return min(q for q in (a, b) if q) if a or b else 0


# attribute -> (policy key, how two files' values combine); see the table in the module docstring
MERGE_RULES: dict[str, tuple[str, Callable[[Any, Any], Any]]] = {
    "default_model": ("models.default", _first),
    "shared_folders": ("models.shared_folders", _union),
    "downloads": ("models.downloads", lambda a, b: a and b),
    "hf_endpoint": ("models.hf_endpoint", _first),
    "hints_per_exercise": ("hints.per_exercise", _quota),
    "exam_mode": ("hints.exam_mode", lambda a, b: a or b),
    "avoid": ("hints.avoid", _union),
    "progress_dir": ("data.progress_dir", _first),
    "grading_allowed": ("grading.allowed", lambda a, b: a and b),
    "compare_hints": ("arena.compare_hints", lambda a, b: a and b),
    "compare_systems": ("arena.systems", _first),
    "pinned_packs": ("course.packs", _union),
    "hide_bundled_course": ("course.hide_bundled_course", lambda a, b: a or b),
}


def merge_policies(first: Policy, second: Policy) -> Policy:
    """Both policies at once: never laxer than either (the rules are in the module docstring)."""
    values: dict[str, Any] = {}
    sources = dict(first.sources)
    for attr, (key, rule) in MERGE_RULES.items():
        a, b = getattr(first, attr), getattr(second, attr)
        values[attr] = rule(a, b)
        if values[attr] != a:
            sources[key] = second.sources.get(key, "")
    allowed = _intersect(first.allowed_sha256, second.allowed_sha256)
    if second.allowed_sha256 is not None:
        sources["models.allowed"] = " and ".join(
            s
            for s in (first.sources.get("models.allowed", ""), second.sources.get("models.allowed", ""))
            if s and not s.startswith(("default", "safe"))
        )
    return replace(
        first,
        **values,
        allowed_models=_union(first.allowed_models, second.allowed_models),
        allowed_sha256=allowed,
        path=first.path or second.path,
        error="; ".join(e for e in (first.error, second.error) if e),
        files=_union(first.files, second.files),
        sources=sources,
    )


def _intersect(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    return a if b is None else a & b
