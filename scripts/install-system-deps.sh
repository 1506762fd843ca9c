#!/usr/bin/env bash
# Install the Debian packages the lab and the tests need, only if some are missing.
set -euo pipefail
packages=(make python3-venv systemd-container debootstrap apt-cacher-ng iproute2 openssh-client
          qemu-system-x86 qemu-utils e2fsprogs rsync git fdisk)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
