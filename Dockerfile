# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SUPPORTDESK_VAR_DIR=/app/var

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 desk

WORKDIR /app
COPY pyproject.toml README.md ./
COPY supportdesk ./supportdesk
COPY plans ./plans
COPY sla ./sla
COPY tickets ./tickets
COPY billing ./billing
RUN pip install .
COPY . .
RUN mkdir -p var && DEBUG=0 SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput -v0 \
 && python manage.py compilemessages --ignore=.venv -v0 \
 && chown -R desk:desk /app/var

USER desk
EXPOSE 8000
CMD ["gunicorn", "supportdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
