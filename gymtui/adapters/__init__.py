"""Devices as sources: the one interface every EMG sensor and cuff speaks, and its BLE, demo and decoder implementations.

- the interface every device here implements is :mod:`gymtui.device_api`
  (:class:`EmgSource`, :class:`Cuff`), one level down, so the simulated cuff
  in :mod:`gymtui.sim` can implement it without importing this package;
- :mod:`.decoders` and :mod:`.profiles` — pure byte decoders and the TOML
  device profiles that name them (malformed bytes become counted drops, never
  an exception in the app);
- :mod:`.ble`, :mod:`.ble_cuff`, :mod:`.link` — bleak clients
  with supervised connections, explicit timeouts and reconnects;
- :mod:`.pairing` — the remembered devices (``gymtui scan --pair``);
- :mod:`.demo` — the simulated sensor of ``--demo``.

A layer of its own (the import-linter ``layers`` contract): above the pure
packages, which it may import (:mod:`gymtui.model`, :mod:`gymtui.signal`,
:mod:`gymtui.sim`, :mod:`gymtui.bfr` for the cuff codec), below the services
and the UI, which it never imports; bleak only inside the BLE modules.
"""
