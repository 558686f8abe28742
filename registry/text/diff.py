"""Field-level differences between two versions of a case (snapshots)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "title": _("Titre"),
    "summary": _("Résumé"),
    "description": _("Description"),
    "context": _("Contexte et besoins"),
    "actions": _("Actions menées"),
    "results": _("Résultats"),
    "lessons": _("Enseignements"),
    "start_year": _("Année de démarrage"),
    "end_year": _("Année de fin"),
    "contact_email": _("E-mail de contact"),
    "phase": _("Étape"),
    "scale": _("Échelle"),
    "territories": _("Territoires"),
    "terms": _("Étiquettes du référentiel"),
    "roster": _("Partenaires"),
    "sources": _("Sources et liens"),
}


def describe(field, item):
    if field == "territories":
        return f"{item[0]} {item[1]}"
    if field == "terms":
        return f"{item[0]} : {item[1]}"
    if field == "roster":
        return f"{item.get('organization_name', item['organization'])} ({item['role']})"
    if field == "sources":
        return " | ".join(part for part in (item.get("title"), item.get("url")) if part)
    return str(item)


def diff_snapshots(before, after):
    """[{field, label, before, after, added, removed}] for each field that changed.

    `before` may be None (a new case): every filled field is then shown as added."""
    before = before or {}
    changes = []
    for field, label in LABELS.items():
        old, new = before.get(field), after.get(field)
        if old == new or (not old and not new):
            continue
        change = {"field": field, "label": label, "before": old, "after": new}
        if isinstance(new, list) or isinstance(old, list):
            old_items = [describe(field, item) for item in old or []]
            new_items = [describe(field, item) for item in new or []]
            change["added"] = [item for item in new_items if item not in old_items]
            change["removed"] = [item for item in old_items if item not in new_items]
            change["is_list"] = True
        changes.append(change)
    return changes
