"""The hint pipeline: repair prompts, repair selection, leak guard, analysis hints."""

from tutor.feedback.pipeline import Hint, HintPipeline, PipelineConfig, make_hint

__all__ = ["Hint", "HintPipeline", "PipelineConfig", "make_hint"]
