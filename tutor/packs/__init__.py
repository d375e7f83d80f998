"""Packs of exercises for teachers: check one (``check_pack``), build one file a lab distributes
(``build_pack``), import one after the same check (``import_pack``), write a template (``new_pack``), and load
the course a learner sees (``load_course``: the bundled course, pinned packs and imported packs).
The format: docs/packs.md."""

from tutor.packs.bundle import SUFFIX, PackFileRefused, build_pack, import_pack
from tutor.packs.check import PackCheck, check_pack
from tutor.packs.course import installed_packs_dir, load_course
from tutor.packs.template import new_pack

__all__ = [
    "SUFFIX",
    "PackCheck",
    "PackFileRefused",
    "build_pack",
    "check_pack",
    "import_pack",
    "installed_packs_dir",
    "load_course",
    "new_pack",
]
