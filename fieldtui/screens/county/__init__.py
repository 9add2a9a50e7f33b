"""fieldtui.screens.county."""
