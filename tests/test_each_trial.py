"""Each of the ten entries is found from a plain question that does not copy its wording."""

import pytest

QUESTIONS = [
    ("Is there a study for lupus rashes on the skin, the big one with hundreds of people?", "NCT06015737", "604"),
    ("what about the trial for muscle inflammation, how many are in it", "2023-504022-19-01", "204"),
    ("My son is 12 and has lupus, is there a trial for young people?", "NCT05835310", "5 to under 18"),
    ("how many patients in the kidney lupus trial", "NCT05138133", "336"),
    ("what phase is the study of shots for adults with SLE", "NCT04877691", "Phase 4"),
    ("tell me about the study for white patches on the skin", "NCT05917561", "48"),
    ("the dry mouth sjogrens one - is it finished?", "NCT05383677", "completed"),
    ("anything for people with antiphospholipid syndrome?", "2025-520918-64-00", "20"),
    ("Is there a scleroderma trial?", "NCT05925803", "306"),
    ("which study looks at gene activity in skin and blood samples?", "2025-523133-26-00", "blood"),
]


@pytest.mark.parametrize(("question", "trial_id", "fact"), QUESTIONS)
def test_plain_question_finds_and_cites_the_trial(assistant, question, trial_id, fact):
    answer = assistant.answer(question)
    cited = [c.trial_id for c in answer.citations]
    assert answer.behavior in ("answer", "advice")
    assert trial_id in cited, answer.text
    assert fact.lower() in answer.text.lower(), answer.text
