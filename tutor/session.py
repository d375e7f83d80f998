"""One Qt-free session that every front door shares (the ``tutor`` commands and the desktop app; Anki's
``Collection`` is the model): the school's policy, the learner's settings, the progress store, the workspace,
which model and engine to use, and whether a hint may be given now.

The rules live here once; a front door only presents them (the CLI as one line on stderr and exit 2, the app as
a notice in its window):

- **Model.** The model asked for (``--model``), else the learner's saved choice, else the policy's default, else
  the embedded model. A requested model that is gone or that the policy does not allow is *refused*: the choice
  says why and falls back to the policy's default or the embedded model (the CLI stops with that reason, the app
  shows it and carries on). A model bigger than the free RAM gets a warning.
- **Engine.** The engine asked for, else the learner's saved choice (``Settings.engine``), else ``auto``.
  ``auto`` means *native llama.cpp*, everywhere. Why not "the browser engine when it has a WebGPU adapter": Qt
  WebEngine in every PySide6 this project supports is built without Dawn, so ``requestAdapter()`` returns null on
  every platform and the probe can only ever answer "native" -- yet asking costs starting Chromium and loading
  the engine page (seconds and hundreds of MB) on every ``tutor hint`` and every app start, and on the CPU wllama
  runs at about 0.24x native speed. The browser engine is one explicit choice away (``--engine browser``, the
  status-bar box), and ``tutor doctor`` still probes the page and says when a WebGPU adapter is there.
- **Running a model.** Every front door that loads a model (``hint``, ``grade``, ``bench``, ``bench quality``,
  ``arena``, ``train data``, ``doctor --generate``, ``models recommend``'s speed check, the app, its grading and
  comparing windows) passes the file it is about to load through ``Session.authorize_model`` first: refused
  while the policy is broken or in exam mode, and unless the file's sha256 is on the policy's allowed list (the
  embedded model always is). Commands that write hints without a model (``bench quality`` and ``arena run``
  with the ``analysis`` system) ask ``model_refusal`` too.
- **Hints.** Off while the policy is broken or in exam mode; otherwise limited by the policy's per-exercise
  quota, counted from the progress store. Only a hint actually given counts (not a cancelled request, nor one
  for a program that already passes).
- **Progress and code** live in the policy's ``data.progress_dir`` when it sets one, else in the user data dir.
- **Bad disks.** Recording a run or a hint raises ``tutor.saving.NotSaved`` when the disk refuses it (full,
  read-only): the event is still counted (the quota holds) and written with the next one that can be. The front
  doors show the hint or the report anyway, with that one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.engines.base import Engine, EngineCrashed, EngineError
from tutor.engines.select import Choice, choose, make_engine
from tutor.errors import UsageError
from tutor.exercises import Exercise, LoadResult, load_tasks
from tutor.models.catalog import hint_writer_for, ram_warning
from tutor.models.choice import ModelRefused, check_allowed, choose_model, store_for
from tutor.models.default_model import (
    DefaultModelError,
    Sources,
    builtin_ids,
    ensure_builtin,
    ensure_default_model,
)
from tutor.models.store import ModelStore, StoreError
from tutor.packs import load_course
from tutor.policy import Policy, load_policy
from tutor.progress import ProgressStore
from tutor.runner import TestReport, sandbox_status
from tutor.settings import Settings
from tutor.system import memory_gib
from tutor.workspace import Workspace

if TYPE_CHECKING:  # the hint pipeline is imported only by the commands that use it
    from tutor.feedback import Hint, PipelineConfig


@dataclass(frozen=True)
class ModelChoice:
    """Which model file to load (``path`` is "" for the embedded default) and what to tell the learner."""

    path: str = ""
    note: str = ""  # why this model, when it was not asked for (e.g. the school's default)
    refused: str = ""  # why the requested model is not used; ``path`` is then the fallback
    warning: str = ""  # the model may not fit in the free memory

    def notice(self) -> str:
        """Everything worth telling the learner, as sentences ("" when there is nothing to say)."""
        first = f"{self.refused}; using {self.note or 'the built-in model'}" if self.refused else self.note
        parts = [_sentence(text) for text in (first, self.warning) if text]
        return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def authorize_model(path: Path, policy: Policy | None = None) -> Path:
    """``Session.authorize_model`` for a front door that has no session of its own (the benchmarks, the
    arena, ``train data``); the policy is loaded when not given."""
    return Session(
        policy=policy if policy is not None else load_policy(), settings=Settings()
    ).authorize_model(path)


def model_refusal(policy: Policy | None = None) -> str:
    """``Session.model_refusal`` for a front door that has no session of its own."""
    return Session(
        policy=policy if policy is not None else load_policy(), settings=Settings()
    ).model_refusal()


def models_may_run(policy: Policy | None = None) -> None:
    """Raise ``ModelRefused`` when ``model_refusal`` gives a reason: the early check, before a default model
    that would be refused anyway is prepared (250 MB)."""
    if refusal := model_refusal(policy):
        raise ModelRefused(refusal)


def authorized_model_file(path: Path | None = None) -> Path:
    """The model file a front door without a session may run: ``path``, or the embedded default model. Refused
    (``ModelRefused``) in exam mode or under a broken policy before the default model is prepared, and unless the
    school's policy allows that very file."""
    models_may_run()
    return authorize_model(path or model_file(""))


