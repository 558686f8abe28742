import os

# The test suite runs with development-safe settings whatever the shell says.
os.environ.setdefault("TESTING", "true")
