"""Checking generation contexts and generating content with them (crypto.generation)."""

from __future__ import annotations

from strongroom.crypto import generation
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.secret import GenerationContext, check_content

__all__ = ["check_generation", "generate_content"]

_TEMPLATES: dict[str, tuple[str, ...]] = {
    "PASSPHRASE": tuple(generation.PASSPHRASE_TEMPLATES),
    "SSH_KEY": tuple(generation.SSH_KEY_BITS),
    "BYTES": tuple(generation.BYTES_BITS),
}


def check_generation(context: GenerationContext) -> None:
    """Type, template, passphrase length and secret template must fit together."""
    templates = _TEMPLATES.get(context.generation_type)
    if templates is None:
        raise InvalidParameter(
            "secretGenerationContext.generationType must be PASSPHRASE, SSH_KEY or BYTES"
        )
    if context.generation_template not in templates:
        raise InvalidParameter(
            f"secretGenerationContext.generationTemplate for {context.generation_type} must be "
            f"one of {', '.join(templates)}"
        )
    if context.passphrase_length is not None:
        low, high = generation.PASSPHRASE_RANGE
        if context.generation_type != "PASSPHRASE":
            raise InvalidParameter("passphraseLength is only valid for PASSPHRASE generation")
        if not low <= context.passphrase_length <= high:
            raise InvalidParameter(f"passphraseLength must be between {low} and {high}")
    generation.check_template(context.generation_type, context.secret_template)


def generate_content(context: GenerationContext | None) -> bytes:
    """Fresh content for ``context`` (an SSH key pair may take a second: call outside
    transactions)."""
    if context is None:
        raise InvalidParameter("Content generation needs a secretGenerationContext")
    content = generation.generate(
        context.generation_type,
        context.generation_template,
        context.passphrase_length,
        context.secret_template,
    )
    return check_content(content)
