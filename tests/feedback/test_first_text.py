"""What the learner reads first: the failing test in words, sent before any repair is tried (issue 24, item 5)."""

from __future__ import annotations

import pytest

from tutor.engines.native import NativeEngine
from tutor.exercises import load_bundled
from tutor.feedback import HintPipeline, PipelineConfig, analysis
from tutor.runner import run

from .test_pipeline import NoModel

PACK = load_bundled()
ANALYSIS_ONLY = PipelineConfig(repairs=0, model_hint=False, model_repairs=False)


def test_the_observation_comes_before_the_repairs_and_starts_the_hint() -> None:
    exercise = PACK.find("greeting")
    code = 'def greeting(name):\n    return "Hello " + name + "!"\n'
    events: list[str] = []
    pipeline = HintPipeline(
        NoModel(),  # type: ignore[arg-type]
        ANALYSIS_ONLY,
        on_stage=lambda stage: events.append(f"stage:{stage}"),
        on_observation=lambda text: events.append(f"observed:{text}"),
    )
    hint = pipeline.run(exercise, code)
    failure = run(exercise, code).first_failure
    assert failure is not None
    observed = analysis.describe_failure(failure)
    assert "greeting(" in observed
    assert events.index(f"observed:{observed}") < events.index("stage:repairing")
    assert hint.status == "hint" and hint.hint.startswith(observed)
    assert 0 < hint.timings["observation_s"] <= hint.timings["total_s"]


def test_no_early_observation_with_a_word_the_teacher_asked_hints_to_avoid() -> None:
    exercise = PACK.find("greeting")
    code = 'def greeting(name):\n    return "Hello " + name + "!"\n'
    seen: list[str] = []
    config = PipelineConfig(repairs=0, model_hint=False, model_repairs=False, avoid=("Hello",))
    HintPipeline(NoModel(), config, on_observation=seen.append).run(exercise, code)  # type: ignore[arg-type]
    assert seen == []


def test_passing_code_and_syntax_errors_send_no_observation() -> None:
    exercise = PACK.find("fizzbuzz")
    seen: list[str] = []
    pipeline = HintPipeline(NoModel(), ANALYSIS_ONLY, on_observation=seen.append)  # type: ignore[arg-type]
    assert pipeline.run(exercise, exercise.solution).status == "passing"
    assert pipeline.run(exercise, "def fizzbuzz(n)\n    return n\n").status == "hint"
    assert seen == []


@pytest.mark.slow
def test_the_model_hint_streams_after_the_observation(engine: NativeEngine) -> None:
    exercise = PACK.find("sum_of_evens")
    events: list[tuple[str, str]] = []
    hint = HintPipeline(
        engine,
        PipelineConfig(repairs=1),
        on_token=lambda piece: events.append(("token", piece)),
        on_observation=lambda text: events.append(("observed", text)),
    ).run(exercise, exercise.starter)
    assert events and events[0][0] == "observed"
    assert [kind for kind, _ in events].count("observed") == 1
    if hint.source == "model":
        assert hint.hint.startswith(events[0][1])
