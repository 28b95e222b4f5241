"""The app's controllers: the sensor, the cuff and the set flow, each a small class with typed state.

:class:`gymtui.app.GymApp` creates one of each in its ``__init__`` and
forwards the messages they care about; screens never reach them, they post
messages to the app. A controller may import the pure packages (``model``,
``signal``, ``session``, ``bfr``) and the adapters; heavy ones (scipy,
bleak, bumble, the cuff rig) only inside the method that needs them.
"""
