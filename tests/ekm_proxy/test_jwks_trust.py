"""An identity provider whose TLS certificate comes from a private CA (Strongroom's own token
endpoint, served with its own certificate, is the usual case): `jwt set --ca-bundle`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.ekm_proxy.config import JwtSettings, load_config
from strongroom.ekm_proxy.errors import Unauthenticated
from strongroom.ekm_proxy.tokens import TokenValidator
from tests.ekm_support import run_cli
from tests.idp_support import LocalIdp
from tests.tls_support import TlsFiles, make_tls

AUDIENCE = "https://ekm.example:9443/v1/vaults/v1"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls(tmp_path_factory.mktemp("idp-tls"))


@pytest.fixture(scope="module")
def idp(tls: TlsFiles) -> Iterator[LocalIdp]:
    with LocalIdp(tls=tls) as running:
        assert running.url.startswith("https://")
        yield running


def test_without_the_ca_the_jwks_cannot_be_fetched(idp: LocalIdp) -> None:
    validator = TokenValidator(JwtSettings(idp.issuer, idp.jwks_url), AUDIENCE)
    with pytest.raises(Unauthenticated, match="JWKS cannot be fetched"):
        validator.validate(idp.token(AUDIENCE))


def test_with_the_ca_bundle_tokens_validate(idp: LocalIdp, tls: TlsFiles) -> None:
    settings = JwtSettings(idp.issuer, idp.jwks_url, ca_bundle=tls.ca_pem)
    TokenValidator(settings, AUDIENCE).validate(idp.token(AUDIENCE))


def test_another_ca_is_not_trusted(idp: LocalIdp, tmp_path: Path) -> None:
    other = make_tls(tmp_path / "other")
    settings = JwtSettings(idp.issuer, idp.jwks_url, ca_bundle=other.ca_pem)
    with pytest.raises(Unauthenticated, match="JWKS cannot be fetched"):
        TokenValidator(settings, AUDIENCE).validate(idp.token(AUDIENCE))


def _init(tmp_path: Path) -> Path:
    data_dir = tmp_path / "ekm"
    run_cli("init", "--data-dir", str(data_dir), "--backend", "software")
    return data_dir


def test_jwt_set_discovers_through_the_ca_bundle_and_keeps_it(
    idp: LocalIdp, tls: TlsFiles, tmp_path: Path
) -> None:
    data_dir = _init(tmp_path)
    refused = run_cli("jwt", "set", "--data-dir", str(data_dir), "--discover", idp.url, check=False)
    assert refused.returncode == 2
    assert "cannot read the discovery document" in refused.stderr
    assert load_config(data_dir).jwt is None  # nothing half-set

    args = ["--discover", idp.url, "--ca-bundle", str(tls.ca_file)]
    run_cli("jwt", "set", "--data-dir", str(data_dir), *args)
    jwt = load_config(data_dir).jwt
    assert jwt is not None
    assert (jwt.issuer, jwt.jwks_url, jwt.ca_bundle) == (idp.issuer, idp.jwks_url, tls.ca_pem)
    TokenValidator(jwt, AUDIENCE).validate(idp.token(AUDIENCE))  # as the proxy loads it
    shown = run_cli("jwt", "show", "--data-dir", str(data_dir)).stdout
    assert "JWKS TLS:  the CA bundle given to jwt set" in shown


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not a certificate\n", "holds no PEM certificate"),
        (None, "cannot read the CA bundle"),
    ],
)
def test_a_bad_ca_bundle_is_refused_clearly(
    idp: LocalIdp, tmp_path: Path, content: str | None, message: str
) -> None:
    data_dir = _init(tmp_path)
    bundle = tmp_path / "bundle.pem"
    if content is not None:
        bundle.write_text(content)
    args = ["--issuer", idp.issuer, "--jwks-url", idp.jwks_url, "--ca-bundle", str(bundle)]
    result = run_cli("jwt", "set", "--data-dir", str(data_dir), *args, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert load_config(data_dir).jwt is None
