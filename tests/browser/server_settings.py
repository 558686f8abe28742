"""Settings of the server the browser tests drive.

The project's own settings, with DEBUG off as in production, and one change:
WhiteNoise serves static files straight from the source folders, since a test
run has no `collectstatic` step (production serves the collected, fingerprinted
copies).
"""

from config.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
