"""Every fixed sentence the assistant says, in one place; tests import these constants."""

NOT_ADVICE_NOTE = "This is information about clinical trials, not medical advice."

NO_INFO = "The trial entries don't say that."
NO_INFO_WHO_KNOWS = "Your doctor or the study team may be able to tell you."
ONLY_TEAM_DECIDES = "Only the study team can decide who can take part; your doctor can help you ask them."
NO_MATCH = "The trial entries don't cover that. They describe {corpus}."  # corpus: Catalog.describe()
UNKNOWN_ID = "There is no trial entry with the id {trial_id}. Check the number, or ask me about the conditions studied."
NOT_STATED = {
    "status": "The entry does not say whether the {name} is still running, recruiting or finished.",
    "route": "The entry does not say how the drug is given in the {name}.",
    "timing": "The entry does not give the full length of the {name}.",
    "endpoint": "The entry does not name a main result for the {name}.",
    "size": "The entry does not give the number of people in the {name}.",
}
NO_INFO_TOPICS = {
    "cost": "what taking part costs or whether people are paid",
    "location": "where the studies take place",
    "results": "the results of the studies",
    "side_effects": "which side effects people had",
    "mechanism": "how the study treatment works in the body",
    "contact": "how to contact or sign up for a study",
    "dates": "when the studies start or end",
    "other_drugs": "anything about other medicines",
    "dosing": "the dose or how often the drug is given",
}

ADVICE = (
    "I can't give medical advice or tell you what to do about your own treatment. "
    "Please talk to your doctor or the study team: they know your health and can answer that safely."
)
ADVICE_CONTEXT = "Here is what the trial entries say that may help that talk."

EMERGENCY = (
    "This sounds like it could be an emergency. Call your local emergency number now (911 in the US, "
    "999 in the UK, 112 in the EU). If you have thoughts of harming yourself, call or text a crisis line "
    "now (988 in the US and Canada) or go to the nearest emergency department. "
    "If you are in a study, tell the study team as soon as you are safe."
)

OUT_OF_SCOPE = (
    "I can only answer questions about the clinical trials in these entries, "
    "such as who they are for, their size, phase and what they measure."
)

STORE_NOT_READY = (
    "TrialChat can't read its trial entries right now, so it can't answer. "
    "The people running this service need to run `trialchat ingest`. Please try again later."
)

STORE_UNREACHABLE = "TrialChat can't reach its trial entries right now, please try again in a few minutes."

SMALL_TALK = (
    "I'm here for questions about the clinical trials in these entries, for example: Which study is the biggest? "
    "This is information about trials, not medical advice."
)

EMPTY_QUESTION = "Please type a question about the trials, for example: Which study is the biggest?"
TOO_LONG = "Your question was very long, so I only read the first {limit} characters."

AMBIGUOUS_LEAD = "Several trials in the entries fit that."


def none_match(count: int, narrowed: bool = False) -> str:
    """No trial fits: of all the entries, or of those on the topic the question named."""
    if not narrowed:
        return f"None of the {count} trials in the entries matches that."
    if count == 1:
        return "The one trial in the entries on that topic doesn't match that."
    return f"None of the {count} trials in the entries on that topic matches that."
