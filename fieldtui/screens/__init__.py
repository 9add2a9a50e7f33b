"""fieldtui.screens."""
