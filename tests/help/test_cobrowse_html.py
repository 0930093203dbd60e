"""The allow-list copy of the kiosk's screen: nothing executable or remote survives, the
screen's structure and refs do, numbers a bystander could copy are masked."""

from __future__ import annotations

from cloud.help.cobrowse_html import mask, sanitise


def test_scripts_handlers_and_remote_things_are_dropped() -> None:
    got = sanitise(
        '<div onclick="x()" style="color:red"><script>steal()</script><style>*{}</style>'
        '<iframe src="https://evil.example"></iframe><a href="javascript:x()">链接</a>'
        '<img src="https://evil.example/p.png" onerror="x()"><svg><script>y()</script></svg>'
        '<input type="file" data-ref="f1"><button type="submit" formaction="/x">提交</button>'
        "</div>"
    )
    for bad in (
        "script",
        "steal",
        "onclick",
        "onerror",
        "style",
        "iframe",
        "evil",
        "javascript",
        "formaction",
        'type="file"',
        'type="submit"',
        "<a",
    ):
        assert bad not in got, bad
    assert "链接" in got and "提交" in got and 'data-ref="f1"' in got


def test_inline_thumbnails_and_data_attributes_stay() -> None:
    thumb = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ=="
    got = sanitise(f'<ul data-material="id_card"><li><img src="{thumb}" alt="页"></li></ul>')
    assert f'src="{thumb}"' in got and 'data-material="id_card"' in got


def test_text_is_escaped_and_unclosed_tags_are_closed() -> None:
    got = sanitise("<div><p>1 &lt; 2 <b>粗")
    assert got == "<div><p>1 &lt; 2 <b>粗</b></p></div>"


def test_numbers_are_masked_as_the_screens_mask_them() -> None:
    assert mask("110101199003071234") == "1101**********1234"
    assert mask("电话 13800001234。") == "电话 138****1234。"
    assert mask("6222020200112233446") == "6222 **** 3446"
    assert mask("12345") == "12345"
    assert 'value="1101**********123X"' in sanitise('<input value="11010119900307123X">')
