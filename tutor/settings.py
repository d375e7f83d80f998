"""User settings (JSON in the user config dir): editor zoom, last exercise, engine choice, model path, the
theme ("system", "light" or "dark") and teacher mode (shows "Grade a folder" where the policy allows grading).

Unknown or damaged values fall back to defaults; saving is atomic, and a save the disk refuses raises
``NotSaved`` (the settings in memory still apply).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tutor.paths import user_config_dir
from tutor.saving import not_saved


@dataclass
class Settings:
    zoom: int = 0
    last_exercise: str = ""
    engine: str = "auto"
    model_path: str = ""
    theme: str = "system"
    teacher_mode: bool = False

    @classmethod
    def path(cls) -> Path:
        return user_config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        try:
            data: Any = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        defaults = cls()
        values = {}
        for field in fields(cls):
            value = data.get(field.name, getattr(defaults, field.name))
            values[field.name] = (
                value
                if isinstance(value, type(getattr(defaults, field.name)))
                else getattr(defaults, field.name)
            )
        return cls(**values)

    def save(self) -> None:
        path = self.path()
        temp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
            os.replace(temp, path)
        except OSError as exc:
            if temp.parent.is_dir():
                temp.unlink(missing_ok=True)
            raise not_saved("Your settings", exc, path.parent) from None
