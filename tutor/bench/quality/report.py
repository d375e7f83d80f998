"""Summaries and the report: rates with 95% bootstrap intervals, per system and per set; ``summary.json``,
``rows.jsonl`` (one row per system and item), ``details.json`` and ``report.html`` with matplotlib figures."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from tutor.bench.quality.cost import cost_table
from tutor.bench.quality.judge import CRITERIA, JUDGE_VERSION
from tutor.bench.quality.references import reference_table
from tutor.eval.human import human_table
from tutor.eval.stats import mean_interval, rounded
from tutor.eval.trust import find, trust_line
from tutor.jsonl import write_jsonl

RATES = ("rpass", "localization", "conceal", "model_share")


def _rate(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float(bool(r[key])) for r in rows]


def _hgood(rows: list[dict[str, Any]], criterion: str = "HGood") -> list[float]:
    return [float(bool(r["judge"][criterion])) for r in rows if r.get("judge")]


def system_summary(rows: list[dict[str, Any]], judged: bool) -> dict[str, Any]:
    """The issue's summary fields for one system's rows."""
    times = [r["time_total_s"] for r in rows]
    redits = [r["redit"] for r in rows if r["redit"] is not None]
    summary: dict[str, Any] = {
        "n": len(rows),
        "rpass": None,
        "redit": rounded(float(np.mean(redits)) if redits else None, 2),
    }
    for key in RATES:
        summary[key] = rounded(mean_interval(_rate(rows, key))[0])
    summary["hgood"] = rounded(mean_interval(_hgood(rows))[0]) if judged else None
    summary["time_p50_s"] = rounded(float(np.percentile(times, 50)) if times else None, 2)
    summary["time_p90_s"] = rounded(float(np.percentile(times, 90)) if times else None, 2)
    return summary


def intervals(rows: list[dict[str, Any]], judged: bool) -> dict[str, list[float | None]]:
    found = {key: [rounded(v) for v in mean_interval(_rate(rows, key))[1:]] for key in RATES}
    if judged:
        for criterion in (*CRITERIA, "HGood"):
            found[criterion] = [rounded(v) for v in mean_interval(_hgood(rows, criterion))[1:]]
    return found


def by_system(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["system"], []).append(row)
    return grouped


def summarize(
    rows: list[dict[str, Any]], systems: list[str], judge: str | None, set_name: str, seed: int
) -> dict[str, Any]:
    """Exactly the summary shape of the issue (``--json`` prints it)."""
    grouped = by_system(rows)
    return {
        "systems": {name: system_summary(grouped.get(name, []), judge is not None) for name in systems},
        "judge": judge,
        "set": set_name,
        "seed": seed,
    }


def paired(rows: list[dict[str, Any]], systems: list[str]) -> list[dict[str, Any]]:
    """Only the items every system has answered (a stopped run compares like with like)."""
    common: set[str] | None = None
    for name in systems:
        keys = {r["item"] for r in rows if r["system"] == name}
        common = keys if common is None else common & keys
    return [r for r in rows if r["item"] in (common or set())]


def details(
    rows: list[dict[str, Any]],
    systems: list[str],
    judge: str | None,
    warnings: list[str],
    watts: float,
    kwh_price: float,
) -> dict[str, Any]:
    grouped = by_system(rows)
    both = paired(rows, systems)
    out: dict[str, Any] = {
        "warnings": warnings,
        "judge": judge,
        "judge_trust": find("quality", judge, JUDGE_VERSION) if judge else None,
        "systems": {},
        "paired": {
            "items": len({r["item"] for r in both}),
            "systems": {n: system_summary(r, judge is not None) for n, r in by_system(both).items()},
            "intervals_95": {n: intervals(r, judge is not None) for n, r in by_system(both).items()},
        },
    }
    for name in systems:
        out["systems"][name] = _system_details(grouped.get(name, []), judge is not None, watts, kwh_price)
    return out


def _median(values: list[float], digits: int) -> float | None:
    return rounded(float(np.median(values)) if values else None, digits)


def _system_details(
    mine: list[dict[str, Any]], judged_run: bool, watts: float, kwh_price: float
) -> dict[str, Any]:
    """One system's figures beyond the summary: intervals, criteria, per set, times, tokens, memory, cost."""
    sets: dict[str, list[dict[str, Any]]] = {}
    for row in mine:
        sets.setdefault(row["set"], []).append(row)
    model_s = sum(r["model_s"] for r in mine)
    bench_s = sum(r["bench_s"] for r in mine)
    judged = [r["judge"] for r in mine if r.get("judge")]
    return {
        "n_judged": len(judged),
        "intervals_95": intervals(mine, judged_run),
        "criteria": {
            c: rounded(float(np.mean([j[c] for j in judged]))) if judged else None
            for c in (*CRITERIA, "HGood")
        },
        "by_set": {
            s: dict(system_summary(r, judged_run), intervals_95=intervals(r, judged_run))
            for s, r in sets.items()
        },
        "time_first_p50_s": _median([r["time_first_s"] for r in mine], 2),
        # the first text the learner reads (the failing test in words); runs before it was measured lack it
        "time_text_p50_s": _median([r["time_text_s"] for r in mine if "time_text_s" in r], 2),
        "tok_s_median": _median([r["tok_s"] for r in mine if r["tok_s"]], 1),
        "completion_tokens_mean": rounded(
            float(np.mean([r["completion_tokens"] for r in mine])) if mine else None, 1
        ),
        "engine_peak_rss_mb": max(
            (r["engine_peak_rss_mb"] for r in mine if r.get("engine_peak_rss_mb")), default=None
        ),
        "bench_share_of_model_time": rounded(bench_s / model_s) if model_s else None,
        "bench_s": round(bench_s, 2),
        "model_s": round(model_s, 2),
        "cost_per_1000_hints": cost_table(mine, watts, kwh_price),
    }


