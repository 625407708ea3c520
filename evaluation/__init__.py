"""Scores the assistant against a question set: retrieval, citations, facts, behaviour, readability.

Entry points (imported from their modules so that importing this package stays cheap):
``dataset.load_question_set``, ``runner.run_eval``, ``report.render_html`` / ``report.write_html``.
"""
