"""The label rules for the four hint criteria: the one place the terminal (``tutor bench label``), the app's
**Rate hints...** dialog and the docs take them from, so two teachers mean the same thing by "yes".

The wording is that of ``resources/eval/judge-labels.md`` (the rules the team's hand labels follow).
"""

from __future__ import annotations

CRITERIA = ("HCorrect", "HInformative", "HConceal", "HComprehensible")  # HGood = all four

RULES: dict[str, str] = {
    "HCorrect": (
        "Everything the hint says or suggests is true of this program, and it leads toward the real bug (what "
        "the reference fix changes, or the true cause of the failure), not to another line or another problem. "
        'A true but generic hint ("add print statements", or only the failing test restated) is correct.'
    ),
    "HInformative": (
        "It tells the student where the bug is (a line, a construct) or what kind of mistake it is, beyond the "
        "failing test's input, expected and actual values, which the student already sees."
    ),
    "HConceal": "No code, and it does not tell the student exactly what to write, add or change.",
    "HComprehensible": (
        "A short, clear message to the student; not meta text about writing a hint, not garbled or cut off, "
        "not about code the program does not have."
    ),
}

QUESTIONS: dict[str, str] = {
    "HCorrect": "Is the hint correct?",
    "HInformative": "Is it informative?",
    "HConceal": "Does it conceal the fix?",
    "HComprehensible": "Is it comprehensible?",
}

HGOOD_RULE = "HGood = yes on all four criteria."

assert tuple(RULES) == CRITERIA and tuple(QUESTIONS) == CRITERIA


def rules_text(width: int = 100) -> str:
    """The rules as plain text, one paragraph per criterion (for the terminal)."""
    import textwrap

    lines = ["Label rules (answer each criterion yes or no):"]
    for name in CRITERIA:
        lines += textwrap.wrap(f"{name}: {RULES[name]}", width, initial_indent="- ", subsequent_indent="  ")
    lines.append(HGOOD_RULE)
    return "\n".join(lines)
