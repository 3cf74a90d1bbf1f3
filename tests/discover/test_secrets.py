"""Environment and header values hold API keys and tokens: no report ever carries them."""

from __future__ import annotations

import json
from pathlib import Path

from proctor.discover import discover_servers
from proctor.discover.entries import redact_url
from tests.discover.support import by_name, write

SECRETS = ("sk-live-ENVSECRET", "tok-HEADERSECRET", "QUERYSECRET", "PASSWORDSECRET")


def _write_secret_configs(home: Path) -> None:
    write(
        home / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "stdio": {
                    "command": "npx",
                    "args": ["-y", "server"],
                    "env": {"OPENAI_API_KEY": "sk-live-ENVSECRET", "DEBUG": "1"},
                },
                "remote": {
                    "url": "https://bob:PASSWORDSECRET@mcp.example.com:8443/mcp"
                    "?api_key=QUERYSECRET&mode",
                    "headers": {"Authorization": "Bearer tok-HEADERSECRET"},
                },
            }
        },
    )


def test_only_env_and_header_names_are_reported(tmp_path: Path) -> None:
    _write_secret_configs(tmp_path)
    servers = by_name(discover_servers(tmp_path, platform="linux"))
    assert servers["stdio"].env_keys == ("DEBUG", "OPENAI_API_KEY")
    assert servers["remote"].header_keys == ("Authorization",)
    assert servers["remote"].url == "https://bob:***@mcp.example.com:8443/mcp?api_key=***&mode"


def test_no_secret_appears_in_the_report_or_its_json(tmp_path: Path) -> None:
    _write_secret_configs(tmp_path)
    report = discover_servers(tmp_path, platform="linux")
    rendered = repr(report) + json.dumps(report.to_dict())
    for secret in SECRETS:
        assert secret not in rendered


def test_url_redaction_keeps_what_identifies_the_server() -> None:
    assert redact_url("https://mcp.example.com/mcp") == "https://mcp.example.com/mcp"
    assert redact_url("http://[::1]:9000/sse?t=x") == "http://[::1]:9000/sse?t=***"
    assert redact_url("https://user@h/p") == "https://user@h/p"
    assert redact_url("http://h:notaport/") == "***"
