"""The console's vendored chart library is served by the cloud itself (no CDN), with its licence
beside it, and the vendor route serves nothing but files inside ``cloud/console/vendor``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud.api.console import CONSOLE_DIR, VENDOR_DIR
from cloud.app import create_app
from cloud.settings import Settings


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(demo=True, data_dir=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kfleet") as client:
        yield client


async def test_uplot_is_served_locally_with_its_licence(http: httpx.AsyncClient) -> None:
    js = await http.get("/console/vendor/uplot/uPlot.iife.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert js.text.startswith("/*! https://github.com/leeoniya/uPlot (v1.6.")
    css = await http.get("/console/vendor/uplot/uPlot.min.css")
    assert css.status_code == 200 and ".uplot" in css.text
    assert "MIT License" in (VENDOR_DIR / "uplot" / "LICENSE").read_text()
    readme = (VENDOR_DIR / "uplot" / "README.md").read_text()
    assert "1.6.32" in readme and "npm pack" in readme


@pytest.mark.parametrize(
    "path",
    [
        "/console/vendor/uplot/..%2F..%2Fapi%2Fconsole.py",
        "/console/vendor/uplot/%2E%2E%2Fuplot%2FuPlot.min.css",
        "/console/vendor/..%2Fvendor%2Fuplot/uPlot.min.css",
        "/console/vendor/%2E%2E/console.js",
        "/console/vendor/uplot/LICENSE",  # not a script or style sheet
        "/console/vendor/uplot/README.md",
        "/console/vendor/nolib/uPlot.min.css",
        "/console/vendor/uplot/.hidden.js",
        "/console/vendor/uplot/..%5Cconsole.js",
    ],
)
async def test_the_vendor_route_serves_nothing_outside_its_folder(
    http: httpx.AsyncClient, path: str
) -> None:
    r = await http.get(path)
    assert r.status_code == 404, f"{path} -> {r.status_code} {r.text[:80]}"


def test_no_console_page_loads_anything_from_another_host() -> None:
    remote = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)
    imports = re.compile(r"""(?:import\s*\(|@import|url\()\s*["']?(?:https?:)?//""", re.I)
    offenders = [
        str(path.relative_to(CONSOLE_DIR))
        for path in CONSOLE_DIR.rglob("*")
        if path.suffix in {".html", ".js", ".css"}
        and (remote.search(text := path.read_text(encoding="utf-8")) or imports.search(text))
    ]
    assert not offenders, f"console files loading from another host: {offenders}"


def test_a_link_out_of_the_vendor_folder_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in a vendored folder that is a symlink to elsewhere is not served."""
    from cloud.api import console

    outside = tmp_path / "outside.js"
    outside.write_text("secret")
    (tmp_path / "vendor" / "lib").mkdir(parents=True)
    (tmp_path / "vendor" / "lib" / "evil.js").symlink_to(outside)
    (tmp_path / "vendor" / "lib" / "ok.js").write_text("ok")
    monkeypatch.setattr(console, "VENDOR_DIR", tmp_path / "vendor")
    assert console._vendored("lib", "ok.js") == (tmp_path / "vendor" / "lib" / "ok.js").resolve()
    assert console._vendored("lib", "evil.js") is None
