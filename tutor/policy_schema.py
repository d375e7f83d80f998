"""What a policy says: the keys a policy file may hold (``SCHEMA``), the ``Policy`` they make, and reading one
file into one (``parse_policy``). Where the files are and how several merge: ``tutor/policy.py``."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tutor.models.catalog import load_catalog

SHA256 = re.compile(r"^[0-9a-f]{64}$")

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
    "course": {
        "packs": (list, []),  # pinned packs: read-only folders or built pack files
        "hide_bundled_course": (bool, False),
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

    allowed_models: list[str] = field(default_factory=list)  # as written (all files' entries)
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
    pinned_packs: list[Path] = field(default_factory=list)  # course.packs: always loaded, read-only
    hide_bundled_course: bool = False  # course.hide_bundled_course: only the pinned (and imported) packs
    path: Path | None = None  # the first file in force (a system file when there is one)
    error: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)  # every file in force, system files first
    # the model contents allowed (sha256), None: any; set from ``allowed_models`` unless given
    allowed_sha256: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.allowed_sha256 is None and self.allowed_models:
            self.allowed_sha256 = frozenset(resolve_allowed(self.allowed_models)[0])

    @property
    def hints_allowed(self) -> bool:
        return not self.exam_mode and not self.error

    @property
    def compare_allowed(self) -> bool:
        """The app's "Compare hints" mode: on only when the school turns it on, never in exam mode or with an
        error in the policy (it shows hints, and they do not count against the quota)."""
        return self.compare_hints and self.hints_allowed

    def allows_sha256(self, digest: str) -> bool:
        """Whether a model file with this content may be loaded (the embedded model always may)."""
        if self.allowed_sha256 is None:
            return True
        return digest.lower() in self.allowed_sha256 or digest.lower() in embedded_sha256()

    def hints_left(self, used: int) -> int | None:
        """Hints left for an exercise (None: no limit)."""
        return None if not self.hints_per_exercise else max(0, self.hints_per_exercise - used)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path) if self.path else None,
            "files": [str(p) for p in self.files],
            "error": self.error,
            "values": {
                "models.allowed": self.allowed_models,
                "models.allowed_sha256": None if self.allowed_sha256 is None else sorted(self.allowed_sha256),
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
                "course.packs": [str(p) for p in self.pinned_packs],
                "course.hide_bundled_course": self.hide_bundled_course,
            },
            "sources": self.sources,
        }


# -- one file -----------------------------------------------------------------------------------------------------
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
            _check_value(path, text, section, key, value)
            values[f"{section}.{key}"] = value
            sources[f"{section}.{key}"] = f"{path}, line {_line_of(text, key)}"
    for key in flat_keys():
        sources.setdefault(key, "default (not in the policy file)")

    def get(key: str) -> Any:
        section, name = key.split(".")
        return values.get(key, SCHEMA[section][name][1])

    allowed = list(get("models.allowed"))
    digests, unknown = resolve_allowed(allowed)
    if unknown:
        raise PolicyError(
            path,
            _line_of(text, "allowed"),
            f"models.allowed: {unknown[0]!r} is neither a sha256 nor a model the catalog knows; a file name "
            "alone is not trusted (any file can be renamed), so list the file's sha256 "
            "(`sha256sum FILE`, or `Get-FileHash FILE` on Windows)",
        )
    return Policy(
        allowed_models=allowed,
        allowed_sha256=frozenset(digests) if allowed else None,
        default_model=get("models.default"),
        shared_folders=[Path(expand_path(p)) for p in get("models.shared_folders")],
        downloads=get("models.downloads"),
        hf_endpoint=get("models.hf_endpoint"),
        hints_per_exercise=get("hints.per_exercise"),
        exam_mode=get("hints.exam_mode"),
        avoid=list(get("hints.avoid")),
        progress_dir=expand_path(get("data.progress_dir")),
        grading_allowed=get("grading.allowed"),
        compare_hints=get("arena.compare_hints"),
        compare_systems=list(get("arena.systems")),
        pinned_packs=[Path(expand_path(p)) for p in get("course.packs")],
        hide_bundled_course=get("course.hide_bundled_course"),
        path=path,
        files=[path],
        sources=sources,
    )


def _check_value(path: Path, text: str, section: str, key: str, value: Any) -> None:
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
        raise PolicyError(path, _line_of(text, key), "hints.per_exercise must be 0 (no limit) or more")


# -- allowed models -----------------------------------------------------------------------------------------------
def resolve_allowed(entries: Iterable[str]) -> tuple[set[str], list[str]]:
    """The sha256 values that ``models.allowed`` entries stand for, and the entries that stand for none (names the
    catalog does not pin)."""
    catalog = None
    digests: set[str] = set()
    unknown: list[str] = []
    for entry in entries:
        if SHA256.match(entry.strip().lower()):
            digests.add(entry.strip().lower())
            continue
        catalog = catalog if catalog is not None else load_catalog()
        pinned = [e.sha256.lower() for e in catalog if entry in (e.id, e.file) and e.sha256]
        if pinned:
            digests.update(pinned)
        else:
            unknown.append(entry)
    return digests, unknown


@cache
def embedded_sha256() -> frozenset[str]:
    """The sha256 of the models that ship with the tutor (the embedded base and a shipped fine-tune)."""
    return frozenset(
        e.sha256.lower() for e in load_catalog() if e.source in ("package", "adapter") and e.sha256
    )


# -- paths --------------------------------------------------------------------------------------------------------
def current_user() -> tuple[str, Path]:
    """The login name and home folder of the account running the tutor, from the operating system (not from
    ``$USER``/``$HOME``, which a learner can set to anything)."""
    if os.name == "posix":
        import pwd

        entry = pwd.getpwuid(os.getuid())
        return entry.pw_name, Path(entry.pw_dir)
    return os.getlogin(), Path.home()  # Windows: GetUserNameW, not %USERNAME%


def expand_path(text: str) -> str:
    """``$USER``, ``${USER}``, ``%USERNAME%`` and a leading ``~`` in a policy path, from the account (see
    ``current_user``); nothing else is expanded."""
    if not text:
        return text
    name, home = current_user()
    text = re.sub(r"\$\{USER\}|\$USER\b|%USERNAME%", lambda _: name, text)
    if text == "~" or text.startswith(("~/", "~\\")):
        text = str(home) + text[1:]
    return text


# -- helpers ------------------------------------------------------------------------------------------------------
def flat_keys() -> list[str]:
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
