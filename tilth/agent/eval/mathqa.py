"""A small, real-looking math QA set with worked solutions, planted duplicates and junk rows.

Problems are generated (arithmetic, percentages, linear equations, multi-step word problems) so the
answers are right by construction; counts of duplicates and junk are known, so tests can assert them.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

NAMES = ("Ava", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas")
ITEMS = ("apples", "pencils", "stickers", "books", "marbles", "cookies")
JUNK = ("asdf qwer zxcv", "???", "lol", "Click here to win a FREE prize!!! $$$ buy now buy now buy now",
        "....", "problem problem problem problem problem problem")


def _sum(r: random.Random) -> dict:
    a, b = r.randint(2, 99), r.randint(2, 99)
    return {"question": f"What is {a} + {b}?", "solution": f"Add the numbers: {a} + {b} = {a + b}.", "answer": str(a + b)}


def _percent(r: random.Random) -> dict:
    p, n = r.choice((10, 20, 25, 40, 50, 75)), r.randint(2, 40) * 20
    v = n * p // 100
    return {"question": f"What is {p}% of {n}?",
            "solution": f"Convert the percentage to a fraction: {p}% = {p}/100.\nMultiply: {n} * {p} / 100 = {v}.",
            "answer": str(v)}


def _linear(r: random.Random) -> dict:
    a, x, b = r.randint(2, 12), r.randint(-9, 15), r.randint(1, 30)
    c = a * x + b
    return {"question": f"Solve for x: {a}x + {b} = {c}.",
            "solution": f"Subtract {b} from both sides: {a}x = {c} - {b} = {c - b}.\n"
                        f"Divide both sides by {a}: x = {c - b} / {a} = {x}.\nCheck: {a} * {x} + {b} = {c}.",
            "answer": str(x)}


def _word(r: random.Random) -> dict:
    name, item = r.choice(NAMES), r.choice(ITEMS)
    start, bought, per, friends = r.randint(5, 40), r.randint(2, 6), r.randint(3, 12), r.choice((2, 3, 4))
    total = start + bought * per
    give = total // friends
    left = total - give * friends
    return {"question": f"{name} has {start} {item}. {name} buys {bought} packs with {per} {item} in each pack, "
                        f"then shares the {item} equally among {friends} friends, keeping the remainder. "
                        f"How many {item} does {name} keep?",
            "solution": f"Each pack has {per} {item}, so {bought} packs hold {bought} * {per} = {bought * per}.\n"
                        f"In total {name} has {start} + {bought * per} = {total} {item}.\n"
                        f"Sharing among {friends} friends gives {total} / {friends} = {give} each with remainder "
                        f"{total} - {give} * {friends} = {left}.\n{name} keeps {left} {item}.",
            "answer": str(left)}


KINDS = (_sum, _percent, _linear, _word)


def make_math_qa(path: str | Path, n: int = 80, duplicates: int = 8, junk: int = 6, seed: int = 0) -> dict:
    """Write `n` problems + `duplicates` exact copies + `junk` junk rows; return the counts written."""
    r = random.Random(seed)
    rows = [KINDS[i % len(KINDS)](r) for i in range(n)]
    for i, row in enumerate(rows):
        row["id"] = f"p{i:04d}"
    out = list(rows)
    for k in range(duplicates):
        src = rows[(k * 7) % n]
        out.insert(min(len(out), (k + 1) * (n // max(duplicates, 1))), dict(src, id=src["id"] + "-dup"))
    for k in range(junk):
        out.insert((k * 13 + 5) % len(out), {"question": JUNK[k % len(JUNK)], "solution": "", "answer": "", "id": f"junk{k}"})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for row in out:
            f.write(json.dumps(row) + "\n")
    return {"rows": len(out), "problems": n, "duplicates": duplicates, "junk": junk}
