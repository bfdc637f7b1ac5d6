"""The application factory: `create_app(config)`; there is no application object at module level.

`golois serve --workers 4` runs it in production (gunicorn, see serve.py);
`gunicorn -k gthread --threads 8 'golois.tournament.app:create_app()'` does
the same by hand (settings from GOLOIS_DATA, DATABASE_URL and the other
GOLOIS_* variables). Each process migrates the schema and registers the
bundled network under the database's start-up lock: the first does the
work, the others find it done.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from golois.errors import GoloisError
from golois.tournament import config as config_module
from golois.tournament import db
from golois.tournament import sandbox as sandbox_module
from golois.tournament.config import ServerConfig, get_config
from golois.tournament.sandbox import choose_sandbox
from golois.tournament.uploads import register_bundled_network

csrf = CSRFProtect()
FORM_OVERHEAD = 64 * 1024  # multipart fields and boundaries beside the file
CSRF_SECONDS = 3600  # a form's token expires after an hour
SECURITY_HEADERS = {
    # Scripts and styles from this site's files only: no inline script, so injected markup cannot run.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class RowIdConverter(IntegerConverter):
    """`<id:...>` in URLs: a database id, so a number that no column can hold is a 404, not a 500."""

    max = db.ROW_ID_MAX


def create_app(config: ServerConfig | None = None) -> Flask:
    config = config or ServerConfig.from_environment()
    config.prepare()
    app = Flask(__name__)
    app.url_map.converters["id"] = RowIdConverter
    app.config.update(
        SECRET_KEY=config.secret_key,
        # Werkzeug refuses a larger body (413) before reading it into memory.
        MAX_CONTENT_LENGTH=config.max_upload_bytes + FORM_OVERHEAD,
        WTF_CSRF_TIME_LIMIT=CSRF_SECONDS,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.site_is_https,
        TESTING=config.testing,
        **config.extra,
    )
    if config.trusted_proxies > 0:  # the client's address as the reverse proxy saw it
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies,
                                x_host=config.trusted_proxies)
    config_module.init_app(app, config)
    sandbox = choose_sandbox(config.sandbox)
    sandbox_module.init_app(app, sandbox)
    app.logger.info(sandbox.describe())
    database = db.Database(config.database_url)
    database.upgrade()
    with database.startup_lock():
        register_bundled_network(database, config, sandbox, log=app.logger.info)
    db.init_app(app, database)
    csrf.init_app(app)

    from golois.tournament.blueprints import admin, api, pages, play

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(play.bp)
    if config.broker:  # the checks run on the task queue's workers
        from golois.tournament.check_tasks import CheckDispatcher

        app.extensions["golois_checks"] = CheckDispatcher(database, config)
    elif config.check_workers > 0 and sandbox.checks_allowed:
        from golois.tournament.check_queue import CheckService

        app.extensions["golois_checks"] = CheckService(database, config, sandbox)
    if config.play_engines > 0:
        from golois.tournament.storage import NetworkStore
        from golois.tournament.thinking import ThinkingService

        app.extensions["golois_thinking"] = ThinkingService(database, NetworkStore(config.networks_dir),
                                                            config.cache_dir, config.play_engines)
    if config.scheduler:
        from golois.tournament.runner import spawn_runner
        from golois.tournament.schedule import ScheduleClock

        app.extensions["golois_schedule"] = ScheduleClock(database, config, spawn_runner)
    csrf.exempt(api.bp)  # the API authenticates uploads by team key, not by a browser session
    app.context_processor(lambda: {"sandbox": sandbox})
    app.add_template_filter(elo)
    app.after_request(_security_headers)
    _register_error_pages(app)
    return app


def stop_services(app: Flask) -> None:
    """Stops the application's background threads and closes its database (tests, and the end of a process)."""
    for name in ("golois_checks", "golois_thinking"):
        service = app.extensions.get(name)
        if service is not None:
            service.stop()
    app.extensions["golois_db"].dispose()


def elo(value: float) -> str:
    """A signed rating difference in whole Elo points: '+12', '-3', and '+0', never '-0'."""
    return f"{round(value):+d}"


def _security_headers(response):
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    if get_config().site_is_https:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_pages(app: Flask) -> None:
    def answer(status: int, message: str):
        if _wants_json():
            return jsonify({"error": message, "accepted": False, "reason": message, "checks": []}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(GoloisError)
    def golois_error(error: GoloisError):
        return answer(error.status, str(error))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return answer(400, f"the form has expired or was not sent by this site ({error.description}); "
                           "reload the page and try again")

    for status, message in ((400, "malformed request"), (404, "no such page"), (405, "method not allowed"),
                            (413, "the upload is too large"), (429, "too many requests"), (500, "internal error")):
        app.register_error_handler(status, lambda error, s=status, m=message: answer(
            s, m if s == 413 else (getattr(error, "description", None) or m)))
