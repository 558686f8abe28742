"""The demo generator: invented organisations and cases, written through the
registry's own models and index functions (see `demo.generator`)."""
