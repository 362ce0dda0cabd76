"""A real OpenID Connect provider for the sign-in tests: django-oauth-toolkit (a maintained OAuth 2
and OpenID Connect server) in a small Django project of its own, run in a separate process on its
own port with its own SQLite file, so nothing of the application under test is shared with it.

    python tests/oidc/provider.py CONFIG.json

CONFIG names the port, the SQLite file, the client (id, secret, redirect URI) and the provider's
people ({"username": ..., "password": ...}); their subjects are their ids at the provider
(django-oauth-toolkit's default), written back to CONFIG's "subjects" before serving.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

LOGIN_PAGE = """<!doctype html><title>Provider sign-in</title><h1>Identity provider</h1>
<form method="post">{% csrf_token %}{{ form.as_p }}<input type="hidden" name="next" value="{{ next }}">
<input type="submit" value="Sign in"></form>"""


def configure(config: dict) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    settings.configure(
        DEBUG=False, SECRET_KEY="provider-for-tests-only", ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": config["database"]}},
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                        "oauth2_provider"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {
            "loaders": [("django.template.loaders.locmem.Loader", {"registration/login.html": LOGIN_PAGE}),
                        "django.template.loaders.app_directories.Loader"],
            "context_processors": ["django.template.context_processors.request"]}}],
        # Its own cookie names: the application under test is on the same machine.
        SESSION_COOKIE_NAME="provider_session", CSRF_COOKIE_NAME="provider_csrftoken",
        LOGIN_URL="/accounts/login/", PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        OAUTH2_PROVIDER={"OIDC_ENABLED": True, "OIDC_RSA_PRIVATE_KEY": pem, "PKCE_REQUIRED": True,
                         "SCOPES": {"openid": "OpenID Connect"}, "DEFAULT_SCOPES": ["openid"]},
    )


def urls():
    from django.contrib.auth import views as auth_views
    from django.urls import include, path

    return [path("accounts/login/", auth_views.LoginView.as_view()),
            path("o/", include("oauth2_provider.urls", namespace="oauth2_provider"))]


def seed(config: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    client = config["client"]
    Application.objects.create(
        name="campaign plans", client_id=client["id"], client_secret=client["secret"],
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"], algorithm=Application.RS256_ALGORITHM, skip_authorization=True)
    User = get_user_model()
    return {person["username"]: str(User.objects.create_user(person["username"], password=person["password"]).pk)
            for person in config["people"]}


def main(config_path: str) -> None:
    path = Path(config_path)
    config = json.loads(path.read_text())
    configure(config)
    django.setup()
    globals()["urlpatterns"] = urls()
    config["subjects"] = seed(config)
    path.write_text(json.dumps(config))

    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    print(f"provider ready on 127.0.0.1:{config['port']}", flush=True)
    run("127.0.0.1", int(config["port"]), get_wsgi_application(), threading=True, server_cls=WSGIServer)


urlpatterns = []

if __name__ == "__main__":
    main(sys.argv[1])
    sys.exit(0)
