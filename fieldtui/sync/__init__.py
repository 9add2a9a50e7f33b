"""fieldtui.sync."""
