"""Devices as sources: the one interface every EMG sensor and cuff speaks, and its BLE, demo and decoder implementations.

- :mod:`.base` — :class:`EmgSource` and the cuff interface the rest of gymtui holds;
- :mod:`.decoders` and :mod:`.profiles` — pure byte decoders and the TOML
  device profiles that name them (malformed bytes become counted drops, never
  an exception in the app);
- :mod:`.ble`, :mod:`.ble_cuff`, :mod:`.link`, :mod:`.tasks` — bleak clients
  with supervised connections, explicit timeouts and reconnects;
- :mod:`.pairing` — the remembered devices (``gymtui scan --pair``);
- :mod:`.demo` — the simulated sensor of ``--demo``.

May import :mod:`gymtui.model`, :mod:`gymtui.signal`, :mod:`gymtui.sim` and
:mod:`gymtui.bfr` (the cuff codec), and bleak inside the BLE modules; never
the store, the services or Textual.
"""
