"""Agent configuration: TOML loading, errors that name the key, the CLI around it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge_agent.cli import app
from edge_agent.config import EscposFile, EscposNetwork, EscposUsb, example_config, load_config
from edge_agent.errors import ConfigError
from protocols.messages import Role

GOOD = """
device_id = "kiosk-01"
role = "kiosk"
site = "qh/hx/golmud/hhl"
name = "唐古拉山镇便民服务中心"
data_dir = "state"
[mqtt]
url = "mqtt://127.0.0.1:1883?v=5"
[[peripherals]]
type = "escpos_network"
id = "receipt"
host = "10.0.0.5"
[[peripherals]]
type = "escpos_usb"
id = "usb"
vendor_id = 0x0416
product_id = 0x5011
[[peripherals]]
type = "escpos_file"
id = "lp0"
path = "/dev/usb/lp0"
status = "best_effort"
[screen]
host = "127.0.0.1"
port = 8090
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.role is Role.KIOSK and cfg.name == "唐古拉山镇便民服务中心"
    assert cfg.data_dir == (tmp_path / "state").resolve()  # relative to the file
    assert cfg.mqtt.endpoint.version == "5" and cfg.client_id == "kf-kiosk-01"
    net, usb, lp0 = cfg.peripherals
    assert isinstance(net, EscposNetwork) and net.port == 9100 and net.timeout_s == 3
    assert net.capabilities == ["receipt"] and net.status == "required"
    assert isinstance(usb, EscposUsb) and usb.vendor_id == 0x0416
    assert isinstance(lp0, EscposFile) and lp0.status == "best_effort"
    assert cfg.screen.enabled and cfg.screen.lang == "zh-CN" and not cfg.screen.allow_remote


@pytest.mark.parametrize(
    ("change", "key", "why"),
    [
        (('host = "10.0.0.5"', 'host = "10.0.0.5"\nport = "abc"'), "peripherals.0.port",
         "Input should be a valid integer"),
        (('device_id = "kiosk-01"', 'device_id = "Kiosk 01"'), "device_id", "is invalid"),
        (('site = "qh/hx/golmud/hhl"', 'site = "qh/HX"'), "site", "is invalid"),
        (('role = "kiosk"', 'role = "robot"'), "role", "'kiosk', 'window' or 'hall_screen'"),
        (('url = "mqtt://127.0.0.1:1883?v=5"', 'url = "http://x"'), "mqtt.url", "mqtt://"),
        (('type = "escpos_network"', 'type = "escpos_networkk"'), "peripherals.0",
         "does not match any of the expected tags"),
        (('id = "lp0"', 'id = "lp0"\ncolour = "red"'), "peripherals.2.colour", "unknown key"),
        (('id = "usb"', 'id = "receipt"'), "peripherals", "used twice"),
        (('status = "best_effort"', 'status = "maybe"'), "peripherals.2.status",
         "'required' or 'best_effort'"),
        (('host = "127.0.0.1"', 'host = "0.0.0.0"'), "screen.host",
         "is not a loopback address"),
        (("port = 8090", "port = 0"), "screen.port", "greater than or equal to 1"),
        (("port = 8090", 'port = 8090\nlang = "fr"'), "screen.lang", "'zh-CN' or 'en'"),
        (("port = 8090", "port = 8090\nallow_remote = 'maybe'"), "screen.allow_remote",
         "valid boolean"),
        (("port = 8090", "port = 8090\nkiosk = true"), "screen.kiosk", "unknown key"),
    ],
)  # fmt: skip
def test_errors_name_the_key(tmp_path: Path, change: tuple[str, str], key: str, why: str) -> None:
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {key}: ")
    assert why in str(info.value)
    assert info.value.key == key


def test_missing_key_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"agent.toml: data_dir: Field required"):
        load_config(write(tmp_path, GOOD.replace('data_dir = "state"', "")))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "device_id = "))
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "missing.toml")


def test_example_config_is_valid(tmp_path: Path) -> None:
    assert tomllib.loads(example_config())
    cfg = load_config(write(tmp_path, example_config()))
    assert cfg.peripherals[0].type == "escpos_network"
    assert cfg.screen.host == "127.0.0.1" and cfg.screen.port == 8090 and cfg.screen.enabled


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["--help"], ["run", "--help"], ["check-config", "--help"],
                 ["example-config", "--help"]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    good = write(tmp_path, GOOD)
    result = runner.invoke(app, ["check-config", str(good)])
    assert result.exit_code == 0 and "kiosk-01" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('host = "10.0.0.5"', 'host = "10.0.0.5"\nport = "abc"'))
    for args in (["check-config", str(bad)], ["run", "--config", str(bad)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "peripherals.0.port: Input should be a valid integer" in result.output
    result = runner.invoke(app, ["example-config"])
    assert result.exit_code == 0 and tomllib.loads(result.output)["role"] == "kiosk"
