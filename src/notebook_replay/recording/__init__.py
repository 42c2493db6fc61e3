"""Recording tooling: record mode, routing to a local emulator, and the page recorder.

Never imported by a replay: only ``NOTEBOOK_MODE=record`` and the ``make record*``
targets load it.
"""
