"""The shape of a region description, as a person writes it under ``stacks/``.

These pydantic models check each file on its own: types, ranges, formats and
unknown keys (``extra="forbid"``, so a typo never passes silently). Everything
that needs more than one object at a time (references, uniqueness, address
plans, rack space) is checked afterwards in `sovcloud_infra.model.checks`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from sovcloud_infra.model.problems import Location

UNKNOWN_LOCATION = Location("?")

# --------------------------------------------------------------------------- #
# Scalar types
# --------------------------------------------------------------------------- #

_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_CONTROL_RE = re.compile(r"^(R\d{1,2}(\.[a-z0-9_]+)?|SSH-R\d{1,2}(\.[a-z0-9_]+)?|[a-z][a-z0-9_-]*)$")


def _name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid name: use 1-63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _mac(value: str) -> str:
    lowered = value.lower().replace("-", ":")
    if not _MAC_RE.match(lowered):
        raise ValueError(f"{value!r} is not a MAC address: write six hex pairs, e.g. 52:54:00:12:34:56")
    if int(lowered[:2], 16) & 1:
        raise ValueError(f"{value!r} is a multicast MAC address; a NIC needs a unicast one")
    return lowered


def _country(value: str) -> str:
    if not _COUNTRY_RE.match(value):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE)")
    return value


def _ipv4(value: Any) -> str:
    try:
        return str(ipaddress.IPv4Address(str(value)))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None


def _ipv4_network(value: Any) -> str:
    try:
        return str(ipaddress.IPv4Network(str(value), strict=True))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 network in CIDR form ({exc})") from None


Name = Annotated[str, AfterValidator(_name)]
Mac = Annotated[str, AfterValidator(_mac)]
Country = Annotated[str, AfterValidator(_country)]
IPv4 = Annotated[str, AfterValidator(_ipv4)]
IPv4Net = Annotated[str, AfterValidator(_ipv4_network)]
Vlan = Annotated[int, Field(ge=1, le=4094, description="802.1Q VLAN ID, 1-4094")]
Mtu = Annotated[int, Field(ge=576, le=9216)]

# EU member states plus the EEA (Iceland, Liechtenstein, Norway): the default
# set of jurisdictions where a sovereign region may place data.
EU_EEA = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "IS", "LI", "NO",
)  # fmt: skip


def _priv(obj: BaseModel, key: str) -> Any:
    """Read a private attribute directly: pydantic's ``__getattr__`` path is several times slower,
    and resolved references are read millions of times when validating a large region."""
    return obj.__pydantic_private__[key]  # type: ignore[index]


class Strict(BaseModel):
    """Base for every stack object: unknown keys are errors, and each object knows its source line."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=True)

    _at: Location | None = PrivateAttr(default=None)
    _key_lines: dict[str, int] | None = PrivateAttr(default=None)

    @property
    def at(self) -> Location:
        """Where this object is defined (file and line)."""
        return _priv(self, "_at") or UNKNOWN_LOCATION

    def field_at(self, name: str) -> Location:
        """Where one key of this object is written (the object's own line if the key is absent)."""
        at = self.at
        lines: dict[str, int] | None = _priv(self, "_key_lines")
        return Location(at.file, lines.get(name, at.line)) if lines else at


# --------------------------------------------------------------------------- #
# Region and services
# --------------------------------------------------------------------------- #


class LogCollector(Strict):
    """A central log collector receiving forwarded logs over TLS (SecNumCloud 12.6-12.7)."""

    host: str
    port: int = Field(default=6514, ge=1, le=65535)
    ca_file: str | None = Field(default=None, description="CA bundle path on the hosts")


class Services(Strict):
    """Internal services every host of the region depends on."""

    ntp_servers: list[str] = Field(default_factory=list, description="internal time sources (SecNumCloud 12.8)")
    dns_servers: list[IPv4] = Field(default_factory=list)
    package_mirror: str | None = Field(
        default=None, description="the operator's internal Debian mirror (ANSSI R59), e.g. http://mirror.example/debian"
    )
    security_mirror: str | None = None
    log_collectors: list[LogCollector] = Field(default_factory=list)


