"""Real rejected outputs for preference tuning (issue 24): a base model's own hint for dev-split pairs that have
an authored target, written with the pipeline's hint prompt and grammar (the call the app makes, at temperature
0.7 so the outputs vary), kept with why the teacher checks refuse it.

usage: python tools/rejected_hints.py MODEL.gguf OUT.jsonl [--limit N] [--seed S] [--threads N]
The pairs are collected as ``tutor train data`` collects them (minutes of test runs); a pair is used when the
bundled targets have it. Resumable: keys already in OUT.jsonl are skipped.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from tutor.engines.base import GenerationParams
from tutor.engines.native import NativeEngine
from tutor.eval.build import DEFAULT_DATASETS
from tutor.feedback import analysis, prompts
from tutor.jsonl import append_jsonl, read_jsonl
from tutor.train.authored import load_targets, pair_key
from tutor.train.sources import collect
from tutor.train.teacher import teacher_reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    targets = load_targets()
    collected = collect(DEFAULT_DATASETS, None, 7)
    pairs = {pair_key(p.task, p.code, p.fix): p for p in collected.pairs}
    keys = [k for k in targets if k in pairs]  # the targets file's order, then shuffled
    random.Random(args.seed).shuffle(keys)
    done = {row["key"] for row in read_jsonl(args.out)} if args.out.exists() else set()
    engine = NativeEngine(threads=args.threads)
    engine.load(args.model)
    chat = engine.info().chat_template
    for key in keys[: args.limit]:
        if key in done:
            continue
        pair = pairs[key]
        exercise = collected.exercises[pair.task]
        context = prompts.shared_context(exercise, pair.code, pair.failure)
        change = analysis.describe_change(pair.code, pair.fix)
        prompt = prompts.hint_prompt(context, pair.fix, change, chat)
        params = GenerationParams(max_tokens=96, temperature=0.7, seed=args.seed, repeat_penalty=1.3)
        text = engine.generate(prompt, params, prompts.HINT_GRAMMAR).collect()
        reasons = teacher_reasons(text, exercise, pair.code, pair.fix, pair.failure)
        row = {"key": key, "task": pair.task, "model": args.model.name, "text": text, "why": reasons}
        append_jsonl(args.out, [row])


if __name__ == "__main__":
    main()
