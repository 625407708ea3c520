"""The README's example output is real: each `$ trialchat ask` block is re-run and compared."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from ingest.settings import PROJECT_ROOT
from ui.cli import main

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```console\n\$ (trialchat ask .*?)\n(.*?)```", README, re.S)


def test_readme_has_examples_and_two_setup_commands():
    assert len(BLOCKS) >= 2
    commands = re.search(r"## Two commands\n\n```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert [c.split("#")[0].strip() for c in commands] == ["bash scripts/run.sh", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_readme_examples_match_real_output(corpus_settings):
    for command, expected in BLOCKS:
        args = shlex.split(command)[1:]
        result = CliRunner().invoke(main, ["--home", str(corpus_settings.home), *args])
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == expected.strip(), command
