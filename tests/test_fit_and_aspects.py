"""Questions that tell facts about a person, and the words that ask for a part of a record: on the
synthetic registry corpus, in phrasings no question set holds."""

from __future__ import annotations

import re

import pytest
from helpers import chat

from assistant.phrases import ONLY_TEAM_DECIDES


@pytest.mark.parametrize(("question", "trial_id", "rule"), [
    ("im 71, memory getting worse, i take warfarin for my heart. any alzheimers trials for me",
     "NCT09910025", "warfarin"),
    ("my wife is 45, on dialysis twice a week, any kidney trials she might fit", "NCT09910026", "Dialysis"),
])
def test_a_person_told_about_gets_the_rules_that_mention_it_and_no_verdict(registry_assistant, question,
                                                                           trial_id, rule):
    answer = registry_assistant.answer(question)
    assert answer.behavior == "answer" and trial_id in {c.trial_id for c in answer.citations}
    # The rule is quoted and cited to the criteria passage that holds it.
    assert rule in answer.text
    cited = [c for c in answer.citations if c.trial_id == trial_id]
    assert any(rule.lower() in registry_assistant.catalog.by_id[c.chunk_id].get_content().lower() for c in cited)
    assert ONLY_TEAM_DECIDES in answer.text
    assert not re.search(r"\b(yes|no), (you|she|he) (can|cannot)\b", answer.text, re.I)


def test_a_set_question_without_facts_about_a_person_gets_no_rules(registry_assistant):
    answer = registry_assistant.answer("are there any alzheimers trials")
    assert "NCT09910025" in answer.text and ONLY_TEAM_DECIDES not in answer.text


@pytest.mark.parametrize(("question", "wanted", "unwanted"), [
    # A word that asks ("checking") outweighs examples that are only near in topic (sites, status).
    ("the loopwell pump study, what are they checking", "main result", "sites"),
    # Words of a treatment's name ("nasal spray") ask nothing of the trial they name.
    ("the nasal spray migraine one, how old do you have to be", "18 to 60", "group"),
    ("who funded the renal denervation study", "Arcwave Medical", "Rules to join"),
])
def test_the_part_asked_for_is_the_part_answered(registry_assistant, question, wanted, unwanted):
    answer = registry_assistant.answer(question)
    assert wanted in answer.text and unwanted not in answer.text


def test_and_for_men_after_a_set_question_asks_the_whole_set_again(registry_assistant):
    women, men = chat(registry_assistant, "any studies just for women?", "what about for men?")
    assert {"NCT09910019", "NCT09910028"} <= set(women.focus)
    assert {"NCT09910020", "NCT09910032"} <= set(men.focus) and not set(men.focus) & set(women.focus)


def test_which_is_bigger_after_two_trials_compares_those_two(registry_assistant):
    *_, answer = chat(registry_assistant, "tell me about the VELOCITY-1 study", "and the TALON-2 study?",
                      "which one is bigger")
    assert set(answer.focus) == {"NCT09910001", "NCT09910002"}
    assert "480" in answer.text and "210" in answer.text and "bigger" in answer.text


def test_a_place_after_the_article_is_still_a_place(registry_assistant):
    *_, answer = chat(registry_assistant, "which trials are recruiting", "which of those are in the US")
    assert answer.focus and all(
        "United States" in registry_assistant.catalog.entry(t).model_dump_json() for t in answer.focus)


def test_a_topic_with_no_trial_at_the_place_says_where_its_trials_are(registry_assistant):
    answer = registry_assistant.answer("any sickle cell studies over in america?")
    assert "NCT09910033" in {c.trial_id for c in answer.citations}
    assert "Uganda" in answer.text and "United States" not in answer.text


def test_a_new_kind_of_constraint_after_a_set_is_not_the_set_asked_again(registry_assistant):
    # "the pill one" after a list picks from it; only the same kind ("for men" after "for women") re-asks.
    first, second = chat(registry_assistant, "any studies just for women?", "what about the pill one, who can't join")
    assert set(second.focus) <= set(first.focus)


def test_every_registry_status_is_stated_from_the_record(registry_assistant):
    from assistant.writer import trial_claims

    catalog = registry_assistant.catalog
    for trial_id, doc in catalog.trials.items():
        if doc.entry.overall_status:
            claims = trial_claims(doc, ["status"], "", compact=True)
            assert claims and all(c.sources for c in claims), (trial_id, doc.entry.overall_status, claims)


