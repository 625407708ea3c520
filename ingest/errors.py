"""Small named errors; the CLI turns each into a one-line message that says the fix."""


class TrialChatError(Exception):
    """Base for errors a user can fix."""


class EntryError(TrialChatError):
    """A corpus file is not a valid trial entry."""

    def __init__(self, path, field: str, problem: str, fix: str):
        self.path, self.field, self.problem, self.fix = str(path), field, problem, fix
        super().__init__(f"{self.path}: field '{field}': {problem}. Fix: {fix}")


class StoreError(TrialChatError):
    """The store is missing, unreadable, or was built with another embedding model."""


class StoreUnreachable(StoreError):
    """The Chroma server does not answer: the store may be fine, it just cannot be reached now."""
