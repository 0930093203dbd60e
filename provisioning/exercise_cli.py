"""``kfleet provision test print|scan|button|rating|idcard|camera``: the technician, at the
device, exercises one peripheral through the agent's own driver and sees the result.

Each command finds its device (``provisioning.exercise_find``), runs one test, prints what
it saw (text, or ``--json``) and exits with a code that says why it failed
(``provisioning.exercise_result.Exit``; docs/provisioning.md lists them). No such hardware on
the machine is not a failure: it is said, and the exit code is 0.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from edge_agent.config import load_config
from edge_agent.drivers.a4_config import IppPrinterConfig
from edge_agent.drivers.camera_config import ScanMode
from edge_agent.drivers.escpos_config import EscposConfig
from edge_agent.drivers.idcard_config import IdCardReaderConfig
from edge_agent.drivers.serial_config import CallButtonSerial, RatingPadSerial
from edge_agent.errors import ConfigError
from provisioning import exercise_find as find
from provisioning.exercise_camera import exercise_camera, exercise_scan
from provisioning.exercise_idcard import exercise_idcard
from provisioning.exercise_pages import TestPage
from provisioning.exercise_print import print_a4, print_receipt, where
from provisioning.exercise_progress import Feedback
from provisioning.exercise_result import (
    Exit,
    Outcome,
    TestFailed,
    failed,
    no_hardware,
    passed,
)
from provisioning.exercise_serial import exercise_button, exercise_rating
from provisioning.probe_local import ROOT

app = typer.Typer(
    help="Exercise one peripheral through the agent's own driver and show the result.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
RootOpt = Annotated[
    Path, typer.Option("--sysfs-root", help="Look for devices under DIR/sys and DIR/dev.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Test the peripheral this agent.toml configures."),
]
PortOpt = Annotated[str | None, typer.Option("--port", help="Serial port or device node.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait.")]
DeviceOpt = Annotated[
    str | None, typer.Option("--device", help="Camera index, /dev/video path or source name.")
]
WidthOpt = Annotated[int, typer.Option("--width", min=160, help="Requested frame width.")]
HeightOpt = Annotated[int, typer.Option("--height", min=120, help="Requested frame height.")]


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _first(target: tuple[Any, ...]) -> str:
    """The device part of a (device, settings) target, for the result's ``device``."""
    return str(target[0])


def _finish(outcome: Outcome, json_out: bool) -> NoReturn:
    typer.echo(outcome.as_json() if json_out else outcome.as_text())
    raise typer.Exit(int(outcome.code))


def run(
    test: str,
    json_out: bool,
    locate: Callable[[], Any],
    looked_for: tuple[str, str],
    work: Callable[[Any, Feedback], Coroutine[Any, Any, dict[str, Any]]],
    label: Callable[[Any], str],
    success: str,
) -> None:
    """Find the device, run the test, print the outcome, exit with its code."""
    target = None
    try:
        target = locate()
        if target is None:
            _finish(no_hardware(test, *looked_for), json_out)
        facts = asyncio.run(work(target, Feedback(enabled=not json_out)))
    except TestFailed as err:
        _finish(failed(test, "" if target is None else label(target), err), json_out)
    except ValidationError as err:  # an option the driver's config refuses (a baud rate...)
        why = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        bad = TestFailed(Exit.USAGE, f"the driver refuses these settings: {why}")
        _finish(failed(test, "" if target is None else label(target), bad), json_out)
    _finish(passed(test, label(target), success, facts), json_out)


def _test_page(config: Path | None, site: str | None, device_id: str | None) -> TestPage:
    """Site and device from the options, else from the agent config, else the host name."""
    if config is not None and (site is None or device_id is None):
        try:
            agent = load_config(config)
        except ConfigError as err:
            raise typer.BadParameter(str(err), param_hint="--config") from err
        site, device_id = site or agent.site, device_id or agent.device_id
    return TestPage(site or "-", device_id or socket.gethostname(), datetime.now().astimezone())


@app.command("print")
def print_cmd(
    port: PortOpt = None,
    ipp: Annotated[
        str | None, typer.Option("--ipp", help="Print an A4 test page on this IPP printer URI.")
    ] = None,
    baud: Annotated[int, typer.Option("--baud", help="Serial baud rate.")] = 9600,
    site: Annotated[str | None, typer.Option("--site", help="Site shown on the receipt.")] = None,
    device_id: Annotated[
        str | None, typer.Option("--device-id", help="Device shown on the receipt.")
    ] = None,
    config: ConfigOpt = None,
    sysfs_root: RootOpt = ROOT,
    json_out: JsonOpt = False,
) -> None:
    """Print a test receipt (site, device, time, Chinese, a QR code), or an A4 test page."""
    page = _test_page(config, site, device_id)

    def locate() -> EscposConfig | IppPrinterConfig | None:
        return find.printer_target(sysfs_root, port, ipp, baud, config)

    async def work(cfg: EscposConfig | IppPrinterConfig, feedback: Feedback) -> dict[str, Any]:
        if isinstance(cfg, IppPrinterConfig):
            return await print_a4(cfg, page, feedback)
        return await print_receipt(cfg, page, feedback)

    run(
        "print",
        json_out,
        locate,
        (
            "receipt printer",
            "/dev/usb/lp* and USB printers; a serial one needs --port, an A4 one --ipp",
        ),
        work,
        where,
        "the test page was sent and the printer reports it done; check the paper: every "
        "line, the Chinese one included, and the QR code must be readable",
    )