def model_sources(policy: Policy) -> Sources:
    """Where a built-in model's files may come from under this policy: its shared folders; its base fetched only
    where downloads are allowed."""
    return Sources(shared=tuple(Path(p) for p in policy.shared_folders), fetch=policy.downloads)


def config_for_model(config: PipelineConfig, model_path: str | Path) -> PipelineConfig:
    """``config`` for the model in ``model_path``: one whose catalog entry says ``hint = "analysis"`` (the shipped
    fine-tune) repairs, and the learner reads the analysis hint built from its checked repair."""
    if model_path and hint_writer_for(Path(model_path).name) == "analysis":
        return replace(config, model_hint=False)
    return config


def model_file(
    path: str, progress: Callable[[int, int], None] | None = None, policy: Policy | None = None
) -> Path:
    """The file of a chosen model: ``path`` itself, a built-in model named by its catalog id (a school's policy
    may pin one), or the default model ("": made on first use, from the school's shared folders where they hold
    it, and fetching the fine-tune's base only where the policy allows downloads)."""
    if path and path not in builtin_ids():
        return Path(path)
    sources = model_sources(policy if policy is not None else load_policy())
    if path:
        return ensure_builtin(path, progress, sources)
    return ensure_default_model(progress, sources=sources)


def exercise_in(result: LoadResult, exercise_id: str) -> Exercise:
    """The exercise ``exercise_id`` of a loaded course, or a ``UsageError`` that names a few that exist."""
    found = result.find(exercise_id)
    if found is None:
        known = ", ".join(e.id for e in result.exercises[:8])
        raise UsageError(f"no exercise with id {exercise_id!r} (try `tutor exercises`; e.g. {known})")
    return found