def test_a_sponsors_own_name_word_asks_for_its_trials(registry_assistant):
    answer = registry_assistant.answer("which trials does zenlith do")
    sponsored = {t for t, doc in registry_assistant.catalog.trials.items()
                 if doc.entry.sponsor == "Zenlith Oncology, Inc."}
    assert sponsored and set(answer.focus) == sponsored


def test_how_many_shots_asks_for_the_dosing_not_the_size(registry_assistant):
    answer = registry_assistant.answer("the rsv vaccine study for older people, how many shots do you get")
    assert "Single 0.5 mL" in answer.text or "single" in answer.text.lower()
    assert "plans to include" not in answer.text and "included" not in answer.text


@pytest.mark.parametrize(("text", "child"), [
    ("my niece is 12", True), ("she is 8 years old", True), ("hes 9", True),
    ("my hb is 9 and my ferritin is low", False), ("the pain score is 7", False),
])
def test_a_childs_age_is_a_persons_age_not_any_number(text, child):
    from assistant.synonyms import lay_matches

    assert any("children" in words for _, words in lay_matches(text)) is child


def test_the_advice_reply_carries_the_rules_that_mention_what_they_told(registry_assistant):
    answer = registry_assistant.answer("im 66 and i take warfarin, should i sign up for the alzheimers antibody study")
    assert answer.behavior == "advice" and "warfarin" in answer.text
    assert "NCT09910025" in {c.trial_id for c in answer.citations}


def test_how_was_the_medicine_given_after_a_trial_is_about_that_trial(registry_assistant):
    _, answer = chat(registry_assistant, "the sodium bicarbonate kidney study, why is it being done",
                     "how was the medicine given")
    assert answer.focus == ["NCT09910026"] and "by mouth" in answer.text


def test_and_the_other_one_asks_the_same_part_of_its_record(registry_assistant):
    first, second = chat(registry_assistant, "the rovatinib arthritis study, what are the study groups",
                         "and the orvaglutide one?")
    assert first.focus == ["NCT09910023"] and second.focus == ["NCT09910015"]
    assert 'group "' in first.text and 'group "' in second.text


@pytest.mark.parametrize(("question", "wanted", "unwanted"), [
    ("my dad has copd but he really hates taking pills. any study without medicine", "NCT09910010", "NCT09910009"),
    ("anything drug-free for diabetes?", "NCT09910014", "NCT09910015"),
])
def test_a_trial_without_drugs_is_a_trial_none_of_whose_treatments_is_a_drug(registry_assistant, question, wanted,
                                                                              unwanted):
    answer = registry_assistant.answer(question)
    cited = {c.trial_id for c in answer.citations}
    assert wanted in cited and unwanted not in cited
    # "pills" after "hates taking" asks for no pills, not for trials of pills.
    assert "by mouth" not in answer.text.lower()


def test_no_trial_on_the_topic_without_drugs_says_so_and_what_it_gives(registry_assistant):
    answer = registry_assistant.answer("i want to quit smoking but no meds, is there a study")
    assert answer.text.startswith("The one trial")
    # The drug it gives is shown, cited; no trial on another topic is offered instead.
    assert "Treatment (drug)" in answer.text
    assert {c.trial_id for c in answer.citations} == {"NCT09910018"}


def test_a_record_none_of_whose_groups_is_a_placebo_answers_no_and_names_its_groups(registry_assistant):
    answer = registry_assistant.answer("is there a placebo in the home exercise copd study")
    assert answer.text.startswith("No, the entry lists no placebo group")
    assert '"Centre-based pulmonary rehabilitation"' in answer.text
    assert answer.citations[0].section == "Groups and treatments"
    # A record whose comparator is a placebo gets the yes.
    assert registry_assistant.answer("is there a placebo in the orvaglutide study").text.startswith("Yes")


def test_a_place_in_an_off_topic_question_asks_for_no_trial(registry_assistant):
    assert registry_assistant.answer("whats the weather in calgary this weekend").behavior == "out_of_scope"
    # The place alone, in a chat about trials, asks which trials are there.
    assert "NCT09910010" in {c.trial_id for c in registry_assistant.answer("calgary?").citations}
