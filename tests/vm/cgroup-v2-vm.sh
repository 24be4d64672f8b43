#!/usr/bin/env bash
# The cgroup v2 VM test: boots Debian's own kernel under qemu (TCG) with an initramfs holding
# busybox, the static skiff-runtime, the fixture rootfs, one bundle per check and the guest checks
# (guest-checks.sh), mounts a pure cgroup2 hierarchy with every controller enabled there, and runs the
# resource checks once in that one boot. The host here is hybrid, so this is where v2 controllers are
# exercised for real.
#
#   cgroup-v2-vm.sh --runtime BIN --rootfs DIR [--cache DIR] [--timeout SEC] [--keep]
#
# Exit status: 0 every guest check passed; 1 a check failed or the guest did not finish; 77 skipped
# (qemu or the kernel package cannot be had on this machine; the reason is printed).
# Environment: SKIFF_VM_CACHE (kernel cache, default /var/cache/skiff-vm), SKIFF_VM_TIMEOUT (seconds).
# shellcheck disable=SC2016 # jq programs are single-quoted: their $vars are jq's and the guest shell's
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime="" rootfs="" keep=0
cache=${SKIFF_VM_CACHE:-/var/cache/skiff-vm}
timeout_s=${SKIFF_VM_TIMEOUT:-300}
while (($#)); do
  case $1 in
    --runtime) runtime=$2; shift 2 ;;
    --rootfs) rootfs=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "cgroup-v2-vm: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x $runtime ]] || { echo "cgroup-v2-vm: --runtime $runtime is not an executable" >&2; exit 2; }
[[ -x $rootfs/bin/busybox ]] || { echo "cgroup-v2-vm: --rootfs $rootfs has no bin/busybox" >&2; exit 2; }

skip() { echo "SKIP: $*" >&2; exit 77; }
log() { echo "cgroup-v2-vm: $*" >&2; }

# The initramfs carries the fixture rootfs with its owners and its root-only directories.
((EUID == 0)) || skip "needs root (the initramfs copies the fixture rootfs with its owners)"

# ---- qemu ----
if ! command -v qemu-system-x86_64 >/dev/null; then
  if ((EUID == 0)) && command -v apt-get >/dev/null; then
    log "installing qemu-system-x86"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 >&2 ||
      skip "qemu-system-x86 cannot be installed (apt-get failed)"
  fi
  command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (Debian qemu-system-x86)"
fi
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || skip "busybox (busybox-static) is not installed"
command -v jq >/dev/null || skip "jq is not installed"

# ---- the kernel: Debian's, downloaded once into the cache and unpacked there (never installed) ----
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }' || true)
kdir=""
if [[ -n $kernel_pkg && -d $cache/$kernel_pkg/boot ]]; then
  kdir=$cache/$kernel_pkg
elif [[ -n $kernel_pkg ]] && mkdir -p "$cache" 2>/dev/null && [[ -w $cache ]]; then
  log "downloading $kernel_pkg into $cache"
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  if (cd "$tmp" && apt-get download "$kernel_pkg" >&2 2>/dev/null) && dpkg-deb -x "$tmp"/*.deb "$tmp/x"; then
    rm -f "$tmp"/*.deb
    # Complete or absent: the unpacked tree appears under its final name only once whole.
    mv -T "$tmp/x" "$cache/$kernel_pkg" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  [[ -d $cache/$kernel_pkg/boot ]] && kdir=$cache/$kernel_pkg
fi
if [[ -z $kdir ]]; then
  # No package index or no network: any kernel already cached will do.
  kdir=$(find "$cache" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -type d 2>/dev/null | sort | tail -1 || true)
fi
[[ -n $kdir ]] || skip "Debian's kernel package (${kernel_pkg:-linux-image-amd64}) cannot be downloaded into $cache"
vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -1)
kver=${vmlinuz##*/vmlinuz-}
# The emulated CPU takes ~30 s to unpack the xz-compressed bzImage; qemu boots the uncompressed ELF
# directly through its PVH entry (CONFIG_PVH). It is unpacked once, next to the package's files.
kernel=$kdir/vmlinux
if [[ ! -s $kernel ]]; then
  xz_at=$(grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1 || true)
  if [[ -n $xz_at ]] && tmp=$(mktemp "$kdir/.vmlinux.XXXXXX" 2>/dev/null); then
    # xz stops with an error at the bzImage's trailing bytes after the stream; the ELF is whole.
    tail -c +$((xz_at + 1)) "$vmlinuz" | xz -dc >"$tmp" 2>/dev/null || true
    if [[ $(head -c 4 "$tmp") == $'\x7fELF' ]]; then mv "$tmp" "$kernel"; else rm -f "$tmp"; fi
  fi
