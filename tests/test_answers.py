"""Answer content: ids, follow-ups, corpus-level questions, plain language, checked citations."""

import re

import pytest

from assistant.catalog import find_trial_ids
from assistant.corpus import _agree
from assistant.phrases import none_match

ALL_IDS = [
    "NCT06015737", "2023-504022-19-01", "NCT05835310", "NCT05138133", "NCT04877691",
    "NCT05917561", "NCT05383677", "2025-520918-64-00", "NCT05925803", "2025-523133-26-00",
]


def cited(answer) -> set[str]:
    return {c.trial_id for c in answer.citations}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tell me about nct 05138133", ["NCT05138133"]),
        ("NCT-05917561?", ["NCT05917561"]),
        ("2023 504022 19 01", ["2023-504022-19-01"]),
        ("is 2025-520918-64-00 open label", ["2025-520918-64-00"]),
        ("compare NCT05383677 and nct05925803", ["NCT05383677", "NCT05925803"]),
        ("no id here, just 336 people", []),
    ],
)
def test_trial_id_parsing(text, expected):
    assert find_trial_ids(text) == expected


@pytest.mark.parametrize("trial_id", ALL_IDS)
def test_every_id_goes_straight_to_its_trial(assistant, trial_id):
    spaced = trial_id.lower().replace("-", " ").replace("nct", "nct ")
    answer = assistant.answer(f"what is {spaced} about?")
    assert cited(answer) == {trial_id}
    assert answer.retrieved[0] == trial_id


@pytest.mark.parametrize(
    ("history", "question", "trial_id", "fact"),
    [
        (["tell me about the vitiligo study"], "how many people are in it?", "NCT05917561", "48"),
        (["is there a study for kids with lupus"], "what phase is that study?", "NCT05835310", "Phase 3"),
        (["how many people are in the kidney lupus study"], "what about the myositis one?", "2023-504022-19-01",
         "204"),
        (["which study is the biggest?"], "who can take part in it?", "NCT06015737", "adults"),
        (["tell me about the sjogrens study", "what phase is it?"], "is it finished?", "NCT05383677", "completed"),
        (["what's the scleroderma study", "how many people"], "does it include people with lung problems",
         "NCT05925803", "lung"),
    ],
)
def test_follow_ups_keep_the_trial_in_focus(assistant, history, question, trial_id, fact):
    answer = assistant.answer(question, history)
    assert cited(answer) == {trial_id}, answer.text
    assert fact in answer.text


def test_follow_up_moves_on_when_the_question_names_another_trial(assistant):
    answer = assistant.answer("and the APS one?", ["how many people are in the vitiligo study?"])
    assert cited(answer) == {"2025-520918-64-00"} and "20" in answer.text


def test_follow_up_from_gradio_messages(assistant):
    history = [
        {"role": "user", "content": [{"type": "text", "text": "tell me about the kidney lupus study"}]},
        {"role": "assistant", "content": "..."},
    ]
    answer = assistant.answer("how many people?", history)
    assert cited(answer) == {"NCT05138133"} and "336" in answer.text


CORPUS = [
    ("how many trials are there?", ALL_IDS, r"\b10\b"),
    ("which trials are phase 2?", ["NCT05917561", "NCT05383677", "2025-520918-64-00"], r"\b3 trials"),
    ("how many phase 3 studies?", ["NCT06015737", "2023-504022-19-01", "NCT05835310", "NCT05138133",
                                   "NCT05925803", "2025-523133-26-00"], r"\b6 trials"),
    ("which one is phase 4", ["NCT04877691"], r"Phase 4"),
    ("which study is the biggest?", ["NCT06015737"], r"\b604\b"),
    ("what is the smallest trial", ["2025-523133-26-00"], r"\b10 people"),
    ("which studies include children?", ["NCT05835310"], r"5 to under 18"),
    ("which trials use a placebo?", ["NCT06015737", "NCT05835310", "NCT04877691"], r"placebo"),
    ("what conditions are being studied?", ALL_IDS, r"vitiligo"),
    ("which trials are completed", ["NCT05383677"], r"completed"),
    ("which studies give the drug as a shot", ["NCT06015737", "NCT04877691"], r"subcutaneous"),
    ("which lupus trials are there?", ["NCT06015737", "NCT05835310", "NCT05138133", "NCT04877691",
                                       "2025-523133-26-00"], r"\b5 trials"),
]


@pytest.mark.parametrize(("question", "trials", "fact"), CORPUS)
def test_corpus_level_questions(assistant, question, trials, fact):
    answer = assistant.answer(question)
    assert answer.behavior == "answer"
    assert set(trials) <= cited(answer), answer.text
    assert re.search(fact, answer.text), answer.text


