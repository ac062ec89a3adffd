"""Who is calling: the JWT every CDS Hooks call carries (CDS Hooks 2.0, "Trusting CDS
Clients"), verified with PyJWT.

- Only ES384 and RS384 are accepted; ``none`` and every symmetric (HMAC) algorithm are refused
  before any key is looked at. ``typ`` must be ``JWT`` and ``kid`` present.
- ``iss`` must be on the allow-list (:class:`~osteoboard.cds.settings.CdsClient`); its keys
  come from the configured JWK Set (inline or ``jwks_url``), or from the token's ``jku``
  header only when that URL is allow-listed for this issuer. Fetched JWK Sets are cached
  (``OSTEOBOARD_CDS_JWKS_TTL_S``); a ``kid`` not in the cached set refetches it at most once
  a minute.
- ``aud`` must be the public URL of the endpoint called; ``iss``, ``aud``, ``exp``, ``iat`` and
  ``jti`` are required. ``exp`` and ``iat`` are checked here against an injectable clock
  (PyJWT reads the system clock): not expired, not issued in the future, and no older than
  ``OSTEOBOARD_CDS_JWT_MAX_AGE_S`` (each with ``OSTEOBOARD_CDS_JWT_LEEWAY_S`` of skew).
- A ``jti`` seen before (per issuer) is a replay. The store of seen ids is in memory, per
  worker process, bounded (``OSTEOBOARD_CDS_REPLAY_CAPACITY``), and forgets an id once its
  token could no longer be accepted anyway (at ``min(exp, iat + max age)`` plus leeway). With
  several workers a replay that reaches another worker is not detected; when the store is
  full of live ids, calls are refused until some expire (it fails closed).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from osteoboard.cds.settings import CdsClient, CdsSettings

__all__ = ["ALGORITHMS", "ClientRejected", "ClientVerifier", "ReplayGuard", "VerifiedClient"]

#: The only signing algorithms accepted (the spec recommends both; no symmetric one).
ALGORITHMS = ("ES384", "RS384")
_KEY_TYPE = {"ES384": "EC", "RS384": "RSA"}
_REFETCH_AFTER_S = 60.0
_MAX_JWKS_BYTES = 256 * 1024

#: reason -> (German, English)
REASONS: dict[str, tuple[str, str]] = {
    "missing": (
        "Authorization-Header mit einem JWT als Bearer-Token fehlt",
        "The Authorization header with a JWT bearer token is missing",
    ),
    "malformed": ("Das JWT ist nicht lesbar", "The JWT cannot be read"),
    "algorithm": (
        "Signaturverfahren {alg!r} nicht erlaubt; erlaubt sind ES384 und RS384",
        "Signing algorithm {alg!r} is not allowed; allowed are ES384 and RS384",
    ),
    "typ": ("Der JWT-Header muss typ 'JWT' haben", "The JWT header must have typ 'JWT'"),
    "kid": ("Der JWT-Header nennt keinen Schlüssel (kid)", "The JWT header names no key (kid)"),
    "issuer": ("Aussteller (iss) nicht zugelassen", "Issuer (iss) not allowed"),
    "jku": (
        "Die JWK-Set-URL (jku) ist für diesen Aussteller nicht zugelassen",
        "The JWK Set URL (jku) is not allowed for this issuer",
    ),
    "keys": (
        "Die Schlüssel des Ausstellers sind nicht abrufbar",
        "The issuer's keys cannot be fetched",
    ),
    "key": (
        "Schlüssel {kid!r} ist dem Aussteller nicht bekannt oder passt nicht zu {alg}",
        "Key {kid!r} is unknown for the issuer or does not fit {alg}",
    ),
    "signature": ("Die Signatur des JWT ist ungültig", "The JWT's signature is invalid"),
    "audience": (
        "Das JWT ist nicht für diesen Endpunkt ausgestellt (aud muss {aud} sein)",
        "The JWT is not issued for this endpoint (aud must be {aud})",
    ),
    "claim": ("Dem JWT fehlt der Claim {claim!r}", "The JWT lacks the claim {claim!r}"),
    "expired": ("Das JWT ist abgelaufen (exp)", "The JWT has expired (exp)"),
    "future": (
        "Das JWT ist in der Zukunft ausgestellt (iat)",
        "The JWT is issued in the future (iat)",
    ),
    "too_old": (
        "Das JWT ist älter als {max_age} s (iat)",
        "The JWT is older than {max_age} s (iat)",
    ),
    "replayed": (
        "Dieses JWT (jti) wurde bereits verwendet",
        "This JWT (jti) has been used before",
    ),
    "replay_full": (
        "Zu viele gleichzeitig gültige JWTs; später erneut versuchen",
        "Too many live JWTs; try again later",
    ),
}


class ClientRejected(Exception):
    """The call's JWT is refused; ``reason`` is a key of :data:`REASONS`."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params

    def text(self) -> tuple[str, str]:
        """The reason in German and English."""
        de, en = REASONS[self.reason]
        return de.format(**self.params), en.format(**self.params)


