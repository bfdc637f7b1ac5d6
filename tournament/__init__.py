"""The tournament server: uploads checked in a sandbox, resumable round robins, ratings, replays.

A Flask application (`create_app` in `app.py`) over SQLAlchemy; the
round robin is played by `golois tournament run` (or the admin's button),
which uses the engine's GTP front end and referee. A newcomer finds each
job in the module named after it: `models`, `uploads`, `upload_check`,
`round_robin`, `runner`, `ratings`, `standings`; the pages and the JSON
API are blueprints under `blueprints/`.
"""
