"""Application services: the code that joins the pure rules to the store, the signal worker and the cuff.

The rules themselves take values and live below this package
(:mod:`gymtui.session`, :mod:`gymtui.signal`, :mod:`gymtui.sim`,
:mod:`gymtui.bfr`); the screens live above it (:mod:`gymtui.ui`). What lives
here reads or writes the store, or drives several of those parts together:

- :mod:`~gymtui.services.set_runner` — one set at the rack: the engine's
  events turned into store writes, signal commands and cues.
- :mod:`~gymtui.services.coach` — the one object the app asks about the plan,
  today's sets, check-ins, autoregulation and history.
- :mod:`~gymtui.services.plan`, :mod:`~gymtui.services.loads`,
  :mod:`~gymtui.services.history`, :mod:`~gymtui.services.autoreg`,
  :mod:`~gymtui.services.guardrails` — each reads the rows its pure
  counterpart in :mod:`gymtui.session` works on, and writes what it decides.
- :mod:`~gymtui.services.cuff_log` — the ``cuff_events`` writer thread;
  :mod:`~gymtui.services.cuff_rig` — the app's cuff, assembled from
  :mod:`gymtui.bfr`, an adapter and that log.

May import: :mod:`gymtui.store`, :mod:`gymtui.model`, :mod:`gymtui.phases`,
the pure packages and the adapter contract (:mod:`gymtui.device_api`).
Never :mod:`gymtui.ui`, Textual, Rich, bleak or bumble (import-linter
contracts in ``pyproject.toml``). Store calls are synchronous: run them on
the store's thread, never on the UI's hot path or a cuff deflate's.
Nothing is re-exported here: import from the module that owns a name.
"""
