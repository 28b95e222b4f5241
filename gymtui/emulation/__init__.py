"""Emulated BLE sensors and cuff: bumble GATT servers on an in-process link, reached through bleak.

Nothing here is needed on a real gym floor; it lets the tests and
``gymtui --demo --emulate DEVICE`` run the whole BLE path (scan, connect,
start-up writes, notifications, link loss, reconnect) with no radio.
``encoders`` is pure; the modules that need bumble import it themselves, so
bumble stays an optional extra (``emulate``).
"""
