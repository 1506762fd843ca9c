"""The Pulumi state backend and secrets provider must be sovereign; `sovcloud validate` says where they are not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sovcloud_infra.policy.backend import backend_verdict, check_pulumi_settings, secrets_provider_verdict

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url",
    [
        "file://~/.pulumi-state",
        "file:///srv/pulumi",
        "s3://state?endpoint=rgw.ops.example.eu&region=eu-par-1&s3ForcePathStyle=true",
        "s3://state?endpoint=https://minio.internal:9000",
        "postgres://pulumi@db.internal/state",
    ],
)
def test_sovereign_backends(url: str):
    assert backend_verdict(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://api.pulumi.com", "Pulumi Cloud"),
        ("https://app.pulumi.com/acme", "Pulumi Cloud"),
        ("azblob://state", "Azure"),
        ("gs://state", "Google"),
        ("s3://state", "Amazon S3"),
        ("s3://state?endpoint=s3.eu-west-3.amazonaws.com", "Amazon S3"),
        ("https://pulumi.corp.example", "cannot be shown"),
        ("ftp://state", "unknown backend scheme"),
    ],
)
def test_foreign_backends(url: str, why: str):
    verdict = backend_verdict(url)
    assert verdict is not None and why in verdict


@pytest.mark.parametrize("provider", ["passphrase", "hashivault://sovcloud"])
def test_sovereign_secrets_providers(provider: str):
    assert secrets_provider_verdict(provider) is None


@pytest.mark.parametrize(
    "provider",
    ["default", "awskms://alias/x?region=eu-west-1", "azurekeyvault://v.vault.azure.net/keys/k", "gcpkms://projects/p"],
)
def test_foreign_secrets_providers(provider: str):
    assert secrets_provider_verdict(provider) is not None


def make_project(tmp_path: Path, project: str, stack_file: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(project, encoding="utf-8")
    (tmp_path / "stacks" / "lab").mkdir(parents=True)
    (tmp_path / "stacks" / "Pulumi.lab.yaml").write_text(stack_file, encoding="utf-8")
    return tmp_path / "stacks" / "lab"


def test_problems_point_at_the_declaring_line(tmp_path: Path):
    stack_dir = make_project(
        tmp_path,
        "name: sovcloud\nruntime: python\nstackConfigDir: stacks\nbackend:\n  url: azblob://state\n",
        "# comment\nsecretsprovider: awskms://alias/pulumi\nenvironment:\n  - prod\nconfig: {}\n",
    )
    problems = check_pulumi_settings(stack_dir, env={})
    found = {(p.code, Path(p.at.file).name, p.at.line) for p in problems}
    assert found == {
        ("backend-not-sovereign", "Pulumi.yaml", 5),
        ("secrets-provider-not-sovereign", "Pulumi.lab.yaml", 2),
        ("esc-environment", "Pulumi.lab.yaml", 3),
    }
    assert all(p.hint for p in problems)


def test_backend_from_the_environment_is_checked(tmp_path: Path):
    stack_dir = make_project(tmp_path, "name: sovcloud\nruntime: python\nstackConfigDir: stacks\n", "config: {}\n")
    problems = check_pulumi_settings(stack_dir, env={"PULUMI_BACKEND_URL": "https://api.pulumi.com"})
    assert [(p.code, p.at.file) for p in problems] == [("backend-not-sovereign", "$PULUMI_BACKEND_URL")]
    assert check_pulumi_settings(stack_dir, env={"PULUMI_BACKEND_URL": "file://~"}) == []


def test_the_repository_settings_are_sovereign():
    for stack in ("lab", "fr-par-1"):
        assert check_pulumi_settings(REPO / "stacks" / stack, env={}) == []


def test_a_stack_outside_a_pulumi_project_has_nothing_to_check(tmp_path: Path):
    (tmp_path / "region").mkdir()
    assert check_pulumi_settings(tmp_path / "region", env={}) == []


def sovcloud(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovcloud_infra", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def test_validate_refuses_a_foreign_secrets_provider_in_file_line_format(tmp_path: Path):
    shutil.copytree(REPO / "stacks" / "lab", tmp_path / "stacks" / "lab")
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks" / "Pulumi.lab.yaml").write_text(
        "secretsprovider: gcpkms://projects/p/keys/k\nconfig:\n  sovcloud:region: lab\n", encoding="utf-8"
    )
    result = sovcloud("validate", "lab", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "stacks/Pulumi.lab.yaml:1: error[secrets-provider-not-sovereign]" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_accepts_the_repository_stacks():
    result = sovcloud("validate", "lab", cwd=REPO, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
