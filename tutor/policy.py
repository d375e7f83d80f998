"""The school's site policy (TOML): which models, downloads on or off, a mirror, hint quotas, exam mode, words
hints must never contain, where progress is stored, and whether teachers may compare hints (the hint arena).

Where it is read from, the first that exists wins:
  1. the file named by the environment variable ``TUTOR_POLICY``
  2. ``policy.toml`` beside the executable (portable installs)
  3. ``policy.toml`` in the platform's site config folder (``platformdirs.site_config_dir``)
The policy wins over the learner's own settings. A policy with an error (bad TOML, unknown key, wrong type) is
reported with its file and line, and the app starts with the *safe* defaults: hints and downloads stay off
until it is fixed, so a school's intent is never silently ignored.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.paths import site_config_dir

POLICY_NAME = "policy.toml"

# section -> key -> (type, default)
SCHEMA: dict[str, dict[str, tuple[type, Any]]] = {
    "models": {
        "allowed": (list, []),
        "default": (str, ""),
        "shared_folders": (list, []),
        "downloads": (bool, True),
        "hf_endpoint": (str, ""),
    },
    "hints": {
        "per_exercise": (int, 0),
        "exam_mode": (bool, False),
        "avoid": (list, []),
    },
    "data": {
        "progress_dir": (str, ""),
    },
    "grading": {
        "allowed": (bool, False),  # a school's policy file must turn the teacher's grading on
    },
    "arena": {
        "compare_hints": (bool, False),
        "systems": (list, []),
    },
}
DEFAULT_COMPARE_SYSTEMS = ("analysis", "default")


class PolicyError(ValueError):
    def __init__(self, file: Path, line: int | None, message: str) -> None:
        where = f"{file}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.message = file, line, message


@dataclass
class Policy:
    """The policy in force. ``sources`` says where each value came from; ``error`` is set for a broken file."""

    allowed_models: list[str] = field(default_factory=list)
    default_model: str = ""
    shared_folders: list[Path] = field(default_factory=list)
    downloads: bool = True
    hf_endpoint: str = ""
    hints_per_exercise: int = 0  # 0: no limit
    exam_mode: bool = False
    avoid: list[str] = field(default_factory=list)
    progress_dir: str = ""
    grading_allowed: bool = (
        True  # no policy file: a personal install; a policy file hides it unless it says true
    )
    compare_hints: bool = (
        False  # the app's "Compare hints" mode (teacher votes); off unless the school turns it on
    )
    compare_systems: list[str] = field(
        default_factory=list
    )  # hint sources to pair; empty: DEFAULT_COMPARE_SYSTEMS
    path: Path | None = None
    error: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def hints_allowed(self) -> bool:
        return not self.exam_mode and not self.error

    @property
    def compare_allowed(self) -> bool:
        """The app's "Compare hints" mode: on only when the school turns it on, never in exam mode or with an
        error in the policy (it shows hints, and they do not count against the quota)."""
        return self.compare_hints and self.hints_allowed

    def allows_model(self, *names: str) -> bool:
        return not self.allowed_models or any(name in self.allowed_models for name in names if name)

    def hints_left(self, used: int) -> int | None:
        """Hints left for an exercise (None: no limit)."""
        return None if not self.hints_per_exercise else max(0, self.hints_per_exercise - used)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path) if self.path else None,
            "error": self.error,
            "values": {
                "models.allowed": self.allowed_models,
                "models.default": self.default_model,
                "models.shared_folders": [str(p) for p in self.shared_folders],
                "models.downloads": self.downloads,
                "models.hf_endpoint": self.hf_endpoint,
                "hints.per_exercise": self.hints_per_exercise,
                "hints.exam_mode": self.exam_mode,
                "hints.avoid": self.avoid,
                "data.progress_dir": self.progress_dir,
                "grading.allowed": self.grading_allowed,
                "arena.compare_hints": self.compare_hints,
                "arena.systems": self.compare_systems,
            },
            "sources": self.sources,
        }


def candidate_paths() -> list[tuple[Path, str]]:
    paths: list[tuple[Path, str]] = []
    if os.environ.get("TUTOR_POLICY"):
        paths.append((Path(os.environ["TUTOR_POLICY"]), "TUTOR_POLICY"))
    paths.append((Path(sys.executable).parent / POLICY_NAME, "beside the executable"))
    paths.append((site_config_dir() / POLICY_NAME, "site config folder"))
    return paths


def load_policy() -> Policy:
    """The policy in force (no file: the open defaults)."""
    for path, origin in candidate_paths():
        if path.is_file():
            try:
                return parse_policy(path)
            except PolicyError as exc:
                return safe_policy(path, str(exc))
        if origin == "TUTOR_POLICY":
            return safe_policy(path, f"{path}: the policy file named by TUTOR_POLICY does not exist")
    policy = Policy()
    policy.sources = {key: "default (no policy file)" for key in _flat_keys()}
    return policy


def safe_policy(path: Path, error: str) -> Policy:
    """What a broken policy leaves in force: hints and downloads off until the file is fixed."""
    policy = Policy(downloads=False, exam_mode=False, grading_allowed=False, path=path, error=error)
    policy.sources = {key: "safe default (the policy file has an error)" for key in _flat_keys()}
    return policy


def parse_policy(path: Path) -> Policy:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise PolicyError(path, line, f"not valid TOML ({exc})") from None
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for section, table in data.items():
        if section not in SCHEMA or not isinstance(table, dict):
            raise PolicyError(path, _line_of(text, section, header=True), f"unknown section [{section}]")
        for key, value in table.items():
            if key not in SCHEMA[section]:
                raise PolicyError(path, _line_of(text, key), f"unknown key {section}.{key}")
            expected = SCHEMA[section][key][0]
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise PolicyError(
                    path,
                    _line_of(text, key),
                    f"{section}.{key} must be {_type_name(expected)}, not {type(value).__name__}",
                )
            if isinstance(value, list) and not all(isinstance(item, str) for item in value):
                raise PolicyError(path, _line_of(text, key), f"{section}.{key} must be a list of text")
            if key == "per_exercise" and isinstance(value, int) and value < 0:
                raise PolicyError(
                    path, _line_of(text, key), "hints.per_exercise must be 0 (no limit) or more"
                )
            values[f"{section}.{key}"] = value
            sources[f"{section}.{key}"] = f"{path}, line {_line_of(text, key)}"
    for key in _flat_keys():
        sources.setdefault(key, "default (not in the policy file)")

    def get(key: str) -> Any:
        section, name = key.split(".")
        return values.get(key, SCHEMA[section][name][1])

    return Policy(
        allowed_models=list(get("models.allowed")),
        default_model=get("models.default"),
        shared_folders=[Path(p) for p in get("models.shared_folders")],
        downloads=get("models.downloads"),
        hf_endpoint=get("models.hf_endpoint"),
        hints_per_exercise=get("hints.per_exercise"),
        exam_mode=get("hints.exam_mode"),
        avoid=list(get("hints.avoid")),
        progress_dir=get("data.progress_dir"),
        grading_allowed=get("grading.allowed"),
        compare_hints=get("arena.compare_hints"),
        compare_systems=list(get("arena.systems")),
        path=path,
        sources=sources,
    )


def _flat_keys() -> list[str]:
    return [f"{section}.{key}" for section, keys in SCHEMA.items() for key in keys]


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", str: "text", list: "a list"}[kind]


def _line_of(text: str, key: str, header: bool = False) -> int | None:
    pattern = rf"^\s*\[\s*{re.escape(key)}\s*\]" if header else rf"^\s*{re.escape(key)}\s*="
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line):
            return number
    return None


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
