"""Service settings, read from TUBAN_* environment variables once, in create_app's caller."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.crs import Jurisdiction

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOALS_DIR = REPO_ROOT / "sample_data" / "goals"


class Settings(BaseSettings):
    """Where data lives and what the server serves."""

    model_config = SettingsConfigDict(env_prefix="TUBAN_")

    database_url: str = "sqlite:///" + str(Path("tuban-data/tuban.sqlite").resolve())
    goals_dir: Path = DEFAULT_GOALS_DIR
    serve_webmap: bool = True
    max_upload_mb: int = 200
    # The county this installation serves: a CRS guessed for a file without one must put the
    # data here. A loaded township layer, when present, gives the exact extent instead.
    county_code: str = "130208"
    county_name: str = "丰润区"
    county_bbox: tuple[float, float, float, float] = (117.85, 39.55, 118.35, 40.10)
    reports_dir: Path = Path("tuban-data/reports")
    photos_dir: Path = Path("tuban-data/photos")

    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(self.county_code, self.county_name, self.county_bbox)
