"""Where Pulumi keeps a region's state and secrets must stay under the operator's control.

The state of a stack lists every resource of the region and its secrets are
encrypted with a key the secrets provider holds; a US-operated service (Pulumi
Cloud, Azure, Google, AWS KMS or plain Amazon S3) would put both under a
non-EU jurisdiction. Sovereign choices: ``file://``, ``s3://...?endpoint=``
on a self-operated or EU-operated S3-compatible store (Ceph RGW, MinIO),
``postgres://``; secrets with ``passphrase`` or a self-hosted ``hashivault://``.

`sovcloud validate` reports violations as `Problem`s at the line of the
project or stack file that declares them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from sovcloud_infra.model.problems import Location, Problem

BACKEND_HINT = (
    "use a self-managed backend in the EU: file://PATH, s3://BUCKET?endpoint=HOST&region=... on the "
    "operator's Ceph RGW or MinIO, or postgres://... (see docs/production.md)"
)
SECRETS_HINT = "use 'passphrase' (PULUMI_CONFIG_PASSPHRASE_FILE) or a self-hosted 'hashivault://KEY'"

_FOREIGN_SECRETS = {
    "default": "the Pulumi Cloud service",
    "service": "the Pulumi Cloud service",
    "awskms": "AWS KMS",
    "azurekeyvault": "Azure Key Vault",
    "gcpkms": "Google Cloud KMS",
}


def backend_verdict(url: str) -> str | None:
    """None when a state backend URL is sovereign, else why it is not."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("file", "postgres", "postgresql"):
        return None
    if scheme == "s3":
        endpoint = (parse_qs(parts.query).get("endpoint") or [""])[0]
        if not endpoint:
            return "s3:// without endpoint= stores the state in Amazon S3 (a US provider)"
        host = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").hostname or ""
        if host == "amazonaws.com" or host.endswith(".amazonaws.com"):
            return f"the S3 endpoint {host} is Amazon S3 (a US provider)"
        return None
    if scheme == "azblob":
        return "azblob:// stores the state in Azure Blob Storage (a US provider)"
    if scheme == "gs":
        return "gs:// stores the state in Google Cloud Storage (a US provider)"
    if scheme in ("http", "https"):
        host = parts.hostname or ""
        if host == "pulumi.com" or host.endswith(".pulumi.com"):
            return f"{host} is Pulumi Cloud (a US service)"
        return f"{url} is a Pulumi Cloud service endpoint, which cannot be shown to be self-operated"
    return f"unknown backend scheme {scheme or '(none)'}://"


def secrets_provider_verdict(provider: str) -> str | None:
    """None when a secrets provider is sovereign, else why it is not."""
    value = provider.strip()
    scheme = value.split("://", 1)[0].lower() if "://" in value else value.lower()
    if scheme in ("passphrase", "hashivault"):
        return None
    if scheme in _FOREIGN_SECRETS:
        return f"secrets provider '{value}' keeps the key in {_FOREIGN_SECRETS[scheme]}"
    return f"unknown secrets provider '{value}'"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _key_lines(path: Path) -> tuple[dict[str, object], dict[str, int]]:
    """A YAML mapping file's content and the 1-based line of each top-level (and ``backend.url``) key."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    node = yaml.compose(text)
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[str(key.value)] = key.start_mark.line + 1
            if isinstance(value, yaml.MappingNode):
                for sub_key, _ in value.value:
                    lines[f"{key.value}.{sub_key.value}"] = sub_key.start_mark.line + 1
    return (data if isinstance(data, dict) else {}), lines


def find_project(stack_dir: Path) -> Path | None:
    """The Pulumi project file of a stack directory (``<project>/stacks/<stack>``), if there is one."""
    for candidate in (stack_dir.parent, stack_dir.parent.parent):
        for name in ("Pulumi.yaml", "Pulumi.yml"):
            if (candidate / name).is_file():
                return candidate / name
    return None


def check_pulumi_settings(stack_dir: Path, env: Mapping[str, str] | None = None) -> list[Problem]:
    """Problems with where the stack's state and secrets would live (empty when sovereign or not declared)."""
    env = os.environ if env is None else env
    problems: list[Problem] = []
    backend_env = env.get("PULUMI_BACKEND_URL", "").strip()
    if backend_env and (why := backend_verdict(backend_env)):
        problems.append(
            Problem(
                "backend-not-sovereign", f"PULUMI_BACKEND_URL: {why}", Location("$PULUMI_BACKEND_URL"), BACKEND_HINT
            )
        )
    project_file = find_project(stack_dir.resolve())
    if project_file is None:
        return problems
    project, lines = _key_lines(project_file)
    backend = project.get("backend")
    url = backend.get("url") if isinstance(backend, dict) else None
    if url and (why := backend_verdict(str(url))):
        at = Location(_display(project_file), lines.get("backend.url", lines.get("backend", 0)))
        problems.append(Problem("backend-not-sovereign", f"backend.url: {why}", at, BACKEND_HINT))
    config_dir = project_file.parent / str(project.get("stackConfigDir") or ".")
    stack_file = config_dir / f"Pulumi.{stack_dir.name}.yaml"
    if not stack_file.is_file():
        return problems
    stack, stack_lines = _key_lines(stack_file)
    shown = _display(stack_file)
    provider = stack.get("secretsprovider")
    if provider and (why := secrets_provider_verdict(str(provider))):
        at = Location(shown, stack_lines.get("secretsprovider", 0))
        problems.append(Problem("secrets-provider-not-sovereign", why, at, SECRETS_HINT))
    if stack.get("environment"):
        problems.append(
            Problem(
                "esc-environment",
                "the stack imports Pulumi ESC environments, which live in Pulumi Cloud (a US service)",
                Location(shown, stack_lines.get("environment", 0)),
                "keep configuration in the stack file (secrets encrypted with the passphrase provider)",
            )
        )
    return problems
