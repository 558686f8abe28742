"""Differences between two versions of a case (snapshots), as a reviewer reads them.

Snapshots store codes (« commune 35236 », « practice evaluation », role
« porteur »): the caller passes the names those codes stand for
(`SnapshotNames`, filled from the database by the page), so a difference
prints « Redon (35) » and « Pratique : Évaluation », never a code. Partners are
compared organisation by organisation (joined, left, role or contribution
changed); long texts word by word, the words removed in <del> and the words
added in <ins>, built from escaped text here as `registry.text.sanitize` builds
its snippets: the result is safe HTML by construction, never `|safe` on a
contributor's text.
"""

import html
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from registry.text.sanitize import LOOKS_LIKE_TAG, printable

LABELS = {
    "title": gettext_lazy("Titre"),
    "summary": gettext_lazy("Résumé"),
    "description": gettext_lazy("Description"),
    "context": gettext_lazy("Contexte et besoins"),
    "actions": gettext_lazy("Actions menées"),
    "results": gettext_lazy("Résultats"),
    "lessons": gettext_lazy("Enseignements"),
    "start_year": gettext_lazy("Année de démarrage"),
    "end_year": gettext_lazy("Année de fin"),
    "contact_email": gettext_lazy("E-mail de contact"),
    "phase": gettext_lazy("Étape"),
    "scale": gettext_lazy("Échelle"),
    "territories": gettext_lazy("Territoires"),
    "terms": gettext_lazy("Étiquettes du référentiel"),
    "roster": gettext_lazy("Partenaires"),
    "sources": gettext_lazy("Sources et liens"),
}
# Texts compared word by word when both versions have one.
WORDED_FIELDS = {"summary", "description", "context", "actions", "results", "lessons"}
# Fields holding a term's code, and the vocabulary it belongs to.
CODED_FIELDS = {"phase": "phase", "scale": "scale"}
ROLE_VOCABULARY = "partner_role"

# Markup that ends a line or a paragraph, kept as line breaks when a text's
# words are compared (the tags themselves are not words).
LINE_END = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(li|h3)\s*>", re.IGNORECASE)
PARAGRAPH_END = re.compile(r"<\s*/\s*(p|ul|ol|blockquote)\s*>", re.IGNORECASE)
PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")
TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
# Beyond this many word pairs in one changed passage, the passage is shown as
# removed then added: comparing more would cost seconds for no clearer reading.
MOST_WORD_PAIRS = 4_000_000
# A passage rewritten more than this is shown as removed then added: interleaved
# words of two different sentences read as neither.
LEAST_ALIKE = 0.5


@dataclass
class SnapshotNames:
    """What the codes of snapshots stand for, in the page's language:
    territories by (kind, code), terms by (vocabulary, code), vocabularies by code."""

    territories: dict = field(default_factory=dict)
    terms: dict = field(default_factory=dict)
    vocabularies: dict = field(default_factory=dict)

    def territory(self, kind, code):
        return self.territories.get((kind, code)) or f"{kind} {code}"

    def term(self, vocabulary, code):
        if code is None:
            return None
        return self.terms.get((vocabulary, code)) or code

    def tag(self, vocabulary, code):
        vocabulary_label = self.vocabularies.get(vocabulary) or vocabulary
        return _("%(vocabulary)s : %(term)s") % {
            "vocabulary": vocabulary_label,
            "term": self.term(vocabulary, code),
        }


def codes_in(*snapshots):
    """The codes a set of snapshots uses: {"territories": {(kind, code)}, "terms":
    {(vocabulary, code)}}, for the page to look their names up in one go."""
    territories, terms = set(), set()
    for data in snapshots:
        if not data:
            continue
        territories.update(tuple(pair) for pair in data.get("territories") or [])
        terms.update(tuple(pair) for pair in data.get("terms") or [])
        for name, vocabulary in CODED_FIELDS.items():
            if data.get(name):
                terms.add((vocabulary, data[name]))
        terms.update((ROLE_VOCABULARY, entry["role"]) for entry in data.get("roster") or [])
    return {"territories": territories, "terms": terms}


def describe(name, item, names):
    if name == "territories":
        return names.territory(*item)
    if name == "terms":
        return names.tag(*item)
    if name == "sources":
        return " | ".join(part for part in (item.get("title"), item.get("url")) if part)
    return str(item)


def diff_snapshots(before, after, names=None):
    """[{field, label, before, after, …}] for each field that changed.

    `before` may be None (a new case): every filled field is then shown as
    added, texts whole. Lists carry `added` and `removed` (names, not codes);
    the roster carries `partners` (see `roster_changes`); a text both versions
    have carries `words`, its word-by-word difference as safe HTML."""
    names = names or SnapshotNames()
    before = before or {}
    changes = []
    for name, label in LABELS.items():
        old, new = before.get(name), after.get(name)
        if old == new or (not old and not new):
            continue
        change = {"field": name, "label": label, "before": old, "after": new}
        if name == "roster":
            change["partners"] = roster_changes(old or [], new or [], names)
            if not change["partners"]:
                continue  # only the order changed: nothing a reader sees
        elif isinstance(new, list) or isinstance(old, list):
            old_items = [describe(name, item, names) for item in old or []]
            new_items = [describe(name, item, names) for item in new or []]
            change["added"] = [item for item in new_items if item not in old_items]
            change["removed"] = [item for item in old_items if item not in new_items]
            change["is_list"] = True
        elif name in CODED_FIELDS:
            change["before"] = names.term(CODED_FIELDS[name], old)
            change["after"] = names.term(CODED_FIELDS[name], new)
        elif name in WORDED_FIELDS and old and new:
            change["words"] = word_diff(old, new)
        changes.append(change)
    return changes


