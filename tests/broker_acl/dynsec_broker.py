"""A private Mosquitto with the dynamic-security plugin, anonymous access off."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kfleet.world.net import free_port, wait_port
from tests.conftest import mosquitto_binary, require_or_skip

#: Debian/Ubuntu's path; KFLEET_DYNSEC_PLUGIN overrides it elsewhere
PLUGIN = Path(
    os.environ.get(
        "KFLEET_DYNSEC_PLUGIN", "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
    )
)
ADMIN = "kf-admin"


@dataclass(frozen=True)
class DynsecBroker:
    host: str
    port: int
    admin_password: str


def _ctrl_binary() -> str:
    ctrl = shutil.which("mosquitto_ctrl") or "/usr/bin/mosquitto_ctrl"
    if not Path(ctrl).exists():
        require_or_skip("mosquitto_ctrl (apt-get install mosquitto-clients)")
    if not PLUGIN.exists():
        require_or_skip(f"the Mosquitto dynamic-security plugin at {PLUGIN}")
    return ctrl


@contextmanager
def running_dynsec_broker() -> Iterator[DynsecBroker]:
    """Start Mosquitto with dynsec initialised for a fresh admin; stop it afterwards."""
    binary, ctrl = mosquitto_binary(), _ctrl_binary()
    tmp = Path(tempfile.mkdtemp(prefix="kf-dynsec-"))
    password = "admin-" + tmp.name
    state = tmp / "dynamic-security.json"
    subprocess.run(
        [ctrl, "dynsec", "init", str(state), ADMIN, password], check=True, capture_output=True
    )
    # Mosquitto started as root drops to the ``mosquitto`` user, which must read and
    # rewrite the plugin's state file.
    tmp.chmod(0o777)
    state.chmod(0o666)
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n"
        f"plugin {PLUGIN}\nplugin_opt_config_file {state}\nlog_dest none\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)])
    try:
        wait_port("127.0.0.1", port)
        yield DynsecBroker("127.0.0.1", port, password)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
