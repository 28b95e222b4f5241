"""Blood-flow restriction: everything that may command a cuff, one module per role.

- :mod:`~gymtui.bfr.rules` — limits and hard bounds, one row per limb; settings
  checked against them.
- :mod:`~gymtui.bfr.supervisor` — the only code that decides a cuff command:
  one method per rule, fault and refusal reasons as enums.
- :mod:`~gymtui.bfr.ledger` — occlusion time per exercise and per session,
  live and read back from ``cuff_events``.
- :mod:`~gymtui.bfr.events`, :mod:`~gymtui.bfr.flags` — what the supervisor
  says (events, alarm levels, the panel's view) and the cuff's status bits.
- :mod:`~gymtui.bfr.runner` — carries the supervisor's commands to a cuff on
  asyncio; :mod:`~gymtui.bfr.loop_thread` — the cuff's own event loop;
  :mod:`~gymtui.bfr.safety` — the process-level last-resort deflate. The
  ``cuff_events`` writer thread and the rig that wires all of it for the app
  read and write the store, so they live in :mod:`gymtui.services`
  (:mod:`~gymtui.services.cuff_log`, :mod:`~gymtui.services.cuff_rig`).
- :mod:`~gymtui.bfr.codec`, :mod:`~gymtui.bfr.profile` — the open cuff
  profile's bytes and its TOML file.

May import: :mod:`gymtui.model`, :mod:`gymtui.phases`, the adapter contract
(:mod:`gymtui.device_api`), the pure session engine (the runner follows
its events). Never the store (import-linter contract), never Textual, Rich,
bleak or bumble. Nothing is re-exported here: import from the module that owns a name.
"""
