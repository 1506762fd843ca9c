"""run_playbook reads the real recap: counts come from Ansible, on a local play (no lab needed)."""

from __future__ import annotations

from pathlib import Path

from sovcloud_infra.hosts.runner import run_playbook

PLAY = """
- name: Two changes, one no-op, one failure on demand
  hosts: all
  gather_facts: false
  tasks:
    - name: Change one
      ansible.builtin.copy: {dest: "{{ target }}/a", content: "a", mode: "0600"}
    - name: Change two
      ansible.builtin.copy: {dest: "{{ target }}/b", content: "b", mode: "0600"}
    - name: No-op
      ansible.builtin.stat: {path: "{{ target }}"}
    - name: Fail on demand
      ansible.builtin.fail: {msg: "asked to fail"}
      when: fail | default(false) | bool
"""


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        f"all:\n  hosts:\n    local:\n      ansible_connection: local\n      target: {tmp_path}\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
    )
    return playbook, inventory


def test_counts_come_from_the_recap(tmp_path):
    playbook, inventory = _setup(tmp_path)
    first = run_playbook("local", str(playbook), inventory=inventory)
    assert first.succeeded
    assert (first.hosts["local"].ok, first.hosts["local"].changed) == (3, 2)
    assert first.hosts["local"].changed_tasks == ["Change one", "Change two"]
    second = run_playbook("local", str(playbook), inventory=inventory)
    assert second.succeeded and second.hosts["local"].changed == 0


def test_a_failed_task_is_reported_with_its_message(tmp_path):
    playbook, inventory = _setup(tmp_path)
    result = run_playbook("local", str(playbook), inventory=inventory, extravars={"fail": True})
    assert not result.succeeded
    assert result.hosts["local"].failed == 1
    assert result.hosts["local"].failures == ["Fail on demand: asked to fail"]


def test_check_mode_reports_without_changing(tmp_path):
    playbook, inventory = _setup(tmp_path)
    result = run_playbook("local", str(playbook), inventory=inventory, check=True)
    assert result.succeeded and result.hosts["local"].changed == 2
    assert not (tmp_path / "a").exists()
