"""How gunicorn serves the web app in production (docker-compose) and in the load scenario.

    gunicorn --config config/gunicorn.py web.wsgi:app

Two threads in each worker let one request wait for the database while another runs (the
app keeps no state between requests outside the database, so requests may share a
process); more threads buy nothing for pages that are mostly Python work, which holds the
interpreter lock: in the load scenario on 2 cores, 1 and 4 threads gave the same figures
within the run-to-run spread. WEB_CONCURRENCY and WEB_THREADS size it for the machine;
BIND says where it listens.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(4, multiprocessing.cpu_count() + 1))))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "2"))
# A solve or a large approval runs as a job, never in the request: a minute is plenty.
timeout = 60
# The proxy in front keeps connections open between requests of one person.
keepalive = 5
# No access log: a coachee's private link carries its token in the path.
accesslog = None


def post_worker_init(worker: object) -> None:
    """Leave the objects of the loaded app (libraries, models, routes: about 185,000) out of
    the garbage collector's full passes. Each full pass walked all of them in the middle of
    some request: on the demo, 3 in 120 supervisor pages took 200 ms instead of 20-60 ms
    (gc.freeze, as the Python documentation suggests for long-lived pre-fork servers)."""
    import gc

    gc.freeze()
