"""``tutor pack new NAME``: a pack folder to start from, every field commented, one exercise of each test kind
(a call, a call that must raise, a program with input and output). ``tutor pack check`` passes on it as written.
"""

from __future__ import annotations

from pathlib import Path

PACK_TOML = """# pack.toml: the pack's name and its units, in the order a learner takes them. Format: docs/packs.md.
name = "{name}"
description = "One or two sentences for the learner: what this pack practises."

[[units]]
id = "basics"            # lowercase; exercise files name it with `unit = "basics"`
title = "First steps"
summary = "One sentence: what the learner can do after this unit."
"""

CALL = """# One exercise a file. Files load in path order: name them 01_..., 02_... inside a unit's folder.
id = "double"                    # unique in the pack: lowercase letters, digits, underscores
title = "Double a number"
unit = "basics"                  # a unit id from pack.toml
concepts = ["functions", "arithmetic"]   # tags for search and filter
difficulty = 1                   # 1 (first week) .. 5
kind = "write"                   # "write": the starter is a stub; "fix": the starter has a bug to find
entry = "double"                 # the function the call tests call
description = '''
Write `double(n)` that returns twice `n`.

```python
double(4)   # 8
```
'''
starter = '''
def double(n):
    pass
'''
# the reference: passes every test; never shown to learners
solution = '''
def double(n):
    return n * 2
'''

# A call test: `call` is a Python expression, `expected` a Python literal written as text.
[[tests]]
call = "double(4)"
expected = "8"

[[tests]]
call = "double(0)"
expected = "0"

[[tests]]
call = "double(-3)"
expected = "-6"

[[tests]]
call = "double(0.5)"
expected = "1.0"
tolerance = 1e-9                 # floats equal within this tolerance

# hidden: the learner sees pass or fail, never the call or the expected value
[[tests]]
call = "double(21)"
expected = "42"
hidden = true

[[tests]]
call = "double(1000)"
expected = "2000"
hidden = true
"""

RAISES = """id = "parse_age"
title = "Refuse a negative age"
unit = "basics"
concepts = ["exceptions", "conditions"]
difficulty = 2
entry = "parse_age"
description = '''
Write `parse_age(text)` that returns the whole number in `text`, and raises `ValueError` when it is negative.
'''
starter = '''
def parse_age(text):
    return int(text)
'''
solution = '''
def parse_age(text):
    age = int(text)
    if age < 0:
        raise ValueError("an age cannot be negative")
    return age
'''

[[tests]]
call = "parse_age('12')"
expected = "12"

[[tests]]
call = "parse_age('0')"
expected = "0"

# A raises test: the call must raise this exception (or a subclass of it).
[[tests]]
call = "parse_age('-3')"
raises = "ValueError"

[[tests]]
call = "parse_age('x')"
raises = "ValueError"

[[tests]]
call = "parse_age('-1')"
raises = "ValueError"
hidden = true

[[tests]]
call = "parse_age('99')"
expected = "99"
hidden = true
"""

PROGRAM = """id = "add_two"
title = "Add two numbers"
unit = "basics"
concepts = ["input", "print"]
difficulty = 1
# no `entry`: every test runs the whole file as a program
description = '''
Write a program that reads two whole numbers, one a line, and prints their sum.
'''
starter = '''
a = int(input())
b = int(input())
# print the sum here
'''
solution = '''
a = int(input())
b = int(input())
print(a + b)
'''

# A program test: `stdin` is what the program reads, `stdout` what it must print (trailing spaces and blank
# lines at the end are ignored; `exact = true` compares exactly). Prompts of input() are not printed in tests.
[[tests]]
stdin = "3\\n4\\n"
stdout = "7\\n"

[[tests]]
stdin = "0\\n0\\n"
stdout = "0\\n"

[[tests]]
stdin = "-5\\n5\\n"
stdout = "0\\n"

[[tests]]
stdin = "100\\n23\\n"
stdout = "123\\n"

[[tests]]
stdin = "9\\n-10\\n"
stdout = "-1\\n"
hidden = true

[[tests]]
stdin = "12345\\n1\\n"
stdout = "12346\\n"
hidden = true
"""

README = """# {name}

A pack for the offline tutor. Check it with `tutor pack check .`, build the file a lab gets with
`tutor pack build . -o {slug}.tutorpack`. The format: docs/packs.md in the tutor's source.
"""


def new_pack(folder: Path, name: str = "") -> list[Path]:
    """Write the template into ``folder`` (which must not exist, or be empty); returns the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} already exists and is not an empty folder")
    name = name or folder.name
    slug = "".join(c if c.isalnum() else "-" for c in folder.name.lower()).strip("-") or "pack"
    files = {
        "pack.toml": PACK_TOML.format(name=name.replace('"', "'")),
        "pack.md": README.format(name=name, slug=slug),
        "01-basics/01_double.toml": CALL,
        "01-basics/02_parse_age.toml": RAISES,
        "01-basics/03_add_two.toml": PROGRAM,
    }
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