class ControlPlane(Strict):
    """The control plane's virtual addresses, held by one controller at a time through VRRP (keepalived)."""

    internal_vip: IPv4 = Field(description="internal API endpoint, on a management network")
    external_vip: IPv4 | None = Field(default=None, description="public API endpoint, on an external network")
    vrrp_router_id: int = Field(default=51, ge=1, le=255, description="VRRP virtual router ID, unique per L2 segment")


class RegionInfo(Strict):
    name: Name
    operator: str = Field(min_length=1)
    dns_domain: str = Field(min_length=3, description="zone for the region's infrastructure records")
    allowed_jurisdictions: list[Country] = Field(default_factory=lambda: list(EU_EEA), min_length=1)
    services: Services = Field(default_factory=Services)
    control_plane: ControlPlane | None = Field(default=None, description="VIPs of the controllers (keepalived)")


# --------------------------------------------------------------------------- #
# Sites
# --------------------------------------------------------------------------- #


class Datacenter(Strict):
    """A datacenter; each one is one OpenStack availability zone."""

    name: Name
    availability_zone: Name | None = Field(default=None, description="defaults to the datacenter name")
    city: str = Field(min_length=1)
    country: Country
    fire_zone: str = Field(min_length=1)
    power_domain: str | None = None

    @property
    def zone(self) -> str:
        return self.availability_zone or self.name


class Rack(Strict):
    name: Name
    datacenter: Name
    index: int = Field(
        ge=1,
        le=4096,
        description="stable rack number, unique in the region; address allocation derives from it",
    )
    height_u: int = Field(default=42, ge=1, le=64)
    power_budget_w: int = Field(ge=1)

    _datacenter: Datacenter | None = PrivateAttr(default=None)

    @property
    def dc(self) -> Datacenter:
        """The resolved datacenter this rack stands in."""
        dc: Datacenter | None = _priv(self, "_datacenter")
        assert dc is not None, "region not resolved"
        return dc


class CpuSpec(Strict):
    sockets: int = Field(ge=1, le=8)
    cores_per_socket: int = Field(ge=1, le=512)
    threads_per_core: int = Field(default=2, ge=1, le=8)

    @property
    def threads(self) -> int:
        return self.sockets * self.cores_per_socket * self.threads_per_core


class HardwareModel(Strict):
    """A server model: what pre-flight checks compare the real hardware against."""

    name: Name
    vendor: str = Field(min_length=1)
    height_u: int = Field(default=1, ge=1, le=16)
    power_w: int = Field(ge=1, description="planned (not nameplate) power draw, for rack budgets")
    cpu: CpuSpec
    ram_gib: int = Field(ge=1)


# --------------------------------------------------------------------------- #
# Networks
# --------------------------------------------------------------------------- #


class NetworkPurpose(StrEnum):
    management = "management"
    bmc = "bmc"
    storage = "storage"
    storage_replication = "storage-replication"
    tenant_overlay = "tenant-overlay"
    provider = "provider"
    external = "external"


# Networks that carry the operator's own traffic: never shared with tenants, never external.
INFRASTRUCTURE_PURPOSES = frozenset(
    {NetworkPurpose.management, NetworkPurpose.bmc, NetworkPurpose.storage, NetworkPurpose.storage_replication}
)


class AddressRange(Strict):
    start: IPv4
    end: IPv4

    @model_validator(mode="after")
    def _ordered(self) -> AddressRange:
        if ipaddress.IPv4Address(self.start) > ipaddress.IPv4Address(self.end):
            raise ValueError(f"range start {self.start} is after its end {self.end}")
        return self


class Network(Strict):
    name: Name
    purpose: NetworkPurpose
    vlan: Vlan | None = Field(default=None, description="none = untagged (flat) on its physical network")
    physical_network: Name
    cidr: IPv4Net
    gateway: IPv4 | None = None
    mtu: Mtu = 1500
    datacenter: Name | None = Field(default=None, description="scope: one datacenter; absent = whole region")
    host_range: AddressRange | None = Field(
        default=None,
        description="where host addresses are allocated; default: the network minus its first 16 addresses",
    )
    allocation_pools: list[AddressRange] = Field(
        default_factory=list, description="Neutron allocation pools (provider and external networks)"
    )
    shared: bool = False
    external: bool = False


