"""Secret content generation: passphrases, SSH key pairs and random bytes (OCI's contexts)."""

from __future__ import annotations

import base64
import json
import secrets
import string

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.domain.errors import InvalidParameter

__all__ = [
    "BYTES_BITS",
    "PASSPHRASE_RANGE",
    "PASSPHRASE_TEMPLATES",
    "PLACEHOLDERS",
    "SSH_KEY_BITS",
    "check_template",
    "generate",
    "passphrase",
    "random_bytes",
    "ssh_key_pair",
]

PASSPHRASE_TEMPLATES: dict[str, tuple[str, ...]] = {
    # Each template is the character classes a passphrase draws from; at least one of each.
    "SECRETS_DEFAULT_PASSWORD": (
        string.ascii_uppercase,
        string.ascii_lowercase,
        string.digits,
        "!#$%&()*+,-.:;<=>?@[]^_{|}~",
    ),
    # Database-safe: no quotes, backslashes, slashes, spaces or @ (which break connection strings).
    "DBAAS_DEFAULT_PASSWORD": (
        string.ascii_uppercase,
        string.ascii_lowercase,
        string.digits,
        "#_-",
    ),
}
SSH_KEY_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
BYTES_BITS = {"BYTES_512": 512, "BYTES_1024": 1024}
PASSPHRASE_RANGE = (14, 64)
PLACEHOLDERS = {
    "PASSPHRASE": ("%GENERATED_PASSPHRASE%",),
    "SSH_KEY": ("%GENERATED_PUBLIC_KEY%", "%GENERATED_PRIVATE_KEY%"),
    "BYTES": ("%GENERATED_BYTES%",),
}


def passphrase(template: str, length: int) -> str:
    """A random passphrase of ``length`` with at least one character of every class."""
    classes = PASSPHRASE_TEMPLATES.get(template)
    if classes is None:
        raise InvalidParameter(
            f"generationTemplate must be one of {', '.join(PASSPHRASE_TEMPLATES)}"
        )
    low, high = PASSPHRASE_RANGE
    if not low <= length <= high:
        raise InvalidParameter(f"passphraseLength must be between {low} and {high}")
    alphabet = "".join(classes)
    chosen = [secrets.choice(c) for c in classes]
    chosen += [secrets.choice(alphabet) for _ in range(length - len(classes))]
    for i in range(len(chosen) - 1, 0, -1):  # Fisher-Yates with the system CSPRNG
        j = secrets.randbelow(i + 1)
        chosen[i], chosen[j] = chosen[j], chosen[i]
    return "".join(chosen)


def ssh_key_pair(template: str) -> tuple[str, str]:
    """(OpenSSH public key, PEM private key) of a new RSA key."""
    bits = SSH_KEY_BITS.get(template)
    if bits is None:
        raise InvalidParameter(f"generationTemplate must be one of {', '.join(SSH_KEY_BITS)}")
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return public, pem


def random_bytes(template: str) -> bytes:
    """Random bytes of the template's size (bits)."""
    bits = BYTES_BITS.get(template)
    if bits is None:
        raise InvalidParameter(f"generationTemplate must be one of {', '.join(BYTES_BITS)}")
    return secrets.token_bytes(bits // 8)


def check_template(generation_type: str, template: str | None) -> None:
    """A secretTemplate must contain the placeholders of its generation type."""
    if template is None:
        return
    if len(template) > 10_000:
        raise InvalidParameter("secretTemplate must be at most 10000 characters")
    for placeholder in PLACEHOLDERS[generation_type]:
        if placeholder not in template:
            raise InvalidParameter(
                f"secretTemplate for {generation_type} must contain {placeholder}"
            )


def generate(
    generation_type: str, generation_template: str, length: int | None, template: str | None
) -> bytes:
    """New secret content for a generation context, placed into ``template`` when there is one."""
    check_template(generation_type, template)
    if generation_type == "PASSPHRASE":
        value = passphrase(generation_template, length or 32)
        return (template.replace("%GENERATED_PASSPHRASE%", value) if template else value).encode()
    if generation_type == "SSH_KEY":
        public, private = ssh_key_pair(generation_template)
        if template:
            filled = template.replace("%GENERATED_PUBLIC_KEY%", public)
            return filled.replace("%GENERATED_PRIVATE_KEY%", private).encode()
        return json.dumps({"publicKey": public, "privateKey": private}).encode()
    if generation_type == "BYTES":
        raw = random_bytes(generation_template)
        if template:
            return template.replace("%GENERATED_BYTES%", base64.b64encode(raw).decode()).encode()
        return raw
    raise InvalidParameter("generationType must be PASSPHRASE, SSH_KEY or BYTES")
