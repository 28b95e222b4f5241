"""The public UCI leg-extension recording replayed through the live chain: what fires, and why 20 % MVC.

The recording (Sanchez & Sotelo, UCI "EMG dataset in Lower Limb", CC BY 4.0;
see ../shared/data/PROVENANCE.md) is a healthy subject's seated knee
extension: four reps, rectus femoris (RF), biceps femoris (BF), vastus
medialis (VM) and semitendinosus (ST) at 1 kHz, with the knee angle. The
hamstrings co-activate in the first rep and relax over the next three.

How it is replayed, and what that assumes:

- Roles: the leg extension's target in the library is vastus lateralis,
  which was not recorded, so the two recorded quadriceps (RF, VM) are the
  target; BF is the library's antagonist; ST is not in the exercise
  (``other``, in no cue). With no synergist, no compensation cue can fire:
  this recording tests the co-contraction cue alone.
- Phases from the goniometer: the knee angle falling from the seated
  ≈64° is the concentric, near full extension the top hold (isometric),
  rising the eccentric, the rest is rest.
- MVC: the recording has none. Each channel is normalised to its own peak
  envelope over the recording (the peak-dynamic method). A task peak is at
  most the MVC, so a level read this way is an upper bound of the true
  %MVC: what stays under 20 % here stays under 20 % MVC; a level above it
  here may read lower against a true MVC, which is why the default is not
  set at the top of the band that cues the brace alone.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from gymtui.model import FormCueKind, FormRules, MuscleRole, PhaseKind
from gymtui.session.exercises import BUILTIN_EXERCISES, parse_library
from gymtui.signal.analysis import stream_envelope
from gymtui.signal.recording import load_text
from gymtui.signal.replay import ChannelMap, Segment, replay

RECORDING = "uci_leg_extension_quads_hams_1khz.txt"
KNEE = "uci_leg_extension_quads_hams_1khz_knee_angle.txt"
ROLES = (MuscleRole.TARGET, MuscleRole.ANTAGONIST, MuscleRole.TARGET, MuscleRole.OTHER)
NAMES = ("Rectus femoris", "Biceps femoris", "Vastus medialis", "Semitendinosus")
BF = 1
LEG_EXTENSION = parse_library(BUILTIN_EXERCISES.read_text(encoding="utf-8"), str(BUILTIN_EXERCISES)).get("leg_extension")
"""The built-in entry (read at import, before any private home exists: never the user's file)."""
RULES = LEG_EXTENSION.form
DWELL_S = RULES.dwell_s


def knee_phases(angle: np.ndarray, rate_hz: float) -> list[Segment]:
    """Rest / concentric / isometric / eccentric from the knee angle (50 Hz goniometer held to 1 kHz).

    A rep is where the knee is below 40° (well into the movement), widened
    to where the angle starts to fall and stops rising; its top hold is
    where it is within 5° of the rep's smallest angle.
    """
    step = round(rate_hz / 50)
    k = angle[::step]
    deep = np.flatnonzero(np.diff(np.r_[0, (k < 40).astype(int), 0]))
    out: list[Segment] = []
    t = 0.0
    for a, b in zip(deep[::2], deep[1::2]):
        s = a
        while s > 0 and k[s - 1] > k[s] + 0.2:
            s -= 1
        e = b - 1
        while e < k.size - 1 and k[e + 1] > k[e] + 0.2:
            e += 1
        top = a + np.flatnonzero(k[a:b] <= k[a:b].min() + 5)
        c0, c1, t1, e1 = (x * step / rate_hz for x in (s, top[0], top[-1] + 1, e + 1))
        out += [
            Segment(t, c0, PhaseKind.REST.value),
            Segment(c0, c1, PhaseKind.CONCENTRIC.value),
            Segment(c1, t1, PhaseKind.ISOMETRIC.value),
            Segment(t1, e1, PhaseKind.ECCENTRIC.value),
        ]
        t = e1
    out.append(Segment(t, angle.size / rate_hz, PhaseKind.REST.value))
    return out


_LOADED: dict[Path, tuple[np.ndarray, float, np.ndarray, list[Segment]]] = {}


@pytest.fixture
def uci(shared_data: Path) -> tuple[np.ndarray, float, np.ndarray, list[Segment]]:
    """(samples µV, rate, the live pipeline's envelope, phases from the knee angle), read once per run."""
    if shared_data not in _LOADED:
        rec = load_text(shared_data / RECORDING)
        angle = np.loadtxt(shared_data / KNEE, comments="#")
        assert rec.rate_hz == 1000.0 and angle.shape[0] == rec.samples.shape[0]
        _, envelope, _ = stream_envelope(rec.samples, rec.rate_hz)
        _LOADED[shared_data] = (rec.samples, rec.rate_hz, envelope, knee_phases(angle, rec.rate_hz))
    return _LOADED[shared_data]


def extensions(segments: list[Segment]) -> list[tuple[float, float]]:
    """Each rep's extension: its concentric and top hold, where co-contraction works against the lift."""
    return [(c.start_s, h.end_s) for c, h in itertools.pairwise(segments) if c.kind == "concentric" and h.kind == "isometric"]


def test_the_library_leg_extension_has_the_recorded_hamstring_as_its_antagonist() -> None:
    assert LEG_EXTENSION.antagonist == NAMES[BF]
    assert {"Rectus femoris", "Vastus medialis"} <= set(LEG_EXTENSION.synergists)  # the quadriceps recorded


def test_the_goniometer_finds_the_four_reps_the_provenance_names(uci) -> None:
    _, _, _, segments = uci
    reps = extensions(segments)
    assert len(reps) == 4
    for (start, _), expected in zip(reps, (0.9, 4.1, 7.1, 9.9)):
        assert abs(start - expected) < 0.25


def test_hamstring_co_activation_during_the_extensions_fades_after_the_first_rep(uci) -> None:
    """The figures behind the threshold: BF as % of its own peak (an upper bound of %MVC), per rep.

    ``sustained`` is the highest level held for the cue's dwell (0.3 s): what
    decides whether a threshold fires.
    """
    _, rate_hz, envelope, segments = uci
    pct = envelope[:, BF] / envelope[:, BF].max() * 100.0
    figures = []
    for start, end in extensions(segments):
        bf = pct[round(start * rate_hz) : round(end * rate_hz)]
        sustained = sliding_window_view(bf, round(DWELL_S * rate_hz)).min(axis=1).max()
        figures.append((np.median(bf), np.percentile(bf, 90), sustained))
    first, settled = figures[0], figures[1:]
    assert first[1] > 75 and 30 < first[2] < 33  # rep 1: the hamstrings brace, just above 30 % for the dwell
    for median, p90, sustained in settled:
        assert median < 8 and p90 < 26 and sustained < 9  # reps 2–4: the healthy, practised co-activation
    # The default sits between the two: above every settled rep with a margin of 2x, and below the braced
    # rep with room for a true MVC up to 1.5x this recording's peak (31.5 / 1.5 = 21 %).
    assert 2 * max(s for _, _, s in settled) < RULES.antagonist_max_pct < first[2] / 1.5
    print("BF % of peak during extension, per rep (median, p90, sustained 0.3 s):", [tuple(round(float(v), 1) for v in f) for f in figures])


def _cues(uci, rules: FormRules = RULES):
    samples, rate_hz, envelope, segments = uci
    channels = ChannelMap(NAMES, ROLES, ("Semitendinosus",))
    mvc = tuple(float(v) for v in envelope.max(axis=0))
    return replay(samples, rate_hz, channels, segments, form=rules, mvc_uv=mvc)


def test_replayed_with_the_leg_extension_rules_one_co_contraction_cue_fires_in_the_first_rep_only(uci) -> None:
    result = _cues(uci)
    reps = extensions(uci[3])
    assert [(c.kind, c.channel, c.muscle) for c in result.cues] == [(FormCueKind.CO_CONTRACTION, BF, "Biceps femoris")]
    t = result.cue_times_s[0]
    assert reps[0][0] + DWELL_S <= t <= reps[0][1]  # in rep 1's extension, after the dwell
    assert result.cues[0].value > RULES.antagonist_max_pct
    assert result.cues[0].text == (RULES.antagonist_correction or "Relax the biceps femoris")
    assert result.cues[0].rep == 1
    # The live rep judge agrees: the first rep is not perfect, for the same reason.
    assert result.reps[0].number == 1 and not result.reps[0].perfect and result.reps[0].reason == "antagonist on"
    assert result.summary["cue_count"] == 1


@pytest.mark.parametrize(
    ("threshold", "fewest", "most"), [(7.0, 2, 4), (10.0, 1, 1), (20.0, 1, 1), (28.0, 1, 1), (33.0, 0, 0)]
)
def test_one_cue_for_the_braced_rep_from_10_to_28_percent(uci, threshold: float, fewest: int, most: int) -> None:
    """The band of thresholds that cue the brace and only the brace: about 9–30 % of the peak.

    Below it the settled reps' co-activation (≈ 7–9 % held for 0.3 s) cues
    later reps too; above it nothing fires at all. The default (20 %) sits
    inside the band with room on both sides: more than twice the practised
    co-activation, and under the brace even if the true MVC were 1.5 times
    this recording's peak. The clear level scales with the threshold as
    the default's does (15/20).
    """
    rules = dataclasses.replace(RULES, antagonist_max_pct=threshold, antagonist_clear_pct=threshold * 15 / 20)
    result = _cues(uci, rules)
    assert fewest <= len(result.cues) <= most
    assert all(c.rep == 1 for c in result.cues[:1])
    assert all(c.kind is FormCueKind.CO_CONTRACTION and c.channel == BF for c in result.cues)