# --------------------------------------------------------------------------- #
# Catalogue: storage tiers, hypervisor classes, flavors
# --------------------------------------------------------------------------- #


class Waiver(Strict):
    """A justified, owned and dated exception to a rule. Expired waivers fail validation."""

    justification: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date


class StorageQos(Strict):
    read_iops_sec: int | None = Field(default=None, ge=1)
    write_iops_sec: int | None = Field(default=None, ge=1)
    total_iops_sec: int | None = Field(default=None, ge=1)
    total_bytes_sec: int | None = Field(default=None, ge=1)


class StorageTier(Strict):
    """A Cinder volume type and the backend behind it."""

    name: Name
    backend: str = Field(min_length=1, description="Cinder volume_backend_name")
    encrypted: bool
    replication: int = Field(default=3, ge=1, le=8)
    qos: StorageQos | None = None
    public: bool = True
    encryption_waiver: Waiver | None = Field(default=None, description="required when encrypted is false")


class Hugepages(Strict):
    size: str = Field(default="1G", pattern=r"^(2M|1G)$")
    count: int = Field(default=0, ge=0)


class SmtPolicy(StrEnum):
    on = "on"
    off = "off"


class CpuPolicy(StrEnum):
    shared = "shared"
    dedicated = "dedicated"


class Flavor(Strict):
    """One flavor of a hypervisor class; its SCS-0100 name is derived, never written."""

    vcpus: int = Field(ge=1, le=512)
    ram_gib: int = Field(ge=1, le=4096)
    disk_gb: int | None = Field(default=None, ge=1, description="root disk; none = diskless (boot from volume)")
    disk_type: str | None = Field(default=None, pattern=r"^[nhsp]$", description="SCS disk type: n, h, s or p")


class HypervisorClass(Strict):
    name: Name
    cpu_vendor: str = Field(default="generic", pattern=r"^(intel|amd|arm|generic)$")
    cpu_allocation_ratio: float = Field(default=4.0, ge=1.0, le=16.0, description="vCPU overcommit")
    ram_allocation_ratio: float = Field(default=1.0, ge=0.5, le=2.0)
    cpu_policy: CpuPolicy = CpuPolicy.shared
    reserved_host_cpus: int = Field(default=2, ge=0, description="CPUs kept for the host, never pinned to guests")
    reserved_host_memory_mb: int = Field(default=8192, ge=0)
    hugepages: Hugepages = Field(default_factory=Hugepages)
    smt: SmtPolicy = SmtPolicy.on
    nested_virtualization: bool = False
    flavors: list[Flavor] = Field(default_factory=list)


# --------------------------------------------------------------------------- #
# Tenants and people
# --------------------------------------------------------------------------- #


class Quotas(Strict):
    instances: int = Field(default=10, ge=0)
    cores: int = Field(default=20, ge=0)
    ram_gib: int = Field(default=50, ge=0)
    volumes: int = Field(default=10, ge=0)
    volume_gb: int = Field(default=1000, ge=0)
    snapshots: int = Field(default=10, ge=0)
    networks: int = Field(default=10, ge=0)
    subnets: int = Field(default=10, ge=0)
    ports: int = Field(default=100, ge=0)
    routers: int = Field(default=2, ge=0)
    floating_ips: int = Field(default=5, ge=0)
    security_groups: int = Field(default=10, ge=0)
    security_group_rules: int = Field(default=100, ge=0)


class Tenant(Strict):
    name: Name
    description: str = ""
    quotas: Quotas = Field(default_factory=Quotas)
    storage_tiers: list[Name] = Field(default_factory=list, description="private tiers this tenant may use")


_SSH_KEY_RE = re.compile(
    r"^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$"
)


