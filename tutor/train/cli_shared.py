"""What the ``tutor train`` commands share: the one-line answer without the training extra, and the command line
a model card records."""

from __future__ import annotations

import argparse

TRAIN_EXTRA = "the training extra is not installed (pip install -e '.[train]'): "


def command_line(words: list[str], args: argparse.Namespace, flags: list[str]) -> list[str]:
    """The command with every option spelled out (defaults included): what the model card records."""
    line = ["tutor", *words]
    for flag in flags:
        value = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if value is True:
            line.append(flag)
        elif value is not None and value is not False and value != "":  # 0 is a value: `--seed 0`
            line += [flag, str(value)]
    return line
