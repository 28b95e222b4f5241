"""A Textual cache that keeps removed widgets' rendered lines alive, and the call that lets them go.

``textual._styles_cache.StylesCache.get_inner_outer`` is an ``lru_cache`` on
an instance method, so each of its up to 1024 entries holds a widget's
``StylesCache`` (every line it rendered) long after the widget is removed.
The set and rating screens bring about 40 widgets per set: over the first
~25 sets that is tens of MB kept for nothing. The cache only saves building
two ``Style`` objects, so dropping it when the athlete is back home costs
nothing the next frame notices.
"""

from __future__ import annotations


def release_render_caches() -> None:
    """Empty the cache above (a no-op on a Textual without it)."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:
        return
    cache_clear = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