def _ssh_key(value: str) -> str:
    if not _SSH_KEY_RE.match(value.strip()):
        raise ValueError("not an OpenSSH public key line (e.g. 'ssh-ed25519 AAAA... user@host')")
    if value.startswith("ssh-rsa "):
        raise ValueError("RSA keys are not accepted (ANSSI SSH note): use ssh-ed25519 or ECDSA")
    return value.strip()


SshKey = Annotated[str, AfterValidator(_ssh_key)]
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def _username(value: str) -> str:
    if not _USER_RE.match(value):
        raise ValueError(f"{value!r} is not a valid Linux user name (lowercase, start with a letter, <= 32 chars)")
    return value


UserName = Annotated[str, AfterValidator(_username)]


class Member(Strict):
    """A named operator: one nominative account per person (SecNumCloud 9.5, ANSSI R33)."""

    name: UserName
    full_name: str = Field(min_length=1)
    ssh_keys: list[SshKey] = Field(min_length=1)
    lab_operator: bool = Field(default=False, description="the lab installs its generated key for this member")


class SreGroup(Strict):
    name: UserName
    sudo: bool = False
    openstack_roles: list[str] = Field(default_factory=list, description="roles on the operator's domain")
    members: list[Member] = Field(default_factory=list)


# --------------------------------------------------------------------------- #
# Hardening
# --------------------------------------------------------------------------- #


class HardeningLevel(StrEnum):
    minimal = "minimal"
    intermediary = "intermediary"
    enhanced = "enhanced"
    high = "high"


HOST_GROUPS = ("all", "controllers", "network_nodes", "hypervisors", "storage_nodes")


def _host_group(value: str) -> str:
    if value not in HOST_GROUPS:
        raise ValueError(f"{value!r} is not a host group; use one of: {', '.join(HOST_GROUPS)}")
    return value


HostGroup = Annotated[str, AfterValidator(_host_group)]


def _control_id(value: str) -> str:
    if not _CONTROL_RE.match(value):
        raise ValueError(f"{value!r} is not a control ID (e.g. R12.ip_forward, SSH-R4)")
    return value


ControlId = Annotated[str, AfterValidator(_control_id)]


class ControlWaiver(Waiver):
    control: ControlId
    host_group: HostGroup


class Hardening(Strict):
    default_level: HardeningLevel = HardeningLevel.intermediary
    levels: dict[HostGroup, HardeningLevel] = Field(default_factory=dict)
    waivers: list[ControlWaiver] = Field(default_factory=list)


# --------------------------------------------------------------------------- #
# Hosts
# --------------------------------------------------------------------------- #


class HostRole(StrEnum):
    controller = "controller"
    network = "network"
    hypervisor = "hypervisor"
    storage = "storage"


# The Ansible group of each role.
ROLE_GROUPS = {
    HostRole.controller: "controllers",
    HostRole.network: "network_nodes",
    HostRole.hypervisor: "hypervisors",
    HostRole.storage: "storage_nodes",
}


class Nic(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9]{0,14}$", description="kernel interface name, <= 15 chars")
    mac: Mac
    bond: str | None = None
    max_mtu: Mtu = Field(default=9000, description="largest MTU the NIC and its switch port carry")


class BondMode(StrEnum):
    lacp = "802.3ad"
    active_backup = "active-backup"


class Bond(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9]{0,14}$")
    mode: BondMode = BondMode.lacp


class Attachment(Strict):
    """The host's presence on a network: which interface carries it and with which address."""

    network: Name
    interface: str = Field(description="a NIC or bond of this host; VLAN tagging follows the network")
    address: IPv4 | None = Field(default=None, description="absent = allocated from the rack's position")

    _network: Network | None = PrivateAttr(default=None)
    _ip: ipaddress.IPv4Interface | None = PrivateAttr(default=None)

    @property
    def net(self) -> Network:
        """The resolved network."""
        net: Network | None = _priv(self, "_network")
        assert net is not None, "region not resolved"
        return net

    @property
    def resolved(self) -> bool:
        """True once the network reference has been resolved (false if it dangles)."""
        return _priv(self, "_network") is not None

    @property
    def ip(self) -> ipaddress.IPv4Interface:
        """The host's address on this network, explicit or allocated, with the network's prefix."""
        ip: ipaddress.IPv4Interface | None = _priv(self, "_ip")
        assert ip is not None, "region not resolved"
        return ip


