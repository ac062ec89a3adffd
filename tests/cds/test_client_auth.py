"""Every CDS Hooks call's JWT: the specification's own example token and JWK Set verify (with
the clock set inside the token's lifetime), and each way a token can be wrong is refused with
401 naming the reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from osteoboard.cds.clientauth import ClientRejected, ClientVerifier, ReplayGuard, VerifiedClient
from osteoboard.cds.settings import CdsClient, CdsSettings
from tests.cds.conftest import (
    EC_KID,
    ISSUER,
    PUBLIC_URL,
    RSA_KID,
    ClientKeys,
    cds_settings,
    run_coroutine,
)

# The example of CDS Hooks 2.0, "Trusting CDS Clients": token, JWK Set and the URLs in them.
SPEC_TOKEN = (
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9maGly"
    "LWVoci5leGFtcGxlLmNvbS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY29tLyIs"
    "ImF1ZCI6Imh0dHBzOi8vY2RzLmV4YW1wbGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJleHAiOjE0"
    "MjI1Njg4NjAsImlhdCI6MTMxMTI4MDk3MCwianRpIjoiZWUyMmIwMjEtZTFiNy00NjExLWJhNWItOGVlYzZhMzNh"
    "YzFlIiwidGVuYW50IjoiMmRkZDZjM2EtOGU5YS00NGM2LWEzMDUtNTIxMTFhZDMwMmEyIn0.d1WfLjGRKlcWB94l"
    "9do4cM8REXeYJLL6SGUBO8VHZhfM8mwKYP70EMxJ67War4TQblEpaQrp11wx5p7oPFm2ETYgCicS84vXWEIYTdjo"
    "oZdooCSDf2L8-i4awdoUwiEb"
)
SPEC_JWKS = {
    "keys": [
        {
            "kty": "EC",
            "use": "sig",
            "crv": "P-384",
            "kid": "example-kid",
            "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
            "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
            "alg": "ES384",
        }
    ]
}
SPEC_ISSUER = "https://fhir-ehr.example.com/"
SPEC_JKU = "https://fhir-ehr.example.com/jwk_uri"
SPEC_AUDIENCE = "https://cds.example.org/cds-services/some-service"
SPEC_IAT, SPEC_EXP = 1311280970, 1422568860


class JwksServer:
    """An httpx transport that serves JWK Sets by URL and counts the fetches."""

    def __init__(self, sets: dict[str, dict[str, Any]]) -> None:
        self.sets = sets
        self.fetches: list[str] = []

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            url = str(request.url)
            self.fetches.append(url)
            if url not in self.sets:
                return httpx.Response(404)
            return httpx.Response(200, json=self.sets[url])

        return httpx.MockTransport(answer)


def _spec_verifier(clock: Callable[[], float], server: JwksServer) -> ClientVerifier:
    settings = CdsSettings(
        public_url="https://cds.example.org",
        cds_clients={SPEC_ISSUER: CdsClient(jku=[SPEC_JKU])},
    )
    return ClientVerifier(settings, clock=clock, transport=server.transport())


def test_the_specification_example_token_verifies_inside_its_lifetime() -> None:
    server = JwksServer({SPEC_JKU: SPEC_JWKS})
    verifier = _spec_verifier(lambda: SPEC_IAT + 10.0, server)
    bearer = f"Bearer {SPEC_TOKEN}"
    client = run_coroutine(verifier.verify(bearer, SPEC_AUDIENCE))
    assert client == VerifiedClient(
        iss=SPEC_ISSUER,
        jti="ee22b021-e1b7-4611-ba5b-8eec6a33ac1e",
        tenant="2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
    )
    assert server.fetches == [SPEC_JKU]  # the key set came from the allow-listed jku
    # the same token again is a replay, and the cached key set is not fetched again
    with pytest.raises(ClientRejected) as replay:
        run_coroutine(verifier.verify(bearer, SPEC_AUDIENCE))
    assert replay.value.reason == "replayed"
    assert server.fetches == [SPEC_JKU]


def _reason(verifier: ClientVerifier, token: str, audience: str = SPEC_AUDIENCE) -> str:
    with pytest.raises(ClientRejected) as refused:
        run_coroutine(verifier.verify(f"Bearer {token}", audience))
    return refused.value.reason


def test_the_specification_example_token_is_refused_where_it_should_be() -> None:
    server = JwksServer({SPEC_JKU: SPEC_JWKS})
    # today: the token expired in 2015
    assert _reason(_spec_verifier(time.time, server), SPEC_TOKEN) == "expired"
    inside = _spec_verifier(lambda: SPEC_IAT + 10.0, server)
    # another endpoint
    other = "https://cds.example.org/cds-services/other-service"
    assert _reason(inside, SPEC_TOKEN, other) == "audience"
    # one bit of the signature changed
    head, body, signature = SPEC_TOKEN.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert _reason(inside, f"{head}.{body}.{flipped}") == "signature"
    # issued (iat) more than the allowed age before now, though not yet expired
    late = _spec_verifier(lambda: SPEC_IAT + 3600.0, server)
    assert _reason(late, SPEC_TOKEN) == "too_old"
    # the jku of the token is not on this issuer's allow-list
    settings = CdsSettings(
        public_url="https://cds.example.org",
        cds_clients={SPEC_ISSUER: CdsClient(jwks=SPEC_JWKS)},
    )
    no_jku = ClientVerifier(settings, clock=lambda: SPEC_IAT + 10.0, transport=server.transport())
    assert _reason(no_jku, SPEC_TOKEN) == "jku"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _now_claims(path: str) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": PUBLIC_URL + path, "iat": now, "exp": now + 60, "jti": "j-1"}


DISCOVERY = "/cds-services"


def _hmac_token(claims: dict[str, Any], secret: bytes) -> str:
    """HS256 signed with the client's public key as the secret (the key-confusion attack;
    PyJWT itself refuses to sign so, hence by hand)."""
    signing = _b64({"alg": "HS256", "typ": "JWT", "kid": EC_KID}) + "." + _b64(claims)
    mac = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return signing + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _tokens(keys: ClientKeys) -> dict[str, tuple[str, str]]:
    """name -> (token, expected reason) for the discovery endpoint."""
    claims = _now_claims(DISCOVERY)
    other_key = ec.generate_private_key(ec.SECP384R1())
    public_pem = keys.ec.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return {
        "garbage": ("not-a-jwt", "malformed"),
        "none": (
            _b64({"alg": "none", "typ": "JWT", "kid": EC_KID}) + "." + _b64(claims) + ".",
            "algorithm",
        ),
        "hs256-with-the-public-key": (_hmac_token(claims, public_pem), "algorithm"),
        "hs384": (
            jwt.encode(claims, "s" * 48, algorithm="HS384", headers={"kid": EC_KID}),
            "algorithm",
        ),
        "es256": (
            jwt.encode(
                claims,
                ec.generate_private_key(ec.SECP256R1()),
                algorithm="ES256",
                headers={"kid": EC_KID},
            ),
            "algorithm",
        ),
        "typ": (keys.token(DISCOVERY, headers={"typ": "at+jwt"}), "typ"),
        "no-kid": (
            jwt.encode(claims, keys.ec, algorithm="ES384"),
            "kid",
        ),
        "unknown-issuer": (
            keys.token(DISCOVERY, claims={"iss": "https://other.example/"}),
            "issuer",
        ),
        "jku-not-allowed": (
            keys.token(DISCOVERY, headers={"jku": "https://attacker.example/jwks"}),
            "jku",
        ),
        "unknown-kid": (keys.token(DISCOVERY, headers={"kid": "nope"}), "key"),
        "rsa-kid-with-es384": (keys.token(DISCOVERY, headers={"kid": RSA_KID}), "key"),
        "other-key-same-kid": (
            jwt.encode(claims, other_key, algorithm="ES384", headers={"kid": EC_KID}),
            "signature",
        ),
        "aud-of-another-endpoint": (
            keys.token("/cds-services/osteoboard-patient-view"),
            "audience",
        ),
        "no-jti": (keys.token(DISCOVERY, drop=("jti",)), "claim"),
        "no-exp": (keys.token(DISCOVERY, drop=("exp",)), "claim"),
        "no-iat": (keys.token(DISCOVERY, drop=("iat",)), "claim"),
        "no-aud": (keys.token(DISCOVERY, drop=("aud",)), "claim"),
        "expired": (keys.token(DISCOVERY, now=time.time() - 400), "expired"),
        "issued-in-the-future": (keys.token(DISCOVERY, now=time.time() + 600), "future"),
        "too-old": (
            keys.token(DISCOVERY, now=time.time() - 1000, claims={"exp": int(time.time()) + 60}),
            "too_old",
        ),
    }


REASONS = [
    "garbage",
    "none",
    "hs256-with-the-public-key",
    "hs384",
    "es256",
    "typ",
    "no-kid",
    "unknown-issuer",
    "jku-not-allowed",
    "unknown-kid",
    "rsa-kid-with-es384",
    "other-key-same-kid",
    "aud-of-another-endpoint",
    "no-jti",
    "no-exp",
    "no-iat",
    "no-aud",
    "expired",
    "issued-in-the-future",
    "too-old",
]


@pytest.mark.parametrize("name", REASONS)
def test_a_bad_token_is_refused_with_401_naming_the_reason(
    name: str, client: TestClient, client_keys: ClientKeys
) -> None:
    token, reason = _tokens(client_keys)[name]
    verifier = client.app.state.cds.verifier  # type: ignore[attr-defined]
    assert _reason(verifier, token, PUBLIC_URL + DISCOVERY) == reason
    answer = client.get(DISCOVERY, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["type"] == "urn:osteoboard:problem:unauthorized"


def test_without_a_bearer_token_every_endpoint_is_401_before_the_body_is_read(
    client: TestClient,
) -> None:
    for method, path in (
        ("GET", DISCOVERY),
        ("POST", "/cds-services/osteoboard-patient-view"),
        ("POST", "/cds-services/osteoboard-order-sign/feedback"),
        ("POST", "/cds-services/no-such-service"),
    ):
        for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}):
            answer = client.request(
                method,
                path,
                content=b"{not json",
                headers={"Content-Type": "text/plain", **headers},
            )
            assert answer.status_code == 401, (method, path, answer.text)
            assert "Bearer" in answer.json()["detail"]


def test_rs384_is_accepted_and_a_replayed_jti_is_refused(
    client: TestClient, client_keys: ClientKeys
) -> None:
    headers = client_keys.auth(DISCOVERY, alg="RS384")
    assert client.get(DISCOVERY, headers=headers).status_code == 200
    again = client.get(DISCOVERY, headers=headers)
    assert again.status_code == 401
    assert "bereits verwendet" in again.json()["detail"]


def test_an_issuer_without_trust_configured_is_refused(
    make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    nobody = make_client(CdsSettings(public_url=PUBLIC_URL))
    assert nobody.get(DISCOVERY, headers=client_keys.auth(DISCOVERY)).status_code == 401


def test_keys_from_jwks_url_are_fetched_once_and_cached(client_keys: ClientKeys) -> None:
    url = "https://ehr.klinik.example/.well-known/jwks.json"
    server = JwksServer({url: client_keys.jwks()})
    settings = cds_settings(client_keys).model_copy(
        update={"cds_clients": {ISSUER: CdsClient(jwks_url=url)}}
    )
    verifier = ClientVerifier(settings, transport=server.transport())
    audience = PUBLIC_URL + DISCOVERY
    for _ in range(3):
        run_coroutine(verifier.verify(f"Bearer {client_keys.token(DISCOVERY)}", audience))
    assert server.fetches == [url]
    # an unknown kid may refetch, but not again within the minute
    for _ in range(2):
        token = client_keys.token(DISCOVERY, headers={"kid": "rotated"})
        assert _reason(verifier, token, audience) == "key"
    assert server.fetches == [url]
    # keys that cannot be fetched at all
    down = ClientVerifier(settings, transport=JwksServer({}).transport())
    assert _reason(down, client_keys.token(DISCOVERY), audience) == "keys"


def test_the_replay_memory_forgets_expired_ids_and_fails_closed_when_full() -> None:
    guard = ReplayGuard(capacity=2)
    assert guard.first_use(("i", "a"), expires_at=100.0, now=0.0)
    assert not guard.first_use(("i", "a"), expires_at=100.0, now=50.0)
    assert guard.first_use(("i", "b"), expires_at=200.0, now=50.0)
    with pytest.raises(ClientRejected) as full:
        guard.first_use(("i", "c"), expires_at=300.0, now=60.0)
    assert full.value.reason == "replay_full"
    # after "a" expired its slot is free again, and "a" itself could be used anew (its
    # token would be refused by exp or age anyway)
    assert guard.first_use(("i", "c"), expires_at=300.0, now=150.0)
    assert len(guard) == 2
