"""gunicorn's settings for kapcare in production: `make serve` and the systemd unit in
docs/deploying.md start `gunicorn --config kapcare/gunicorn.conf.py`.

The application is loaded in the master before any worker forks (`preload_app`), so a
weak SECRET_KEY, missing hosts or uncollected static files stop the start with one clear
error instead of workers that die one after another or pages that answer 500.
"""

import multiprocessing
import os

wsgi_app = "kapcare.wsgi:application"
# Only the TLS proxy on this machine talks to gunicorn (docs/deploying.md).
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
preload_app = True
# The TLS proxy (Caddy) names the client in a PROXY protocol header, so REMOTE_ADDR, which
# the access log records, is the patient's address and not the proxy's. gunicorn accepts
# the header only from `proxy_allow_ips` (the loopback by default); plain HTTP still works.
proxy_protocol = "auto"
# Whose PROXY header is believed (it names the patient's address for the access log): the
# loopback, where Caddy runs beside gunicorn; with app servers behind a separate load
# balancer, its private address (docs/deploying.md, "Several app servers").
proxy_allow_ips = os.environ.get("GUNICORN_PROXY_ALLOW_IPS", "127.0.0.1,::1")
# A signed consent's PDF takes a few seconds to render; anything longer is stuck.
timeout = 60
graceful_timeout = 30

# Both logs to stdout/stderr, which systemd's journal keeps and rotates.
accesslog = "-"
errorlog = "-"
# Secret-token paths (calendar feeds, single-use links) redacted in the access log.
logger_class = "kapcare.deployment.log_redaction.RedactingGunicornLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# systemd starts, reloads (HUP) and stops the server; no runtime control socket is needed.
control_socket_disable = True
