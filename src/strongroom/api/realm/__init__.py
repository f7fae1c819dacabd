"""The realm dialect: the endpoints regions call on each other (join, apply, pull, forward,
credentials, unlinked, ping) under /_strongroom/realm/v1, on the main listener."""