fi
[[ -s $kernel ]] || kernel=$vmlinuz
moddir=$kdir/lib/modules/$kver/kernel

# ---- the initramfs ----
work=$(mktemp -d /tmp/skiff-vm.XXXXXX)
cleanup() { if ((keep)); then log "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,run,tmp,newroot,etc,lib/modules,skiff/bundles}
cp "$busybox" "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh" # the init installs the other applets' links itself
cp "$here/guest-init.sh" "$ird/init"
cp "$here/guest-checks.sh" "$ird/skiff/checks.sh"
chmod 0755 "$ird/init" "$ird/skiff/checks.sh"
# brd gives io.max a block device to throttle (a module in Debian's kernel; it depends on nothing).
cp "$moddir/drivers/block/brd.ko" "$ird/lib/modules/"
# Without its debug info: every byte of the initramfs is copied by the emulated CPU at boot.
strip -o "$ird/skiff/skiff-runtime" "$runtime" 2>/dev/null || cp "$runtime" "$ird/skiff/skiff-runtime"
cp -a "$rootfs" "$ird/skiff/rootfs"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'skiff:x:1000:1000:skiff:/home/skiff:/bin/sh' >"$ird/etc/passwd"
printf '%s\n' 'root:x:0:' 'skiff:x:1000:' >"$ird/etc/group"

# One bundle per check, from our own `spec` (and `spec --rootless`), edited with jq. Every bundle
# shares the fixture rootfs, read-only.
base=$work/base
mkdir -p "$base/root" "$base/rootless"
(cd "$base/root" && "$runtime" spec)
(cd "$base/rootless" && "$runtime" spec --rootless)
bundle() { # NAME BASE JQ-FILTER [jq args...]
  local name=$1 from=$2 filter=$3
  shift 3
  mkdir -p "$ird/skiff/bundles/$name"
  jq "$@" '.root = {path: "/skiff/rootfs", readonly: true} | .process.terminal = false | '"$filter" \
    "$base/$from/config.json" >"$ird/skiff/bundles/$name/config.json"
}
mib=1048576
# The jq programs below are single-quoted on purpose: $m and $i belong to jq and to the guest's shell.
# memory.max 32 MiB, no swap; dd's 64 MiB buffer is touched as /dev/zero is read into it: OOM kill.
bundle oom root '.linux.resources = {memory: {limit: (32*$m), swap: (32*$m)}}
  | .process.args = ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd-exit=$?; sleep 1"]' \
  --argjson m $mib
# pids.max 10 and a fork loop of 40 sleepers.
bundle pids root '.linux.resources = {pids: {limit: 10}}
  | .process.args = ["sh", "-c", "(i=0; while [ $i -lt 40 ]; do sleep 600 & i=$((i+1)); done); exec sleep 600"]'
# cpu.max 10 ms per 100 ms and a busy loop, on CPU 1 only, 4 MiB of 2 MiB huge pages, v1-style weights
# converted for v2 (shares 512, blkio weight 500) and a memory reservation; also the target of update,
# pause and resume.
bundle cpu root '.linux.resources = {cpu: {quota: 10000, period: 100000, cpus: "1", shares: 512},
                                     memory: {limit: (256*$m), reservation: (64*$m)}, blockIO: {weight: 500},
                                     pids: {limit: 100}, hugepageLimits: [{pageSize: "2MB", limit: (4*$m)}]}
  | .process.args = ["sh", "-c", "while :; do :; done"]' --argjson m $mib
# io.max: 512 KiB/s of writes to /dev/ram0 (brd, 1:0), which the container gets as a device.
bundle io root '.linux.devices = [{path: "/dev/ram0", type: "b", major: 1, minor: 0, fileMode: 432}]
  | .linux.resources = {blockIO: {throttleWriteBpsDevice: [{major: 1, minor: 0, rate: 524288}]}}
  | .process.args = ["sh", "-c", "dd if=/dev/zero of=/dev/ram0 bs=64k count=32 oflag=direct 2>&1; echo dd-exit=$?"]'
