"""TrialChat's own YAML data files (lexicon, cues, examples, registry words), read as plain data."""

from __future__ import annotations

from pathlib import Path

import yaml

# libyaml's parser when PyYAML has it: the same safe constructor, five times faster on the files every
# start reads (about 0.2 s of a cold start with the pure-Python parser).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
