"""Hardening: private state files, credentials kept out of configuration files, TLS verified."""
import os
import stat
import subprocess

from stack import BINARY, LangfuseServer, PrivateCA, Workspace


def test_state_and_store_files_are_private_even_under_a_permissive_umask(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks="  # the local store only")
    workspace.add_fixtures()
    result = subprocess.run([str(BINARY), "run", "--once", "--config", str(workspace.config)], env=workspace.env,
                            capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, result.stderr
    files = [path for path in tmp_path.iterdir() if path.name.startswith(("state.sqlite", "events.sqlite"))]
    assert {path.name for path in files} >= {"state.sqlite", "events.sqlite"}
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} has mode {oct(mode)}"


def test_credential_written_in_the_config_file_is_refused_without_being_echoed(tmp_path, langfuse):
    workspace = Workspace(tmp_path, langfuse, sinks=langfuse.sinks())
    planted = "sk-lf-planted-in-the-file"
    workspace.config.write_text(workspace.config.read_text().replace("${LANGFUSE_SECRET_KEY}", planted))
    for command in ["run", "check"]:
        result = workspace.run(command, check=False)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"{workspace.config}:" in lines[0] and "sinks.langfuse.secret_key: refusing a credential" in lines[0]
        assert planted not in result.stderr + result.stdout
    # Allowed explicitly, an inline credential is used.
    inline = workspace.config.read_text().replace(planted, langfuse.secret_key)
    workspace.config.write_text("allow_inline_secrets: true\n" + inline)
    workspace.add_fixtures()
    workspace.run("run", "--once")
    assert len({o["id"] for o in langfuse.store()["observations"]}) == 4 + 9 + 8


def test_https_sink_trusts_only_verified_certificates(tmp_path):
    certificates = PrivateCA(tmp_path / "tls")
    server = LangfuseServer(tls=certificates)
    try:
        workspace = Workspace(tmp_path / "ws", server, sinks=server.sinks())
        workspace.add_fixtures()
        # The private CA is not among the system's roots: nothing is sent, the error says why.
        check = workspace.run("check", check=False)
        assert check.returncode == 1, check.stderr
        assert "TLS certificate is not trusted" in check.stderr and "ca_file" in check.stderr, check.stderr
        assert server.requests()["count"] == 0
        # With the CA configured, the same server is trusted.
        config = workspace.config.read_text()
        workspace.config.write_text(config.replace("    timeout: 2s", f"    timeout: 2s\n    ca_file: {certificates.ca_cert}"))
        assert "ok: Langfuse" in workspace.run("check").stdout
        workspace.run("run", "--once")
        assert len({o["id"] for o in server.store()["observations"]}) == 4 + 9 + 8
    finally:
        server.stop()
