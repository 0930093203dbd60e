"""Blocking connections to ESC/POS printers, built on python-escpos's printer classes.

python-escpos gives us the transports (``Network``, ``Serial``, ``Usb``, ``File``) and their
``_raw`` writes, but not a usable status read: ``paper_status()`` reports "paper OK" when the
printer sends nothing, and ``Network`` connects lazily with a 60 s default timeout. So each
:class:`Port` here opens eagerly (an unreachable printer is found before anything is sent),
reads one status byte with its own short timeout, and turns every transport error into one
of two exceptions: :class:`Unreachable` (nothing was sent) or :class:`Lost` (the connection
broke; whatever was sent may have printed).

Everything here blocks; the driver calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import select
import socket
import stat
import time
from typing import Any

from edge_agent.drivers.escpos_config import (
    EscposConfig,
    EscposFile,
    EscposNetwork,
    EscposSerial,
    EscposUsb,
)
from edge_agent.errors import AgentError

#: a drain reads at most this many 64-byte chunks (stale answers are a few bytes)
_DRAIN_READS = 64


class Unreachable(AgentError):
    """The printer could not be opened; nothing was sent."""


class Lost(AgentError):
    """The connection broke while talking to the printer."""


class Port:
    """One open connection to a printer."""

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    #: whether the printer can answer at all (a plain file or a write-only node cannot)
    answers = True

    def read_byte(self, timeout: float) -> int | None:
        """One byte the printer sent, or None if it sent nothing within ``timeout``."""
        raise NotImplementedError

    def drain(self) -> None:
        """Discard bytes that arrived late (an answer to an earlier, timed-out query)."""

    def close(self) -> None:
        raise NotImplementedError


def open_port(cfg: EscposConfig) -> Port:
    """Open a connection for ``cfg``; raise :class:`Unreachable` if that fails."""
    from escpos.exceptions import Error as EscposError

    try:
        if isinstance(cfg, EscposNetwork):
            return _NetworkPort(cfg)
        if isinstance(cfg, EscposSerial):
            return _SerialPort(cfg)
        if isinstance(cfg, EscposUsb):
            return _UsbPort(cfg)
        return _FilePort(cfg)
    except (EscposError, OSError, ValueError, RuntimeError) as err:
        raise Unreachable(_first_line(err)) from err


def _first_line(err: BaseException) -> str:
    text = str(err).replace("\n", " ").strip()
    return text or type(err).__name__


class _EscposPort(Port):
    """Writes through a python-escpos printer object's ``_raw``."""

    printer: Any

    def write(self, data: bytes) -> None:
        try:
            self.printer._raw(data)
        except Exception as err:  # OSError, SerialException, USBError: all mean "broken"
            raise Lost(_first_line(err)) from err

    def close(self) -> None:
        device = self.printer._device
        with contextlib.suppress(Exception):
            self.printer.close()
        # On a broken link python-escpos's close() fails in its flush before closing the
        # handle, and its __del__ then tries again (an "exception ignored" and a leaked fd).
        if device:
            with contextlib.suppress(Exception):
                device.close()
        self.printer._device = False


class _NetworkPort(Port):
    """A plain TCP socket (port 9100). python-escpos's ``Network`` did nothing more than
    ``sendall`` and loaded the whole library (about 5 MB) with the first health probe; the
    receipt's bytes are still the library's (``escpos_render``)."""

    def __init__(self, cfg: EscposNetwork) -> None:
        self.timeout = cfg.timeout_s
        self.sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.timeout_s)
        # Status queries are tiny writes followed by a read: without NODELAY, Nagle's algorithm
        # holds each one back until the previous write's delayed ACK (~40 ms per query).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as err:
            raise Lost(_first_line(err)) from err

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def read_byte(self, timeout: float) -> int | None:
        try:
            self.sock.settimeout(timeout)
            data = self.sock.recv(1)
        except TimeoutError:
            return None
        except OSError as err:
            raise Lost(_first_line(err)) from err
        finally:
            with contextlib.suppress(OSError):
                self.sock.settimeout(self.timeout)
        if not data:
            raise Lost("the printer closed the connection")
        return data[0]

    def drain(self) -> None:
        try:
            self.sock.setblocking(False)
            for _ in range(_DRAIN_READS):  # bounded: a printer may never stop talking
                if not self.sock.recv(64):
                    raise Lost("the printer closed the connection")
        except BlockingIOError:
            pass
        except OSError as err:
            raise Lost(_first_line(err)) from err
        finally:
            with contextlib.suppress(OSError):
                self.sock.settimeout(self.timeout)


