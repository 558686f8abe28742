"""The XSS corpus of `tests/xss_payloads.txt`, the published cases that carry
it, and an audit of a page's HTML for anything a browser would run.

Shared by `tests/test_user_text.py` (Django's test client, both databases) and
`tests/browser/test_xss.py` (Chromium over the browser tests' own site, where
`publish_hostile_cases` runs through `manage.py shell`).
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from registry.models import Action, CasePartner, CaseSource, Term
from registry.models.index import refresh_case_index
from tests.factories import CaseFactory, OrganizationFactory, territory

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")
PAYLOADS = [
    line
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("# ")
]
# Every hostile summary ends with this word: `?q=gras` finds them all and
# highlights a word of each.
SUMMARY_WORD = "gras"
# The commune every hostile case lies in (Lille), for its territory page.
COMMUNE = "59350"


def title_of(number):
    """The start of the n-th hostile case's title, readable on every page."""
    return f"Cas hostile {number:02d}"


def publish_hostile_cases(payloads=PAYLOADS):
    """One published pioneer case per payload, the payload in every text field
    a contributor or a moderator writes: title, summary, the five long texts,
    the pioneer reason, a partner's name and contribution, a source's title and
    address, a moderation message. Stored as is, as data that predates any gate.

    Each case has two versions: a first, harmless one that was published, then
    the hostile one, submitted; so the history and the moderation review show
    the hostile texts as changes."""
    role = Term.objects.get(vocabulary__code="partner_role", code="partenaire")
    association = Term.objects.get(vocabulary__code="actor_type", code="association")
    commune = territory("commune", COMMUNE)
    cases = []
    for number, payload in enumerate(payloads, start=1):
        case = CaseFactory(
            title=f"{title_of(number)} (première version)",
            slug=f"cas-hostile-{number:02d}",
            places=[commune],
        )
        case.record_version(Action.PUBLISH, by=None)
        case.title = f"{title_of(number)} {payload}"
        case.summary = f"{payload} Un résumé en {SUMMARY_WORD}."
        for field in ("description", "context", "actions", "results", "lessons"):
            setattr(case, field, payload)
        case.is_pioneer = True
        case.pioneer_reason = payload
        case.save()
        partner = OrganizationFactory(
            name=f"Partenaire {number:02d} {payload}"[:255], actor_type=association
        )
        CasePartner.objects.create(
            case=case, organization=partner, role=role, contribution=payload[:300], position=9
        )
        CaseSource.objects.create(case=case, title=payload[:300], url=payload[:500])
        case.log(Action.EDIT, by=None, message=payload)
        case.record_version(Action.SUBMIT, by=None)
        cases.append(case)
    refresh_case_index([case.pk for case in cases])
    return cases


URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "xlink:href", "background", "poster",
    "lowsrc", "dynsrc", "ping", "codebase", "cite", "longdesc", "usemap", "manifest",
}
RUNNABLE_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
# Elements no page of the site uses: where one appears, it came from a contributor.
FOREIGN_ELEMENTS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "math", "video",
    "audio", "source", "track", "marquee", "isindex", "template", "img", "image", "style",
    "noscript", "animate", "set", "use", "foreignobject", "xss",
}
SITE_SVG_CLASSES = ("brand-mark", "obs-")
# Browsers drop these from a URL before reading its scheme ("java\tscript:").
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]")


class MarkupAudit(HTMLParser):
    """Collects what a browser could run: event-handler attributes, scripts
    other than the site's own files and its JSON-LD, runnable URLs, CSS
    expressions, refreshes, and elements the site never prints."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.offences = []
        self.json_ld = []
        self.text = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = self.getpos()
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.offences.append((where, f"<{tag} {name}=…>"))
            if name == "srcdoc":
                self.offences.append((where, f"<{tag} srcdoc>"))
            if name in URL_ATTRIBUTES:
                bare = IGNORED_IN_SCHEME.sub("", value).lower()
                if bare.startswith(RUNNABLE_SCHEMES):
                    self.offences.append((where, f"<{tag} {name}={value!r}>"))
            if name == "style" and re.search(r"expression\s*\(|javascript:|url\s*\(", value, re.I):
                self.offences.append((where, f"<{tag} style={value!r}>"))
        if tag in FOREIGN_ELEMENTS:
            self.offences.append((where, f"<{tag}>"))
        if tag == "svg" and not attributes.get("class", "").startswith(SITE_SVG_CLASSES):
            self.offences.append((where, "<svg> not the site's"))
        if tag == "meta" and "http-equiv" in attributes:
            self.offences.append((where, "<meta http-equiv>"))
        loads = (attributes.get("rel") or "") in {"stylesheet", "icon", "import", "preload"}
        if tag == "link" and loads and not (attributes.get("href") or "").startswith("/static/"):
            self.offences.append((where, f"<link rel={attributes.get('rel')}>"))
        if tag == "script":
            src = attributes.get("src") or ""
            if src.startswith("/static/") and "type" not in attributes:
                self._script = None
            elif attributes.get("type") == "application/ld+json" and not src:
                self._script = []
            else:
                self.offences.append((where, f"<script {attrs!r}>"))
                self._script = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        else:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            content = "".join(self._script)
            try:
                self.json_ld.append(json.loads(content))
            except ValueError:
                self.offences.append((self.getpos(), f"JSON-LD that is not JSON: {content!r}"))
            self._script = None


def audit(html):
    """(offences, JSON-LD documents, visible text) of an HTML page."""
    parser = MarkupAudit()
    parser.feed(html)
    parser.close()
    return parser.offences, parser.json_ld, " ".join("".join(parser.text).split())
