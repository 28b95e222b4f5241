"""``python -m gymtui``: the same entry point as the ``gymtui`` script."""

from gymtui.cli import main

raise SystemExit(main())
