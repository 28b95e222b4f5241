"""The numeric side of gymtui: numpy and scipy only, no UI, no radio.

- :mod:`filters`: streaming band-pass + mains notches (state across blocks)
- :mod:`envelope`: moving RMS and linear envelope, and how late each is
- :mod:`pipeline`: :class:`EmgPipeline`, the per-source chain up to %MVC
- :mod:`onsets`: Hodges–Bui onsets/offsets, offline and streaming (TKEO option)
- :mod:`quality`: per-channel flags ("flat", "clipping", "mains", "motion", "low-snr")
- :mod:`spectrum`: median frequency (Welch) and its slope with a CI
- :mod:`metrics`: :class:`SetAnalyzer`, set and rep metrics for the store
- :mod:`live`: :class:`LiveSignal`, all of the above per source for the worker
- :mod:`recording`, :mod:`analysis`: text recordings and ``gymtui analyze``

Modules are imported where used (nothing here imports scipy), so the app's
first screen does not pay for them.
"""
