"""``POST /kiosk/api/session/clear`` (退出, the idle timeout): every value, every feature's
own data (``on_clear``) and the session's temporary files are gone, and a new session begins;
one feature failing to clear does not keep the others' data."""

from __future__ import annotations

from pathlib import Path

from tests.agent.kiosk_agent_kit import kiosk_client


async def test_clear_forgets_values_files_and_feature_data(tmp_path: Path) -> None:
    async with kiosk_client(tmp_path) as (http, parts):
        before = (await http.get("/kiosk/api/status")).json()["session"]
        parts.session.put("idcard", {"id_number": "632801198805120137"})
        scan = parts.session.temp_dir / "scan.jpg"
        scan.write_bytes(b"\xff\xd8 a page")
        feature_cache = {"results": ["private"]}

        def broken() -> None:
            raise RuntimeError("a feature's bug")

        parts.session.on_clear(broken)
        parts.session.on_clear(feature_cache.clear)
        r = await http.post("/kiosk/api/session/clear")
        assert r.status_code == 200
        assert r.json()["session"] != before
        assert parts.session.get("idcard") is None
        assert feature_cache == {}
        assert not scan.exists()
        root = Path(parts.view.config.data_dir) / "kiosk" / "session"
        assert not root.exists() or not any(root.rglob("*"))
        assert parts.session.cleared == 1
        after = (await http.get("/kiosk/api/status")).json()["session"]
        assert after == r.json()["session"]


async def test_files_left_by_a_previous_run_are_wiped_at_start(tmp_path: Path) -> None:
    left = tmp_path / "kiosk" / "session" / "0123abcd" / "scan.jpg"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"\xff\xd8 a page from before the power cut")
    async with kiosk_client(tmp_path) as (_, parts):
        assert not left.exists()
        assert parts.session.get("idcard") is None
