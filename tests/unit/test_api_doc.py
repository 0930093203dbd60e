"""docs/api.md describes every route of the REST API: a route without a section fails here."""

from __future__ import annotations

from pathlib import Path

from cloud.app import create_app
from cloud.settings import Settings

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_api_route_has_a_section(tmp_path: Path) -> None:
    app = create_app(Settings(demo=True, data_dir=tmp_path))
    text = API_MD.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("### `")]
    routes = [
        f"{method} {path}"
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/") or path == "/healthz"
        for method in (m.upper() for m in item)
    ]
    assert len(routes) >= 15
    missing = [r for r in routes if not any(f"`{r}" in h for h in headings)]
    assert not missing, f"routes without a section in docs/api.md: {missing}"
