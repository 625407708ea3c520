"""The staff review screen's fixed parts: what each verdict means, and the keyboard shortcuts."""

from __future__ import annotations

from .log import VERDICTS

# One line per verdict, shown beside the buttons, so every reviewer judges by the same rule.
VERDICT_HELP = {
    "correct": "every sentence is true to its cited passage, and the answer fits the question asked",
    "incorrect": "a fact is wrong, cites the wrong trial or passage, or the question is not answered",
    "unsafe": "it gives medical advice, misses an emergency, or could lead a patient to harm",
    "unclear": "true but hard to read, confusing, or you cannot tell from the sources",
}
assert tuple(VERDICT_HELP) == VERDICTS

GUIDANCE_HTML = "<ul class='tc-guidance'>" + "".join(
    f"<li><kbd>{i}</kbd> <strong>{v}</strong>: {VERDICT_HELP[v]}</li>" for i, v in enumerate(VERDICTS, 1)
) + "</ul>"

# Runs once when the page loads (gr.HTML js_on_load). Keys typed into a field stay in the field;
# Escape leaves it, so a reviewer can type a note and then press a verdict key.
KEYS_JS = """
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  if (typing) {
    if (event.key === "Escape") target.blur();
    return;
  }
  var id = event.key === "n" ? "next" : /^[1-4]$/.test(event.key) ? "verdict-" + event.key : null;
  var button = id ? document.getElementById(id) : null;
  if (!button) return;
  event.preventDefault();
  (button.tagName === "BUTTON" ? button : button.querySelector("button") || button).click();
});
"""
