"""What ``kfleet demo`` prints when it is up: where everything is and what to try first."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kfleet.world.demo_identity import DEMO_ADMIN
from kfleet.world.demo_kiosk_platforms import KioskPlatforms
from kfleet.world.world import RunningKiosk


class DemoWorld(Protocol):
    """What the banner reads of :class:`kfleet.world.demo.DemoWorld` (no import cycle)."""

    @property
    def base_url(self) -> str: ...
    @property
    def broker_url(self) -> str: ...
    @property
    def kiosks(self) -> Sequence[RunningKiosk]: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def token(self) -> str: ...
    @property
    def admin_password(self) -> str | None: ...
    @property
    def platforms(self) -> KioskPlatforms: ...


def queue_ticket(site_name: str, number: str) -> dict[str, object]:
    """The params of a queue-ticket receipt (排队小票) as the demo's curl line sends them."""
    return {
        "lines": [
            {"type": "text", "text": site_name, "align": "center", "bold": True},
            {"type": "text", "text": "排队号", "align": "center"},
            {"type": "text", "text": number, "align": "center", "width": 4, "height": 4},
            {"type": "text", "text": "前面还有 3 人等候，请留意叫号屏", "align": "center"},
            {"type": "qr", "data": f"https://gov.example.invalid/q/{number}", "size": 6},
            {"type": "feed", "lines": 2},
        ],
        "cut": True,
    }


def curl_line(base_url: str, device_id: str, site_name: str) -> str:
    body = {
        "kind": "print_receipt",
        "target": {"device_id": device_id},
        "params": queue_ticket(site_name, "A023"),
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return (
        f"curl -s -X POST {base_url}/api/v1/jobs -H 'content-type: application/json' "
        f'-H "Authorization: Bearer $KFLEET_TOKEN" -d {shlex.quote(data)}'
    )


def banner(world: DemoWorld) -> str:
    first = world.kiosks[0].spec
    site_name = first.name.split(" ")[0]
    lines = [
        "",
        "kfleet demo is running.",
        f"  console   {world.base_url}/   (site overview and charts: {world.base_url}/overview)",
        "  login     " + _login_line(world),
        f"  API docs  {world.base_url}/docs",
        f"  broker    {world.broker_url}",
        "  devices   " + ", ".join(k.spec.device_id for k in world.kiosks),
        f"  receipts  {world.data_dir / 'receipts'}/<device>/<n>.txt",
        f"  A4 pages  {world.data_dir / 'a4'}/<device>/<n>-<title>.pdf",
        *_screen_lines(world),
        *(
            ["  SMS       texts to citizens (one-time codes) are printed here as they are sent"]
            if world.platforms.sms is not None
            else []
        ),
        *(
            [f"  Alipay    the phone: {alipay.url}/ (a kiosk's QR codes: confirm or cancel)"]
            if (alipay := world.platforms.running.get("alipay")) is not None
            else []
        ),
        *(
            [
                "  bills     生活缴费 sample accounts: water 3100012345, power 0801234567, "
                "gas G20261188, landline 09798412345"
            ]
            if "utilities" in world.platforms.running
            else []
        ),
        "",
        "Every API call needs credentials. An administrator's API token for this run (make your",
        "own on the console's API tokens page):",
        f"  export KFLEET_TOKEN={world.token}",
        "",
        "Print a queue ticket on the first kiosk:",
        "  " + curl_line(world.base_url, first.device_id, site_name),
        "",
        "Make a self-service copy (scan, mark 仅供…使用, print on A4) on the first kiosk:",
        f"  curl -s -X POST {world.base_url}/api/v1/jobs -H 'content-type: application/json' "
        '-H "Authorization: Bearer $KFLEET_TOKEN" '
        f'-d \'{{"kind": "copy", "target": {{"device_id": "{first.device_id}"}}, '
        f'"params": {{"purpose": "办理户籍业务"}}}}\'',
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _login_line(world: DemoWorld) -> str:
    if world.admin_password is not None:
        return f"{DEMO_ADMIN} / {world.admin_password}   (shown once: note it)"
    return (
        f"{DEMO_ADMIN} (password shown at the first start; a new one: KFLEET_DATA_DIR="
        f"{shlex.quote(str(world.data_dir))} kfleet cloud admin reset-password {DEMO_ADMIN})"
    )


def _screen_lines(world: DemoWorld) -> list[str]:
    """The hall and window screens the demo serves (open them in a browser)."""
    out = []
    for k in world.kiosks:
        screen = k.agent.config.screen
        if screen.enabled:
            page = {"window": "window", "kiosk": "kiosk"}.get(k.spec.role, "hall")
            out.append(f"  screen    http://{screen.host}:{screen.port}/{page}   ({k.spec.name})")
    return out
