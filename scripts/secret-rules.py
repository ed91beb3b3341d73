#!/usr/bin/env python3
"""Writes the provider secret formats agenttail masks into Sources/AgentTail/Resources/secrets/provider-rules.json.

The formats are the regular expressions of detect-secrets' regex plugins (Yelp's secret scanner, Apache-2.0),
read from the installed package rather than typed by hand. Each expression is parsed with Python's own regex parser
and written out again in a syntax that Python and ICU (NSRegularExpression) read alike, together with its trigger
words: literal strings one of which every match contains, so agenttail only runs a rule on text that holds one.

    scripts/secret-rules.py            # installs detect-secrets==VERSION when missing, rewrites the resource
    scripts/secret-rules.py --check    # exits 1 when the committed resource differs from what would be written
"""
import argparse
import importlib.metadata
import json
import re
import string
import subprocess
import sys
import warnings
from pathlib import Path

VERSION = "1.5.0"
OUTPUT = Path(__file__).resolve().parent.parent / "Sources/AgentTail/Resources/secrets/provider-rules.json"
# Plugins left out, and why.
EXCLUDED = {
    "IPPublicDetector": "a public IP address is an address, not a credential, and reports need it",
}

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as C
    import sre_parse


def ensure_detect_secrets():
    try:
        if importlib.metadata.version("detect-secrets") == VERSION:
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    f"detect-secrets=={VERSION}"], check=True)


# MARK: - Writing a parsed expression back out

CATEGORIES = {
    C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W",
}
ANCHORS = {
    C.AT_BEGINNING: "^", C.AT_END: "$", C.AT_BOUNDARY: r"\b", C.AT_NON_BOUNDARY: r"\B",
    C.AT_BEGINNING_STRING: r"\A", C.AT_END_STRING: r"\z",
}


def char(code: int, in_class: bool) -> str:
    c = chr(code)
    if c.isalnum() or c == "_":
        return c
    if 0x20 < code < 0x7F:
        return "\\" + c
    return f"\\u{code:04x}"


def write(pattern) -> str:
    return "".join(write_node(op, av) for op, av in pattern)


def write_node(op, av) -> str:
    if op is C.LITERAL:
        return char(av, False)
    if op is C.NOT_LITERAL:
        return "[^" + char(av, True) + "]"
    if op is C.ANY:
        return "."
    if op is C.IN:
        items = []
        negate = ""
        for item_op, item_av in av:
            if item_op is C.NEGATE:
                negate = "^"
            elif item_op is C.LITERAL:
                items.append(char(item_av, True))
            elif item_op is C.RANGE:
                items.append(char(item_av[0], True) + "-" + char(item_av[1], True))
            elif item_op is C.CATEGORY:
                items.append(CATEGORIES[item_av])
            else:
                raise ValueError(f"class item {item_op}")
        return "[" + negate + "".join(items) + "]"
    if op is C.CATEGORY:
        return CATEGORIES[av]
    if op is C.AT:
        return ANCHORS[av]
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, high, sub = av
        body = write(sub)
        if not (len(sub) == 1 and sub[0][0] in (C.LITERAL, C.IN, C.ANY, C.CATEGORY, C.SUBPATTERN)):
            body = "(?:" + body + ")"
        if high is C.MAXREPEAT:
            count = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
        elif (low, high) == (0, 1):
            count = "?"
        elif low == high:
            count = f"{{{low}}}"
        else:
            count = f"{{{low},{high}}}"
        return body + count + ("?" if op is C.MIN_REPEAT else "")
    if op is C.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise ValueError("inline flags inside a group")
        return ("(" if group is not None else "(?:") + write(sub) + ")"
    if op is C.BRANCH:
        return "(?:" + "|".join(write(branch) for branch in av[1]) + ")"
    if op in (C.ASSERT, C.ASSERT_NOT):
        direction, sub = av
        kind = ("=" if op is C.ASSERT else "!")
        return "(?" + ("<" if direction < 0 else "") + kind + write(sub) + ")"
    raise ValueError(f"regex construct {op}")


# MARK: - Trigger words

LIMIT = 64  # the most alternatives a trigger set may have


def class_chars(av):
    chars = set()
    for item_op, item_av in av:
        if item_op is C.LITERAL:
            chars.add(chr(item_av))
        elif item_op is C.RANGE and item_av[1] - item_av[0] < 16:
            chars.update(chr(c) for c in range(item_av[0], item_av[1] + 1))
        elif item_op is C.CATEGORY and item_av is C.CATEGORY_DIGIT:
            chars.update("0123456789")
        else:
            return None
    return chars if len(chars) <= 16 else None


def best(candidates):
    """The set of strings with the longest shortest member: the most selective trigger."""
    usable = [c for c in candidates if c and all(c)]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)))


def cross(left, right):
    if left is None or right is None or len(left) * len(right) > LIMIT:
        return None
    return {a + b for a in left for b in right}


class Info:
    """What a piece of an expression says about the text it matches: `exact`, the strings it matches when there are
    few; `prefixes` and `suffixes`, strings every match starts or ends with; `factors`, strings one of which every
    match contains. None where nothing is known."""

    def __init__(self, exact=None, prefixes=None, suffixes=None, factors=None):
        self.exact = exact
        self.prefixes = exact if exact is not None else prefixes
        self.suffixes = exact if exact is not None else suffixes
        self.factors = best([exact, factors])


