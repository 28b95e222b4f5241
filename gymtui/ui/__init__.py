"""The terminal UI: screens, widgets, and the app's controllers.

``screens/`` draw and post their keys up as messages; ``widgets/`` carry
their own styles in ``DEFAULT_CSS`` (screen layout is the one app sheet,
``themes/gymtui.tcss``); ``controllers/`` hold the app's typed state for the
sensor, the cuff and the set flow. This is the only package (with
``gymtui.app``) that imports Textual; it may import everything below it.
"""
