#!/bin/sh
# PID 1 of the cgroup v2 VM (busybox sh). pivot_root(2) refuses the initramfs as `/`, so the first
# pass copies the initramfs into a tmpfs and switch_roots there; the second pass mounts a pure cgroup2
# hierarchy with every controller enabled, loads brd, runs the checks and powers off.
export PATH=/bin
[ -e /bin/mount ] || /bin/busybox --install -s /bin

if [ ! -e /.in-tmpfs ]; then
  mount -t devtmpfs dev /dev
  exec </dev/console >/dev/console 2>&1
  mount -t tmpfs -o mode=0755 root /newroot
  for e in /*; do
    case $e in /dev | /proc | /sys | /newroot) mkdir -p "/newroot$e" ;; *) cp -a "$e" /newroot/ ;; esac
  done
  touch /newroot/.in-tmpfs
  umount -l /dev # still open as our stdio
  exec switch_root /newroot /init
fi

mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
for c in cpu memory pids io cpuset hugetlb; do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "INFO cannot enable $c"
done
insmod /lib/modules/brd.ko rd_nr=2 rd_size=16384 || echo "INFO insmod brd failed"
ip link set lo up 2>/dev/null

echo "SKIFF-VM booted $(uname -r)"
/skiff/checks.sh
echo "SKIFF-VM done"
sync
poweroff -f
