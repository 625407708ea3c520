"""Small named errors; the CLI turns each into a one-line message that says the fix."""


class TrialChatError(Exception):
    """Base for errors a user can fix."""


class EntryError(TrialChatError):
    """A corpus file is not a valid trial entry."""

    def __init__(self, path, field: str, problem: str, fix: str):
        self.path, self.field, self.problem, self.fix = str(path), field, problem, fix
        super().__init__(f"{self.path}: field '{field}': {problem}. Fix: {fix}")


class DuplicateIdError(EntryError):
    """Two files hold the same trial id: both are named, and neither replaces what is stored."""

    def __init__(self, path, first, trial_id: str):
        self.trial_id, self.first = trial_id, str(first)
        super().__init__(path, "id", f"'{trial_id}' is also used by {first}; neither file's version of "
                         f"{trial_id} is stored", "give each trial one file: remove or rename one of the two")


class StoreError(TrialChatError):
    """The store is missing, unreadable, or was built with another embedding model."""


class StoreUnreachable(StoreError):
    """The Chroma server does not answer: the store may be fine, it just cannot be reached now."""
