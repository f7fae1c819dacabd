"""Pure, fast unit tests: no network, no database."""
