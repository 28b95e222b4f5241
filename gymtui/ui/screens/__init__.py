"""The app's screens, one module each: they draw what they are given and post their keys up as messages.

A screen holds no training logic and never calls the store: the app answers
its messages through the controllers and services. Layout lives in the one
app sheet, ``themes/gymtui.tcss``, scoped by the screen's class.
"""
