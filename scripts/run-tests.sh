#!/usr/bin/env bash
# The whole test suite: the qemu VM tier runs beside everything else, because it spends its time in
# one emulated CPU (TCG) while the lab tests wait on Ansible; run one after the other, the two alone
# take most of CI's time budget. The VM tier's output is printed once it is done.
# Usage: scripts/run-tests.sh PYTHON [pytest args for the main run...]
set -u
python=$1
shift
vm_log=$(mktemp -t sovcloud-vm-tier.XXXXXX.log)
trap 'rm -f "$vm_log"' EXIT

"$python" -m pytest -p no:cacheprovider -m vm tests/vm >"$vm_log" 2>&1 &
vm_pid=$!
"$python" -m pytest -m "not vm" "$@"
main_rc=$?
wait "$vm_pid"
vm_rc=$?

echo
echo "=================================== VM tier (tests/vm) ==================================="
cat "$vm_log"
echo "main suite exit $main_rc, VM tier exit $vm_rc"
# pytest exits 5 when it collects nothing (e.g. -k that matches no VM test): not a failure.
[ "$vm_rc" -eq 5 ] && vm_rc=0
[ "$main_rc" -eq 0 ] && [ "$vm_rc" -eq 0 ]
