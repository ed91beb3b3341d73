"""The provider rules agenttail ships are what scripts/secret-rules.py makes of detect-secrets at the recorded
version, and every rule still finds what its plugin finds."""
import json
import re
import subprocess
import sys

from stack import ROOT

RESOURCE = ROOT / "Sources" / "AgentTail" / "Resources" / "secrets" / "provider-rules.json"


def test_resource_is_the_scripts_output():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "secret-rules.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_each_rewritten_expression_matches_what_the_plugins_expression_matches():
    """The rewritten expressions are read by ICU in agenttail; here Python checks they mean what detect-secrets'
    own do, on samples of each plugin's format and on text that is not a secret."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins = {cls.__name__: cls for cls in get_mapping_from_secret_type_to_class().values()}
    document = json.loads(RESOURCE.read_text())
    samples = [
        "AKIAIOSFODNN7EXAMPLE", 'aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYxx"',
        "AccountKey=" + "a" * 86 + "==", "https://user:pass123@host.example.com", "ghp_" + "a1" * 18,
        "glpat-abcdefghijklmnopqrst", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "xoxb-1234-5678-abc",
        "sk_live_" + "a" * 24, "SG." + "a" * 22 + "." + "b" * 43, "123456789:" + "A" * 35, "SK" + "0" * 32,
        "//registry.npmjs.org/:_authToken=npm_abc", "BEGIN RSA PRIVATE KEY", "the key is to read", "plain text",
    ]
    for rule in document["rules"]:
        original = plugins[rule["plugin"]]().denylist[rule["index"]]
        flags = re.IGNORECASE if rule["case_insensitive"] else 0
        rewritten = re.compile(rule["regex"], flags)
        for sample in samples:
            assert [m.group(0) for m in original.finditer(sample)] == [m.group(0) for m in rewritten.finditer(sample)], \
                (rule["plugin"], sample)
            if original.search(sample):
                lowered = sample.lower() if rule["case_insensitive"] else sample
                assert any(trigger in lowered for trigger in rule["triggers"]), (rule["plugin"], sample)
