"""What the territories app tells the apps that place things in territories."""

from django.dispatch import Signal

# Sent by `load_territories` after a load, with `report` (a `loader.LoadReport`):
# the registry refreshes what its cases derive from the territories.
territories_loaded = Signal()
