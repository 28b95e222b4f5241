"""The footer rebuilds its keys when what it shows changes, and only then.

Textual rebuilds a footer on every change of the screen's bindings; the set
screen refreshes its bindings at each phase, so a day of sets rebuilt it
hundreds of times for nothing, each rebuild restyling every key.
"""

from __future__ import annotations

from pathlib import Path

from frozen_app import at_home, frozen_app
from textual.widgets._footer import FooterKey
from waiting import pilot_wait_until

from gymtui.ui.widgets.footer import Footer


async def test_refreshed_bindings_that_show_the_same_keys_keep_the_same_footer_keys(tmp_path: Path) -> None:
    app = frozen_app(tmp_path / "gym.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await at_home(pilot)
        home = app.screen
        footer = home.query_one(Footer)
        await pilot_wait_until(pilot, lambda: bool(footer.query(".-help")) and footer.up_to_date,
                               10, "the footer's keys, Help among them")
        keys = list(home.query(FooterKey))
        for _ in range(5):
            home.refresh_bindings()
            await pilot.pause(0.05)
        assert list(home.query(FooterKey)) == keys, "same bindings, yet the keys were built again"
        footer.rebuild()
        await pilot_wait_until(pilot, lambda: home.query(FooterKey) and home.query(FooterKey).first() is not keys[0],
                               10, "the footer rebuilt on demand")
        assert [k.description for k in home.query(FooterKey)] == [k.description for k in keys]
