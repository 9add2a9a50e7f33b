"""The county centre's app and its screens (``fieldtui county``)."""

# The county app's areas, in the order of the navigation bar: the actions ``county.<area>``.
NAV_AREAS = ("overview", "worklist", "scoring")
