"""Render a stack offline: run the real Pulumi program under the SDK mock runtime, print JSON.

    python -m sovcloud_infra.cloud.render --root PROJECT --stack NAME [--stacks-dir DIR]

Always a subprocess, started by ``sovcloud plan`` (and the bench) with the
project root as working directory: Python caches modules, so a program
cannot run twice in one interpreter, and running from the root makes the
``sovcloud_infra`` of *that* checkout the one imported, which is how
``--against`` renders an older revision with its own code.

The output is one JSON document on stdout (``FORMAT`` below); an older
revision's renderer must keep producing it, so change it only by adding keys.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import yaml

FORMAT = 1


def _plain(value: Any) -> Any:
    """JSON-friendly inputs: integral floats (how the engine passes numbers) back to ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def project_settings(root: Path) -> tuple[str, Path]:
    """The project name and stack config directory from Pulumi.yaml."""
    data = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    return str(data.get("name", "project")), root / str(data.get("stackConfigDir") or ".")


def stack_config(config_dir: Path, stack: str) -> dict[str, str]:
    """The stack file's plain configuration, as the engine passes it (strings; objects as JSON)."""
    path = config_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config: dict[str, str] = {}
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            config[key] = "[secret]"  # never decrypted offline
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    return config


def render(root: Path, stack: str, stacks_dir: Path | None = None) -> dict[str, Any]:
    """Run the program at `root` for `stack` under mocks; the document ``sovcloud plan`` reads."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import pulumi
    from pulumi.runtime.settings import get_root_resource

    from sovcloud_infra.cloud import mocks

    project, config_dir = project_settings(root)
    monitor = mocks.install(project, stack)
    config = stack_config(config_dir, stack)
    config.setdefault(f"{project}:region", stack)
    if stacks_dir is not None:
        config[f"{project}:stacksDir"] = str(stacks_dir.resolve())
    pulumi.runtime.set_all_config(config)

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    os.chdir(root)
    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    root_resource = get_root_resource()
    outputs = dict(getattr(root_resource, "outputs", {}) or {})
    resources = sorted(monitor.registrations, key=lambda r: r.urn)
    import sovcloud_infra

    return {
        "format": FORMAT,
        "ok": True,
        "project": project,
        "stack": stack,
        "source": str(Path(sovcloud_infra.__file__).resolve().parent.parent),
        "outputs": _plain({k: v for k, v in outputs.items() if isinstance(v, str | int | float | list | dict)}),
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "protect": r.protect,
                "id": r.id,
                "inputs": _plain(r.inputs),
                "deps": r.deps,
            }
            for r in resources
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--stacks-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        document = render(args.root.resolve(), args.stack, args.stacks_dir)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as data, never as a traceback
        message = str(exc) if type(exc).__name__ == "RunError" else f"{type(exc).__name__}: {exc}"
        if os.environ.get("SOVCLOUD_DEBUG"):
            message += "\n" + traceback.format_exc()
        document = {"format": FORMAT, "ok": False, "stack": args.stack, "error": message}
    json.dump(document, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    # Skip interpreter teardown: the SDK's event loop and gRPC threads only add noise to stderr on exit.
    os._exit(main())
