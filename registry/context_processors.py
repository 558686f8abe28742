from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def site(request):
    """Links to this very page in each language, and the site's absolute address."""
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    query = request.META.get("QUERY_STRING", "")
    alternates = []
    for code, _name in settings.LANGUAGES:
        name = get_language_info(code)["name_local"].capitalize()
        url = translate_url(request.path, code)
        if query:
            url = f"{url}?{query}"
        alternates.append({"code": code, "name": name, "url": url, "current": code == current})
    return {"alternate_languages": alternates, "site_url": settings.SITE_URL}
