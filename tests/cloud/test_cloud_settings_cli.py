"""Settings rules and the ``kfleet cloud`` command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.app import create_app
from cloud.cli import app as cli
from cloud.errors import ConfigError
from cloud.settings import Settings


def test_default_secret_is_refused_outside_demo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KFLEET_SECRET_KEY"):
        create_app(Settings(data_dir=tmp_path))
    create_app(Settings(data_dir=tmp_path, demo=True))
    create_app(Settings(data_dir=tmp_path, secret_key="s3cret-from-the-vault"))


def test_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KFLEET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KFLEET_MQTT_URL", "mqtt://broker.local:1884?v=5")
    monkeypatch.setenv("KFLEET_AUTO_REGISTER_DEVICES", "false")
    monkeypatch.setenv("KFLEET_RETRY_MAX_ATTEMPTS", "5")
    settings = Settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'kfleet.db'}"
    assert settings.mqtt.version == "5" and settings.mqtt.port == 1884
    assert settings.auto_register_devices is False
    assert settings.retry_policy.max_attempts == 5


def test_bad_mqtt_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="must start with mqtt://"):
        Settings(mqtt_url="http://nope")


def test_cli_help_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["--help"], ["run", "--help"], ["migrate", "--help"], ["seed-pilot", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["migrate"], env={"KFLEET_MQTT_URL": "ftp://x"})
    assert result.exit_code == 2
    assert "KFLEET_MQTT_URL" in result.output
    result = runner.invoke(cli, ["run"], env={"KFLEET_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "default secret key" in result.output
    result = runner.invoke(cli, ["migrate"], env={"KFLEET_DATABASE_URL": "mysql+aiomysql://x/y"})
    assert result.exit_code == 2
    assert "not supported" in result.output


def test_cli_migrate_and_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"KFLEET_DATA_DIR": str(tmp_path)}
    result = runner.invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert "newest schema" in result.output
    result = runner.invoke(cli, ["seed-pilot"], env=env)
    assert result.exit_code == 0, result.output
    assert "6 created" in result.output
    result = runner.invoke(cli, ["seed-pilot"], env=env)
    assert "0 created" in result.output