# The BPF device program: /dev/ram0 and /dev/ram1 are bind-mounted in, but only reading 1:0 is allowed.
bundle devices root '.mounts += [{destination: "/dev/ram0", type: "bind", source: "/dev/ram0", options: ["bind"]},
                                 {destination: "/dev/ram1", type: "bind", source: "/dev/ram1", options: ["bind"]}]
  | .linux.resources = {devices: [{allow: false, access: "rwm"}, {allow: true, type: "b", major: 1, minor: 0, access: "r"}]}
  | .process.args = ["sh", "-c", "dd if=/dev/ram0 of=/dev/null bs=512 count=1 2>/dev/null && echo read-ram0=ok || echo read-ram0=denied; dd if=/dev/zero of=/dev/ram0 bs=512 count=1 2>/dev/null && echo write-ram0=ok || echo write-ram0=denied; dd if=/dev/ram1 of=/dev/null bs=512 count=1 2>/dev/null && echo read-ram1=ok || echo read-ram1=denied; echo null >/dev/null && echo write-null=ok"]'
# A quick container for create/delete cycles, with a limit in each controller that has one.
bundle cycle root '.linux.resources = {memory: {limit: (32*$m)}, pids: {limit: 10}, cpu: {quota: 50000}}
  | .process.args = ["true"]' --argjson m $mib
# A container whose processes live in a sub-cgroup of its own (as systemd or a nested runtime in it
# arranges things).
bundle nested root '.process.args = ["sleep", "600"]'
# Bad input: a limit out of range, a cgroupsPath climbing out with "..".
bundle badlimit root '.linux.resources = {memory: {limit: -5}} | .process.args = ["true"]'
bundle dotdot root '.linux.cgroupsPath = "/skiff/../escape" | .process.args = ["true"]'
# Rootless (uid 1000) in a subtree delegated to it, and in one that is not.
# `spec --rootless` ran as root here: map the guest's uid 1000 instead.
rootless_ids='.linux.uidMappings = [{containerID: 0, hostID: 1000, size: 1}]
  | .linux.gidMappings = [{containerID: 0, hostID: 1000, size: 1}]'
bundle rootless-deleg rootless "$rootless_ids"' | .linux.cgroupsPath = "/deleg/rl"
  | .linux.resources = {memory: {limit: (48*$m)}, pids: {limit: 20}}
  | .process.args = ["sleep", "600"]' --argjson m $mib
bundle rootless-partial rootless "$rootless_ids"' | .linux.cgroupsPath = "/deleg/partial/rl3"
  | .linux.resources = {memory: {limit: (48*$m)}, pids: {limit: 20}}
  | .process.args = ["true"]' --argjson m $mib
# No cgroupsPath: next to the caller's own (delegated) cgroup, as runc does.
bundle rootless-default rootless "$rootless_ids"' | .linux.resources = {pids: {limit: 25}}
  | .process.args = ["sleep", "600"]'
bundle rootless-nodeleg rootless "$rootless_ids"' | .linux.cgroupsPath = "/nodeleg/rl"
  | .linux.resources = {memory: {limit: (48*$m)}, pids: {limit: 20}}
  | .process.args = ["cat", "/proc/self/cgroup"]' --argjson m $mib

initrd=$work/initramfs.cpio
# Uncompressed: the guest's emulated CPU would spend seconds inflating it.
(cd "$ird" && find . | "$busybox" cpio -o -H newc >"$initrd" 2>/dev/null)
log "kernel $kver, initramfs $(($(stat -c %s "$initrd") / mib)) MiB; booting (timeout ${timeout_s}s)"

# ---- boot ----
console=$work/console.log
rc=0
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 -accel tcg -m 768 -smp 2 -nographic -no-reboot \
  -nodefaults -serial stdio -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off edd=off" </dev/null >"$console" 2>&1 || rc=$?
tr -d '\r' <"$console" | grep -E '^(PASS|FAIL|INFO|SKIFF-VM) ' || true
if ((rc == 124 || rc == 137)); then
  echo "FAIL: the guest did not finish within ${timeout_s}s; its console:" >&2
  tail -40 "$console" >&2
  exit 1
fi
summary=$(tr -d '\r' <"$console" | grep -E '^SKIFF-VM summary ' | tail -1 || true)
if [[ -z $summary ]]; then
  echo "FAIL: the guest ended (qemu exit $rc) without a summary; its console:" >&2
  tail -60 "$console" >&2
  exit 1
fi
passed=$(tr -d '\r' <"$console" | grep -c '^PASS ' || true)
failed=$(tr -d '\r' <"$console" | grep -c '^FAIL ' || true)
echo "cgroup v2 VM: $passed passed, $failed failed ($summary)"
((failed == 0 && passed > 0)) || exit 1
