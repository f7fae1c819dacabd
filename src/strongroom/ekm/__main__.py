"""``python -m strongroom.ekm``: the same as the ``strongroom-ekm`` command."""

from strongroom.ekm.cli import app

app(prog_name="strongroom-ekm")
