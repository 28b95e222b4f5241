"""The week plot's rise band: right under the rating, on its own ms scale, only where there are rises."""

from __future__ import annotations

from gymtui.ui.widgets.week_plot import (
    RISE_SCALE_NOTE,
    SCALE_NOTE,
    PlotPoint,
    render_week_plot,
)


def test_the_rise_band_follows_the_rating_on_its_own_scale_and_shorter_is_faster() -> None:
    points = [PlotPoint("2 Nov", 7.0, 60.0, 100.0, rise_ms=240.0), PlotPoint("9 Nov", 8.0, 70.0, 100.0, rise_ms=120.0)]
    lines = render_week_plot(points).plain.splitlines()
    assert [line[:10].strip() for line in lines[:4]] == ["rating", "0–10", "rise ms", "0–240"]
    assert lines[2][10:14] == "████" and lines[3][10:14] == "████"  # 240 of 240 ms: full
    assert lines[2][17:21] == "    " and lines[3][17:21] == "████"  # 120 ms: half as tall
    assert lines[-1] == RISE_SCALE_NOTE and len(RISE_SCALE_NOTE) <= 60


def test_no_rise_measured_means_no_rise_band_and_the_plain_note() -> None:
    lines = render_week_plot([PlotPoint("2 Nov", 7.0, 60.0, 100.0)]).plain.splitlines()
    assert not [line for line in lines if line.startswith("rise")]
    assert lines[-1] == SCALE_NOTE
