"""Hide secret values in diffs and property values before they reach a report.

Ansible already censors the results of ``no_log`` tasks; this catches what a
task without ``no_log`` may still show: ``password = ...``, ``api_key: ...``,
PEM private keys, and dictionary values under a secret-looking key. It errs
on the side of hiding: a report is read by CI and chat bots, a secret must not.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"

# A key name that names a secret (``db_password``, ``SECRET_KEY``, ``api-token``, ``ssh_private_key``).
_SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|credential|api[_-]?key|private[_-]?key|access[_-]?key|[_-]key$|^key$)",
    re.IGNORECASE,
)
# ``name = value`` or ``name: value`` (optionally quoted name, optional leading export/whitespace).
_ASSIGNMENT = re.compile(r"""^(?P<head>\s*(?:export\s+)?["']?(?P<name>[\w.-]+)["']?\s*[:=]\s*)(?P<value>\S.*)$""")
# Space-separated configuration (``ldap_bind_password s3cret``): only for names that are clearly secrets.
_SPACED = re.compile(r"^(?P<head>\s*(?P<name>[\w.-]+)\s+)(?P<value>\S.*)$")
_SPACED_NAME = re.compile(r"(password|passwd|passphrase|secret|token)", re.IGNORECASE)
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def _redact_line(line: str) -> str:
    # Keep unified-diff markers (+, -, space) in front of the line they belong to.
    marker = line[:1] if line[:1] in "+- " and not line.startswith(("+++", "---")) else ""
    body = line[len(marker) :]
    match = _ASSIGNMENT.match(body)
    if match and is_secret_name(match["name"]) and match["value"].strip() not in ("", '""', "''"):
        return marker + match["head"] + REDACTED
    match = _SPACED.match(body)
    if match and _SPACED_NAME.search(match["name"]):
        return marker + match["head"] + REDACTED
    return line


def redact_text(text: str) -> str:
    """`text` with PEM private keys and secret-looking assignments replaced by <redacted>."""
    text = _PEM.sub(REDACTED, text)
    return "\n".join(_redact_line(line) for line in text.split("\n"))


def redact_value(value: Any, name: str = "") -> Any:
    """A JSON-like value with every value under a secret-looking key (and secret text) redacted."""
    if name and is_secret_name(name) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, name) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
