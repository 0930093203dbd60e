"""Remote help (issue 16): the call centre (calls from a kiosk's help tile or call button,
operators on duty, ringing, accept, end, missed), and what happens during a call — two-way
audio and video through the media plane, remote operation of the kiosk's screen with the
citizen's consent, and remote review of scanned materials."""
