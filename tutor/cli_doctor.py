"""``tutor doctor``: what this machine has and what the tutor will use (``tutor.doctor``), printed."""

from __future__ import annotations

import argparse
from typing import Any

from tutor.cli_common import emit
from tutor.doctor import diagnose, greedy_generation
from tutor.doctor_verdict import verdict


def cmd_doctor(args: argparse.Namespace) -> int:
    report = diagnose(args.model, probe_browser=args.engine != "native")
    if args.generate > 0:
        report["generation"] = greedy_generation(args.model, args.generate)
    report["verdict"] = verdict(report)
    lines = [f"{key:<16} {value}" for key, value in report.items() if not isinstance(value, dict)]
    for key, value in report.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k:<14} {v}" for k, v in value.items()]
    lines = [line for line in lines if not line.startswith("verdict ")] + [report["verdict"]]
    emit(args, report, "\n".join(lines))
    return 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``doctor`` on ``tutor``'s sub-parsers."""
    doctor = sub.add_parser(
        "doctor", parents=[common], help="what this machine has and what the tutor will use"
    )
    doctor.add_argument("--model", help="check this GGUF file instead of the default model")
    doctor.add_argument(
        "--generate",
        type=int,
        default=0,
        metavar="N",
        help="also load the model and write N tokens greedily (proves it runs on this CPU)",
    )
    doctor.add_argument(
        "--engine",
        choices=["auto", "native"],
        default="auto",
        help="native: skip the browser engine's probe (it starts Qt WebEngine)",
    )
    doctor.set_defaults(func=cmd_doctor)
