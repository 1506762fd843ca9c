"""Which tags a task carries, from its ``task_path`` (``file:line``), by reading the project's YAML.

ansible-runner's events name a task by ``task``, ``task_path``, ``resolved_action``
and ``role``, but not by its tags, and the control IDs live in the tags. So the
task files are read once, as YAML nodes with their line numbers (``task_path`` is
the line of the task's first key, which is where a YAML mapping node starts), and
each task gets its own tags plus the tags it inherits from enclosing blocks,
static imports (``import_tasks``, ``import_role``, a play's ``roles:`` entry) and
``include_tasks``/``include_role`` with ``apply: {tags: ...}``. A file imported from
several places inherits the union of their tags: an event does not say which
import ran it. Paths that cannot be resolved statically (templated file names)
contribute only the task's own tags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sovcloud_infra.stacks import PROJECT_ROOT

_IMPORT_TASKS = ("import_tasks", "include_tasks")
_IMPORT_ROLE = ("import_role", "include_role")
_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
_BLOCK_KEYS = ("block", "rescue", "always")


def _short(key: str) -> str:
    """``ansible.builtin.import_tasks`` -> ``import_tasks``."""
    return key.rsplit(".", 1)[-1]


def _tags(node: yaml.Node | None) -> set[str]:
    if isinstance(node, yaml.SequenceNode):
        return {str(item.value) for item in node.value if isinstance(item, yaml.ScalarNode)}
    if isinstance(node, yaml.ScalarNode) and node.value:
        return {t.strip() for t in str(node.value).split(",") if t.strip()}
    return set()


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


@dataclass
class TagIndex:
    """``path:line`` of every task in the project's playbooks and roles -> its effective tags."""

    root: Path = PROJECT_ROOT
    tasks: dict[str, set[str]] = field(default_factory=dict)
    _own: dict[Path, list[tuple[int, set[str]]]] = field(default_factory=lambda: defaultdict(list))
    _edges: dict[Path, list[tuple[Path, set[str]]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, root: Path = PROJECT_ROOT, playbooks: Iterable[Path] | None = None) -> TagIndex:
        index = cls(root=root.resolve())
        for playbook in playbooks if playbooks is not None else sorted((root / "playbooks").glob("*.yml")):
            index._read_playbook(playbook.resolve())
        for task_file in sorted(root.glob("roles/*/tasks/*.yml")) + sorted(root.glob("roles/*/handlers/*.yml")):
            index._read_task_file(task_file.resolve())
        index._resolve()
        return index

    def tags_of(self, task_path: str | None) -> set[str]:
        """The task's effective tags; empty when the path is unknown (a task outside the project)."""
        if not task_path:
            return set()
        path, _, line = task_path.rpartition(":")
        if not line.isdigit():
            return set()
        return self.tasks.get(f"{Path(path).resolve()}:{line}", set())

    # -- reading

    def _compose(self, path: Path) -> yaml.Node | None:
        try:
            return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (OSError, yaml.YAMLError):
            return None

    def _read_playbook(self, path: Path) -> None:
        if path in self._own:
            return
        self._own[path] = []
        root = self._compose(path)
        if not isinstance(root, yaml.SequenceNode):
            return
        for play in root.value:
            if not isinstance(play, yaml.MappingNode):
                continue
            keys = _mapping(play)
            play_tags = _tags(keys.get("tags"))
            if "import_playbook" in keys or "ansible.builtin.import_playbook" in keys:
                target = _scalar(keys.get("import_playbook") or keys.get("ansible.builtin.import_playbook"))
                if target and "{{" not in target:
                    self._read_playbook((path.parent / target).resolve())
                continue
            for key in _TASK_LISTS:
                node = keys.get(key)
                if isinstance(node, yaml.SequenceNode):
                    self._read_tasks(path, node, play_tags)
            roles = keys.get("roles")
            if isinstance(roles, yaml.SequenceNode):
                for entry in roles.value:
                    name, tags = _scalar(entry), set(play_tags)
                    if isinstance(entry, yaml.MappingNode):
                        entry_keys = _mapping(entry)
                        name = _scalar(entry_keys.get("role") or entry_keys.get("name"))
                        tags |= _tags(entry_keys.get("tags"))
                    if name:
                        self._link(path, self._role_file(name, "main"), tags)

    def _read_task_file(self, path: Path) -> None:
        if path in self._own:
            return
        self._own[path] = []
        root = self._compose(path)
        if isinstance(root, yaml.SequenceNode):
            self._read_tasks(path, root, set())

    def _read_tasks(self, path: Path, tasks: yaml.SequenceNode, inherited: set[str]) -> None:
        for task in tasks.value:
            if not isinstance(task, yaml.MappingNode):
                continue
            keys = _mapping(task)
            tags = inherited | _tags(keys.get("tags"))
            self._own[path].append((task.start_mark.line + 1, tags))
            blocks = [keys[k] for k in _BLOCK_KEYS if isinstance(keys.get(k), yaml.SequenceNode)]
            for block in blocks:
                self._read_tasks(path, block, tags)  # type: ignore[arg-type]
            for key, value in keys.items():
                action = _short(key)
                if action in _IMPORT_TASKS:
                    self._import_tasks(path, action, value, tags)
                elif action in _IMPORT_ROLE and isinstance(value, yaml.MappingNode):
                    args = _mapping(value)
                    name = _scalar(args.get("name"))
                    passed = tags if action == "import_role" else _tags(_apply_tags(args))
                    if name and "{{" not in name:
                        self._link(path, self._role_file(name, _scalar(args.get("tasks_from")) or "main"), passed)

    def _import_tasks(self, path: Path, action: str, value: yaml.Node, tags: set[str]) -> None:
        target, passed = _scalar(value), set(tags)
        if isinstance(value, yaml.MappingNode):
            args = _mapping(value)
            target = _scalar(args.get("file"))
            if action == "include_tasks":
                passed = _tags(_apply_tags(args))
        elif action == "include_tasks":
            passed = set()  # a dynamic include's tags apply to the include itself, not to its tasks
        if not target or "{{" in target:
            return
        candidates = [path.parent / target]
        if path.parent.name in ("tasks", "handlers"):
            candidates.append(path.parent.parent / "tasks" / target)
        for candidate in candidates:
            if candidate.is_file():
                self._link(path, candidate.resolve(), passed)
                return

    def _role_file(self, role: str, tasks_from: str) -> Path:
        name = tasks_from if tasks_from.endswith((".yml", ".yaml")) else f"{tasks_from}.yml"
        return (self.root / "roles" / role.rsplit(".", 1)[-1] / "tasks" / name).resolve()

    def _link(self, source: Path, target: Path, tags: set[str]) -> None:
        self._edges[target].append((source, set(tags)))
        if target.is_file():
            self._read_task_file(target)

    # -- inheritance

    def _inherited(self, path: Path, seen: frozenset[Path] = frozenset()) -> set[str]:
        """Tags every importer of `path` passes down (with their own inherited tags), union over importers."""
        result: set[str] = set()
        for source, tags in self._edges.get(path, []):
            result |= tags
            if source not in seen:
                result |= self._inherited(source, seen | {path})
        return result

    def _resolve(self) -> None:
        for path, tasks in self._own.items():
            inherited = self._inherited(path)
            for line, tags in tasks:
                self.tasks[f"{path}:{line}"] = tags | inherited


def _apply_tags(args: dict[str, yaml.Node]) -> yaml.Node | None:
    apply = args.get("apply")
    return _mapping(apply).get("tags") if isinstance(apply, yaml.MappingNode) else None
