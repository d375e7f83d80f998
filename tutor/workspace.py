"""The learner's code for each exercise, autosaved in the user data dir and restored on restart.

Writes are atomic (temp file + rename), so a crash mid-save never loses the previous version. A save that
fails (a full or read-only disk, a file where the folder should be) leaves the previous version as it was and
raises ``NotSaved`` with one sentence for the learner; the code is still in the editor, and the next save tries
again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from tutor.paths import user_data_dir
from tutor.saving import not_saved


class Workspace:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or user_data_dir() / "code"

    def path_for(self, exercise_id: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", exercise_id)
        digest = hashlib.sha1(exercise_id.encode()).hexdigest()[:8]
        return self.folder / f"{safe}-{digest}.py"

    def load(self, exercise_id: str) -> str | None:
        try:
            return self.path_for(exercise_id).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def save(self, exercise_id: str, code: str) -> None:
        """Save atomically; ``NotSaved`` when the disk does not let it (the previous version is kept)."""
        target = self.path_for(exercise_id)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".autosave-")
        except OSError as exc:
            raise not_saved("Your code", exc, self.folder) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(code)
            os.replace(temp, target)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise not_saved("Your code", exc, self.folder) from None
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def forget(self, exercise_id: str) -> None:
        self.path_for(exercise_id).unlink(missing_ok=True)