class Session:
    """The state one learner works in. Everything is loaded on first use, so ``tutor check`` opens no database."""

    def __init__(
        self,
        policy: Policy | None = None,
        settings: Settings | None = None,
        progress: ProgressStore | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        self.policy = policy if policy is not None else load_policy()
        self.settings = settings if settings is not None else Settings.load()
        self._progress = progress
        self._workspace = workspace

    # -- where things are kept -------------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path | None:
        """The school's folder for progress and code, or None for the user data dir."""
        return Path(self.policy.progress_dir) if self.policy.progress_dir else None

    @property
    def progress(self) -> ProgressStore:
        if self._progress is None:
            self._progress = ProgressStore(self.data_dir / "progress.db" if self.data_dir else None)
        return self._progress

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace(self.data_dir / "code" if self.data_dir else None)
        return self._workspace

    def store(self, extra_shared: list[Path] | None = None) -> ModelStore:
        """The model store with the policy's shared folders (and any extra ones) searched too."""
        return store_for(self.policy, extra_shared)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.close()

    # -- model and engine ------------------------------------------------------------------------------------------
    def choose_model(self, requested: str = "") -> ModelChoice:
        """The model to load: see the module's docstring for the rule."""
        wanted = requested or self.settings.model_path
        refused = ""
        if wanted and not Path(wanted).is_file():
            refused, wanted = f"the chosen model {wanted} is not there", ""
        try:
            path, note = choose_model(self.policy, wanted, self.store())
        except StoreError as exc:
            refused = str(exc)
            path, note = choose_model(self.policy, "", self.store())
        return ModelChoice(path=path, note=note, refused=refused, warning=self.ram_warning(path))

    def use_model(self, path: str) -> None:
        """Make ``path`` the learner's model ("" for the embedded one), saved at once; ``ModelNotAllowed`` when
        the school's policy does not allow it."""
        if path:
            check_allowed(self.policy, Path(path))
        self.settings.model_path = path
        self.settings.save()

    def model_refusal(self) -> str:
        """Why no model may run (and no hint be written) on this machine now, or "" when one may."""
        policy = self.policy
        if policy.error:
            return f"models and hints are off until the school's policy is fixed ({policy.error})"
        if policy.exam_mode:
            return "the school's policy is in exam mode: no model runs and no hint is given (tests still run)"
        return ""

    def authorize_model(self, path: Path) -> Path:
        """``path`` when the school's policy lets this model run now; else ``ModelRefused`` (or its subclass
        ``ModelNotAllowed``) with the reason. Call it on the very file the engine loads."""
        refusal = self.model_refusal()
        if refusal:
            raise ModelRefused(refusal)
        check_allowed(self.policy, Path(path))
        return Path(path)

    def ram_warning(self, path: str) -> str:
        """A warning when the model file may not fit in the free memory ("" when it fits or is not a file)."""
        model = Path(path) if path else None
        if model is None or not model.is_file():
            return ""
        return ram_warning(model.stat().st_size, memory_gib()[1])

    def engine_choice(self, requested: str | None = None) -> Choice:
        """The engine asked for, else the saved one; ``auto`` means native (see the module's docstring)."""
        return choose(requested or self.settings.engine or "auto")

    def make_engine(self, requested: str | None = None, threads: int | None = None) -> Engine:
        """A new, unloaded engine of the chosen kind."""
        return make_engine(self.engine_choice(requested), threads=threads)

    def load_engine(
        self,
        model: str = "",
        engine: str | None = None,
        threads: int | None = None,
        *,
        keep_on_crash: bool = False,
        progress: Callable[[int, int], None] | None = None,
        notify: Callable[[str, str], None] | None = None,
    ) -> Engine:
        """The engine every front door uses: a model chosen by the session's rules (``model`` "" for the
        learner's or the school's choice), checked against the school's policy on the very file it loads, in the
        chosen engine (``engine`` None for the saved one). ``notify(kind, text)`` hears a ``note``, a ``warning``
        (e.g. low memory) and which ``engine`` runs and why. A refusal, a missing or broken model and a crash
        while loading are a ``UsageError``; with ``keep_on_crash`` a crashed engine is returned instead (a hint
        then comes from the analysis alone; the engine restarts on its next request)."""
        say = notify or (lambda kind, text: None)
        refusal = self.model_refusal()  # before a 250 MB default model is prepared for nothing
        if refusal:
            raise UsageError(refusal)
        try:
            chosen = self.choose_model(model)
            if chosen.refused:
                raise UsageError(chosen.refused)
            for kind, text in (("note", chosen.note), ("warning", chosen.warning)):
                if text:
                    say(kind, text)
            path = self.authorize_model(
                model_file(chosen.path, progress, self.policy)
            )  # exam mode, the allowed list
            choice = self.engine_choice(engine)
            say(
                "engine",
                f"engine: {choice.name}" + ("" if choice.reason == "asked for" else f" ({choice.reason})"),
            )
            loaded = self.make_engine(choice.name, threads=threads)
            self._load(loaded, path, keep_on_crash, say)
        except (EngineError, StoreError, DefaultModelError) as exc:
            raise UsageError(str(exc)) from None
        return loaded

    @staticmethod
    def _load(engine: Engine, path: Path, keep_on_crash: bool, say: Callable[[str, str], None]) -> None:
        try:
            engine.load(path)
        except EngineCrashed as exc:
            if not keep_on_crash:
                raise
            say("warning", str(exc))

    def exercises(self, tasks: list[str] | tuple[str, ...] = ()) -> LoadResult:
        """The course this learner sees (the bundled course unless the policy hides it, pinned and imported
        packs) plus exercises of JSONL task files; a missing task file is a ``UsageError``, a broken exercise is
        in ``errors``."""
        for path in tasks:
            if not Path(path).exists():
                raise UsageError(f"task file not found: {path}")
        result = load_course(self.policy)
        for path in tasks:
            result.extend(load_tasks(Path(path)))
        return result

    def exercise(self, exercise_id: str, tasks: list[str] | tuple[str, ...] = ()) -> Exercise:
        """One exercise by id, or a ``UsageError`` that names a few that exist."""
        return exercise_in(self.exercises(tasks), exercise_id)

    # -- hints -----------------------------------------------------------------------------------------------------
    def hints_left(self, exercise_id: str) -> int | None:
        """Hints left for an exercise under the policy's quota (None: no limit)."""
        return self.policy.hints_left(self.progress.of(exercise_id).hints)

    def hint_refusal(self, exercise_id: str) -> str:
        """Why no hint may be given for this exercise now, or "" when one may."""
        policy = self.policy
        if policy.error:
            return f"hints are off until the school's policy is fixed ({policy.error})"
        if policy.exam_mode:
            return "hints are off: the school's policy is in exam mode"
        if self.hints_left(exercise_id) == 0:
            return f"no hints left for {exercise_id} (your school allows {policy.hints_per_exercise} per exercise)"
        return ""

    def record_hint(self, exercise_id: str, hint: Hint) -> int | None:
        """Count a hint that was given against the quota; returns the hints left afterwards. ``NotSaved`` when
        the disk refuses it (it is counted all the same: ``hints_left`` then tells what is left)."""
        if hint.status == "hint":
            self.progress.record_hint(exercise_id)
        return self.hints_left(exercise_id)

    def record_run(self, exercise_id: str, report: TestReport) -> None:
        """``NotSaved`` when the disk refuses it (it is counted all the same)."""
        self.progress.record_run(exercise_id, report.passed_count, len(report.tests))

    def sandbox_notice(self) -> str:
        """One sentence when learner code cannot run in the OS sandbox here ("" when it does)."""
        state = sandbox_status()
        return "" if state.available else _sentence(f"Your code runs without an OS sandbox: {state.reason}")

    def pipeline_config(self, repairs: int | None = None, model_path: str | Path = "") -> PipelineConfig:
        """The hint pipeline's settings with the school's avoid-list, for the model in ``model_path``
        (``config_for_model``)."""
        from tutor.feedback import PipelineConfig  # heavy: the hint pipeline, only for the commands that hint

        avoid = tuple(self.policy.avoid)
        config = (
            PipelineConfig(avoid=avoid) if repairs is None else PipelineConfig(repairs=repairs, avoid=avoid)
        )
        return config_for_model(config, model_path)
