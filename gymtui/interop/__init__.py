"""The lab's formats and streams: what sport scientists' tools read and write.

Lab Streaming Layer outlets and inlets (:mod:`.lsl_runtime` loads liblsl
once and says in one line what is missing where it cannot), EDF+/BDF+ and
CSV writers for the raw signal, and readers for other tools' recordings
(OpenBCI GUI, Delsys Trigno, EDF/BDF, gymtui's own CSVs). The package takes
values and returns values: it never opens the store and never draws.
"""