@app.command("button")
def button_cmd(
    port: PortOpt = None,
    baud: Annotated[int, typer.Option("--baud", help="Serial baud rate.")] = 9600,
    timeout: TimeoutOpt = 30.0,
    config: ConfigOpt = None,
    sysfs_root: RootOpt = ROOT,
    json_out: JsonOpt = False,
) -> None:
    """Wait for a press on the call button; show the button, the kind and the raw frame."""
    run(
        "button",
        json_out,
        lambda: find.serial_target(sysfs_root, port, "call button", baud, config, CallButtonSerial),
        ("call button", "serial ports; name one with --port"),
        lambda t, fb: exercise_button(t[0], t[1], timeout, fb),
        _first,
        "a press arrived through the agent's driver",
    )


@app.command("rating")
def rating_cmd(
    port: PortOpt = None,
    baud: Annotated[int, typer.Option("--baud", help="Serial baud rate.")] = 9600,
    timeout: TimeoutOpt = 30.0,
    config: ConfigOpt = None,
    sysfs_root: RootOpt = ROOT,
    json_out: JsonOpt = False,
) -> None:
    """Ask the rating pad for a rating; show the key pressed and the raw frame."""
    run(
        "rating",
        json_out,
        lambda: find.serial_target(sysfs_root, port, "rating pad", baud, config, RatingPadSerial),
        ("rating pad", "serial ports; name one with --port"),
        lambda t, fb: exercise_rating(t[0], t[1], timeout, fb),
        _first,
        "a rating arrived through the agent's driver",
    )


@app.command("idcard")
def idcard_cmd(
    port: PortOpt = None,
    baud: Annotated[int, typer.Option("--baud", help="Serial baud rate.")] = 115200,
    timeout: TimeoutOpt = 30.0,
    config: ConfigOpt = None,
    sysfs_root: RootOpt = ROOT,
    json_out: JsonOpt = False,
) -> None:
    """Read one ID card and show it masked (docs/privacy.md): never the number or photo."""
    run(
        "idcard",
        json_out,
        lambda: find.serial_target(
            sysfs_root, port, "ID-card reader", baud, config, IdCardReaderConfig
        ),
        ("ID-card reader", "serial ports; name one with --port"),
        lambda t, fb: exercise_idcard(t[0], t[1], timeout, fb),
        _first,
        "a card was read through the agent's driver (shown masked)",
    )


@app.command("scan")
def scan_cmd(
    device: DeviceOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to save the scan (.jpg; .pdf beside).")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="color, gray or document.")] = "color",
    width: WidthOpt = 1920,
    height: HeightOpt = 1080,
    config: ConfigOpt = None,
    sysfs_root: RootOpt = ROOT,
    json_out: JsonOpt = False,
) -> None:
    """Scan one page through the agent's pipeline; show the file, its size, page found."""
    if mode not in ("color", "gray", "document"):
        raise typer.BadParameter("must be color, gray or document", param_hint="--mode")
    scan_mode: ScanMode = mode  # type: ignore[assignment]
    target = out or Path(f"kfleet-test-scan-{_stamp()}.jpg")

    def locate() -> tuple[int | str, tuple[int, int]] | None:
        return find.video_target(sysfs_root, device, True, (width, height), config)

    async def work(camera: tuple[int | str, tuple[int, int]], fb: Feedback) -> dict[str, Any]:
        return await exercise_scan(camera[0], camera[1], scan_mode, target, fb)

    run(
        "scan",
        json_out,
        locate,
        ("document camera", "/dev/video*; name one with --device"),
        work,
        _first,
        "a page was scanned; open the file and check that it is straight and readable",
    )


@app.command("camera")
def camera_cmd(
    device: DeviceOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to save the frame.")] = None,
    width: WidthOpt = 640,
    height: HeightOpt = 480,
    config: ConfigOpt = None,
    sysfs_root: RootOpt = ROOT,
    json_out: JsonOpt = False,
) -> None:
    """Take one frame with the A/V camera; show the file and the resolution."""
    target = out or Path(f"kfleet-test-camera-{_stamp()}.jpg")

    def locate() -> tuple[int | str, tuple[int, int]] | None:
        return find.video_target(sysfs_root, device, False, (width, height), config)

    async def work(camera: tuple[int | str, tuple[int, int]], fb: Feedback) -> dict[str, Any]:
        return await exercise_camera(camera[0], camera[1], target, fb)

    run(
        "camera",
        json_out,
        locate,
        ("camera", "/dev/video*; name one with --device"),
        work,
        _first,
        "a frame was captured; open the file and check the picture",
    )
