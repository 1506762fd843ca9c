"""``up``, ``down`` and ``status`` of a lab: the public entry points.

``up`` creates, in order, the bridges, the mirror, then per host its netns,
veths, overlay rootfs and container, and waits until every host answers SSH.
Every resource is journaled in the state file before it is created, and
``down`` removes what the journal lists plus whatever a scan by name prefix,
link alias and path finds, so it also cleans up after a crash or a lost state
file. Both hold the lab's lock; ``status`` only reads.
"""

from __future__ import annotations

import time
from pathlib import Path

from .base_image import ensure_base_image
from .errors import HostBootError, HostBootTimeoutError, LabError
from .locking import file_lock
from .mirror import mirror_url
from .mirror import start as start_mirror
from .mirror import wait_ready as wait_mirror_ready
from .mounts import is_mounted, safe_rmtree, unmount
from .network import (
    add_nic,
    check_bridge_name_free,
    delete_link,
    delete_netns,
    ensure_bridge,
    ensure_netns,
    is_own_bridge,
    set_default_route,
)
from .nspawn import NSPAWN_RUNTIME_DIR, prepare_machine, start_host, stop_hosts
from .operator_key import OperatorKey, ensure_operator_key
from .paths import LabPaths, state_root
from .proc import ProcessRef, is_alive, iter_processes, kill_processes, stop_processes
from .progress import ProgressCallback, Reporter
from .rootfs import customize, mount_host_root
from .scan import (
    find_containers,
    find_links,
    find_mirror,
    find_netns,
    find_nspawn,
    find_ssh_masters,
    leftovers,
)
from .spec import (
    LabSpec,
    LabUser,
    bridge_by_name,
    gateway_ip,
    management_ip,
    spec_hash,
    spec_to_dict,
    validate,
)
from .ssh import SshTarget, close_masters, probe, write_known_hosts, write_ssh_config
from .state import HostRecord, LabState, StateStore, TrackedProcess
from .status import LabStatus, collect

DEFAULT_TIMEOUT = 120.0


