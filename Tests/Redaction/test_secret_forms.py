"""Recall and precision of the masking on the corpus of secret forms (secret_forms.py): every planted secret, in
every form, is masked wherever a Mini-Agent log or a Claude Code transcript carries it, and at most 1 % of the
look-alikes are touched. The table by form is printed (pytest -s shows it) and written to the test's folder."""
import json
import os
import random
import subprocess
from collections import Counter, defaultdict

from agent_logs import write_logs
from secret_forms import FORMS, LOOK_ALIKES, instances, look_alike_instances
from stack import BINARY

SEED = int(os.environ.get("AGENTTAIL_SECRET_SEED", "20261202"))
PER_FORM = 3
LOOK_ALIKE_COUNT = 230


def strings(value, into: list) -> list:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            strings(item, into)
    elif isinstance(value, list):
        for item in value:
            strings(item, into)
    return into


def parsed_strings(*arguments) -> tuple[list, str]:
    """The strings of every row `agenttail parse` prints for the files, and its standard output."""
    result = subprocess.run([str(BINARY), "parse", *arguments], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found = []
    for line in result.stdout.splitlines():
        strings(json.loads(line), found)
    return found, result.stdout


def corpus(tmp_path):
    rng = random.Random(SEED)
    secrets = instances(rng, PER_FORM)
    looks = look_alike_instances(rng, LOOK_ALIKE_COUNT)
    texts = [(form.where, text) for form, text, _ in secrets] + [(kind.where, text) for kind, text in looks]
    rng.shuffle(texts)
    mini, claude = write_logs(tmp_path, texts, rng)
    return secrets, looks, mini, claude


def test_every_form_is_masked_and_look_alikes_stay(tmp_path):
    secrets, looks, mini, claude = corpus(tmp_path)
    assert len(secrets) >= 200 and len({form.name for form, _, _ in secrets}) >= 40
    assert len(looks) >= 200

    mini_strings, mini_out = parsed_strings(*sorted(map(str, mini.glob("*.log"))))
    claude_strings, claude_out = parsed_strings("--rules", "builtin:claude-code", *sorted(map(str, claude.glob("*.jsonl"))))
    values = mini_strings + claude_strings
    raw_input = "".join(path.read_text() for path in [*mini.glob("*.log"), *claude.glob("*.jsonl")])
    everything = "\n".join(values)

    planted = Counter()
    masked = Counter()
    missed = defaultdict(list)
    for form, text, secret in secrets:
        assert secret in raw_input or json.dumps(secret)[1:-1] in raw_input, f"{form.name}: not planted"
        planted[form.name] += 1
        if secret in everything:
            missed[form.name].append(text)
        else:
            masked[form.name] += 1

    touched = defaultdict(list)
    for kind, text in looks:
        if not any(text in value for value in values):
            touched[kind.name].append(text)

    true_positives = sum(masked.values())
    false_positives = sum(len(texts) for texts in touched.values())
    recall = true_positives / len(secrets)
    precision = true_positives / (true_positives + false_positives)
    lines = [f"{'form':<46} {'source':<58} planted masked recall"]
    for form in FORMS:
        lines.append(f"{form.name:<46} {form.source:<58} {planted[form.name]:>7} {masked[form.name]:>6} "
                     f"{masked[form.name] / planted[form.name]:>6.0%}")
    lines.append(f"{'all ' + str(len(planted)) + ' forms':<105} {len(secrets):>7} {true_positives:>6} {recall:>6.1%}")
    lines.append("")
    lines.append(f"{'look-alike':<46} {'kept':>5} {'masked':>6}")
    count = Counter(kind.name for kind, _ in looks)
    for kind in LOOK_ALIKES:
        lines.append(f"{kind.name:<46} {count[kind.name] - len(touched[kind.name]):>5} {len(touched[kind.name]):>6}")
    lines.append(f"look-alikes masked: {false_positives} of {len(looks)} ({false_positives / len(looks):.1%}); "
                 f"recall {recall:.1%}, precision {precision:.1%}")
    report = "\n".join(lines)
    print("\n" + report)
    (tmp_path / "report.txt").write_text(report)

    assert not missed, "secrets left unmasked:\n" + "\n".join(
        f"  {name}: {texts[0]!r}" for name, texts in missed.items())
    assert false_positives <= len(looks) // 100, "look-alikes masked:\n" + "\n".join(
        f"  {name}: {texts[0]!r}" for name, texts in touched.items())
