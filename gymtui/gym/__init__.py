"""Many racks, one coach: what racks, the hub and the coach view say to each other over MQTT.

Pure: no Textual, no SQL (every table, the rack's outbox and the hub's
log included, is the store's: :mod:`gymtui.store.gym`,
:mod:`gymtui.store.outbox`), no UI. The pieces, each its own module:

- :mod:`topics`: where each kind of message lives, and the rack names that
  may appear in a topic;
- :mod:`payloads`: the messages themselves (msgspec structs, JSON on the
  wire), bounded and checked on the way in;
- :mod:`settings`: the broker URL, the rack's name and credentials, and the
  rule that health data never travels in clear off this machine;
- :mod:`connection`: one configured paho-mqtt client (MQTT 5, TLS,
  credentials, a persistent session, the last will);
- :mod:`broker_setup`: a gym's broker folder (Mosquitto's config, CA and
  certificates, passwords, ACL) written from one list of racks;
- :mod:`records`: a rack's set as the record it sends the hub (what a rack
  owes the broker waits in :mod:`gymtui.store.outbox` until acknowledged);
- :mod:`rack_link`: the rack's side of the link (presence, status, events
  and records through the outbox, athletes' state, the health line).

One rack alone never imports any of this: the ``gym`` extra (paho-mqtt,
textual-serve, cryptography) is needed only when ``--gym`` is given.
"""
