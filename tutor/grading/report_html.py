"""``report.html``: one self-contained page (plots embedded as base64 PNG, no script, no network) with the class
summary, the score histogram, the pass rate per test, the failure groups, pairs flagged for review, and a
section per student (tests, rubric, feedback, and the teacher-only diff to the nearest passing repair)."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from tutor.exercises import Exercise
from tutor.grading.nearest import unified_diff, with_names_of
from tutor.grading.score import Grade
from tutor.grading.wording import plural

if TYPE_CHECKING:
    from tutor.grading.run import GradeRun

_SHOWN_GROUPS = 15
_SHOWN_PAIRS = 10

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.4}
h1{margin-bottom:.2rem} .muted{color:#666} table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f4f4f4} .pass{color:#17803d;font-weight:600} .fail{color:#b42318;font-weight:600}
.plots{display:flex;flex-wrap:wrap;gap:1rem} .plots img{width:340px;border:1px solid #eee}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .7rem}
summary{cursor:pointer} pre{background:#f7f7f7;padding:.5rem;overflow-x:auto;font-size:.82rem}
.teacher{border-left:4px solid #d97706;background:#fffbeb;padding:.3rem .7rem;margin:.5rem 0}
.teacher b{color:#92400e} .cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:8px;padding:.5rem 1rem;min-width:120px}
.card .big{font-size:1.6rem;font-weight:700}
"""


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _histogram(grades: list[Grade]) -> str:
    figure = Figure(figsize=(4.2, 3))
    axes = figure.subplots()
    axes.hist(
        [g.percent for g in grades], bins=[i * 10 for i in range(11)], color="#2563eb", edgecolor="white"
    )
    axes.set(title="Scores", xlabel="percent", ylabel="students")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(figure)


def _pass_rates(grades: list[Grade]) -> str:
    figure = Figure(figsize=(4.2, 3))
    axes = figure.subplots()
    count = len(grades[0].tests) if grades else 0
    rates = [
        100 * sum(g.tests[i].status == "pass" for g in grades) / max(len(grades), 1) for i in range(count)
    ]
    colours = ["#9ca3af" if grades and grades[0].tests[i].hidden else "#16a34a" for i in range(count)]
    axes.bar([str(i + 1) for i in range(count)], rates, color=colours)
    axes.set(title="Pass rate per test (grey: hidden)", xlabel="test", ylabel="% of students", ylim=(0, 100))
    return _png(figure)


def _groups_plot(run: GradeRun) -> str:
    figure = Figure(figsize=(4.2, 3))
    axes = figure.subplots()
    top = run.groups[:12]
    axes.barh([f"group {g.number}" for g in top][::-1], [len(g.students) for g in top][::-1], color="#d97706")
    axes.set(title="Largest failure groups", xlabel="students")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(figure)


def write_html(run: GradeRun, exercise: Exercise, path: Path) -> str:
    grades = run.grades
    summary = run.summary()
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Grades: {escape(exercise.title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(exercise.title)}</h1><p class='muted'>Exercise {escape(exercise.id)} · "
        f"{len(grades)} submissions · feedback: {escape(run.model or 'program analysis (no model)')}</p>",
        _cards(summary),
        _warnings(run.warnings),
        "<div class='plots'>",
    ]
    if grades:
        parts += [
            f"<img alt='score histogram' src='{_histogram(grades)}'>",
            f"<img alt='pass rate per test' src='{_pass_rates(grades)}'>",
        ]
    if run.groups:
        parts.append(f"<img alt='failure groups' src='{_groups_plot(run)}'>")
    parts += [
        "</div>",
        _groups_table(run),
        _pairs_table(run),
        "<h2>Students</h2><p class='muted'>Click a name to open the tests, the feedback the student gets, and "
        "(teacher only) the diff to the nearest passing repair.</p>",
    ]
    first_failing = next((g.student for g in grades if g.failing and g.code), None)
    parts += [_student(g, run, opened=g.student == first_failing) for g in grades]
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return str(path)


def _warnings(warnings: list[str]) -> str:
    """The run's warnings (overrides not applied, cache rows refused), where the teacher looks first."""
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return f"<h2>Warnings</h2><ul class='warnings'>{items}</ul>"


def _cards(summary: dict[str, object]) -> str:
    statuses = summary.get("statuses") or {}
    broken = sum(v for k, v in statuses.items() if k != "ok") if isinstance(statuses, dict) else 0
    cards = [
        ("students", summary["students"]),
        ("mean score", f"{summary['mean_percent']}%"),
        ("full marks", summary["full_marks"]),
        ("broken, hung or crashed", broken),
        ("failure groups", summary["groups"]),
        ("similar pairs", summary["similar_pairs"]),
    ]
    return (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><div class='muted'>{escape(str(k))}</div><div class='big'>{escape(str(v))}</div></div>"
            for k, v in cards
        )
        + "</div>"
    )


