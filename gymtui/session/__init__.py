"""The training method as pure rules: the set engine, protocols, plans, loads, guardrails and autoregulation.

- :mod:`.engine` — :class:`SetEngine`, the set's phases on an injected clock;
- :mod:`.protocol`, :mod:`.exercises`, :mod:`.templates` — what a set, an
  exercise and a session are, read from the TOML under ``protocols/`` and
  ``library/``;
- :mod:`.plan`, :mod:`.days` — the 4-week plan, blocks and where the athlete is;
- :mod:`.loads`, :mod:`.autoreg`, :mod:`.guardrails`, :mod:`.history` — the
  guide's numbers (Epley, the 80 % rule, caps and warnings) on values.

Everything here takes values and an injected clock or date, and returns
values. May import :mod:`gymtui.model` and :mod:`gymtui.phases` (and its
sibling pure packages); never the store, the services, Textual or bleak —
the import-linter contracts in ``pyproject.toml`` enforce it.
"""
