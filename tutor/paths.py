"""Where the tutor keeps its files: bundled resources, user data, user config and site config.

Locations come from platformdirs; environment variables override them for portable and lab installs:
``TUTOR_DATA_DIR`` (models, progress database, autosaved code) and ``TUTOR_CONFIG_DIR`` (settings).
Nothing is ever written inside the working tree.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "offline-tutor"


def resources_dir() -> Path:
    """The bundled ``resources/`` folder (next to the package, or inside a frozen bundle)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def user_data_dir() -> Path:
    """Per-user data: models, progress database, autosaved code."""
    override = os.environ.get("TUTOR_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_dir() -> Path:
    """Per-user settings."""
    override = os.environ.get("TUTOR_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def site_config_dir() -> Path:
    """The machine-wide (school) configuration folder, read-only for learners."""
    return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Where downloaded, imported and assembled models live."""
    return user_data_dir() / "models"
