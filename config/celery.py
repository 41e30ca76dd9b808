"""The Celery app: Redis broker from REDIS_URL, or the embedded filesystem broker."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("order_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect(weak=False, dispatch_uid="portal-log-format")
@signals.after_setup_task_logger.connect(weak=False, dispatch_uid="portal-task-log-format")
def _portal_log_format(logger: logging.Logger | None = None, **kwargs: object) -> None:
    """The worker's and beat's own lines in the portal's format (JSON, like the web app's).

    Celery keeps setting up its handlers (``--loglevel``, ``--logfile`` work as
    usual); only their format is the portal's. The pool's "multiprocessing"
    logger gets it too. The start-up banner is printed, not logged, and stays text.
    """
    from core.observability import use_portal_log_format

    use_portal_log_format(logger)
    if logger is logging.getLogger():
        use_portal_log_format(logging.getLogger("multiprocessing"))
        # Python warnings (e.g. Celery's SecurityWarning) become log lines too.
        logging.captureWarnings(True)