def test_placebo_list_keeps_the_sources_own_extra_listing_apart(assistant):
    answer = assistant.answer("which studies are placebo controlled?")
    lead, _, rest = answer.text.partition("The source also lists")
    assert "NCT05917561" not in lead and "NCT05917561" in rest


@pytest.mark.parametrize(
    ("question", "trial_id", "lead"),
    [
        ("is the vitiligo study for children?", "NCT05917561", "No"),
        ("is the sjogren's study finished?", "NCT05383677", "Yes"),
        ("does the skin lupus study NCT06015737 use a placebo?", "NCT06015737", "Yes"),
    ],
)
def test_yes_no_questions_lead_with_the_answer(assistant, question, trial_id, lead):
    answer = assistant.answer(question)
    assert answer.text.startswith(lead) and trial_id in cited(answer)


@pytest.mark.parametrize(
    ("question", "term", "explanation"),
    [
        ("what does the skin lupus study NCT06015737 measure", "CLASI-70", "standard skin score"),
        ("main outcome of the kidney lupus study", "complete renal response", "urine protein"),
        ("what is measured in the myositis trial", "TIS", "two visits"),
        ("what does the vitiligo study measure", "VASI", "Vitiligo Area Scoring Index"),
        ("what's BICLA", "BICLA", "several signs of improvement"),
    ],
)
def test_jargon_is_explained_with_the_entrys_words(assistant, question, term, explanation):
    answer = assistant.answer(question)
    assert term in answer.text and explanation in answer.text, answer.text


def test_every_cited_sentence_passed_the_support_check(assistant):
    for question in ["tell me about the kidney lupus study", "which trials are phase 3?", "what is CLASI-70?"]:
        answer = assistant.answer(question)
        assert answer.checks and all(check.supported for check in answer.checks if check.citations)


def test_a_sentence_repeated_from_the_same_source_is_said_once(assistant):
    from assistant.check import render
    from assistant.types import Claim

    first, second = (assistant.catalog.trials[t].nodes[0] for t in list(assistant.catalog.trials)[:2])
    basis = [node.get_content().split("\n")[0] for node in (first, second)]
    said = Claim("It says this.", [first.node_id], basis=basis[0])
    claims = [said, said, Claim("It says this.", [second.node_id], basis=basis[1]),
              Claim("Ask the study team."), Claim("Ask the study team.")]
    text, citations, _ = render(claims, assistant.catalog.by_id)
    # The same words from another trial's passage are another fact and stay.
    assert text.count("It says this") == 2 and text.count("Ask the study team") == 1
    assert [c.chunk_id for c in citations] == [first.node_id, second.node_id]


@pytest.mark.parametrize(("history", "question", "trials"), [
    # A phase names a trial where a name stands; asked of the trial in focus it is a question about it.
    ([], "tell me about the phase 4 trial please", ["NCT04877691"]),
    ([], "compare the lupus phase 4 study with the vitiligo one", ["NCT04877691", "NCT05917561"]),
    (["what is the vitiligo study about?"], "is that one phase 3 as well?", ["NCT05917561"]),
    # A size names a trial: "the 604 one".
    ([], "what does the 604 one measure?", ["NCT06015737"]),
    # A lay phrase of several words is one term: "skin hardening" is not any skin trial.
    ([], "who can join the trial for skin hardening?", ["NCT05925803"]),
])
def test_a_trial_is_named_by_its_phase_size_or_a_whole_lay_phrase(assistant, history, question, trials):
    answer = assistant.answer(question, history)
    assert sorted(answer.focus) == sorted(trials), answer.text


def test_counts_and_verbs_agree_in_set_answers():
    assert _agree(1, "in the entries match that") == "in the entries matches that"
    assert _agree(1, "are recruiting") == "is recruiting" and _agree(1, "include children") == "includes children"
    assert _agree(3, "in the entries match that") == "in the entries match that"
    assert none_match(1, narrowed=True) == "The one trial in the entries on that topic doesn't match that."
    assert none_match(4, narrowed=True).startswith("None of the 4 trials")


def test_the_lay_words_that_name_a_trial_ask_nothing_of_it(assistant):
    # "mouth" of "dry eyes and mouth" (Sjögren's) is not a question about how the drug is given.
    answer = assistant.answer("is there research on dry eyes and dry mouth")
    assert answer.focus == ["NCT05383677"], answer.text
    assert "how the drug is given" not in answer.text and answer.behavior == "answer"
