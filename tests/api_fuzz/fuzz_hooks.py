"""Schemathesis hooks (loaded through ``SCHEMATHESIS_HOOKS`` by test_schemathesis.py): how to
put bodies that are not JSON on the wire.

``application/sdp`` (WHIP/WHEP offers, issue 16): the generated string as UTF-8 text; a
value of another type (negative cases) as its JSON text, which the API must refuse.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/sdp")
def sdp_text(_ctx: Any, value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    return json.dumps(value).encode()
