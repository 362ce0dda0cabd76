# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
#   docker build -t campaign-plans .
# Runtime configuration comes from the environment (.env.example lists every variable).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var

# An unprivileged user runs everything. The code stays owned by root (read-only for the app);
# only VAR_DIR (collected static files, the beat schedule) is writable.
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so that code changes reuse this layer.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN install -d -o app -g app /app/var

USER app

# The production profile refuses to load without a 50+ character SECRET_KEY. collectstatic needs
# neither the database nor the real key, so it gets a random one that exists only for this command
# (never an ENV, so it is not stored in the image).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --no-input --verbosity 1

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
