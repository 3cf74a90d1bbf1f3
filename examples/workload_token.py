"""The workload path, from the agent's side: get a task token without any shared secret.

The agent keeps an Ed25519 private key; Proctor knows only the public half.

1. First run: generate the key (saved with mode 0600) and print the public JWK::

       python examples/workload_token.py --key agent.pem --agent forum-bot

   Register it with the agent, e.g. ``"public_key": {...}`` in ``POST /v1/agents``
   or under the agent in ``proctor.yaml``, and give the agent a task.

2. Later runs: sign a one-time assertion (RFC 7523) and trade it for the token of
   the task (``POST /v1/token``), then, with ``--delegate-to``, hand the task on to
   a registered sub-agent with a narrower scope (RFC 8693 token exchange)::

       python examples/workload_token.py --key agent.pem --agent forum-bot \\
           --task task_... --gateway http://127.0.0.1:8700 \\
           --delegate-to summarizer --scope read

Needs ``cryptography``, ``joserfc`` and ``httpx`` (all installed with Proctor).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.jwk import OKPKey

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105


def create_key(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key, written to ``path`` readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key


def public_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    """The public JWK to register (RFC 8037): ``kty``, ``crv`` and ``x``; never ``d``."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def assertion(key: Ed25519PrivateKey, agent_id: str, audience: str) -> str:
    """A client assertion: signed by the agent about itself, for one use, for 60 s."""
    now = int(time.time())
    claims = {
        "iss": agent_id,
        "sub": agent_id,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    # "Ed25519" is the RFC 9864 name of EdDSA over Ed25519; Proctor accepts both.
    header = {"alg": "Ed25519", "typ": "JWT"}
    return jwt.encode(header, claims, OKPKey.import_key(key), algorithms=["Ed25519"])


def post_token(client: httpx.Client, form: dict[str, str]) -> dict[str, Any]:
    """``POST /v1/token`` with a form body; exits with the gateway's reason if refused."""
    response = client.post("/v1/token", data=form)
    answer: dict[str, Any] = response.json()
    if response.status_code != 200:
        sys.exit(f"refused ({answer['error']}, {answer['code']}): {answer['message']}")
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", type=Path, required=True, help="the agent's private key (PEM)")
    parser.add_argument("--agent", required=True, help="the agent's registered id")
    parser.add_argument("--task", help="the task assigned to the agent")
    parser.add_argument("--gateway", default="http://127.0.0.1:8700")
    parser.add_argument("--issuer", default="proctor", help="the gateway's token_issuer")
    parser.add_argument("--delegate-to", help="a registered sub-agent to hand the task to")
    parser.add_argument("--scope", help="what the sub-agent may do, e.g. 'read tool:files.*'")
    options = parser.parse_args()

    if not options.key.exists():
        key = create_key(options.key)
        print(f"Created {options.key}. Register this public key with {options.agent}:")
        print(json.dumps(public_jwk(key)))
        return
    if options.task is None:
        parser.error("--task is needed to get a token")
    loaded = serialization.load_pem_private_key(options.key.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        sys.exit(f"{options.key} is not an Ed25519 private key")

    with httpx.Client(base_url=options.gateway, timeout=10) as client:
        signed = assertion(loaded, options.agent, f"{options.issuer}/v1/token")
        form = {"grant_type": JWT_BEARER, "assertion": signed, "task_id": options.task}
        token = post_token(client, form)
        print(json.dumps({key: token[key] for key in ("jti", "chain", "scope", "expires_in")}))
        print(token["access_token"])
        if options.delegate_to:
            form = {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": token["access_token"],
                "subject_token_type": JWT_TOKEN_TYPE,
                "agent_id": options.delegate_to,
            }
            if options.scope:
                form["scope"] = options.scope
            delegated = post_token(client, form)
            fields = ("jti", "chain", "scope", "expires_in")
            print(json.dumps({key: delegated[key] for key in fields}))
            print(delegated["access_token"])


if __name__ == "__main__":
    main()
