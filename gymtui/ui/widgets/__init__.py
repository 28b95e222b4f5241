"""Reusable widgets (countdown, activation bars, cuff panel, plan panel…), each with its styles in ``DEFAULT_CSS``.

Widgets render reactive state they are handed. Besides Textual they import
only the shapes they show (the cuff's events, the plan's rows, type-only)
and :mod:`gymtui.text` for safe display; no service, controller or store.
"""
