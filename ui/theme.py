"""Page styling and the one script the chat needs; passed to launch() (Gradio 6 takes css/head there)."""

from __future__ import annotations

import gradio as gr


def make_theme() -> gr.themes.Base:
    """Gradio's default look with blue-700 primary buttons: its orange with white text is 2.8:1 (AA needs 4.5)."""
    return gr.themes.Default(primary_hue="blue").set(
        button_primary_background_fill="#1d4ed8", button_primary_background_fill_dark="#1d4ed8",
        button_primary_background_fill_hover="#1e3a8a", button_primary_background_fill_hover_dark="#1e3a8a",
        button_primary_text_color="#ffffff", button_primary_text_color_dark="#ffffff",
    )


# Colours are explicit pairs checked for WCAG AA contrast (4.5:1 or better) in light and dark themes;
# every custom surface has a `.dark` rule, so nothing stays white in dark mode.
CSS = """
/* Side padding shrinks on phones. Not in a media query: Gradio scopes those to elements inside .contain. */
.main.app { padding-left: clamp(.5rem, 2.5vw, 2rem) !important; padding-right: clamp(.5rem, 2.5vw, 2rem) !important; }
.tc-header h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
.tc-header p { margin: 0; }
#not-advice { margin: 0; padding: .4rem .75rem; border-radius: 6px; border-left: 4px solid #c2410c;
  background: #fff7ed; color: #7c2d12; font-weight: 600; font-size: .95em; }
.dark #not-advice { background: #431407; color: #fed7aa; border-left-color: #fb923c; }
.tc-user, .tc-answer p { margin: 0; overflow-wrap: anywhere; }
.tc-answer p.tc-text { line-height: 1.6; }
a.tc-cite { display: inline-block; min-width: 24px; min-height: 24px; margin: 0 .15em; padding: 0 .35em;
  border-radius: .35em; background: #1d4ed8; color: #ffffff !important; font-weight: 700; text-align: center;
  text-decoration: none; line-height: 24px; }
a.tc-cite:hover { background: #1e3a8a; }
.dark a.tc-cite { background: #93c5fd; color: #0f172a !important; }
.dark a.tc-cite:hover { background: #bfdbfe; }
a.tc-cite:focus-visible, .tc-source summary:focus-visible, .tc-sources > summary:focus-visible,
a.tc-trial-link:focus-visible, button.tc-copy:focus-visible, a.tc-tel:focus-visible {
  outline: 3px solid #f59e0b; outline-offset: 2px; }
details.tc-sources { margin-top: .6rem; }
details.tc-sources > summary { cursor: pointer; font-weight: 600; font-size: .95rem; min-height: 24px;
  color: #1e3a8a; }
.dark details.tc-sources > summary { color: #bfdbfe; }
details.tc-source { margin: .35rem 0; padding: .4rem .6rem; border: 1px solid #94a3b8; border-radius: 8px;
  background: #f8fafc; color: #0f172a; }
details.tc-source summary { cursor: pointer; font-weight: 600; color: #0f172a; min-height: 24px; }
details.tc-source .tc-n { color: #1d4ed8; }
details.tc-source blockquote { margin: .35rem 0 0; padding: 0 0 0 .6rem; border-left: 3px solid #1d4ed8;
  color: #0f172a; font-style: normal; }
.dark details.tc-source { background: #1e293b; border-color: #64748b; color: #f1f5f9; }
.dark details.tc-source summary, .dark details.tc-source blockquote { color: #f1f5f9; }
.dark details.tc-source .tc-n { color: #93c5fd; }
.dark details.tc-source blockquote { border-left-color: #93c5fd; }
.tc-source-links { margin: .35rem 0 0 !important; }
a.tc-trial-link { color: #1d4ed8; text-decoration: underline; display: inline-block; min-height: 24px;
  line-height: 24px; }
.dark a.tc-trial-link { color: #93c5fd; }
mark { background: #fde68a; color: #111827; padding: 0 .1em; border-radius: 2px; }
.dark mark { background: #fde047; color: #111827; }
.tc-tools { margin-top: .5rem !important; display: flex; gap: .5rem; align-items: center; }
button.tc-copy { min-height: 28px; padding: .1rem .6rem; border: 1px solid #475569; border-radius: 6px;
  background: #ffffff; color: #0f172a; font-size: .9em; cursor: pointer; }
button.tc-copy:hover { background: #e2e8f0; }
.dark button.tc-copy { background: #1e293b; color: #f1f5f9; border-color: #94a3b8; }
.tc-copied { font-size: .9em; }
/* The emergency reply: an alert, not an answer bubble. */
.tc-emergency { margin: 0; padding: .75rem 1rem; border: 2px solid #b91c1c; border-left-width: 8px;
  border-radius: 8px; background: #fef2f2; color: #7f1d1d; font-size: 1.05em; }
.tc-emergency p { margin: 0 0 .35rem !important; color: #7f1d1d; }
.tc-emergency-title { font-weight: 800; font-size: 1.15em; }
.tc-emergency-icon { font-size: 1.2em; }
.tc-emergency a.tc-tel { color: #991b1b; font-weight: 800; text-decoration: underline; display: inline-block;
  min-width: 24px; min-height: 24px; line-height: 24px; }
.dark .tc-emergency { background: #450a0a; border-color: #f87171; color: #fee2e2; }
.dark .tc-emergency p { color: #fee2e2; }
.dark .tc-emergency a.tc-tel { color: #fee2e2; }
/* No thumbs and no bubble chrome around the alert. */
#chatbot .message-row:has(.tc-emergency) + .message-buttons { display: none !important; }
/* The chat's own bin would clear the screen but not the conversation: "New chat" replaces it. */
#chatbot button[aria-label="Clear"] { display: none !important; }
/* Thumbs and suggestion buttons: targets of at least 24 px (WCAG 2.2). */
#chatbot button[aria-label="Like"], #chatbot button[aria-label="Dislike"] { min-width: 32px !important;
  min-height: 32px !important; }
#chatbot button[aria-label="Like"] svg, #chatbot button[aria-label="Dislike"] svg { width: 20px; height: 20px; }
.tc-typing { color: inherit; }
/* The chat takes the window's height less the header, tabs, note and question box: the question box
   and the start of the answer are on screen together. */
#chatbot { height: calc(100dvh - 24rem) !important; min-height: 18rem; }
/* Gradio dims chat text to 80% opacity; full opacity keeps text and [n] markers above 4.5:1 contrast. */
#chatbot .prose.chatbot.md { opacity: 1; }
#chatbot .placeholder-content { padding: 0 1rem; }
#chat-tools { align-items: center; }
#new-chat { align-self: center; height: auto !important; }
#new-chat-confirm { padding: .5rem .75rem; }
#new-chat-question { margin: 0 0 .4rem; font-weight: 600; }
.tc-entry dl, .tc-facts { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: .2rem .8rem;
  margin: .5rem 0; }
.tc-entry dt, .tc-facts dt { font-weight: 600; }
.tc-entry dd, .tc-facts dd { margin: 0; overflow-wrap: anywhere; }
.tc-medical { color: #475569; font-size: .92em; }
.dark .tc-medical { color: #cbd5e1; }
.tc-passage-card { margin: .5rem 0; padding: .4rem .7rem; border: 1px solid #94a3b8; border-radius: 8px;
  background: #f8fafc; color: #0f172a; }
.tc-passage-card h4 { margin: 0 0 .25rem; font-size: 1em; }
.tc-passage-card p { margin: 0; }
.dark .tc-passage-card { background: #1e293b; color: #f1f5f9; border-color: #64748b; }
.tc-origin { margin-top: .75rem; }
.tc-origin summary { cursor: pointer; }
.tc-table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
.tc-table caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.tc-table th, .tc-table td { border: 1px solid #94a3b8; padding: .3rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
.tc-trials tbody th { font-weight: 600; }
.tc-passage + .tc-passage { margin-top: .4rem; }
.tc-pass { color: #166534; font-weight: 700; }
.tc-fail, .tc-error { color: #991b1b; font-weight: 700; }
.dark .tc-pass { color: #86efac; }
.dark .tc-fail, .dark .tc-error { color: #fca5a5; }
.tc-quote { white-space: pre-wrap; overflow-wrap: anywhere; }
.tc-charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.tc-charts figure { margin: 0; max-width: 100%; flex: 1 1 20rem; }
.tc-charts img { max-width: 100%; height: auto; }
/* The selected tab's text is the accent colour, blue-500 (3.7:1 on white); darker in light mode, lighter in dark. */
button[role="tab"].selected { color: #1d4ed8; }
.dark button[role="tab"].selected { color: #93c5fd; }
/* The upload area's "- or -" is light grey (1.9:1); body text colour keeps it readable. */
#eval-file .or { color: var(--body-text-color); }
/* Staff review */
.tc-staff-header { display: flex; justify-content: space-between; align-items: flex-start; gap: 1rem; }
a.tc-logout { color: #1d4ed8; font-weight: 600; text-decoration: underline; padding: .25rem 0; min-height: 24px; }
.dark a.tc-logout { color: #93c5fd; }
kbd { border: 1px solid #64748b; border-radius: 4px; padding: 0 .3em; font-family: inherit; font-weight: 700;
  background: #f1f5f9; color: #0f172a; }
.dark kbd { background: #334155; color: #f1f5f9; border-color: #94a3b8; }
#verdict-box button { font-size: 1rem; font-weight: 700; min-height: 40px; }
.tc-guidance { margin: .25rem .75rem; padding-left: 1rem; font-size: .92em; }
.tc-guidance li { margin: .1rem 0; }
.tc-convo { padding-left: 1.2rem; }
.tc-convo li { margin: .3rem 0; }
.tc-convo div { display: block; margin: 0; }
.tc-convo strong { font-size: 1em; }
.tc-feedback.tc-disliked { color: #991b1b; font-weight: 700; }
.dark .tc-feedback.tc-disliked { color: #fca5a5; }
.tc-retrieved { margin: .5rem 0; }
.tc-retrieved summary { cursor: pointer; font-weight: 600; }
@media (max-width: 480px) {
  /* Phones: the chat takes the screen's height, less the header, tabs, note and the question box. */
  #chatbot { height: calc(100dvh - 22rem) !important; min-height: 16rem !important; }
  .tc-header h1 { font-size: 1.2rem; margin: 0; }
  .tc-header p { display: none; }
  #not-advice { font-size: .85em; padding: .25rem .5rem; }
  .tc-entry dl, .tc-facts { grid-template-columns: 1fr; }
}
"""

