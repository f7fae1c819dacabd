"""Initialising a PKCS#11 token (C_InitToken, C_InitPIN) without putting PINs on a command line.

python-pkcs11 does not wrap token initialisation, and ``softhsm2-util`` wants the PINs as
arguments or from a terminal, so this calls the module's C functions directly with ctypes.
It runs in the CLI before anything else loads the module, and finalises the module afterwards.
"""

from __future__ import annotations

import ctypes
import os

from strongroom.ekm_proxy.config import SoftHsmSettings
from strongroom.ekm_proxy.errors import ConfigurationError

CKR_OK = 0
CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191
CKF_RW_SESSION = 0x2
CKF_SERIAL_SESSION = 0x4
CKF_TOKEN_INITIALIZED = 0x400
CKU_SO = 0
_TOKEN_INFO_SIZE = 512
_FLAGS_OFFSET = 96
_ulong = ctypes.c_ulong


def _check(rv: int, what: str) -> None:
    if rv != CKR_OK:
        raise ConfigurationError(f"{what} failed (CKR 0x{rv:x})")


def _slots(lib: ctypes.CDLL) -> list[int]:
    count = _ulong(0)
    _check(lib.C_GetSlotList(ctypes.c_ubyte(1), None, ctypes.byref(count)), "C_GetSlotList")
    slots = (_ulong * max(count.value, 1))()
    _check(lib.C_GetSlotList(ctypes.c_ubyte(1), slots, ctypes.byref(count)), "C_GetSlotList")
    return [int(slots[i]) for i in range(count.value)]


def _token(lib: ctypes.CDLL, slot: int) -> tuple[str, int]:
    info = ctypes.create_string_buffer(_TOKEN_INFO_SIZE)
    _check(lib.C_GetTokenInfo(_ulong(slot), info), "C_GetTokenInfo")
    label = info.raw[:32].decode("utf-8", "replace").rstrip(" \x00")
    flags = _ulong.from_buffer_copy(info.raw[_FLAGS_OFFSET : _FLAGS_OFFSET + ctypes.sizeof(_ulong)])
    return label, int(flags.value)


def init_token(settings: SoftHsmSettings, so_pin: str, user_pin: str) -> None:
    """Initialise a free slot's token with ``settings.token_label`` and set its user PIN.

    Refuses when a token with that label already exists.
    """
    if settings.softhsm_conf:
        os.environ["SOFTHSM2_CONF"] = settings.softhsm_conf
    try:
        lib = ctypes.CDLL(settings.module)
    except OSError:
        raise ConfigurationError(f"cannot load the PKCS#11 module {settings.module}") from None
    rv = lib.C_Initialize(None)
    if rv not in (CKR_OK, CKR_CRYPTOKI_ALREADY_INITIALIZED):
        _check(rv, "C_Initialize")
    owned = rv == CKR_OK  # finalise only what we initialised (never python-pkcs11's state)
    try:
        tokens = {slot: _token(lib, slot) for slot in _slots(lib)}
        if any(label == settings.token_label for label, _ in tokens.values()):
            raise ConfigurationError(f"a token labelled {settings.token_label!r} already exists")
        free = [slot for slot, (_, flags) in tokens.items() if not flags & CKF_TOKEN_INITIALIZED]
        if not free:
            raise ConfigurationError("no free slot to initialise a token in")
        label = settings.token_label.encode("utf-8").ljust(32, b" ")[:32]
        so = so_pin.encode("utf-8")
        _check(lib.C_InitToken(_ulong(free[0]), so, _ulong(len(so)), label), "C_InitToken")
        slot = next((s for s in _slots(lib) if _token(lib, s)[0] == settings.token_label), None)
        if slot is None:
            raise ConfigurationError("the initialised token cannot be found")
        session = _ulong(0)
        flags = _ulong(CKF_SERIAL_SESSION | CKF_RW_SESSION)
        _check(
            lib.C_OpenSession(_ulong(slot), flags, None, None, ctypes.byref(session)),
            "C_OpenSession",
        )
        try:
            _check(lib.C_Login(session, _ulong(CKU_SO), so, _ulong(len(so))), "C_Login (SO)")
            pin = user_pin.encode("utf-8")
            _check(lib.C_InitPIN(session, pin, _ulong(len(pin))), "C_InitPIN")
            lib.C_Logout(session)
        finally:
            lib.C_CloseSession(session)
    finally:
        if owned:
            lib.C_Finalize(None)
