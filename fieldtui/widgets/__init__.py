"""fieldtui.widgets."""