# The chat sanitiser strips inline handlers, so one delegated listener does what the answer's
# controls need: a [n] chip opens its source, a trial link opens the Trials tab on that trial, the copy
# button copies the answer with its sources as text. Without script the chips are still links.
# After each answer the start of the answer is scrolled into view inside the chat (not its end).
HEAD = """<meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content">
<script>
(function () {
  function openSource(id) {
    var panel = id ? document.getElementById(id) : null;
    if (!panel) return false;
    var list = panel.closest ? panel.closest("details.tc-sources") : null;
    if (list) list.open = true;
    panel.open = true;
    panel.scrollIntoView({block: "nearest"});
    var summary = panel.querySelector("summary");
    if (summary) summary.focus({preventScroll: true});
    return true;
  }
  function openTrial(trialId) {
    var tab = Array.prototype.find.call(document.querySelectorAll("button[role=tab]"),
      function (b) { return b.textContent.trim() === "Trials"; });
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
    var tries = 0;
    (function fill() {
      var box = document.querySelector("#trial-open textarea, #trial-open input");
      if (!box) { if (tries++ < 50) setTimeout(fill, 100); return; }
      box.value = trialId + "|" + Date.now();
      box.dispatchEvent(new Event("input", {bubbles: true}));
      var detail = document.getElementById("trial-detail");
      if (detail) detail.scrollIntoView({block: "start"});
    })();
  }
  function copyAnswer(button) {
    var answer = button.closest(".tc-answer");
    if (!answer) return;
    var lines = [answer.querySelector(".tc-text").innerText.trim()];
    var sources = answer.querySelectorAll("details.tc-source");
    if (sources.length) lines.push("", "Sources:");
    sources.forEach(function (s) {
      var quote = s.querySelector("blockquote").textContent.trim();
      lines.push(s.querySelector("summary").textContent.trim() + ": " + quote);
    });
    var text = lines.join("\\n");
    var done = function () { var note = answer.querySelector(".tc-copied"); if (note) note.textContent = "Copied"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {});
    }
  }
  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target : null;
    if (!target) return;
    var link = target.closest("a.tc-cite");
    if (link && openSource((link.getAttribute("href") || "").slice(1))) { event.preventDefault(); return; }
    var trial = target.closest("a.tc-trial-link");
    // The trial id is in the href (#trial-ID): the chat's sanitiser drops data attributes.
    if (trial) { event.preventDefault(); openTrial((trial.getAttribute("href") || "").replace("#trial-", "")); return; }
    var copy = target.closest("button.tc-copy");
    if (copy) { event.preventDefault(); copyAnswer(copy); }
  });
  // Keep the newest answer's start in view: scroll the chat so the question just asked is at its top.
  var seen = 0;
  function scroller(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      var style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  }
  function keepAnswerInView() {
    var rows = document.querySelectorAll("#chatbot [data-testid=user]");
    if (rows.length === seen) return;
    if (rows.length < seen) { seen = rows.length; return; }
    seen = rows.length;
    var row = rows[rows.length - 1];
    var box = scroller(row);
    if (box) box.scrollTop += row.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
  }
  // Gradio lists the example questions in role="list" without listitems (axe: aria-required-children);
  // they are plain buttons in a group.
  function fixExamples() {
    document.querySelectorAll("#chatbot .examples[role=list]").forEach(function (el) {
      el.setAttribute("role", "group");
      el.setAttribute("aria-label", "Example questions");
    });
  }
  new MutationObserver(function () { keepAnswerInView(); fixExamples(); }).observe(document.documentElement,
    {subtree: true, childList: true});
})();
</script>"""
