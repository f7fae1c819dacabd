"""Use cases, one module each, behind the :class:`~strongroom.services.facade.Strongroom` facade."""
