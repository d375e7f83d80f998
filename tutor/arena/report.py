"""The leaderboard as one self-contained HTML page: the table, the judge's figures, and a matplotlib plot of the
Bradley-Terry scores with their 95% interval whiskers (embedded as a base64 PNG), with and without the length
control."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any


def plot_png(plain: Any, controlled: Any) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(plain.systems)[::-1]
    figure, axis = plt.subplots(figsize=(7, 0.55 * len(names) + 1.4), dpi=110)
    for offset, board, label, colour in (
        (0.12, plain, "as judged", "#1f5fa8"),
        (-0.12, controlled, "length-controlled", "#c26a00"),
    ):
        rows = [board.systems[n] for n in names]
        scores = [r["score"] for r in rows]
        errors = [[r["score"] - r["ci"][0] for r in rows], [r["ci"][1] - r["score"] for r in rows]]
        axis.errorbar(
            scores,
            [i + offset for i in range(len(names))],
            xerr=errors,
            fmt="o",
            capsize=4,
            color=colour,
            label=label,
        )
    axis.set_yticks(range(len(names)), names)
    axis.axvline(0, color="#999", linewidth=0.8)
    axis.set_xlabel("Bradley-Terry score (mean 0), 95% bootstrap interval")
    axis.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def write_html(
    path: Path,
    plain: Any,
    controlled: Any,
    stats: dict[str, Any],
    agreement: tuple[float | None, int],
    votes: str,
) -> None:
    image = base64.b64encode(plot_png(plain, controlled)).decode("ascii")
    rows = []
    for name, row in plain.systems.items():
        n = max(row["battles"], 1)
        other = controlled.systems[name]
        rows.append(
            f"<tr><td>{row['rank']}</td><td>{html.escape(name)}</td><td>{row['score']:.2f}</td>"
            f"<td>[{row['ci'][0]:.2f}, {row['ci'][1]:.2f}]</td><td>{row['wins'] / n:.0%}</td>"
            f"<td>{row['ties'] / n:.0%}</td><td>{row['losses'] / n:.0%}</td><td>{row['battles']}</td>"
            f"<td>{other['score']:.2f} (rank {other['rank']})</td></tr>"
        )
    kappa, shared = agreement

    def fmt(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Hint arena leaderboard</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}}</style></head><body>
<h1>Hint arena leaderboard</h1>
<p>Votes: {html.escape(votes)} &middot; {plain.battles} battles &middot; ties count as half a win &middot; ranks are
shared where 95% intervals overlap &middot; length coefficient {fmt(controlled.length_coef, "+.3f")} per 10 words.</p>
<table><tr><th>rank</th><th>system</th><th>score</th><th>95% interval</th><th>win</th><th>tie</th><th>loss</th>
<th>battles</th><th>length-controlled</th></tr>{"".join(rows)}</table>
<p><img alt="Scores with 95% intervals" src="data:image/png;base64,{image}"></p>
<h2>Judge</h2><ul><li>model: {html.escape(str(stats.get("name") or "none"))}</li>
<li>consistency (same winner in both orders): {fmt(stats.get("consistency"), ".0%")} raw,
{fmt(stats.get("consistency_calibrated"), ".0%")} calibrated</li>
<li>position bias (win rate shown first minus shown second): {fmt(stats.get("position_bias"), "+.2f")} raw,
{fmt(stats.get("position_bias_calibrated"), "+.2f")} calibrated (position prior
{fmt(stats.get("position_prior"), "+.2f")} in log-odds, taken out before deciding)</li>
<li>pairs judged: {stats.get("pairs_judged", 0)}; decided by the leak guard: {stats.get("decided_by_guard", 0)};
identical hints (a tie, not judged): {stats.get("identical_hints", 0)}</li>
<li>time per judged battle (two verdicts): {fmt(stats.get("seconds_per_battle"), ".1f")} s</li>
<li>agreement with teachers (Cohen's kappa): {fmt(kappa, ".2f")} on {shared} pairs both judged</li>
<li>measured: {html.escape(stats.get("trust", ""))}</li></ul>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