def roster_changes(old, new, names):
    """Partners compared organisation by organisation, in the new roster's order
    then the ones that left: [{organization (its id), name, state, roles,
    roles_before, contribution, contribution_before, contribution_words}],
    `state` one of "added",
    "removed", "changed"; roles by their label."""

    def by_organization(roster):
        grouped = {}
        for entry in roster:
            grouped.setdefault(entry["organization"], []).append(entry)
        return grouped

    def roles(entries):
        return [names.term(ROLE_VOCABULARY, entry["role"]) for entry in entries]

    def contribution(entries):
        return "\n".join(entry.get("contribution") or "" for entry in entries).strip()

    old_rows, new_rows = by_organization(old), by_organization(new)
    partners = []
    for organization in [*new_rows, *(key for key in old_rows if key not in new_rows)]:
        before, after = old_rows.get(organization, []), new_rows.get(organization, [])
        entries = after or before
        row = {
            "organization": organization,
            "name": entries[0].get("organization_name") or str(organization),
            "roles": roles(after),
            "roles_before": roles(before),
            "contribution": contribution(after),
            "contribution_before": contribution(before),
        }
        if not before:
            row["state"] = "added"
        elif not after:
            row["state"] = "removed"
        elif (
            row["roles"] != row["roles_before"] or row["contribution"] != row["contribution_before"]
        ):
            row["state"] = "changed"
            row["roles_changed"] = row["roles"] != row["roles_before"]
            if row["contribution"] != row["contribution_before"]:
                row["contribution_words"] = word_diff(
                    row["contribution_before"], row["contribution"]
                )
        else:
            continue
        partners.append(row)
    return partners


def plain_text(text):
    """A text as its reader sees its words: tags dropped, line and paragraph ends
    kept as line breaks, character references read (« &amp; » is « & »)."""
    text = printable(text).replace("\r\n", "\n")
    if LOOKS_LIKE_TAG.search(text) or "&" in text:
        text = PARAGRAPH_END.sub("\n\n", LINE_END.sub("\n", text))
        text = html.unescape(LOOKS_LIKE_TAG.sub("", text))
    return text.strip()


def word_diff(old, new):
    """The difference of two texts as safe HTML paragraphs: words removed in
    <del>, words added in <ins>, every word escaped. Paragraphs are matched
    first, then the words of the paragraphs that changed; runs of unchanged
    paragraphs are summed up in one line."""
    old_paragraphs = PARAGRAPHS.split(plain_text(old)) if old else []
    new_paragraphs = PARAGRAPHS.split(plain_text(new)) if new else []
    matcher = SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    blocks = []
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            blocks.append(unchanged(i2 - i1))
        else:
            blocks.extend(
                changed("\n\n".join(old_paragraphs[i1:i2]), "\n\n".join(new_paragraphs[j1:j2]))
            )
    return mark_safe("".join(blocks))  # noqa: S308 — every word escaped by `escaped`


def unchanged(count):
    text = ngettext(
        "(%(count)d paragraphe inchangé)", "(%(count)d paragraphes inchangés)", count
    ) % {"count": count}
    return f'<p class="diff-unchanged">{html.escape(text)}</p>'


def changed(old, new):
    """The paragraphs of one changed passage, its words compared."""
    old_tokens, new_tokens = TOKENS.findall(old), TOKENS.findall(new)
    matcher = None
    if len(old_tokens) * len(new_tokens) <= MOST_WORD_PAIRS:
        matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    if matcher is None or matcher.ratio() < LEAST_ALIKE:
        pieces = [("del", old_tokens), ("ins", new_tokens)]
    else:
        pieces = []
        for operation, i1, i2, j1, j2 in matcher.get_opcodes():
            if operation == "equal":
                pieces.append(("", old_tokens[i1:i2]))
                continue
            if i2 > i1:
                pieces.append(("del", old_tokens[i1:i2]))
            if j2 > j1:
                pieces.append(("ins", new_tokens[j1:j2]))
    paragraphs, current = [], []
    for kind, tokens in pieces:
        for token in tokens:
            if token.isspace() and token.count("\n") >= 2:
                paragraphs.append(current)
                current = []
            else:
                current.append((kind, token))
    paragraphs.append(current)
    return [render_paragraph(segments) for segments in paragraphs if segments]


def render_paragraph(segments):
    """One paragraph of (kind, token): consecutive tokens of a kind in one element."""
    runs = []
    for kind, token in segments:
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(token)
        else:
            runs.append((kind, [token]))
    # Screen readers do not announce <del> and <ins>: a hidden word says which is which.
    said = {"del": escaped(_("[retiré : ")), "ins": escaped(_("[ajouté : "))}
    parts = []
    for kind, tokens in runs:
        text = escaped("".join(tokens))
        if kind:
            parts.append(
                f'<{kind}><span class="visually-hidden">{said[kind]}</span>{text}'
                f'<span class="visually-hidden">]</span></{kind}>'
            )
        else:
            parts.append(text)
    return f"<p>{''.join(parts)}</p>"


def escaped(text):
    return html.escape(text, quote=True).replace("\n", "<br>")
