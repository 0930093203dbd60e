"""What can go wrong with a one-time code or an identity token, each with the citizen's
sentence (zh-CN, en). Codes are stable: the kiosk screen keys its next step on them."""

from __future__ import annotations

from cloud.kiosk.errors import KioskError


class OtpError(KioskError):
    status_code = 422
    code = "otp_error"


class OtpUnknown(OtpError):
    """No such code request — or one asked at another kiosk (not told apart: a code is only
    good where the card was read)."""

    status_code = 404
    code = "otp_unknown"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "验证码无效，请重新获取验证码。",
            "This code is not valid here. Please ask for a new code.",
        )


class OtpExpired(OtpError):
    code = "otp_expired"

    def __init__(self) -> None:
        super().__init__(
            "the code has expired",
            "验证码已过期，请重新获取验证码。",
            "The code has expired. Please ask for a new code.",
        )


class OtpUsed(OtpError):
    code = "otp_used"

    def __init__(self) -> None:
        super().__init__(
            "the code was already used",
            "验证码已使用，请重新获取验证码。",
            "This code was already used. Please ask for a new code.",
        )


class OtpSuperseded(OtpError):
    code = "otp_superseded"

    def __init__(self) -> None:
        super().__init__(
            "a newer code was sent to the same person",
            "已发送新的验证码，请输入最新收到的验证码。",
            "A newer code was sent. Please type the latest code you received.",
        )


class OtpWrong(OtpError):
    code = "otp_wrong"

    def __init__(self, left: int) -> None:
        super().__init__(
            f"wrong code; {left} tries left",
            f"验证码不正确，还可以再试 {left} 次。",
            f"The code is not right. You can try {left} more time(s).",
        )
        self.left = left


class OtpLocked(OtpError):
    code = "otp_locked"

    def __init__(self) -> None:
        super().__init__(
            "too many wrong codes; this code is locked",
            "验证码输错次数过多，请重新获取验证码。",
            "Too many wrong codes. Please ask for a new code.",
        )


class OtpRateLimited(OtpError):
    status_code = 429
    code = "otp_rate_limited"

    def __init__(self, wait_s: int) -> None:
        minutes = max(1, (wait_s + 59) // 60)
        super().__init__(
            f"too many codes for this phone; next in {wait_s} s",
            f"验证码发送过于频繁，请 {minutes} 分钟后再试。",
            f"Too many codes were sent. Please try again in {minutes} minute(s).",
        )
        self.wait_s = wait_s


class OtpNotSent(OtpError):
    status_code = 503
    code = "otp_not_sent"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "短信暂时无法发送，请稍后再试，或到窗口办理。",
            "The text message cannot be sent now. Please try again later or go to a window.",
        )


class IdentityRequired(KioskError):
    """A person query without a valid identity token (none, expired, another kiosk, another
    card): the kiosk asks for the card and a code again."""

    status_code = 403
    code = "identity_required"

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            "请先读取身份证并输入短信验证码完成身份核验。",
            "Please read your ID card and type the code sent to your phone first.",
        )
