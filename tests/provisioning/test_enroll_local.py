"""``kfleet provision enroll`` refusing before the cloud is involved: a malformed token or
QR text, an unwritable config — each its own exit code and sentence, and nothing sent (a
listener standing in for the cloud counts the connections)."""

from __future__ import annotations

from pathlib import Path

from provisioning.enroll_errors import BadToken, CloudUnreachable, ConfigNotWritable
from tests.provisioning.enroll_kit import kfleet
from tests.provisioning.readonly_kit import counting_listener, read_only_dir

GOOD = "kfe_0123456789abcdef_" + "A" * 43


async def test_malformed_token_exits_10_and_sends_nothing(tmp_path: Path) -> None:
    async with counting_listener() as (url, seen):
        ran = await kfleet(
            "provision", "enroll", "--token", "kfe_123_short", "--cloud", url,
            "--config", tmp_path / "agent.toml",
        )  # fmt: skip
    assert ran.code == BadToken.exit_code, ran
    assert "is malformed" in ran.err and "nothing was sent" in ran.err
    assert seen == []
    assert not (tmp_path / "agent.toml").exists()


async def test_qr_text_that_is_no_enrollment_code_exits_10(tmp_path: Path) -> None:
    ran = await kfleet(
        "provision", "enroll", "--qr", "https://example.invalid/?token=x",
        "--config", tmp_path / "agent.toml",
    )  # fmt: skip
    assert ran.code == BadToken.exit_code, ran
    assert "not a kfleet enrollment code" in ran.err


async def test_read_only_config_exits_12_naming_path_and_fix_before_the_cloud() -> None:
    with read_only_dir() as ro:
        async with counting_listener() as (url, seen):
            ran = await kfleet(
                "provision", "enroll", "--token", GOOD, "--cloud", url,
                "--config", ro / "agent.toml",
            )  # fmt: skip
        assert ran.code == ConfigNotWritable.exit_code, ran
        assert str(ro / "agent.toml") in ran.err
        assert "Read-only file system" in ran.err and "remount" in ran.err
        assert seen == [], "the token was sent although the config cannot be written"


async def test_config_under_a_file_exits_12(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a directory")
    ran = await kfleet(
        "provision", "enroll", "--token", GOOD, "--cloud", "http://127.0.0.1:9",
        "--config", tmp_path / "blocker" / "agent.toml",
    )  # fmt: skip
    assert ran.code == ConfigNotWritable.exit_code, ran
    assert "blocker/agent.toml" in ran.err


async def test_cloud_unreachable_exits_22(tmp_path: Path) -> None:
    async with counting_listener() as (url, _):
        pass  # closed again: nobody listens on that port now
    ran = await kfleet(
        "provision", "enroll", "--token", GOOD, "--cloud", url,
        "--config", tmp_path / "agent.toml",
    )  # fmt: skip
    assert ran.code == CloudUnreachable.exit_code, ran
    assert "cannot reach the cloud" in ran.err and "nothing was sent" in ran.err
    assert not (tmp_path / "agent.toml").exists()


async def test_token_from_the_environment_is_checked_too(tmp_path: Path) -> None:
    async with counting_listener() as (url, seen):
        ran = await kfleet(
            "provision", "enroll", "--cloud", url, "--config", tmp_path / "agent.toml",
            env={"KFLEET_ENROLL_TOKEN": "kfe_not-a-token"},
        )  # fmt: skip
    assert ran.code == BadToken.exit_code, ran
    assert seen == []