class DiskPurpose(StrEnum):
    os = "os"
    osd = "osd"
    osd_db = "osd-db"
    ephemeral = "ephemeral"
    spare = "spare"


class Disk(Strict):
    device: str | None = Field(default=None, pattern=r"^/dev/[a-z0-9/_-]+$")
    serial: str | None = Field(default=None, min_length=1)
    size_gb: int = Field(ge=1)
    purpose: DiskPurpose

    @model_validator(mode="after")
    def _identified(self) -> Disk:
        if not self.device and not self.serial:
            raise ValueError("a disk needs a device path or a serial number (or both)")
        return self

    @property
    def ident(self) -> str:
        return self.serial or self.device or "?"


class Bmc(Strict):
    address: IPv4 | None = Field(default=None, description="absent = allocated on the datacenter's BMC network")
    mac: Mac | None = None


class Host(Strict):
    hostname: Name
    position_u: int = Field(ge=1, description="lowest rack unit the host occupies")
    height_u: int | None = Field(default=None, ge=1, le=16, description="defaults to the hardware model's height")
    roles: list[HostRole] = Field(min_length=1)
    hardware: Name
    hypervisor_class: Name | None = None
    bmc: Bmc = Field(default_factory=Bmc)
    nics: list[Nic] = Field(min_length=1)
    bonds: list[Bond] = Field(default_factory=list)
    networks: list[Attachment] = Field(min_length=1)
    disks: list[Disk] = Field(default_factory=list)

    _rack: Rack | None = PrivateAttr(default=None)
    _hardware: HardwareModel | None = PrivateAttr(default=None)
    _bmc_ip: ipaddress.IPv4Interface | None = PrivateAttr(default=None)

    @property
    def rack(self) -> Rack:
        rack: Rack | None = _priv(self, "_rack")
        assert rack is not None, "region not resolved"
        return rack

    @property
    def datacenter(self) -> Datacenter:
        return self.rack.dc

    @property
    def model(self) -> HardwareModel:
        model: HardwareModel | None = _priv(self, "_hardware")
        assert model is not None, "region not resolved"
        return model

    @property
    def has_model(self) -> bool:
        return _priv(self, "_hardware") is not None

    @property
    def units(self) -> int:
        """Rack units the host occupies."""
        if self.height_u is not None:
            return self.height_u
        model: HardwareModel | None = _priv(self, "_hardware")
        return model.height_u if model is not None else 1

    @property
    def bmc_ip(self) -> ipaddress.IPv4Interface | None:
        ip: ipaddress.IPv4Interface | None = _priv(self, "_bmc_ip")
        return ip

    @property
    def groups(self) -> list[str]:
        """The Ansible host groups of the host's roles."""
        return [ROLE_GROUPS[r] for r in self.roles]

    def attachment(self, purpose: NetworkPurpose) -> Attachment | None:
        """The host's first attachment to a network of `purpose`."""
        return next((a for a in self.networks if a.net.purpose == purpose), None)

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: list[HostRole]) -> list[HostRole]:
        if len(set(roles)) != len(roles):
            raise ValueError("a role is listed twice")
        return roles


# --------------------------------------------------------------------------- #
# Files
# --------------------------------------------------------------------------- #


class RackFile(Strict):
    """One rack and its hosts: one file under ``racks/`` (a new rack is a new file)."""

    rack: Rack
    hosts: list[Host] = Field(default_factory=list)


class RegionFile(Strict):
    """Any other file of a stack: each top-level section may appear in exactly one file."""

    region: RegionInfo | None = None
    datacenters: list[Datacenter] | None = None
    hardware_models: list[HardwareModel] | None = None
    networks: list[Network] | None = None
    storage_tiers: list[StorageTier] | None = None
    hypervisor_classes: list[HypervisorClass] | None = None
    tenants: list[Tenant] | None = None
    sre_groups: list[SreGroup] | None = None
    hardening: Hardening | None = None


SECTIONS = tuple(RegionFile.model_fields)
