"""The application factory: `create_app(config)`; there is no application object at module level.

    gunicorn -w 4 -b 0.0.0.0:8000 'golois.tournament.app:create_app()'

runs the same application in production (settings from GOLOIS_DATA,
DATABASE_URL and GOLOIS_ADMIN_PASSWORD).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from golois.errors import GoloisError
from golois.tournament import db
from golois.tournament.config import ServerConfig
from golois.tournament.uploads import register_bundled_network

csrf = CSRFProtect()
FORM_OVERHEAD = 64 * 1024  # multipart fields and boundaries beside the file


def create_app(config: ServerConfig | None = None) -> Flask:
    config = config or ServerConfig.from_environment()
    config.prepare()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        # Werkzeug refuses a larger body (413) before reading it into memory.
        MAX_CONTENT_LENGTH=config.max_upload_bytes + FORM_OVERHEAD,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        TESTING=config.testing,
        **config.extra,
    )
    app.extensions["golois_config"] = config
    database = db.Database(config.database_url)
    database.upgrade()
    db.init_app(app, database)
    csrf.init_app(app)
    register_bundled_network(database, config, log=app.logger.info)

    from golois.tournament.blueprints import admin, api, pages, play

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(play.bp)
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
    _register_error_pages(app)
    return app


def get_config() -> ServerConfig:
    from flask import current_app

    return current_app.extensions["golois_config"]


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
                            (413, "the upload is too large"), (500, "internal error")):
        app.register_error_handler(status, lambda error, s=status, m=message: answer(
            s, m if s == 413 else (getattr(error, "description", None) or m)))