def info(pattern) -> Info:
    exact = {""}  # what the nodes since the last unknown one match exactly
    prefixes = None
    candidates = []
    whole = True
    for op, av in pattern:
        node = node_info(op, av)
        candidates.append(node.factors)
        joined = cross(exact, node.exact)
        if joined is not None:
            exact = joined
            continue
        candidates.append(cross(exact, node.prefixes) or exact)
        if whole:
            prefixes = cross(exact, node.prefixes) or (exact if exact != {""} else None)
        whole = False
        exact = node.suffixes if node.suffixes is not None else {""}
    candidates.append(exact)
    if whole:
        return Info(exact=exact, factors=best(candidates))
    return Info(prefixes=prefixes, suffixes=exact if exact != {""} else None, factors=best(candidates))


def node_info(op, av) -> Info:
    if op is C.LITERAL:
        return Info(exact={chr(av)})
    if op is C.IN:
        chars = class_chars(av)
        return Info(exact=chars) if chars else Info()
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return Info(exact={""})
    if op is C.SUBPATTERN:
        return info(av[3])
    if op is C.BRANCH:
        branches = [info(branch) for branch in av[1]]

        def union(sets):
            if any(s is None for s in sets):
                return None
            joined = set().union(*sets)
            return joined if len(joined) <= LIMIT else None

        return Info(exact=union([b.exact for b in branches]), prefixes=union([b.prefixes for b in branches]),
                    suffixes=union([b.suffixes for b in branches]), factors=union([b.factors for b in branches]))
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, high, sub = av
        if low == 0:
            return Info(exact={""}) if high == 0 else Info()
        inner = info(sub)
        if inner.exact is not None and low == high:
            exact = {""}
            for _ in range(low):
                exact = cross(exact, inner.exact)
            if exact is not None:
                return Info(exact=exact)
        return Info(prefixes=inner.prefixes, suffixes=inner.suffixes, factors=inner.factors)
    return Info()


# MARK: - The shortest run of token characters every match holds

# Characters of keys, tokens and base64; a match's run of them lasts as long as nothing else comes between.
RUN_CLASS = set(string.ascii_letters + string.digits + "_-.+/=")


def in_class(op, av) -> bool:
    """True when everything the node can match is made of RUN_CLASS characters."""
    if op is C.LITERAL:
        return chr(av) in RUN_CLASS
    if op is C.IN:
        for item_op, item_av in av:
            if item_op is C.LITERAL and chr(item_av) in RUN_CLASS:
                continue
            if item_op is C.RANGE and all(chr(c) in RUN_CLASS for c in range(item_av[0], item_av[1] + 1)):
                continue
            if item_op is C.CATEGORY and item_av is C.CATEGORY_DIGIT:
                continue
            return False
        return True
    if op is C.CATEGORY:
        return av is C.CATEGORY_DIGIT
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return True
    if op is C.SUBPATTERN:
        return all(in_class(o, a) for o, a in av[3])
    if op is C.BRANCH:
        return all(all(in_class(o, a) for o, a in branch) for branch in av[1])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        return all(in_class(o, a) for o, a in av[2])
    return False


def min_width(op, av) -> int:
    return sre_parse.SubPattern(sre_parse.State(), [(op, av)]).getwidth()[0]


def min_run(pattern) -> int:
    """The length of a run of RUN_CLASS characters that every match of the sequence holds (a lower bound)."""
    best = current = 0
    for op, av in pattern:
        if in_class(op, av):
            current += min_width(op, av)
            continue
        best = max(best, current)
        current = 0
        if op is C.SUBPATTERN:
            best = max(best, min_run(av[3]))
        elif op is C.BRANCH:
            best = max(best, min(min_run(branch) for branch in av[1]))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            best = max(best, min_run(av[2]))
    return max(best, current)


# MARK: - The resource


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def rules():
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    out = []
    for secret_type, plugin in sorted(get_mapping_from_secret_type_to_class().items(), key=lambda kv: kv[1].__name__):
        if not issubclass(plugin, RegexBasedDetector) or plugin.__name__ in EXCLUDED:
            continue
        for index, regex in enumerate(plugin().denylist):
            case_insensitive = bool(regex.flags & re.IGNORECASE)
            flags = regex.flags & ~(re.UNICODE | re.IGNORECASE | re.VERBOSE)
            if flags:
                raise ValueError(f"{plugin.__name__}: flags {flags}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                parsed = sre_parse.parse(regex.pattern, regex.flags & re.VERBOSE)
            written = write(parsed)
            check = re.compile(written, re.IGNORECASE if case_insensitive else 0)
            triggers = sorted(info(parsed).factors or [])
            if case_insensitive:
                triggers = sorted({t.lower() for t in triggers})
            out.append({
                "name": slug(secret_type),
                "plugin": plugin.__name__,
                "index": index,
                "regex": written,
                "case_insensitive": case_insensitive,
                "groups": check.groups,
                "triggers": triggers,
                "min_run": min_run(parsed),
            })
    return out


def document():
    return {
        "source": f"detect-secrets {VERSION} (PyPI), the regex plugins' denylists",
        "license": "detect-secrets is Copyright (c) 2018 Yelp, Inc., under the Apache License 2.0",
        "generated_by": "scripts/secret-rules.py",
        "excluded": EXCLUDED,
        "rules": rules(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed resource instead of writing")
    arguments = parser.parse_args()
    ensure_detect_secrets()
    text = json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
    if arguments.check:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is not what scripts/secret-rules.py writes: run it and commit the result", file=sys.stderr)
            sys.exit(1)
        print(f"{OUTPUT.name}: up to date with detect-secrets {VERSION}")
        return
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {len(json.loads(text)['rules'])} rules to {OUTPUT}")


if __name__ == "__main__":
    main()
