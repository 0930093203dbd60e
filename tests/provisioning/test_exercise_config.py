"""``kfleet provision test ... --config agent.toml`` exercises the peripheral the agent's own
config names (so a pass means that config works), and prints the config's site and device
id on the test receipt; a config without such a peripheral says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

from provisioning.exercise_result import Exit
from simulators.call_button import CallButtonSim
from simulators.escpos_pty import EscPosPtyPrinter
from tests.provisioning.exercise_kit import as_json, invoke, invoke_beside


def agent_toml(tmp_path: Path, peripherals: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(
        'device_id = "kiosk-hhl-01"\nrole = "kiosk"\nsite = "qh/hx/golmud/hhl"\n'
        f'data_dir = "{tmp_path / "data"}"\n[mqtt]\nurl = "mqtt://127.0.0.1:1883"\n' + peripherals,
        encoding="utf-8",
    )
    return path


async def test_the_configured_printer_prints_the_configured_site(tmp_path: Path) -> None:
    async with EscPosPtyPrinter(tmp_path) as sim:
        config = agent_toml(
            tmp_path,
            f'[[peripherals]]\ntype = "escpos_serial"\nid = "receipt"\ndevice = "{sim.path}"\n',
        )
        result = await invoke_beside("print", "--config", str(config))
    assert result.exit_code == 0, result.output
    [receipt] = sim.receipts
    assert "qh/hx/golmud/hhl" in receipt.render() and "kiosk-hhl-01" in receipt.render()


async def test_the_configured_call_button_is_the_one_tested(tmp_path: Path) -> None:
    # the button's UART runs at 19200: only a driver that uses the configured rate hears it
    async with CallButtonSim(heartbeat_s=0.2, link_dir=tmp_path, baudrate=19200) as sim:
        config = agent_toml(
            tmp_path,
            '[[peripherals]]\ntype = "call_button_serial"\nid = "btn"\n'
            f'port = "{sim.port_path}"\nbaudrate = 19200\n',
        )
        running = asyncio.create_task(invoke_beside("button", "--config", str(config), "--json"))
        async with asyncio.timeout(10):
            await sim.wait_for(lambda: bool(sim.received))  # the driver's SYNC: it is listening
        await sim.press(5)
        body = as_json(await running)
    assert (body["result"], body["device"], body["button"]) == ("pass", sim.port_path, 5)


def test_a_config_without_such_a_peripheral_says_so(tmp_path: Path) -> None:
    config = agent_toml(tmp_path, "")
    result = invoke("rating", "--config", str(config))
    assert result.exit_code == Exit.NOT_FOUND, result.output
    assert "configures no peripheral of this kind" in result.output


def test_a_broken_config_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text("device_id = \n", encoding="utf-8")
    result = invoke("idcard", "--config", str(config))
    assert result.exit_code == Exit.USAGE, result.output
    assert "the agent config cannot be used" in result.output and "not valid TOML" in result.output
