"""Fixtures of the CDS Hooks tests: an app with a trusted client (an EC P-384 key for ES384
and an RSA key for RS384, in the client's JWK Set), a store on a fresh SQLite file, and a
helper that signs the JWT of one call."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
import warnings
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app
from osteoboard.cds.settings import CdsClient, CdsSettings
from osteoboard.store.db import Store

T = TypeVar("T")

PUBLIC_URL = "https://cds.klinik.example"
ISSUER = "https://ehr.klinik.example/"
EC_KID = "ehr-ec-1"
RSA_KID = "ehr-rsa-1"


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on an event loop of its own thread (another test may have left a
    loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    data: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


@dataclass
class ClientKeys:
    """The trusted client's keys and its JWK Set."""

    ec: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    rsa: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [_jwk(self.ec, EC_KID, "ES384"), _jwk(self.rsa, RSA_KID, "RS384")]}

    def token(
        self,
        path: str,
        *,
        alg: str = "ES384",
        claims: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        now: float | None = None,
    ) -> str:
        """A JWT for a call of ``path`` (``/cds-services…``): aud, iss, iat, exp, jti set,
        ``claims`` override them, ``drop`` removes some."""
        now = time.time() if now is None else now
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": PUBLIC_URL + path,
            "iat": int(now),
            "exp": int(now) + 60,
            "jti": str(uuid.uuid4()),
            "tenant": "klinik-1",
        }
        payload.update(claims or {})
        for name in drop:
            payload.pop(name, None)
        key = self.ec if alg == "ES384" else self.rsa
        kid = EC_KID if alg == "ES384" else RSA_KID
        return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, **(headers or {})})

    def auth(self, path: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(path, **kwargs)}"}


@pytest.fixture(scope="session")
def client_keys() -> ClientKeys:
    return ClientKeys()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cds-template") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()
    return path


@pytest.fixture
def store(migrated_sqlite: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "osteoboard.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


def cds_settings(
    keys: ClientKeys, *, fhir_servers: tuple[str, ...] = (), **more: Any
) -> CdsSettings:
    """The settings of the trusted client; ``fhir_servers``: the FHIR bases it may name."""
    clients = {ISSUER: CdsClient(jwks=keys.jwks(), fhir_servers=list(fhir_servers))}
    return CdsSettings(public_url=PUBLIC_URL, cds_clients=clients, **more)


@pytest.fixture
def make_client(store: Store, client_keys: ClientKeys) -> Iterator[Callable[..., TestClient]]:
    """A test client of an app with the given CDS settings (default: the trusted client)."""
    opened: list[TestClient] = []

    def make(settings: CdsSettings | None = None) -> TestClient:
        app = create_app(
            Settings(cookie_secure=False),
            store=store,
            cds_settings=settings or cds_settings(client_keys),
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
