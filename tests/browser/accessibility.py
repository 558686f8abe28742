"""Accessibility audits with axe-core, vendored in static/vendor/axe-core/.

The product aims at RGAA / WCAG 2.1 AA, so audits run axe's WCAG 2.0 and 2.1
A and AA rules by default.
"""

# Loaded from the site itself, like its own scripts: the pages' Content-Security-Policy
# refuses inline scripts, an injected axe included.
AXE_URL = "/static/vendor/axe-core/axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_audit(page, *, tags=WCAG_21_AA, context="document"):
    """Run axe-core on the page as it is now; return its violations (a list of
    dicts with `id`, `impact`, `help`, `helpUrl` and `nodes`).

    `context` is a JavaScript expression naming what to audit, e.g.
    `"document.querySelector('main')"`.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate(
        f"""async (tags) => await axe.run({context}, {{
            runOnly: {{type: "tag", values: tags}},
            resultTypes: ["violations"],
        }})""",
        tags,
    )
    return results["violations"]


def describe_violations(violations):
    """The violations as readable lines, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append("    at " + " ".join(map(str, node["target"])))
    return "\n".join(lines)
