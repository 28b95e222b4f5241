"""``gymtui simulate`` writes CSVs whose physiology a plain numpy/scipy check confirms, scenario by scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps
from scipy import stats

from gymtui.cli import main
from gymtui.sim.scenarios import get_scenario


def simulate(tmp_path: Path, scenario: str, *, seconds: float | None, rate_hz: int, seed: int = 0):
    out = tmp_path / f"{scenario}.csv"
    argv = ["simulate", "--scenario", scenario, "--rate", str(rate_hz), "--seed", str(seed), "--out", str(out)]
    if seconds is not None:
        argv += ["--seconds", str(seconds)]
    assert main(argv) == 0
    with out.open() as fh:
        header = fh.readline().strip().split(",")
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    return {name: data[:, i] for i, name in enumerate(header)}, header


def moving_rms(x: np.ndarray, rate_hz: float, window_s: float = 0.1) -> np.ndarray:
    sos = sps.butter(4, 20.0, btype="highpass", fs=rate_hz, output="sos")
    y = sps.sosfiltfilt(sos, x)
    w = round(window_s * rate_hz)
    return np.sqrt(np.convolve(y**2, np.ones(w) / w, mode="same"))


def per_second(x: np.ndarray, rate_hz: float, fn=np.mean) -> np.ndarray:
    n = int(rate_hz)
    k = x.size // n
    return fn(x[: k * n].reshape(k, n), axis=1)


def test_csv_has_the_documented_columns(tmp_path):
    cols, header = simulate(tmp_path, "ramp", seconds=2, rate_hz=500)
    assert header[0] == "t_s"
    assert header[1:5] == ["biceps_brachii_uv", "biceps_brachii_drive", "biceps_brachii_force", "biceps_brachii_active_units"]
    assert len(header) == 1 + 4 * 4
    assert cols["t_s"].size == 1000 and np.allclose(np.diff(cols["t_s"]), 1 / 500)


def test_ramp_csv_recruits_in_order_and_amplitude_follows_force(tmp_path):
    rate = 1000
    cols, _ = simulate(tmp_path, "ramp", seconds=10, rate_hz=rate)
    force = cols["biceps_brachii_force"]
    units = cols["biceps_brachii_active_units"]
    # Up to full drive at the end; a little fatigue on the way keeps force just short of the fresh maximum.
    assert force[:400].max() < 0.01 and force[-10:].mean() > 0.9
    assert cols["biceps_brachii_drive"][-10:].mean() > 0.99
    assert np.all(np.diff(per_second(units, rate)) >= 0) and units[-1] == 120
    rms = per_second(cols["biceps_brachii_uv"], rate, np.std)[1:]
    assert stats.spearmanr(np.arange(rms.size), rms).statistic > 0.95
    assert rms[-1] > 5 * rms[0]


def test_isometric_hold_csv_median_frequency_falls_while_force_holds(tmp_path):
    rate = 1000
    cols, _ = simulate(tmp_path, "isometric-hold", seconds=31, rate_hz=rate)
    hold = cols["t_s"] > 2.0
    force = cols["biceps_brachii_force"][hold]
    assert np.abs(force - 0.5).max() < 0.01
    uv = cols["biceps_brachii_uv"][hold]
    k = uv.size // rate
    freqs, psd = sps.welch(uv[: k * rate].reshape(k, rate), fs=rate, nperseg=256, axis=1)
    band = (freqs >= 20) & (freqs <= 450)
    cum = np.cumsum(psd[:, band], axis=1)
    mf = np.array([np.interp(c[-1] / 2, c, freqs[band]) for c in cum])
    fit = stats.linregress(np.arange(k), mf)
    assert fit.slope + 2 * fit.stderr < 0  # falls, beyond its 95 % confidence interval
    drive = cols["biceps_brachii_drive"][hold]
    assert drive[-rate:].mean() > drive[:rate].mean()  # harder drive to hold the same force


def test_pulldown_compensation_csv_shows_biceps_over_lats_until_focused(tmp_path):
    rate = 500
    cols, _ = simulate(tmp_path, "pulldown-compensation", seconds=None, rate_hz=rate)
    spans = {seg.name: (a, b) for a, b, seg in get_scenario("pulldown-compensation").timeline()}
    t = cols["t_s"]

    def pct_mvc(muscle: str, span: str) -> float:
        env = moving_rms(cols[f"{muscle}_uv"], rate)
        mvc = env[(t >= spans["mvc"][0]) & (t < spans["mvc"][1])].max()
        a, b = spans[span]
        return 100 * env[(t >= a) & (t < b)].mean() / mvc

    habitual = {m: pct_mvc(m, "reps-habitual") for m in ("latissimus_dorsi", "biceps_brachii", "posterior_deltoid")}
    focused = {m: pct_mvc(m, "reps-focused") for m in habitual}
    assert habitual["biceps_brachii"] > habitual["latissimus_dorsi"]
    share = lambda p: p["latissimus_dorsi"] / sum(p.values())
    assert share(focused) > share(habitual) + 0.15


def test_prefatigue_then_compound_csv_recruits_more_units_in_the_second_compound(tmp_path):
    rate = 500
    cols, _ = simulate(tmp_path, "prefatigue-then-compound", seconds=None, rate_hz=rate)
    spans = {seg.name: (a, b) for a, b, seg in get_scenario("prefatigue-then-compound").timeline()}
    t = cols["t_s"]
    fresh = (t >= spans["compound-fresh"][0]) & (t < spans["compound-fresh"][1])
    after = (t >= spans["compound-prefatigued"][0]) & (t < spans["compound-prefatigued"][1])
    units = cols["vastus_lateralis_active_units"]
    assert units[after].mean() > units[fresh].mean() + 2
    assert cols["vastus_lateralis_drive"][after].mean() > cols["vastus_lateralis_drive"][fresh].mean()
    # The glutes sat out the leg extensions: no change there.
    glute = cols["gluteus_maximus_active_units"]
    assert abs(glute[after].mean() - glute[fresh].mean()) < 3


def test_artefacts_csv_has_hum_motion_lift_off_clipping_and_gaps(tmp_path):
    rate = 1000
    cols, _ = simulate(tmp_path, "artefacts", seconds=None, rate_hz=rate)
    t = cols["t_s"]
    # Packet gaps: three jumps in time, of 60, 30 and 100 ms.
    steps = np.diff(t)
    jumps = steps[steps > 1.5 / rate]
    assert jumps.size == 3
    np.testing.assert_allclose(np.sort(jumps), np.sort([0.061, 0.031, 0.101]), atol=1.5e-3)
    uv = np.stack([cols[k] for k in cols if k.endswith("_uv")], axis=1)
    # Mains hum at 50 Hz during the first rest (no EMG to speak of).
    rest = t < 0.95
    freqs, psd = sps.welch(uv[rest, 3], fs=rate, nperseg=512)
    at_50 = psd[np.argmin(np.abs(freqs - 50))]
    assert at_50 > 100 * np.median(psd[(freqs > 150) & (freqs < 450)])
    # Clipping: flat tops at exactly ±2000 µV.
    assert np.isclose(np.abs(uv), 2000.0).sum() > 20 and np.abs(uv).max() <= 2000.0
    # Motion artefact: below 10 Hz, far larger during 2.0–2.8 s than in the hold that follows.
    low = sps.sosfiltfilt(sps.butter(4, 10.0, fs=rate, output="sos"), uv[:, 0])
    assert np.abs(low[(t > 2.2) & (t < 2.6)]).max() > 10 * np.abs(low[(t > 4.5) & (t < 5.5)]).std()
    # Lift-off on channel 3 (brachioradialis): a large offset appears and the EMG vanishes into hum.
    off = (t > 6.2) & (t < 7.4)
    assert cols["brachioradialis_uv"][off].mean() > 500
    assert abs(cols["biceps_brachii_uv"][off].mean()) < 100


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--scenario", "sprint", "--out", "x.csv"], "invalid choice"),
        (["--scenario", "ramp", "--rate", "100", "--out", "x.csv"], "between 200 and 4000 Hz"),
        (["--scenario", "ramp", "--seconds", "0", "--out", "x.csv"], "must be above 0"),
        (["--scenario", "ramp", "--seed", "abc", "--out", "x.csv"], "not a whole number"),
        (["--scenario", "ramp", "--seconds", "0.001", "--rate", "200", "--out", "x.csv"], "shorter than one sample"),
        (["--scenario", "ramp", "--out", "/proc/nope/x.csv"], "cannot write /proc/nope/x.csv"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["simulate", *argv])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()
