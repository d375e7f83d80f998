"""Which model to load: the user's choice when the school's policy allows it, else the policy's default, else the
embedded model. Shared (read-only) folders from the policy are searched too."""

from __future__ import annotations

from pathlib import Path

from tutor.models.catalog import find_entry
from tutor.models.store import ModelStore, StoreError
from tutor.policy import Policy


class ModelNotAllowed(StoreError):
    pass


def model_names(path: Path) -> tuple[str, ...]:
    """The names a policy may use for a model file: its file name, its stem, and its catalog id."""
    from tutor.models.catalog import entries_for_file

    return (path.name, path.stem, *(e.id for e in entries_for_file(path.name)))


def store_for(policy: Policy, extra_shared: list[Path] | None = None) -> ModelStore:
    return ModelStore(shared=[*policy.shared_folders, *(extra_shared or [])])


def choose_model(policy: Policy, requested: str, store: ModelStore) -> tuple[str, str]:
    """``(path or "" for the embedded model, note)``; raises ``ModelNotAllowed`` for a model the policy forbids
    when it was asked for explicitly."""
    if requested:
        path = Path(requested)
        if not policy.allows_model(*model_names(path)):
            raise ModelNotAllowed(f"{path.name} is not among the models your school allows")
        return str(path), ""
    if policy.default_model:
        wanted = policy.default_model
        entry = find_entry(wanted)
        if entry is not None and entry.source != "hub":
            return "", ""
        for model in store.list():
            if wanted in (model.id, model.path.name, model.path.stem) or (
                entry and model.path.name == entry.file
            ):
                return str(model.path), f"the school's default model ({wanted})"
        return "", f"the school's default model {wanted} is not on this machine; using the embedded one"
    return "", ""
