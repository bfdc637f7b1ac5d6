"""Blueprints: `pages` (the HTML site), `api` (JSON), `admin` (the teacher's actions)."""
