"""kfleet wire contracts shared by edge and cloud: topics, envelope, message bodies, codecs.

Nothing here does I/O; everything here may import pydantic only.
"""

PROTOCOL_VERSION = 1
