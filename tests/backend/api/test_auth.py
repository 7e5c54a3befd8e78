"""SIWE sign-in (EIP-4361) and sessions, against the real deployment's KycRegistry on anvil, on SQLite and Postgres:
the nonce's binding, roles read on-chain, each way a message or a token can be wrong, single use under a race,
and logout."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from backend.api import auth
from backend.api.errors import ApiError
from backend.api.settings import ApiSettings
from hundi.chain.devkeys import dev_account
from tests.backend.api.conftest import STRANGER, ApiEnv, sign, siwe_message
from tests.backend.localchain import INVESTOR, SME

Login = Callable[..., dict[str, str]]
EXPIRED_KYC = 13  # given an INVESTOR KYC whose validUntil has passed
BOTH = 14  # given SME | INVESTOR


def nonce_fields(env: ApiEnv) -> dict[str, Any]:
    reply = env.client.get("/api/v1/auth/nonce")
    assert reply.status_code == 200, reply.text
    fields: dict[str, Any] = reply.json()
    return fields


def verify(env: ApiEnv, message: str, signature: str) -> Any:
    return env.client.post("/api/v1/auth/verify", json={"message": message, "signature": signature})


def error_code(reply: Any) -> str:
    code: str = reply.json()["error"]["code"]
    return code


def test_the_nonce_names_this_deployment_and_expires_within_five_minutes(env: ApiEnv) -> None:
    before = auth.now()
    fields = nonce_fields(env)
    assert fields["domain"] == "testserver"
    assert fields["uri"] == "http://testserver"
    assert fields["chainId"] == env.deployment.chainId
    assert fields["statement"] == auth.SIWE_STATEMENT
    assert fields["version"] == "1"
    assert len(fields["nonce"]) >= 16 and fields["nonce"].isalnum()
    assert before + 1 <= fields["expiresAt"] <= auth.now() + 300
    assert nonce_fields(env)["nonce"] != fields["nonce"]


def test_the_nonce_ttl_setting_cannot_exceed_five_minutes() -> None:
    with pytest.raises(ValidationError):
        ApiSettings(siwe_nonce_ttl=301)


def test_sign_in_reads_the_roles_from_the_kyc_registry(env: ApiEnv, login: Login) -> None:
    now = env.driver.now
    env.driver.set_kyc(dev_account(EXPIRED_KYC).address, INVESTOR, now - 1)
    env.driver.set_kyc(dev_account(BOTH).address, SME | INVESTOR)
    for who, roles in ((1, SME), (2, INVESTOR), (BOTH, SME | INVESTOR), (STRANGER, 0), (EXPIRED_KYC, 0)):
        headers = login(env.client, who)
        me = env.client.get("/api/v1/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        body = me.json()
        assert body["address"] == dev_account(who).address.lower()
        assert body["roles"] == roles, who
        assert body["roleNames"] == [n for bit, n in auth.ROLE_NAMES.items() if roles & bit]


def test_verify_returns_a_session_bound_to_the_message_expiry(env: ApiEnv) -> None:
    account = dev_account(2)
    fields = nonce_fields(env)
    expiry = auth.now() + 120
    message = siwe_message(fields, account.address, expiration=expiry)
    reply = verify(env, message, sign(account, message))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["address"] == account.address.lower()
    assert body["roles"] == INVESTOR
    assert body["expiresAt"] == expiry  # the session does not outlive what the user signed
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sub"] == account.address.lower()
    assert claims["roles"] == INVESTOR
    assert claims["exp"] == expiry
    assert claims["chainId"] == env.deployment.chainId
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"


def test_a_session_without_message_expiry_lasts_the_configured_ttl(env: ApiEnv) -> None:
    account = dev_account(1)
    message = siwe_message(nonce_fields(env), account.address)
    before = auth.now()
    reply = verify(env, message, sign(account, message))
    assert reply.status_code == 200, reply.text
    assert before + env.settings.jwt_ttl <= reply.json()["expiresAt"] <= auth.now() + env.settings.jwt_ttl


# ------------------------------------------------------------------------------------------------ SIWE negatives

OTHER = dev_account(3)

#: name -> (message overrides (callable of the clock), expected status, expected code)
BAD_MESSAGES: dict[str, tuple[Callable[[int], dict[str, Any]], int, str]] = {
    "wrong domain": (lambda t: {"domain": "evil.example"}, 401, "siwe_domain_mismatch"),
    "wrong port in domain": (lambda t: {"domain": "testserver:8443"}, 401, "siwe_domain_mismatch"),
    "wrong uri": (lambda t: {"uri": "https://evil.example"}, 401, "siwe_uri_mismatch"),
    "wrong chain id": (lambda t: {"chain_id": 1}, 401, "siwe_chain_mismatch"),
    "unknown nonce": (lambda t: {"nonce": "a" * 32}, 401, "nonce_unknown"),
    "expired message": (lambda t: {"expiration": t - 1}, 401, "siwe_expired"),
    "not yet valid": (lambda t: {"not_before": t + 600}, 401, "siwe_not_yet_valid"),
    "issued in the future": (lambda t: {"issued_at": t + 3600}, 401, "siwe_not_yet_valid"),
    "another statement": (lambda t: {"statement": "Transfer all my tokens"}, 401, "siwe_statement_mismatch"),
}


def test_each_bad_message_is_refused_and_does_not_spend_the_nonce(env: ApiEnv) -> None:
    account = dev_account(2)
    for case, (overrides, status, code) in BAD_MESSAGES.items():
        fields = nonce_fields(env)
        bad = siwe_message(fields, account.address, **overrides(auth.now()))
        reply = verify(env, bad, sign(account, bad))
        assert reply.status_code == status, (case, reply.text)
        assert error_code(reply) == code, case
        assert reply.json()["error"]["message"], case
        good = siwe_message(fields, account.address)
        assert verify(env, good, sign(account, good)).status_code == 200, case


def test_a_signature_by_another_account_is_refused(env: ApiEnv) -> None:
    account = dev_account(2)
    message = siwe_message(nonce_fields(env), account.address)
    reply = verify(env, message, sign(OTHER, message))
    assert reply.status_code == 401
    assert error_code(reply) == "signature_mismatch"


def test_a_signature_of_another_text_is_refused(env: ApiEnv) -> None:
    account = dev_account(2)
    message = siwe_message(nonce_fields(env), account.address)
    reply = verify(env, message, sign(account, message + " "))
    assert reply.status_code == 401
    assert error_code(reply) in {"signature_mismatch", "signature_invalid"}


MALFORMED_MESSAGES = {
    "free text": "hello",
    "bad address": "testserver wants you to sign in with your Ethereum account:\nnot-an-address\n",
    "nul bytes": "\x00" * 100,
    "too long": "x" * (auth.MAX_MESSAGE_CHARS + 1),
}


def test_a_malformed_message_is_a_422(env: ApiEnv) -> None:
    for case, message in MALFORMED_MESSAGES.items():
        reply = verify(env, message, "0x" + "11" * 65)
        assert reply.status_code == 422, (case, reply.text)
        assert error_code(reply) in {"siwe_malformed", "invalid_request"}, case


def test_a_lowercase_address_in_the_message_is_malformed(env: ApiEnv) -> None:
    account = dev_account(2)
    message = siwe_message(nonce_fields(env), account.address.lower())
    reply = verify(env, message, sign(account, message))
    assert reply.status_code == 422
    assert error_code(reply) == "siwe_malformed"


def test_a_malformed_signature_is_a_422(env: ApiEnv) -> None:
    account = dev_account(2)
    message = siwe_message(nonce_fields(env), account.address)
    for signature in ("0x1234", "zz" * 65, "0x" + "11" * 64, "0x" + "11" * 66, "", "0x" + "1" * 129):
        reply = verify(env, message, signature)
        assert reply.status_code == 422, (signature, reply.text)
        assert error_code(reply) in {"signature_malformed", "invalid_request"}, signature
    assert verify(env, message, sign(account, message)).status_code == 200  # the nonce was not spent


def test_an_unrecoverable_signature_is_a_401(env: ApiEnv) -> None:
    account = dev_account(2)
    message = siwe_message(nonce_fields(env), account.address)
    reply = verify(env, message, "0x" + "00" * 64 + "1b")  # r = s = 0
    assert reply.status_code == 401
    assert error_code(reply) in {"signature_invalid", "signature_mismatch"}


def test_a_malformed_verify_body_is_a_422(env: ApiEnv) -> None:
    bodies: list[Any] = [{}, {"message": "x"}, {"signature": "0x"}, [], {"message": 1, "signature": 2}, "text"]
    for body in bodies:
        reply = env.client.post("/api/v1/auth/verify", json=body)
        assert reply.status_code == 422, body
        assert reply.json()["error"]["code"] == "invalid_request", body


def test_a_nonce_is_single_use(env: ApiEnv) -> None:
    account = dev_account(1)
    message = siwe_message(nonce_fields(env), account.address)
    signature = sign(account, message)
    assert verify(env, message, signature).status_code == 200
    replay = verify(env, message, signature)
    assert replay.status_code == 401
    assert error_code(replay) == "nonce_used"


def test_an_expired_nonce_is_refused(make_env: Callable[..., ApiEnv]) -> None:
    env = make_env(siwe_nonce_ttl=1)
    account = dev_account(1)
    message = siwe_message(nonce_fields(env), account.address)
    time.sleep(2.1)
    reply = verify(env, message, sign(account, message))
    assert reply.status_code == 401
    assert error_code(reply) == "nonce_expired"


def test_concurrent_verifies_of_one_message_let_exactly_one_win(env: ApiEnv) -> None:
    account = dev_account(2)
    message = siwe_message(nonce_fields(env), account.address)
    signature = sign(account, message)
    contenders = 8
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            auth.sign_in(env.context, message, signature)
            outcome = "won"
        except ApiError as exc:
            outcome = exc.code
        except Exception as exc:  # reported by the assertion below
            outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["nonce_used"] * (contenders - 1) + ["won"]


# ------------------------------------------------------------------------------------------------ sessions


def test_logout_revokes_the_token(env: ApiEnv, login: Login) -> None:
    headers = login(env.client, 2)
    other = login(env.client, 2)  # a second session of the same account stays valid
    assert env.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    out = env.client.post("/api/v1/auth/logout", headers=headers)
    assert out.status_code == 200, out.text
    assert out.json()["address"] == dev_account(2).address.lower()
    for path in ("/api/v1/auth/me", "/api/v1/auth/logout"):
        method = env.client.get if path.endswith("me") else env.client.post
        reply = method(path, headers=headers)
        assert reply.status_code == 401
        assert error_code(reply) == "session_revoked"
    assert env.client.get("/api/v1/auth/me", headers=other).status_code == 200


def _forge(token: str, **changes: Any) -> str:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{encoded}.{signature}"


def test_bad_tokens_are_refused(env: ApiEnv) -> None:
    good = auth.issue_token(env.context, dev_account(1).address, SME)
    claims = jwt.decode(good, options={"verify_signature": False})
    secret = env.settings.jwt_secret.get_secret_value()
    none_alg = jwt.encode(claims, key="", algorithm="none")
    cases = {
        "tampered roles": (_forge(good, roles=SME | INVESTOR), "invalid_token"),
        "tampered subject": (_forge(good, sub=dev_account(2).address.lower()), "invalid_token"),
        "wrong secret": (
            jwt.encode(claims, "another-secret-another-secret-another!", algorithm="HS256"),
            "invalid_token",
        ),
        "alg none": (none_alg, "invalid_token"),
        "expired": (auth.issue_token(env.context, dev_account(1).address, SME, ttl=-5), "session_expired"),
        "never issued (unknown jti)": (
            jwt.encode({**claims, "jti": "f" * 32}, secret, algorithm="HS256"),
            "invalid_token",
        ),
        "another deployment": (jwt.encode({**claims, "chainId": 1}, secret, algorithm="HS256"), "invalid_token"),
        "another audience": (jwt.encode({**claims, "aud": "someone-else"}, secret, algorithm="HS256"), "invalid_token"),
        "garbage": ("not.a.jwt", "invalid_token"),
    }
    assert env.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for name, (token, code) in cases.items():
        reply = env.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, name
        assert error_code(reply) == code, name


def test_a_missing_token_is_a_401(env: ApiEnv) -> None:
    for header in (None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer ", "bearer"):
        headers = {} if header is None else {"Authorization": header}
        for method, path in (("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/logout")):
            reply = env.client.request(method, path, headers=headers)
            assert reply.status_code == 401, (header, path)
            assert reply.json()["error"]["code"] in {"unauthorized", "invalid_token"}, (header, path)
