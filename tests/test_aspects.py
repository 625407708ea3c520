"""Aspects of a record a question asks for: read from cues and from the nearest example phrasings."""

import pytest

from assistant.aspects import AspectReader
from assistant.synonyms import expand_parts


@pytest.fixture(scope="module")
def reader(assistant):
    return assistant.aspects


# Phrasings that are not in data/aspects.yaml; the reader must place them by similarity or cue.
ASKED = [
    ("what would make someone ineligible", "exclusion"),
    ("which medical centres take part", "location"),
    ("who's paying for this research", "sponsor"),
    ("is it for guys only", "sex"),
    ("can i sign up now or has it closed", "status"),
    ("what do the two groups get", "arms"),
    ("how much medicine per day", "dosing"),
    ("what are they tracking besides the main thing", "outcomes"),
    ("why was the trial withdrawn", "why_stopped"),
]


@pytest.mark.parametrize(("question", "aspect"), ASKED)
def test_new_phrasings_are_read_as_their_aspect(assistant, reader, question, aspect):
    vector = assistant.embed_model.get_query_embedding(question)
    assert aspect in reader.read(expand_parts(question)[0], vector)


@pytest.mark.parametrize("question", ["tell me about the study", "how many people are in it",
                                      "what is the kidney trial about", "side effects of the drug?"])
def test_questions_about_key_facts_ask_for_no_record_aspect(assistant, reader, question):
    vector = assistant.embed_model.get_query_embedding(question)
    assert reader.read(expand_parts(question)[0], vector) == []


def test_examples_are_embedded_once_and_cached_under_home(assistant, tmp_path):
    first = AspectReader(assistant.embed_model, tmp_path)
    first.warm()
    cached = list(tmp_path.glob("aspects-*.npy"))
    assert len(cached) == 1
    second = AspectReader(None, tmp_path)  # no model: the vectors can only come from the cache
    second._digest = first._digest
    second.warm()
    assert second.nearest(assistant.embed_model.get_query_embedding("where is it"))["location"] > 0.5


def test_every_aspect_but_general_names_a_record_section(reader):
    from ingest.passages import GROUP_ORDER

    for aspect in reader.aspects:
        assert set(aspect.sections) <= set(GROUP_ORDER), aspect.name
