"""The commented example configuration (``kfleet-agent --example-config``): every section
with its defaults, for a kiosk with one network receipt printer."""

EXAMPLE = """\
# kfleet agent configuration (TOML). Unknown keys are errors.
device_id = "kiosk-hhl-01"          # a-z 0-9 _ . - ; unique in the fleet
role = "kiosk"                      # kiosk | window | hall_screen
site = "qh/hx/golmud/hhl"           # province/prefecture/city/town/village
name = "黄河路街道办事处 自助终端 1"
data_dir = "/var/lib/kfleet-agent"  # bd_seq, job journal, outbox; relative = next to this file
health_interval_s = 30              # probe peripherals this often (and after every job)
tele_interval_s = 30                # telemetry batch period (also the cloud's heartbeat)

[mqtt]
url = "mqtt://127.0.0.1:1883"       # mqtts://host:8883 for TLS; add ?v=5 for MQTT 5
keepalive_s = 30
# client_id = "kf-kiosk-hhl-01"     # default: kf-<device_id>
reconnect_min_s = 0.5
reconnect_max_s = 30
# username = "kiosk-hhl-01"         # written by `kfleet provision enroll` (file mode 0600)
# password = "..."                  # also the device's HTTP Basic secret for blob calls
# ca_file = "/etc/kfleet/ca.crt"    # mqtts with a private CA

# [cloud]                           # written by `kfleet provision enroll`
# url = "https://kfleet.example.gov.cn"

[outbox]                            # what waits on disk for the broker (survives restarts)
max_rows = 10000                    # soft bounds: past either, telemetry is shed, oldest first
max_bytes = 16777216
hard_max_bytes = 67108864           # past it new events are refused; acks are always kept
max_inflight = 16                   # QoS 1 publishes awaiting PUBACK at once

[tele]                              # docs/agent-telemetry.md
# sample_interval_s = 10            # sample more often than batches are sent (default: same)
backlog_s = 86400                   # an outage this long loses no telemetry batch

[screen]                            # the citizen-facing page for this device's own browser
enabled = true                      # Chromium in kiosk mode opens http://127.0.0.1:8090/
host = "127.0.0.1"                  # loopback only, unless allow_remote = true
port = 8090
lang = "zh-CN"                      # zh-CN | en (the browser may ask ?lang=en)
site_name = "黄河路街道便民服务中心"   # shown above the device name
# window = "3"                      # window screens: /window shows this window
# allow_remote = false              # true: host may be a network address (shows state to all)

[av]                                # live camera streams the cloud starts (docs/agent-av.md)
max_streams = 2                     # a monitoring stream and a help call's at once
# ice_host_addresses = ["192.168.1.20"]  # offer only the hall LAN's address (default: all)

[[peripherals]]
type = "escpos_network"             # escpos_network | escpos_serial | escpos_usb | escpos_file
                                    # | idcard_ga467 | doc_camera_uvc | call_button_serial
                                    # | rating_pad_serial | av_camera | ipp | a4_spool
id = "receipt"
host = "192.168.1.50"
port = 9100
timeout_s = 3
capabilities = ["receipt"]
status = "required"                 # required: refuse to print if it does not answer DLE EOT

# [[peripherals]]
# type = "escpos_serial"
# id = "receipt2"
# device = "/dev/ttyUSB0"
# baudrate = 9600
#
# [[peripherals]]
# type = "escpos_usb"
# id = "receipt3"
# vendor_id = 0x0416
# product_id = 0x5011
#
# [[peripherals]]
# type = "escpos_file"
# id = "receipt4"
# path = "/dev/usb/lp0"
# status = "best_effort"
#
# [[peripherals]]
# type = "idcard_ga467"             # resident ID-card reader (GA 467 frames, serial)
# id = "idcard"
# port = "/dev/serial/by-id/usb-ID_Card_Reader-if00"
# auto_read = false                 # true: publish an idcard_read event (masked) per card
# auto_read_interval_s = 0.5
#
# [[peripherals]]
# type = "doc_camera_uvc"           # document camera (高拍仪)
# id = "doccam"
# device = 0                        # index, /dev/video2, or synthetic:... (simulator)
#
# [[peripherals]]
# type = "call_button_serial"       # window PC: call button; presses become button events
# id = "callbtn"
# port = "/dev/serial/by-id/usb-kfleet_call_button-if00"
#
# [[peripherals]]
# type = "rating_pad_serial"        # window PC: 好差评 rating pad
# id = "rating"
# port = "/dev/serial/by-id/usb-kfleet_rating_pad-if00"
#
# [[peripherals]]
# type = "ipp"                      # A4 printer over IPP / IPP Everywhere (docs/a4-printing.md)
# id = "a4"
# uri = "ipp://192.168.1.60:631/ipp/print"
# job_timeout_s = 300               # not finished by then: canceled on the printer, uncertain
#
# [[peripherals]]
# type = "a4_spool"                 # stand-in A4 printer: PDFs into a directory (demo, dry runs)
# id = "a4-spool"
# directory = "/var/lib/kfleet-agent/a4"
"""
