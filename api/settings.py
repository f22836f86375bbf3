"""Service settings, read from TUBAN_* environment variables once, in create_app's caller."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOALS_DIR = REPO_ROOT / "sample_data" / "goals"


class Settings(BaseSettings):
    """Where data lives and what the server serves."""

    model_config = SettingsConfigDict(env_prefix="TUBAN_")

    database_url: str = "sqlite:///" + str(Path("tuban-data/tuban.sqlite").resolve())
    goals_dir: Path = DEFAULT_GOALS_DIR
    serve_webmap: bool = True
    max_upload_mb: int = 200
