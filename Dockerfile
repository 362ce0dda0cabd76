# One image for the web server, the Celery worker, Celery beat and the init step (docker-compose.yml,
# k8s/).
#   docker build -t campaign-plans .
# Runtime configuration comes from the environment (.env.example lists every variable).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var

# An unprivileged user (uid 10001, the one k8s/ runs as) runs everything. The code stays owned by
# root (read-only for the app); only VAR_DIR's beat/ (the beat schedule) and media/ (plan annexes
# on the file system), each a volume, are written at run time.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Runtime dependencies only (requirements/runtime.txt: no test or development tools), first, so
# that code changes reuse this layer; --require-hashes refuses any file whose sha256 the lock does
# not list, --no-deps installs exactly the pinned list, and pip check proves it complete.
COPY requirements/runtime.txt requirements/
RUN pip install --no-deps --require-hashes -r requirements/runtime.txt && pip check

COPY . .
RUN install -d -o app -g app /app/var /app/var/beat /app/var/media

USER app

# The production profile refuses to load without a 50+ character SECRET_KEY. collectstatic needs
# neither the database nor the real key, so it gets a random one that exists only for this command
# (never an ENV, so it is not stored in the image).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --no-input --verbosity 1

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
