"""Stand-in feature screens for the kiosk shell's browser tests: the shell is tested before
(and apart from) the real features, with two screens registered the way a ``k_<name>.js``
registers its own: one that needs the network, one with a form field and a keyboard."""

from __future__ import annotations

from playwright.async_api import Page

#: registers ``standin-net`` (network: true) and ``standin-form`` (an input with a keyboard
#: of ``params.kind``, default id_number); its onClear hook marks ``window.__standinCleared``
STANDIN_JS = """
() => {
  const K = window.Kiosk;
  window.__standinCleared = 0;
  K.onClear(() => { window.__standinCleared += 1; });
  K.screen({ id: "standin-net", order: 1, network: true,
    tile: { zh: "网上查询", en: "Online lookup", icon: "🔎" },
    render(root) {
      root.append(K.message("info", { zh: "联网服务", en: "A network service" }));
    } });
  K.screen({ id: "standin-form", order: 2,
    tile: { zh: "填写号码", en: "Enter a number", icon: "✎" },
    render(root, params) {
      const input = K.el("input", { id: "standin-input", type: "text" });
      const words = { zh: "身份证号码", en: "ID number" };
      root.append(K.el("label", { for: "standin-input" }, K.t(words)), input);
      if (K.keyboard) K.keyboard(input, params.kind || "id_number");
    } });
}
"""


async def add_standins(page: Page) -> None:
    await page.evaluate(STANDIN_JS)


async def tap_keys(page: Page, keys: str) -> None:
    """Tap each character's key on the open on-screen keyboard."""
    for key in keys:
        await page.locator(f'#k-kbd [data-skbtn="{key}"]').tap()
