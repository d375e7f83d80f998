"""Which model to load: the user's choice when the school's policy allows it, else the policy's default, else the
embedded model. Shared (read-only) folders from the policy are searched too. ``check_allowed`` is the policy's
allowed-models check, by the file's sha256 (``tutor.models.checksum.model_sha256``), never by its name."""

from __future__ import annotations

from pathlib import Path

from tutor.models.catalog import find_entry
from tutor.models.checksum import CACHE_NAME, model_sha256
from tutor.models.store import ModelStore, StoreError
from tutor.paths import user_data_dir
from tutor.policy import Policy


class ModelRefused(StoreError):
    """The school's policy does not let this model run now (exam mode, a broken policy, not allowed)."""


class ModelNotAllowed(ModelRefused):
    """The model's content is not among the models the school's policy allows."""


def check_allowed(policy: Policy, path: Path) -> None:
    """Raise ``ModelNotAllowed`` unless the file's sha256 is one the policy allows (no list: any file)."""
    if policy.allowed_sha256 is None:
        return
    try:
        digest = model_sha256(path, user_data_dir() / CACHE_NAME)
    except OSError as exc:
        raise ModelNotAllowed(
            f"{path.name} cannot be checked against the school's allowed models ({exc})"
        ) from None
    if not policy.allows_sha256(digest):
        raise ModelNotAllowed(
            f"{path.name} is not among the models your school allows (its sha256 {digest[:12]}… is not on the "
            "policy's list)"
        )


def store_for(policy: Policy, extra_shared: list[Path] | None = None) -> ModelStore:
    return ModelStore(shared=[*policy.shared_folders, *(extra_shared or [])])


def choose_model(policy: Policy, requested: str, store: ModelStore) -> tuple[str, str]:
    """``(path, note)``: the path, a built-in model's catalog id (the school pins the base or the fine-tune), or ""
    for the default model; raises ``ModelNotAllowed`` for a model the policy forbids
    when it was asked for explicitly."""
    if requested:
        path = Path(requested)
        check_allowed(policy, path)
        return str(path), ""
    if policy.default_model:
        wanted = policy.default_model
        entry = find_entry(wanted)
        if (
            entry is not None and entry.source != "hub"
        ):  # a built-in model, made here (its id: ``model_file``)
            return entry.id, f"the school's default model ({entry.name})"
        for model in store.list():
            if wanted in (model.id, model.path.name, model.path.stem) or (
                entry and model.path.name == entry.file
            ):
                return str(model.path), f"the school's default model ({wanted})"
        return "", f"the school's default model {wanted} is not on this machine; using the embedded one"
    return "", ""
