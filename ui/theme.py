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


# Colours are explicit pairs checked for WCAG AA contrast (4.5:1 or better) in light and dark themes.
CSS = """
/* Side padding shrinks on phones. Not in a media query: Gradio scopes those to elements inside .contain. */
.main.app { padding-left: clamp(.5rem, 2.5vw, 2rem) !important; padding-right: clamp(.5rem, 2.5vw, 2rem) !important; }
.tc-header h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
.tc-header p { margin: 0; }
#not-advice { margin: 0; padding: .5rem .75rem; border-radius: 6px; border-left: 4px solid #c2410c;
  background: #fff7ed; color: #7c2d12; font-weight: 600; }
#not-advice p { margin: 0; color: #7c2d12; }
.tc-user, .tc-answer p { margin: 0; overflow-wrap: anywhere; }
a.tc-cite { display: inline-block; min-width: 1.6em; margin: 0 .1em; padding: 0 .3em; border-radius: .35em;
  background: #1d4ed8; color: #ffffff !important; font-weight: 700; text-align: center; text-decoration: none;
  line-height: 1.5; }
a.tc-cite:hover { background: #1e3a8a; }
a.tc-cite:focus-visible, .tc-source summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.tc-sources { margin-top: .6rem; }
.tc-sources-title { font-weight: 600; font-size: .95em; margin: 0 0 .25rem !important; }
details.tc-source { margin: .35rem 0; padding: .4rem .6rem; border: 1px solid #94a3b8; border-radius: 8px;
  background: #f8fafc; color: #0f172a; }
details.tc-source summary { cursor: pointer; font-weight: 600; color: #0f172a; }
details.tc-source .tc-n { color: #1d4ed8; }
details.tc-source blockquote { margin: .35rem 0 0; padding: 0 0 0 .6rem; border-left: 3px solid #1d4ed8;
  color: #0f172a; font-style: normal; }
mark { background: #fde68a; color: #111827; padding: 0 .1em; border-radius: 2px; }
.tc-typing { color: inherit; }
#chatbot { min-height: 18rem; }
/* Gradio dims chat text to 80% opacity; full opacity keeps text and [n] markers above 4.5:1 contrast. */
#chatbot .prose.chatbot.md { opacity: 1; }
.tc-entry dl, .tc-facts { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: .2rem .8rem;
  margin: .5rem 0; }
.tc-entry dt, .tc-facts dt { font-weight: 600; }
.tc-entry dd, .tc-facts dd { margin: 0; overflow-wrap: anywhere; }
.tc-entry .tc-origin { padding: .5rem .75rem; border-left: 4px solid #1d4ed8; background: #eff6ff; color: #0f172a; }
.tc-table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
.tc-table caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.tc-table th, .tc-table td { border: 1px solid #94a3b8; padding: .3rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
.tc-passage + .tc-passage { margin-top: .4rem; }
.tc-pass { color: #166534; font-weight: 700; }
.tc-fail, .tc-error { color: #991b1b; font-weight: 700; }
.tc-quote { white-space: pre-wrap; overflow-wrap: anywhere; }
.tc-charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.tc-charts figure { margin: 0; max-width: 100%; flex: 1 1 20rem; }
.tc-charts img { max-width: 100%; height: auto; }
/* The selected tab's text is the accent colour, blue-500 (3.7:1 on white); darker in light mode, lighter in dark. */
button[role="tab"].selected { color: #1d4ed8; }
.dark button[role="tab"].selected { color: #93c5fd; }
/* The upload area's "- or -" is light grey (1.9:1); body text colour keeps it readable. */
#eval-file .or { color: var(--body-text-color); }
@media (max-width: 480px) {
  /* Phones: a shorter chat, so the note and the question box fit on screen. */
  #chatbot { height: 45vh !important; }
  .tc-header h1 { font-size: 1.3rem; }
  .tc-entry dl, .tc-facts { grid-template-columns: 1fr; }
}
"""

# Opening a source from its [n]: the chat sanitiser strips inline handlers, so one delegated listener
# does it. Without script the marker is still a link to the (collapsed) source under the answer.
HEAD = """<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a.tc-cite") : null;
  if (!link) return;
  var id = (link.getAttribute("href") || "").slice(1);
  var panel = id ? document.getElementById(id) : null;
  if (!panel) return;
  event.preventDefault();
  panel.open = true;
  panel.scrollIntoView({block: "nearest"});
  var summary = panel.querySelector("summary");
  if (summary) summary.focus({preventScroll: true});
});
</script>"""
