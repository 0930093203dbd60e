"""The technician's CLI on the device (enrollment, probing hardware) — arrives with a later issue."""
