# Production image: gunicorn + whitenoise; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango; Noto CJK so PDFs print Chinese; gettext for compilemessages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-noto-cjk gettext curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 portal
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY customers ./customers
COPY contracts ./contracts
COPY orders ./orders
COPY fulfillment ./fulfillment
COPY aftersales ./aftersales
COPY archive ./archive
COPY reports ./reports
RUN pip install .

COPY . .
# collectstatic needs settings but no database or secret of the real deployment.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput -v 0 \
 && mkdir -p /app/var/private && chown -R portal:portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
