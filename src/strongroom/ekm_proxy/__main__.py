"""``python -m strongroom.ekm_proxy``: the same as the ``strongroom-ekm`` command."""

from strongroom.ekm_proxy.cli import app

app(prog_name="strongroom-ekm")
