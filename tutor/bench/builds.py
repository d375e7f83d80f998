"""Two llama.cpp builds side by side: the same model, prompt and greedy settings under two Python interpreters
(for example the project's portable build and a ``GGML_NATIVE=ON`` build in another virtual environment), runs
interleaved so that machine noise hits both alike. Prints tokens/s per round and the ratio of the medians.

Run: ``python -m tutor.bench.builds PYTHON_A PYTHON_B [--rounds 3] [--tokens 64] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.models.default_model import ensure_default_model

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys, time
import llama_cpp
from tutor.engines import cpu_backend
from tutor.engines.native import default_threads
path = cpu_backend.ensure_loaded().summary()
threads = default_threads()
llama = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
llama.create_completion(sys.argv[3], max_tokens=4, temperature=0.0)  # warm: page the weights in
start, count = time.perf_counter(), 0
first = None
for chunk in llama.create_completion(sys.argv[3], max_tokens=int(sys.argv[2]), temperature=0.0, stream=True):
    count += 1
    first = first or time.perf_counter()
decode = time.perf_counter() - first
print(json.dumps({"tokens_per_s": (count - 1) / decode, "code_path": path, "version": llama_cpp.__version__}))
"""


def measure(python: str, model: Path, tokens: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    from tutor.bench.core import PROMPT  # heavy: llama_cpp (the bench core loads the native engine)

    result = subprocess.run(
        [python, "-c", PROBE, str(model), str(tokens), PROMPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise SystemExit(f"{python}: exit {result.returncode}: {result.stderr[-1000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.bench.builds", description=__doc__.splitlines()[0])
    parser.add_argument(
        "pythons", nargs=2, help="two Python interpreters, each with its own llama-cpp-python"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the embedded model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    model = args.model or ensure_default_model()
    runs: dict[str, list[dict[str, Any]]] = {p: [] for p in args.pythons}
    for round_ in range(args.rounds):
        for python in args.pythons if round_ % 2 == 0 else reversed(args.pythons):
            runs[python].append(measure(python, model, args.tokens))
    medians = {p: statistics.median(r["tokens_per_s"] for r in rs) for p, rs in runs.items()}
    a, b = args.pythons
    result = {
        "builds": {
            p: {
                "code_path": rs[0]["code_path"],
                "tokens_per_s": [round(r["tokens_per_s"], 2) for r in rs],
                "median": round(medians[p], 2),
            }
            for p, rs in runs.items()
        },
        "ratio_a_over_b": round(medians[a] / medians[b], 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for python, data in result["builds"].items():
            print(f"{python}\n  {data['code_path']}\n  tok/s {data['tokens_per_s']} median {data['median']}")
        print(f"ratio A/B: {result['ratio_a_over_b']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
