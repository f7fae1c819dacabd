"""Published test vectors run through Strongroom's crypto layer."""