def write_outputs(
    out: Path, rows: list[dict[str, Any]], summary: dict[str, Any], extra: dict[str, Any]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "details.json").write_text(json.dumps(extra, indent=2) + "\n")
    write_jsonl(out / "rows.jsonl", rows)
    (out / "report.html").write_text(render_html(summary, extra), encoding="utf-8")


def table(summary: dict[str, Any], extra: dict[str, Any]) -> str:
    """The plain-text table the command prints."""
    head = f"{'system':<38} {'n':>4} {'RPass':>6} {'REdit':>6} {'Loc':>6} {'Conceal':>7} {'Model':>6} {'HGood':>6} {'p50 s':>7} {'p90 s':>7}"
    lines = [head] + [_line(name, s) for name, s in summary["systems"].items()]
    pairs = extra.get("paired", {})
    if pairs.get("systems") and any(s["n"] != pairs["items"] for s in summary["systems"].values()):
        lines.append(f"paired: the {pairs['items']} items every system answered")
        lines += [_line(name, s) for name, s in pairs["systems"].items()]
    judged = {n: e.get("n_judged") for n, e in extra.get("systems", {}).items()}
    if summary.get("judge"):
        lines.append("judged hints: " + ", ".join(f"{n} {c}" for n, c in judged.items()))
    for name, e in extra.get("systems", {}).items():
        if e.get("engine_peak_rss_mb"):
            lines.append(
                f"{name}: {_first_text(e)}first hint token p50 {e['time_first_p50_s']} s, "
                f"{e['tok_s_median']} tok/s, "
                f"peak memory of its engine process {e['engine_peak_rss_mb']:.0f} MB"
            )
        share = e.get("bench_share_of_model_time")
        if share is not None:
            lines.append(
                f"{name}: the benchmark's own work (full test runs, scoring) = {share:.1%} of model time "
                f"(goal < 10%)"
            )
    lines += [f"warning: {w}" for w in extra.get("warnings", [])]
    if summary.get("judge"):
        lines.append("HGood above is the judge's; people's labels are reported apart (--labels)")
        lines.append(trust_line("quality", summary["judge"], JUDGE_VERSION))
    if extra.get("human"):
        lines += human_table(extra["human"])
    if extra.get("references"):
        lines += reference_table(extra["references"])
    return "\n".join(lines)


def _first_text(extra: dict[str, Any]) -> str:
    """The first text's p50 (the failing test in words), for runs made since it is measured."""
    found = extra.get("time_text_p50_s")
    return "" if found is None else f"first text p50 {found} s, "


def _line(name: str, s: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    return (
        f"{name:<38} {s['n']:>4} {f(s['rpass']):>6} {f(s['redit']):>6} {f(s['localization']):>6} "
        f"{f(s['conceal']):>7} {f(s['model_share']):>6} {f(s['hgood']):>6} {f(s['time_p50_s']):>7} "
        f"{f(s['time_p90_s']):>7}"
    )


def _figure_png(summary: dict[str, Any], extra: dict[str, Any], kind: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    metric = "hgood" if summary["judge"] else "localization"
    if kind == "scatter":
        for name, s in summary["systems"].items():
            if s["n"] and s[metric] is not None:
                low, high = extra["systems"][name]["intervals_95"].get(
                    "HGood" if metric == "hgood" else metric
                )
                error = (
                    [[s[metric] - low], [high - s[metric]]] if low is not None and high is not None else None
                )
                ax.errorbar(s["time_p50_s"], s[metric], yerr=error, fmt="o", capsize=4)
                ax.annotate(
                    name, (s["time_p50_s"], s[metric]), textcoords="offset points", xytext=(6, 4), fontsize=8
                )
        ax.set_xscale("symlog", linthresh=1)
        slowest = max((s["time_p50_s"] or 0 for s in summary["systems"].values()), default=1)
        ticks = [t for t in (0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200) if t <= max(slowest * 1.5, 1)]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])  # seconds as plain numbers, not one lone 10^0
        ax.set_xlabel("median time per hint (s, this machine)")
        ax.set_ylabel(f"{'HGood (judge)' if metric == 'hgood' else 'localization'} rate, 95% CI")
        ax.set_title("Quality against time per hint")
    else:
        sets = sorted({s for e in extra["systems"].values() for s in e["by_set"]})
        names = list(summary["systems"])
        width = 0.8 / max(len(names), 1)
        for index, name in enumerate(names):
            values = [(extra["systems"][name]["by_set"].get(s) or {}).get(metric) or 0 for s in sets]
            ax.bar(np.arange(len(sets)) + index * width, values, width, label=name)
        ax.set_xticks(np.arange(len(sets)) + width * (len(names) - 1) / 2, sets)
        ax.set_ylabel(f"{metric} rate")
        ax.set_ylim(0, 1)
        ax.legend(
            fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2
        )  # below: never over a bar
        ax.set_title(f"{metric} per set")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(summary: dict[str, Any], extra: dict[str, Any]) -> str:
    text = html.escape(table(summary, extra))
    images = "".join(
        f'<img alt="{kind}" src="data:image/png;base64,{_figure_png(summary, extra, kind)}">'
        for kind in ("scatter", "bars")
    )
    return (
        f"<!doctype html><meta charset='utf-8'><title>Hint quality benchmark</title>"
        f"<h1>Hint quality benchmark</h1><p>set {html.escape(str(summary['set']))}, seed {summary['seed']}, "
        f"judge {html.escape(str(summary['judge']))}</p><pre>{text}</pre>{images}"
        f"<h2>Details</h2><pre>{html.escape(json.dumps(extra, indent=1))}</pre>"
    )
