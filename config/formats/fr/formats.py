"""French number formats: Django's, with the thousands separator of French typography.

Django groups French thousands with a no-break space (U+00A0); the Imprimerie
nationale's rule, which CLDR follows, is the narrow no-break space (U+202F):
« 4 614 ». Every grouped number of the site (the `number` filter, `intcomma`,
`number_format`) takes it from here.
"""

from django.conf.locale.fr.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "\u202f"