class _SerialPort(_EscposPort):
    def __init__(self, cfg: EscposSerial) -> None:
        from escpos.printer import Serial

        self.timeout = cfg.timeout_s
        self.printer = Serial(devfile=cfg.device, baudrate=cfg.baudrate, timeout=cfg.timeout_s)
        self.printer.open()

    def read_byte(self, timeout: float) -> int | None:
        device = self.printer.device
        try:
            device.timeout = timeout
            data = device.read(1)
        except Exception as err:  # serial.SerialException: unplugged adapter
            raise Lost(_first_line(err)) from err
        finally:
            with contextlib.suppress(Exception):
                device.timeout = self.timeout
        return data[0] if data else None

    def drain(self) -> None:
        with contextlib.suppress(Exception):
            self.printer.device.reset_input_buffer()


class _UsbPort(_EscposPort):
    def __init__(self, cfg: EscposUsb) -> None:
        from escpos.printer import Usb

        # Without pyusb python-escpos fails at open *and* again in the object's __del__
        # ("Exception ignored"), on every probe: say it once, clearly, before building one.
        if importlib.util.find_spec("usb") is None:
            raise RuntimeError(
                "escpos_usb needs pyusb and libusb, which are not installed on this device; "
                "install them (pip install pyusb; apt-get install libusb-1.0-0), or use "
                "escpos_file with the kernel's /dev/usb/lp0 instead"
            )

        # pyusb timeouts are milliseconds
        self.printer = Usb(cfg.vendor_id, cfg.product_id, timeout=int(cfg.timeout_s * 1000))
        self.printer.open()

    def read_byte(self, timeout: float) -> int | None:
        try:
            data = self.printer.device.read(self.printer.in_ep, 16, int(timeout * 1000))
        except Exception as err:
            if "timed out" in str(err).lower() or getattr(err, "errno", None) == 110:
                return None
            raise Lost(_first_line(err)) from err
        return int(data[-1]) if len(data) else None


class _FilePort(_EscposPort):
    """A kernel printer device (``/dev/usb/lp0``); status is read only from character devices.

    The path must exist: python-escpos opens it with ``"wb"``, which would otherwise create a
    plain file where the node of a printer that is switched off belongs, and "print" into it.
    """

    def __init__(self, cfg: EscposFile) -> None:
        if not os.path.exists(cfg.path):
            raise FileNotFoundError(f"{cfg.path} does not exist (is the printer on?)")
        from escpos.printer import File

        self.path = cfg.path
        self.printer = File(str(cfg.path))
        self.printer.open()
        self._rfd: int | None = None
        with contextlib.suppress(OSError):
            if stat.S_ISCHR(os.stat(cfg.path).st_mode):
                self._rfd = os.open(cfg.path, os.O_RDONLY | os.O_NONBLOCK)
        self.answers = self._rfd is not None

    def write(self, data: bytes) -> None:
        super().write(data)
        try:
            self.printer.flush()
        except OSError as err:
            raise Lost(_first_line(err)) from err

    def read_byte(self, timeout: float) -> int | None:
        if self._rfd is None:
            return None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                ready, _, _ = select.select([self._rfd], [], [], left)
                if not ready:
                    return None
                data = os.read(self._rfd, 1)
            except BlockingIOError:  # woken, but the byte went elsewhere
                continue
            except OSError as err:
                if self._no_back_channel(err):
                    return None
                raise Lost(_first_line(err)) from err
            if data:
                return data[0]
            self._check_present()  # usblp: a zero-length packet; a pty: its far end closed
            time.sleep(min(0.05, max(left, 0)))  # a node that always reads empty: no spin
        return None

    def drain(self) -> None:
        if self._rfd is None:
            return
        try:
            for _ in range(_DRAIN_READS):  # bounded: a device may never stop talking
                if not os.read(self._rfd, 64):
                    break
            else:
                return
        except BlockingIOError:
            return
        except OSError as err:
            if self._no_back_channel(err):
                return
            raise Lost(_first_line(err)) from err
        self._check_present()

    def _no_back_channel(self, err: OSError) -> bool:
        """True (and reads stop) if ``err`` says the device has no back-channel: usblp answers
        EINVAL on a unidirectional printer, which is silent, not gone (ENODEV, EIO)."""
        if err.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
            return False
        if self._rfd is not None:
            with contextlib.suppress(OSError):
                os.close(self._rfd)
        self._rfd = None
        return True

    def _check_present(self) -> None:
        """An empty read: fine while the node exists; once it is gone, the device went away."""
        if not os.path.exists(self.path):
            raise Lost(f"{self.path} disappeared (the printer was unplugged or switched off)")

    def close(self) -> None:
        if self._rfd is not None:
            with contextlib.suppress(OSError):
                os.close(self._rfd)
            self._rfd = None
        super().close()
