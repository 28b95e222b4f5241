"""gymtui: guided timed sets with live EMG activation bars, for the gym floor."""

__version__ = "0.1.0"