def up(
    spec: LabSpec,
    progress: ProgressCallback | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> LabStatus:
    """Boot the lab described by ``spec`` and return once every host answers SSH.

    ``timeout`` bounds the wait for SSH (seconds), not the one-off base image
    build. Idempotent: on a lab already running with the same spec it only
    re-checks SSH; remains of a crashed run are removed first. A lab running
    with a *different* spec is refused (run ``down`` first).

    On failure the lab is left as it is for inspection; ``down(spec.name)``
    removes it. A host that does not answer raises :class:`HostBootTimeoutError`
    naming the host and its console log.
    """
    validate(spec)
    report = Reporter(progress)
    paths = LabPaths.for_lab(spec.name)
    base = ensure_base_image(progress)
    key = ensure_operator_key(spec.name)
    with file_lock(paths.lock_file):
        store = StateStore(paths.state_file)
        state = store.load()
        if state is not None and _any_alive(state):
            if state.spec_hash != spec_hash(spec):
                raise LabError(f"lab {spec.name!r} is running with a different spec; run `down` first")
            if _all_alive(state):
                report("up", f"lab {spec.name!r} is already running")
                _wait_ssh(paths, state, timeout, report)
                state.phase = "up"
                store.save(state)
                return collect(paths, state)
        if state is not None or leftovers(spec.name):
            report("up", "removing the remains of a previous run")
            _down_locked(paths, report)

        state = LabState(
            name=spec.name,
            spec_hash=spec_hash(spec),
            spec=spec_to_dict(spec),
            login_user=spec.users[0].name,
            mirror_url=mirror_url(gateway_ip(bridge_by_name(spec, spec.mirror_bridge))),
        )
        store.save(state)
        started = time.monotonic()
        with file_lock(_machine_lock()):
            _create(spec, paths, base=base.path, key=key, state=state, store=store, report=report)
        _wait_ssh(paths, state, timeout, report)
        state.phase = "up"
        store.save(state)
        report("up", f"lab {spec.name!r} up in {time.monotonic() - started:.1f}s")
        return collect(paths, state)


def down(name: str, progress: ProgressCallback | None = None) -> None:
    """Remove everything lab ``name`` made; idempotent, also after a crash.

    Keeps the operator key and the logs (console logs explain a failed boot).
    Raises :class:`LabError` listing anything it could not remove.
    """
    paths = LabPaths.for_lab(name)
    with file_lock(paths.lock_file):
        _down_locked(paths, Reporter(progress))


def status(name: str, check_ssh: bool = True) -> LabStatus:
    """The lab's state as recorded, with processes (and SSH) checked live."""
    paths = LabPaths.for_lab(name)
    return collect(paths, StateStore(paths.state_file).load(), check_ssh=check_ssh)


def _machine_lock() -> Path:
    """Lock shared by all labs around what they share on the machine (the nspawn tmpfs)."""
    return state_root() / ".machine.lock"


def _users_with_operator_key(spec: LabSpec, key: OperatorKey) -> tuple[LabUser, ...]:
    """users[0] is the operator account: the lab key is always authorized for it,
    so ``up`` can verify SSH and Ansible can log in without a personal key."""
    first = spec.users[0]
    if key.public_key not in first.pubkeys:
        first = LabUser(first.name, (*first.pubkeys, key.public_key), first.sudo)
    return (first, *spec.users[1:])


def _create(
    spec: LabSpec,
    paths: LabPaths,
    *,
    base: Path,
    key: OperatorKey,
    state: LabState,
    store: StateStore,
    report: Reporter,
) -> None:
    """Create every resource, journaling each one before it exists."""
    alias = paths.link_alias
    for d in (paths.hosts_dir, paths.logs_dir):
        d.mkdir(parents=True, exist_ok=True)

    prepare_machine()

    for bridge in spec.bridges:
        report("network", f"bridge {bridge.name} ({bridge.gateway_cidr})")
        check_bridge_name_free(bridge.name, alias)
        state.bridges.append(bridge.name)
        store.save(state)
        ensure_bridge(bridge, alias)

    mirror_ip = gateway_ip(bridge_by_name(spec, spec.mirror_bridge))
    report("mirror", f"apt-cacher-ng on {mirror_ip}:3142")
    ref = start_mirror(paths, mirror_ip)
    state.processes.append(TrackedProcess("mirror", "apt-cacher-ng", ref.pid, ref.starttime))
    store.save(state)
    wait_mirror_ready(ref, mirror_ip, paths.mirror_log)

    users = _users_with_operator_key(spec, key)
    etc_hosts = [(management_ip(h), h.hostname) for h in spec.hosts]
    targets = []
    total = len(spec.hosts)
    for index, host in enumerate(spec.hosts, start=1):
        hostname = host.hostname
        netns = paths.netns_name(hostname)
        root = paths.host_root(hostname)
        record = HostRecord(
            hostname=hostname,
            netns=netns,
            mgmt_ip=management_ip(host),
            root=str(root),
            console_log=str(paths.console_log(hostname)),
        )
        state.hosts.append(record)
        store.save(state)

        report("network", f"{hostname}: netns {netns}", index, total)
        ensure_netns(netns)
        for nic_index, nic in enumerate(host.nics):
            veth = paths.veth_name(hostname, nic_index)
            record.veths.append(veth)
            store.save(state)
            add_nic(netns, veth, nic, alias)
        if host.default_gateway is not None:
            set_default_route(netns, host.default_gateway)

        report("rootfs", f"{hostname}: overlay rootfs", index, total)
        state.mounts.append(str(root))
        store.save(state)
        mount_host_root(base, paths.host_upper(hostname), paths.host_work(hostname), root)
        identity = customize(root, hostname, etc_hosts, users, mirror_ip)
        addresses = tuple(n.address_cidr.split("/")[0] for n in host.nics if n.address_cidr is not None)
        targets.append(SshTarget(hostname, record.mgmt_ip, addresses, identity.host_public_keys))

        report("boot", f"{hostname}: starting systemd-nspawn", index, total)
        ref = start_host(root, netns, machine=netns, console_log=Path(record.console_log))
        state.processes.append(TrackedProcess("nspawn", hostname, ref.pid, ref.starttime))
        store.save(state)

    write_known_hosts(paths, targets)
    write_ssh_config(paths, targets, users[0].name)


def _nspawn_refs(state: LabState) -> list[ProcessRef]:
    return [p.ref for p in state.processes if p.role == "nspawn"]


def _any_alive(state: LabState) -> bool:
    return any(is_alive(p.ref) for p in state.processes)


def _all_alive(state: LabState) -> bool:
    hosts_alive = all((p := state.process("nspawn", h.hostname)) is not None and is_alive(p.ref) for h in state.hosts)
    mirror = state.process("mirror", "apt-cacher-ng")
    return bool(state.hosts) and hosts_alive and mirror is not None and is_alive(mirror.ref)


def _wait_ssh(paths: LabPaths, state: LabState, timeout: float, report: Reporter) -> None:
    """Poll every host with a real ``ssh ... true`` until all answer or time runs out.

    A container that exits is reported at once (no point waiting for the
    timeout); the error names the host and its console log.
    """
    deadline = time.monotonic() + timeout
    pending = {h.hostname: h for h in state.hosts}
    total = len(pending)
    while pending:
        for hostname, record in list(pending.items()):
            proc = state.process("nspawn", hostname)
            if proc is None or not is_alive(proc.ref):
                raise HostBootError(hostname, "stopped before it answered SSH", Path(record.console_log))
            if probe(paths, state.login_user, record.mgmt_ip):
                del pending[hostname]
                report("ssh", f"{hostname} answers SSH", total - len(pending), total)
        if not pending:
            return
        if time.monotonic() > deadline:
            hostname, record = next(iter(pending.items()))
            others = sorted(set(pending) - {hostname})
            extra = f" (nor did: {', '.join(others)})" if others else ""
            raise HostBootTimeoutError(
                hostname,
                f"did not answer SSH at {state.login_user}@{record.mgmt_ip} within {timeout:.0f}s{extra}",
                Path(record.console_log),
            )
        time.sleep(0.3)


def _dedupe(refs: list[ProcessRef]) -> list[ProcessRef]:
    return list({r.pid: r for r in refs}.values())


def _down_locked(paths: LabPaths, report: Reporter) -> None:
    store = StateStore(paths.state_file)
    state = store.load()
    hostnames = [h.hostname for h in state.hosts] if state else []
    report("down", f"removing lab {paths.name!r}")

    close_masters(paths, hostnames)
    procs = find_nspawn(paths) + find_mirror(paths)
    if state is not None:
        procs += [p.ref for p in state.processes]
    procs = _dedupe(procs)
    if procs:
        report("down", f"stopping {len(procs)} process(es)")
    stop_hosts(procs)
    orphans = find_containers(paths)  # containers whose nspawn was killed
    if orphans:
        report("down", f"killing {len(orphans)} process(es) of orphaned containers")
        kill_processes(orphans)
    stop_processes(find_ssh_masters(paths), timeout=2)

    mount_targets = [Path(m) for m in state.mounts] if state else []
    for target in mount_targets:
        unmount(target)

    netns = set(find_netns(paths))
    veths = set(find_links(paths, "veth"))
    bridges = set(find_links(paths, "bridge"))
    if state is not None:
        netns |= {h.netns for h in state.hosts}
        veths |= {v for h in state.hosts for v in h.veths}
        bridges |= {b for b in state.bridges if is_own_bridge(b, paths.link_alias)}
    report(
        "down",
        f"removing {len(netns)} netns, {len(veths)} veth(s), {len(bridges)} bridge(s)",
    )
    for name in sorted(netns):
        delete_netns(name)
    for name in sorted(veths):
        delete_link(name)
    for name in sorted(bridges):
        delete_link(name)

    # The tmpfs nspawn needs goes once no container of any lab uses it; the
    # machine lock keeps another lab's `up` from starting one meanwhile.
    with file_lock(_machine_lock()):
        if is_mounted(NSPAWN_RUNTIME_DIR) and not any(
            argv[0].endswith("systemd-nspawn") for _, argv in iter_processes()
        ):
            unmount(NSPAWN_RUNTIME_DIR)

    for directory in (paths.hosts_dir, paths.mirror_dir, paths.control_dir):
        safe_rmtree(directory)
    for path in (paths.ssh_config, paths.known_hosts):
        path.unlink(missing_ok=True)
    store.delete()

    left = leftovers(paths.name)
    if left:
        raise LabError(f"down could not remove everything of lab {paths.name!r}: {left}")
    report("down", f"lab {paths.name!r} removed")