def _groups_table(run: GradeRun) -> str:
    if not run.groups:
        return "<h2>Failure groups</h2><p>Every submission passes every test.</p>"
    rows = []
    for group in run.groups[:_SHOWN_GROUPS]:
        said = group.explanation or group.hint
        what = escape(group.label) + (
            f"<br><i>{escape(said)}</i> <span class='muted'>({group.source})</span>"
            if said and group.source == "model"
            else ""
        )
        names = ", ".join(group.students[:8]) + (" …" if len(group.students) > 8 else "")
        rows.append(
            f"<tr><td>{group.number}</td><td>{plural(len(group.students), 'student')}</td><td>{what}</td>"
            f"<td class='muted'>{escape(names)}</td></tr>"
        )
    more = (
        f"<p class='muted'>… and {plural(len(run.groups) - _SHOWN_GROUPS, 'smaller group')} (each student's section "
        "names their group).</p>"
        if len(run.groups) > _SHOWN_GROUPS
        else ""
    )
    return (
        "<h2>Failure groups</h2><p class='muted'>Same failing tests, same first error, same program shape."
        "</p><table><tr><th>#</th><th>size</th><th>what fails</th><th>students</th></tr>"
        + "".join(rows)
        + "</table>"
        + more
    )


def _pairs_table(run: GradeRun) -> str:
    head = (
        "<h2>Similar pairs, for review</h2><p class='muted'>Lines in common after renaming variables, the "
        "starter's lines set aside. Short exercises have few natural solutions: a pair is a reason to look, never a verdict.</p>"
    )
    if not run.pairs:
        return head + "<p>No pair above the threshold.</p>"
    rows = "".join(
        f"<tr><td><a href='#{escape(p.first)}'>{escape(p.first)}</a></td><td><a href='#{escape(p.second)}'>"
        f"{escape(p.second)}</a></td><td>{p.similarity:.0%}</td><td>{escape(p.reason)}</td></tr>"
        for p in run.pairs[:_SHOWN_PAIRS]
    )
    more = (
        f"<p class='muted'>All {len(run.pairs)} pairs are in similar.csv.</p>"
        if len(run.pairs) > _SHOWN_PAIRS
        else ""
    )
    return (
        head
        + f"<table><tr><th>first</th><th>second</th><th>similarity</th><th>why</th></tr>{rows}</table>{more}"
    )


def _student(grade: Grade, run: GradeRun, opened: bool = False) -> str:
    mark = "pass" if not grade.failing else "fail"
    head = (
        f"<summary><b>{escape(grade.student)}</b> — <span class='{mark}'>{grade.total:g} / {grade.max_points:g}"
        f" ({grade.percent:.0f}%)</span> · {escape(grade.result or grade.status)}"
        + (f" · group {grade.group}" if grade.group else "")
        + (" · <b>overridden</b>" if grade.overridden else "")
        + "</summary>"
    )
    rows = "".join(
        f"<tr><td>{t.number}{' (hidden)' if t.hidden else ''}</td><td><code>{escape(t.name[:90])}</code></td>"
        f"<td class='{'pass' if t.status == 'pass' else 'fail'}'>{t.status}</td><td>{t.points:g}/{t.max_points:g}</td>"
        f"<td>{escape(t.output[:160])}</td></tr>"
        for t in grade.tests
    )
    rows += "".join(
        f"<tr><td>{escape(i.kind)}</td><td>{escape(i.description)}</td><td>{_verdict(i.passed)}</td>"
        f"<td>{i.points:g}/{i.max_points:g}</td><td>{_probability(i.probability)} {escape(i.note)}</td></tr>"
        for i in grade.items
    )
    body = [
        f"<table><tr><th>#</th><th>test</th><th>result</th><th>points</th><th>output</th></tr>{rows}</table>",
        f"<p><b>Feedback</b> <span class='muted'>({escape(grade.feedback_source)})</span>: "
        f"{escape(grade.feedback)}</p>",
    ]
    if grade.overridden:
        body.append(
            "<p>Teacher overrides: "
            + escape("; ".join(f"{k} ({v})" if v else k for k, v in grade.overridden.items()))
            + "</p>"
        )
    nearest = run.nearest.get(grade.student)
    if nearest is not None and grade.code:
        repair = with_names_of(grade.code, nearest.code)
        renamed = " with this student's variable names" if repair != nearest.code else ""
        body.append(
            f"<div class='teacher'><b>Teacher only</b> — diff to the nearest passing repair (the correct "
            f"submission of {escape(nearest.student)}{renamed}; {nearest.distance} "
            f"token{'' if nearest.distance == 1 else 's'} apart, names aside):<pre>{escape(unified_diff(grade.code, repair))}</pre></div>"
        )
    elif grade.code:
        body.append(f"<details><summary>code</summary><pre>{escape(grade.code)}</pre></details>")
    state = " open" if opened else ""  # one example is shown opened
    return f"<details id='{escape(grade.student)}'{state}>{head}{''.join(body)}</details>"


def _verdict(passed: bool | None) -> str:
    return (
        "—"
        if passed is None
        else ("<span class='pass'>yes</span>" if passed else "<span class='fail'>no</span>")
    )


def _probability(probability: float | None) -> str:
    return "" if probability is None else f"P(yes) = {probability:.2f}"
