"""How gunicorn serves the web app in production (docker-compose) and in the load scenario.

    gunicorn --config config/gunicorn.py web.wsgi:app

Threads in each worker keep a slow page (the supervisor's draft of a large plan) from
holding up the short ones behind it (a coachee's status page): the app keeps no state
between requests outside the database, so requests may share a process. WEB_CONCURRENCY
and WEB_THREADS size it for the machine; BIND says where it listens.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(4, multiprocessing.cpu_count() + 1))))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# A solve or a large approval runs as a job, never in the request: a minute is plenty.
timeout = 60
# The proxy in front keeps connections open between requests of one person.
keepalive = 5
# No access log: a coachee's private link carries its token in the path.
accesslog = None
