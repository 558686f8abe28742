"""Trigram similarity as PostgreSQL's pg_trgm computes it, for SQLite: each word
of a folded text padded with two spaces before and one after, cut into
three-letter pieces; similarity is the share of pieces two texts have in common
(common / all). The same threshold then means the same thing on both
databases."""

import re

WORD = re.compile(r"[0-9a-z]+")


def trigrams(text):
    pieces = set()
    for word in WORD.findall(text.lower()):
        padded = f"  {word} "
        pieces.update(padded[index : index + 3] for index in range(len(padded) - 2))
    return pieces


def trigram_similarity(first, second):
    """pg_trgm's `similarity(first, second)`, between 0 and 1, of folded texts."""
    a, b = trigrams(first), trigrams(second)
    union = a | b
    return len(a & b) / len(union) if union else 0.0
