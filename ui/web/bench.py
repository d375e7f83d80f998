"""Browser engine (wllama, WASM or WebGPU) against the native engine, side by side in one run: tokens/s on the
same prompt and model load time. Run: ``python -m ui.web.bench [--rounds N] [--tokens N]``."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from tutor.engines.base import GenerationParams
from tutor.engines.native import NativeEngine
from tutor.engines.select import Choice, make_engine
from tutor.session import authorized_model_file
from ui.web.host import run_with_browser_engine

PROMPT = (
    "Explain, step by step, what this Python function does:\ndef total(numbers):\n    return sum(numbers)\n"
)


def measure(rounds: int, tokens: int) -> dict[str, object]:

    model = authorized_model_file()  # the school's policy (tutor.session): exam mode, allowed models
    native = NativeEngine()
    started = time.perf_counter()
    native.load(model)
    native_load = time.perf_counter() - started
    browser = make_engine(Choice("browser", "benchmark"))
    started = time.perf_counter()
    browser.load(model)
    browser_load = time.perf_counter() - started
    params = GenerationParams(max_tokens=tokens, temperature=0.0, seed=1)

    def rate(engine: object) -> float:
        generation = engine.generate(PROMPT, params)  # type: ignore[attr-defined]
        begun = time.perf_counter()
        count = sum(1 for _ in generation)
        return count / (time.perf_counter() - begun)

    rate(native), rate(browser)  # warm-up: both evaluate the prompt once, later rounds reuse it the same way
    native_rates, browser_rates = [], []
    for _ in range(rounds):
        native_rates.append(rate(native))
        browser_rates.append(rate(browser))
    info = browser.info()
    return {
        "native_tok_s": round(statistics.median(native_rates), 2),
        "browser_tok_s": round(statistics.median(browser_rates), 2),
        "ratio_browser_over_native": round(
            statistics.median(browser_rates) / statistics.median(native_rates), 3
        ),
        "native_load_s": round(native_load, 2),
        "browser_load_s": round(browser_load, 2),
        "browser_backend": info.backend,
        "browser_threads": info.threads,
        "webgpu_adapter": info.details.get("webgpu_adapter"),
        "rounds": rounds,
        "tokens": tokens,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args(argv)
    result: dict[str, object] = {}
    code = run_with_browser_engine(lambda: result.update(measure(args.rounds, args.tokens)) or 0)
    print(json.dumps(result, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
