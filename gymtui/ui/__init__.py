"""The terminal UI: screens, widgets, and the app's controllers.

``screens/`` draw and post their keys up as messages; ``widgets/`` carry
their own styles in ``DEFAULT_CSS`` (screen layout is the one app sheet,
``themes/gymtui.tcss``); ``controllers/`` hold the app's typed state for the
sensor, the cuff and the set flow. Textual is imported here and in
``gymtui.app`` and ``gymtui.themes`` only; this package may import
everything below it.
"""
