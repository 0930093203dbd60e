"""The driver registry: the table and the driver modules agree, configs load without any
driver or hardware library, and a driver that cannot be built leaves the peripheral offline."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edge_agent.drivers.base import DriverSpec
from edge_agent.drivers.config import DriverConfig
from edge_agent.errors import AgentError
from edge_agent.peripherals.registry import (
    DRIVERS,
    PERIPHERAL_TYPES,
    BrokenPeripheral,
    build_or_broken,
    config_model,
    driver_spec,
)
from protocols.messages import Health


@pytest.mark.parametrize("type_", sorted(DRIVERS))
def test_each_row_names_a_module_that_declares_that_driver(type_: str) -> None:
    row, spec = DRIVERS[type_], driver_spec(type_)
    assert isinstance(spec, DriverSpec) and type_ in spec.types
    assert spec.kind == row.kind
    model = config_model(row)
    assert issubclass(model, DriverConfig)
    assert model in getattr(spec.config, "__args__", (spec.config,))  # the driver takes it
    assert getattr(spec.peripheral, "kind", None) == row.kind


def test_every_type_a_config_may_name_has_a_row() -> None:
    assert frozenset(DRIVERS) == PERIPHERAL_TYPES


def test_loading_a_config_imports_no_driver_and_no_hardware_library(tmp_path: Path) -> None:
    """Run in a fresh interpreter: importing the test module above imported drivers."""
    config = tmp_path / "agent.toml"
    config.write_text(
        textwrap.dedent(
            """
            device_id = "k1"
            role = "kiosk"
            site = "qh"
            data_dir = "d"
            [mqtt]
            url = "mqtt://127.0.0.1:1883"
            [[peripherals]]
            type = "escpos_network"
            id = "receipt"
            host = "127.0.0.1"
            [[peripherals]]
            type = "doc_camera_uvc"
            id = "doccam"
            [[peripherals]]
            type = "ipp"
            id = "a4"
            uri = "ipp://127.0.0.1:631/ipp/print"
            [[peripherals]]
            type = "call_button_serial"
            id = "btn"
            port = "/dev/null"
            """
        )
    )
    probe = (
        "import sys; from edge_agent.config import load_config; "
        f"load_config({str(config)!r}); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('escpos', 'serial', 'cv2', 'numpy', 'pyipp', 'usb') "
        "or m in ('edge_agent.drivers.receipt_escpos', 'edge_agent.drivers.doc_camera', "
        "'edge_agent.drivers.a4_ipp', 'edge_agent.drivers.call_button')); print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


async def test_a_driver_that_cannot_be_built_is_an_offline_peripheral(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from edge_agent.drivers.escpos_config import EscposNetwork
    from edge_agent.peripherals import registry

    def broken(type_: str) -> DriverSpec:
        raise AgentError("python-escpos is not installed")

    monkeypatch.setattr(registry, "driver_spec", broken)
    cfg = EscposNetwork.model_validate({"type": "escpos_network", "id": "r", "host": "h"})
    p = build_or_broken(cfg)
    assert isinstance(p, BrokenPeripheral) and p.kind == "receipt_printer"
    health, reason = await p.health()
    assert health is Health.OFFLINE and "python-escpos" in reason
