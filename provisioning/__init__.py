"""The technician's CLI on the device: enrollment and hardware probes (a later issue)."""