@dataclass(frozen=True)
class VerifiedClient:
    """A caller whose JWT passed every check."""

    iss: str
    jti: str
    tenant: str | None = None

    @property
    def label(self) -> str:
        """The actor the store records (at most 80 characters, no secret)."""
        return f"cds:{self.iss}"[:80]


class ReplayGuard:
    """Bounded memory of seen JWT ids, each forgotten at its expiry."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def first_use(self, key: tuple[str, str], expires_at: float, now: float) -> bool:
        """Record ``key`` until ``expires_at``; False if it was seen and has not expired.

        Raises :class:`ClientRejected` (``replay_full``) when every slot holds a live id."""
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                expiry, old = heapq.heappop(self._heap)
                if self._expiry.get(old) == expiry:
                    del self._expiry[old]
            seen = self._expiry.get(key)
            if seen is not None and seen >= now:
                return False
            if len(self._expiry) >= self.capacity:
                raise ClientRejected("replay_full")
            self._expiry[key] = expires_at
            heapq.heappush(self._heap, (expires_at, key))
            return True


@dataclass
class _CachedSet:
    keys: list[dict[str, Any]]
    fetched_at: float


def _jwk_list(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set")
    return [key for key in document["keys"] if isinstance(key, dict)]


class ClientVerifier:
    """Checks the ``Authorization`` header of a CDS Hooks call."""

    def __init__(
        self,
        settings: CdsSettings,
        *,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.transport = transport
        self.replays = ReplayGuard(settings.cds_replay_capacity)
        self._sets: dict[str, _CachedSet] = {}
        self._inline = {
            iss: _jwk_list(client.jwks)
            for iss, client in settings.cds_clients.items()
            if client.jwks is not None
        }
        #: parsed keys by (JWK dict identity, alg): parsing an EC or RSA key costs more than
        #: the signature check itself
        self._parsed: dict[tuple[int, str], tuple[dict[str, Any], jwt.PyJWK]] = {}

    async def verify(self, authorization: str | None, audience: str) -> VerifiedClient:
        """The caller, or :class:`ClientRejected` naming the first check that failed."""
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise ClientRejected("malformed") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise ClientRejected("algorithm", alg=str(alg)[:20])
        if str(header.get("typ", "")).upper() != "JWT":
            raise ClientRejected("typ")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ClientRejected("kid")
        iss = claims.get("iss")
        client = self.settings.cds_clients.get(iss) if isinstance(iss, str) else None
        if client is None or not isinstance(iss, str):
            raise ClientRejected("issuer")
        key = await self._key(iss, client, header.get("jku"), kid, alg)
        try:
            verified: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                options={
                    "require": ["iss", "aud", "exp", "iat", "jti"],
                    # exp, iat and nbf are checked below against self.clock
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise ClientRejected("audience", aud=audience) from None
        except jwt.MissingRequiredClaimError as exc:
            raise ClientRejected("claim", claim=exc.claim) from None
        except jwt.InvalidSignatureError:
            raise ClientRejected("signature") from None
        except jwt.PyJWTError:
            raise ClientRejected("malformed") from None
        return self._check_times(verified, iss)

    def _check_times(self, claims: dict[str, Any], iss: str) -> VerifiedClient:
        now = self.clock()
        leeway = self.settings.cds_jwt_leeway_s
        max_age = self.settings.cds_jwt_max_age_s
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not _number(exp) or not _number(iat):
            raise ClientRejected("malformed")
        if not isinstance(jti, str) or not jti:
            raise ClientRejected("claim", claim="jti")
        if exp <= now - leeway:
            raise ClientRejected("expired")
        if iat > now + leeway:
            raise ClientRejected("future")
        if now - iat > max_age + leeway:
            raise ClientRejected("too_old", max_age=max_age)
        # Once now passes this, exp or the age check refuses the token anyway.
        forget_at = min(float(exp), float(iat) + max_age) + leeway
        if not self.replays.first_use((iss, jti), forget_at, now):
            raise ClientRejected("replayed")
        tenant = claims.get("tenant")
        return VerifiedClient(iss=iss, jti=jti, tenant=tenant if isinstance(tenant, str) else None)

    async def _key(self, iss: str, client: CdsClient, jku: object, kid: str, alg: str) -> jwt.PyJWK:
        if jku is not None:
            if not isinstance(jku, str) or jku not in client.jku:
                raise ClientRejected("jku")
            keys = await self._fetched(jku, kid)
        elif iss in self._inline:
            keys = self._inline[iss]
        elif client.jwks_url is not None:
            keys = await self._fetched(client.jwks_url, kid)
        else:  # only jku URLs are configured, and the token names none
            raise ClientRejected("jku")
        for jwk in keys:
            if jwk.get("kid") != kid:
                continue
            fits = (
                jwk.get("kty") == _KEY_TYPE[alg]
                and jwk.get("alg", alg) == alg
                and jwk.get("use", "sig") == "sig"
            )
            if fits:
                return self._parse(jwk, alg, kid)
            break
        raise ClientRejected("key", kid=kid[:40], alg=alg)

    def _parse(self, jwk: dict[str, Any], alg: str, kid: str) -> jwt.PyJWK:
        parsed = self._parsed.get((id(jwk), alg))
        if parsed is not None and parsed[0] is jwk:
            return parsed[1]
        try:
            key = jwt.PyJWK(jwk, algorithm=alg)
        except jwt.PyJWTError:
            raise ClientRejected("key", kid=kid[:40], alg=alg) from None
        if len(self._parsed) > 1000:
            self._parsed.clear()
        self._parsed[(id(jwk), alg)] = (jwk, key)
        return key

    async def _fetched(self, url: str, kid: str) -> list[dict[str, Any]]:
        now = time.monotonic()
        cached = self._sets.get(url)
        if cached is not None:
            fresh = now - cached.fetched_at < self.settings.cds_jwks_ttl_s
            known = any(key.get("kid") == kid for key in cached.keys)
            if fresh and (known or now - cached.fetched_at < _REFETCH_AFTER_S):
                return cached.keys
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=self.settings.cds_fhir_timeout_s
            ) as http:
                answer = await http.get(url, headers={"Accept": "application/json"})
            if answer.status_code != 200 or len(answer.content) > _MAX_JWKS_BYTES:
                raise ValueError("no JWK Set")
            keys = _jwk_list(answer.json())
        except (httpx.HTTPError, ValueError):
            if cached is not None:  # keep serving the last good set while the URL is down
                return cached.keys
            raise ClientRejected("keys") from None
        self._sets[url] = _CachedSet(keys, now)
        return keys


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise ClientRejected("missing")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClientRejected("missing")
    return token.strip()
