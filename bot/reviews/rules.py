"""The review's rules as plain values: its dimensions, scale, quorum, and the figures of one
reviewee's column of ballots."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from bot.domain.text import N_

# The five dimensions of the documents (000 §三(四)5), as the ballot columns name them.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("political", N_("Political attitude")),
    ("moral", N_("Moral conduct")),
    ("study", N_("Studies")),
    ("work", N_("Work results")),
    ("discipline", N_("Discipline and style")),
)
SCALE = (1, 2, 3, 4, 5)
# Fewer scorers than this and a figure per dimension could point at one of them.
MIN_VOTERS = 3
COMMENT_LIMIT = 500
INVITE_PREFIX = "review_"
DEFAULT_QUORUM = Fraction(2, 3)


def token_hash(token: str) -> str:
    # The token is 128 random bits: a plain hash is enough, no key or salt needed.
    return hashlib.sha256(token.encode()).hexdigest()


def parse_quorum(text: str) -> Fraction:
    """ "2/3", "0.6" or "60%"; between 0 (exclusive) and 1."""
    raw = text.strip()
    value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
    if not 0 < value <= 1:
        raise ValueError(f"quorum {text!r} is not between 0 and 1")
    return value


def quorum_met(voted: int, panel: int, quorum: Fraction) -> bool:
    return panel > 0 and Fraction(voted, panel) >= quorum


def needed(panel: int, quorum: Fraction) -> int:
    """How many of the panel must vote."""
    need = quorum * panel
    return int(need) + (0 if need.denominator == 1 else 1)


@dataclass
class Dimension:
    code: str
    count: int
    average: float | None
    distribution: dict[int, int]


@dataclass
class PersonFigures:
    name: str
    post: str
    scorers: int  # ballots with at least one score
    dimensions: list[Dimension] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.scorers >= MIN_VOTERS


def figures(
    name: str, post: str, rows: Sequence[dict[str, int | str | None]], rng: random.Random
) -> PersonFigures:
    """One reviewee's ballots summed up; comments in a random order, with no one's name."""
    scored = [r for r in rows if any(r.get(code) for code, _ in DIMENSIONS)]
    person = PersonFigures(name, post, len(scored))
    for code, _ in DIMENSIONS:
        values = [int(v) for r in rows if isinstance(v := r.get(code), int) and v in SCALE]
        person.dimensions.append(
            Dimension(
                code,
                len(values),
                round(sum(values) / len(values), 2) if values else None,
                {s: values.count(s) for s in SCALE},
            )
        )
    person.comments = [str(r["comment"]) for r in rows if r.get("comment")]
    rng.shuffle(person.comments)
    return person
