"""A real OpenID Connect provider in its own process (tests/oidc/provider.py), and the settings
OIDC_ENABLED=true with its endpoints produce."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from copy import deepcopy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from security.models import SecurityProfile
from tests.factories import staff_member

PROVIDER = Path(__file__).with_name("provider.py")
CLIENT_ID, CLIENT_SECRET = "campaign-plans", "provider-test-secret-0123456789"  # noqa: S105 (test only)
PEOPLE = {"linked_officer": "provider-password-1", "unlinked_officer": "provider-password-2",
          "superuser_at_provider": "provider-password-3"}
PASSWORD = "Tr@ining-only-Passw0rd"  # noqa: S105 (a test password)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    """The provider process, its discovery document and the subjects of its people."""
    folder = tmp_path_factory.mktemp("provider")
    port = _free_port()
    config = folder / "config.json"
    config.write_text(json.dumps({
        "port": port, "database": str(folder / "provider.sqlite3"),
        "client": {"id": CLIENT_ID, "secret": CLIENT_SECRET, "redirect_uri": f"{live_server.url}/oidc/callback/"},
        "people": [{"username": name, "password": password} for name, password in PEOPLE.items()],
    }))
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen([sys.executable, str(PROVIDER), str(config)], stdout=log, stderr=subprocess.STDOUT)
    discovery_url = f"http://127.0.0.1:{port}/o/.well-known/openid-configuration"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (folder / "provider.log").read_text()
            try:
                discovery = requests.get(discovery_url, timeout=5).json()
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the provider did not start within 90 s"
                time.sleep(0.3)
        yield {"discovery": discovery, "subjects": json.loads(config.read_text())["subjects"]}
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def oidc(settings, provider):
    """The settings OIDC_ENABLED=true with the provider's endpoints produce (README: Configuration)."""
    discovery = provider["discovery"]
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test Enterprise ID"
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.AUTHENTICATION_BACKENDS = ["security.oidc.OIDCBackend", *settings.AUTHENTICATION_BACKENDS]
    # The provider's origin in form-action, as config.settings adds it (tests/oidc/test_oidc_settings.py).
    policy = deepcopy(settings.CONTENT_SECURITY_POLICY)
    authorization = urlsplit(discovery["authorization_endpoint"])
    policy["DIRECTIVES"]["form-action"].append(f"{authorization.scheme}://{authorization.netloc}")
    settings.CONTENT_SECURITY_POLICY = policy
    return provider


@pytest.fixture
def officer(transactional_db, oidc):
    """An account whose security profile an administrator linked to linked_officer's subject: an
    action officer of EUCOM (a current membership is what lets a person into the admin)."""
    user = staff_member("eucom_action_officer", password=PASSWORD)
    SecurityProfile.objects.create(user=user, oidc_issuer=oidc["discovery"]["issuer"],
                                   oidc_subject=oidc["subjects"]["linked_officer"])
    return user
