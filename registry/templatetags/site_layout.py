"""The parts of the layout that every page shows, the error pages included.

Django renders 500.html (and 400.html, 403_csrf.html) without the request and
without context processors: what they print must come from settings alone.
"""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("_site_footer.html")
def site_footer():
    """The footer: who publishes the registry and the pages a public-interest site carries."""
    return {"publisher_name": settings.PUBLISHER_NAME}
