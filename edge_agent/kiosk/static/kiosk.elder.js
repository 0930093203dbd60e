// Elder mode (长辈模式): a toggle in the top bar on every screen. Larger type, higher contrast,
// thicker outlines, and spoken prompts (Kiosk.speak) through the browser's speech synthesis
// when it has a voice for the language; without one the kiosk works exactly the same, silent.
// A clear (idle timeout, 退出) turns elder mode off for the next citizen.
"use strict";

(function () {
  const K = window.Kiosk;
  const body = document.body;

  function voiceFor(lang) {
    const synth = window.speechSynthesis;
    if (!synth || typeof synth.getVoices !== "function") return null;
    const want = lang === "en" ? "en" : "zh";
    return synth.getVoices().find((v) => (v.lang || "").toLowerCase().replace("_", "-").startsWith(want)) || null;
  }

  /** Say ``text`` (a string or {zh, en}) in elder mode when a voice exists; true if spoken. */
  function speak(text) {
    if (!body.classList.contains("elder")) return false;
    const voice = voiceFor(K.lang);
    if (!voice || typeof window.SpeechSynthesisUtterance !== "function") return false;
    const u = new window.SpeechSynthesisUtterance(K.t(text));
    u.voice = voice;
    u.lang = voice.lang;
    u.rate = 0.9;
    try {
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(u);
      return true;
    } catch (e) {
      return false; // speech is a help, never required
    }
  }

  function setElder(on) {
    body.classList.toggle("elder", on);
    document.documentElement.classList.toggle("elder", on); // rem units follow the root size
    const b = document.getElementById("k-elder");
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) speak({ zh: "已打开长辈模式。字更大，并有语音提示。", en: "Elder mode is on: larger text and spoken prompts." });
    else if (window.speechSynthesis && window.speechSynthesis.cancel) window.speechSynthesis.cancel();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const b = document.getElementById("k-elder");
    if (b) b.addEventListener("click", () => setElder(!body.classList.contains("elder")));
  });
  K.speak = speak;
  K.setElder = setElder;
  K.onClear(() => setElder(false));
  K.onShow(() => { if (body.classList.contains("elder")) speak(document.getElementById("k-title").textContent); });
})();
