#!/bin/sh
# The checks the cgroup v2 VM runs (busybox sh, as root, pure cgroup2 at /sys/fs/cgroup with every
# controller enabled). One line per check, `PASS name` or `FAIL name: why`, then
# `SKIFF-VM summary pass=N fail=M`, which cgroup-v2-vm.sh parses on the host.
# Containers use the default cgroupsPath, /skiff/<id>; bundles are under /skiff/bundles.
export PATH=/bin
R=/skiff/skiff-runtime
B=/skiff/bundles
CG=/sys/fs/cgroup
npass=0
nfail=0

# section NAME: a marker with the guest's uptime, so a slow part shows in the console.
section() { echo "INFO $(cut -d' ' -f1 /proc/uptime)s: $1"; }
pass() { echo "PASS $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
# check NAME WHY-IF-NOT CMD...: CMD's success is the check.
check() {
  name=$1 why=$2
  shift 2
  if [ $# = 0 ]; then
    fail "$name" "the check has no command (a bug in this script)"
  elif "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
# wait_for TENTHS CMD...: polls CMD every 0.1 s for at most TENTHS tenths of a second.
wait_for() {
  n=$1
  shift
  while [ "$n" -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    n=$((n - 1))
  done
  "$@"
}
val() { tr '\n' ' ' <"$1" 2>/dev/null | sed 's/ *$//'; }
key() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }
ge() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
between() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; } # N LO HI
one_line_error() { [ "$1" != 0 ] && [ "$(wc -l <"$2")" = 1 ]; }     # EXIT-STATUS STDERR-FILE
key_ge() { ge "$(key "$1" "$2")" "$3"; } # FILE KEY N: the keyed value is read anew on every call
status() { $R state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
is_status() { [ "$(status "$1")" = "$2" ]; }
procs_at_most() { [ "$(wc -l <"$1/cgroup.procs")" -le "$2" ]; }
procs_empty() { [ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }
gone() { [ ! -e "$1" ]; }
dead() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; } # gone or a zombie
# start_container ID: create + start in the background; the container's stdout/stderr go to /tmp/ID.out.
start_container() {
  if ! $R create --bundle "$B/$1" "$1" >"/tmp/$1.out" 2>&1 </dev/null; then
    fail "$1-create" "$(tail -1 "/tmp/$1.out")"
    return 1
  fi
  $R start "$1" 2>>"/tmp/$1.out" || {
    fail "$1-start" "$(tail -1 "/tmp/$1.out")"
    return 1
  }
}
remove_container() { # ID: delete --force, and the cgroup must be gone
  $R delete --force "$1" 2>"/tmp/$1.delete" || fail "$1-delete" "$(cat "/tmp/$1.delete")"
  check "$1-delete-removes-cgroup" "$CG/skiff/$1 still exists" gone "$CG/skiff/$1"
}

check v2-controllers "root subtree_control is '$(val $CG/cgroup.subtree_control)'" \
  [ "$(tr ' ' '\n' <$CG/cgroup.subtree_control | sort | tr '\n' ' ')" = "cpu cpuset hugetlb io memory pids " ]

# ---- memory.max and an OOM kill, counted in memory.events and reported by `events` ----
section oom
id=oom d=$CG/skiff/oom
if $R create --bundle $B/oom $id >/tmp/oom.out 2>&1 </dev/null; then
  check oom-memory-max "memory.max is $(val $d/memory.max)" [ "$(val $d/memory.max)" = 33554432 ]
  check oom-swap-max "memory.swap.max is $(val $d/memory.swap.max)" [ "$(val $d/memory.swap.max)" = 0 ]
  $R events $id >/tmp/oom.events 2>&1 &
  events_pid=$!
  sleep 0.5
  $R start $id 2>>/tmp/oom.out || fail oom-start "$(tail -1 /tmp/oom.out)"
  wait_for 600 is_status $id stopped || fail oom-stopped "state is $(status $id)"
  # events returns once the init has exited; it must not hang.
  wait_for 50 sh -c "! kill -0 $events_pid 2>/dev/null" || kill $events_pid
  wait $events_pid
  check oom-dd-killed "container said: $(cat /tmp/oom.out)" grep -q 'dd-exit=137' /tmp/oom.out
  check oom-kill-in-memory-events "memory.events: $(val $d/memory.events)" ge "$(key $d/memory.events oom_kill)" 1
  check oom-reported-by-events "events printed: $(cat /tmp/oom.events)" grep -q '"type":"oom"' /tmp/oom.events
  remove_container $id
else
  fail oom-create "$(tail -1 /tmp/oom.out)"
fi

# ---- pids.max stops a fork loop; ps and kill --all (cgroup.kill) ----
section pids
id=pids d=$CG/skiff/pids
if start_container $id; then
  check pids-max "pids.max is $(val $d/pids.max)" [ "$(val $d/pids.max)" = 10 ]
  wait_for 300 key_ge $d/pids.events max 1
  check pids-fork-refused "pids.events: $(val $d/pids.events)" ge "$(key $d/pids.events max)" 1
  n=$(wc -l <$d/cgroup.procs)
  check pids-at-most-limit "$n processes in the cgroup" between "$n" 2 10
  nps=$($R ps $id 2>/dev/null | tail -n +2 | wc -l)
  check pids-ps-lists-cgroup "ps shows $nps processes, cgroup.procs $n" [ "$nps" = "$n" ]
  # A signal other than KILL goes to every process (frozen meanwhile, so none forks past it); the
  # init, pid 1 of its namespace without a TERM handler, ignores it and stays.
  $R kill --all $id TERM 2>/tmp/pids.kill || fail pids-kill-all-term "$(cat /tmp/pids.kill)"
  wait_for 100 procs_at_most $d 1
  check pids-kill-all-term-reaches-all "cgroup.procs after TERM: $(val $d/cgroup.procs)" procs_at_most $d 1
  check pids-kill-all-term-thawed "cgroup.events: $(val $d/cgroup.events)" [ "$(key $d/cgroup.events frozen)" = 0 ]
  $R kill --all $id KILL 2>/tmp/pids.kill || fail pids-kill-all "$(cat /tmp/pids.kill)"
  wait_for 100 procs_empty $d
  check pids-kill-all-empties-cgroup "cgroup.procs: $(val $d/cgroup.procs)" procs_empty $d
  wait_for 100 is_status $id stopped
  check pids-kill-all-stopped "state is $(status $id)" is_status $id stopped
  remove_container $id
fi

# ---- cpu.max throttling in cpu.stat; update; pause/resume ----
section cpu
id=cpu d=$CG/skiff/cpu
if start_container $id; then
  check cpu-max "cpu.max is $(val $d/cpu.max)" [ "$(val $d/cpu.max)" = "10000 100000" ]
  check cpuset-cpus "cpuset.cpus is '$(val $d/cpuset.cpus)', effective '$(val $d/cpuset.cpus.effective)'" \
    [ "$(val $d/cpuset.cpus) $(val $d/cpuset.cpus.effective)" = "1 1" ]
  check hugetlb-max "hugetlb.2MB.max is $(val $d/hugetlb.2MB.max)" [ "$(val $d/hugetlb.2MB.max)" = 4194304 ]
  # runc's conversions: weight = 1 + (shares - 2) * 9999 / 262142; io = 1 + (blkio - 10) * 9999 / 990.
  check cpu-weight-from-shares "cpu.weight is $(val $d/cpu.weight)" [ "$(val $d/cpu.weight)" = 20 ]
  check io-weight-from-blkio "io.weight is $(val $d/io.weight)" grep -qx 'default 4950' $d/io.weight
  check memory-low-from-reservation "memory.low is $(val $d/memory.low)" [ "$(val $d/memory.low)" = 67108864 ]
  wait_for 100 key_ge $d/cpu.stat nr_throttled 3
  check cpu-throttled "cpu.stat: $(val $d/cpu.stat)" ge "$(key $d/cpu.stat throttled_usec)" 1
  $R events --stats $id >/tmp/cpu.stats 2>&1
  check cpu-events-stats-throttling "events --stats: $(cat /tmp/cpu.stats)" \
    grep -q '"throttledPeriods":[1-9]' /tmp/cpu.stats

  out=$($R update --cpu-quota 20000 --cpu-period 50000 --memory 100m --pids-limit 50 $id 2>&1)
  check update-flags "update said: $out; cpu.max $(val $d/cpu.max) memory.max $(val $d/memory.max) pids.max $(val $d/pids.max)" \
    [ "$(val $d/cpu.max) $(val $d/memory.max) $(val $d/pids.max)" = "20000 50000 104857600 50" ]
  out=$(echo '{"pids":{"limit":60},"unified":{"memory.high":"94371840"}}' | $R update --resources - $id 2>&1)
  check update-resources-json "update said: $out; pids.max $(val $d/pids.max) memory.high $(val $d/memory.high)" \
    [ "$(val $d/pids.max) $(val $d/memory.high)" = "60 94371840" ]
  out=$(echo '{"unified":{"memory.nonsense":"1"}}' | $R update --resources - $id 2>&1)
  rc=$?
  # shellcheck disable=SC2016
  check update-unknown-unified-key-refused "exit $rc, update said: $out" \
    sh -c '[ "$1" -ne 0 ] && echo "$2" | grep -q "memory.nonsense"' _ "$rc" "$out"
  out=$(echo '{"memory":{"limit":4096,"checkBeforeUpdate":true}}' | $R update --resources - $id 2>&1)
  rc=$?
  check update-check-before-update-refused "exit $rc ($out), memory.max $(val $d/memory.max), memory.current $(val $d/memory.current)" \
    [ "$rc $(val $d/memory.max)" = "1 104857600" ]
  if $R update --memory banana $id 2>/dev/null; then
    fail update-malformed-refused "update --memory banana succeeded"
  else
    check update-malformed-refused "memory.max changed to $(val $d/memory.max)" [ "$(val $d/memory.max)" = 104857600 ]
  fi

  # An exec'd process joins the container's cgroup.
  $R exec --detach --pid-file /tmp/cpu.exec.pid $id sleep 600 2>/tmp/cpu.exec || fail exec-detach "$(cat /tmp/cpu.exec)"
  check exec-joins-cgroup "exec'd pid $(cat /tmp/cpu.exec.pid 2>/dev/null), cgroup.procs: $(val $d/cgroup.procs)" \
    grep -qx "$(cat /tmp/cpu.exec.pid 2>/dev/null)" $d/cgroup.procs

  $R pause $id 2>/tmp/cpu.pause || fail pause "$(cat /tmp/cpu.pause)"
  # Frozen, the busy loop gets no CPU time at all.
  before=$(key $d/cpu.stat usage_usec)
  sleep 0.5
  check pause-stops-cpu "usage_usec went from $before to $(key $d/cpu.stat usage_usec) while paused" \
    [ "$(key $d/cpu.stat usage_usec)" = "$before" ]
  check pause-freezes "cgroup.freeze $(val $d/cgroup.freeze), cgroup.events: $(val $d/cgroup.events)" \
    [ "$(val $d/cgroup.freeze) $(key $d/cgroup.events frozen)" = "1 1" ]
  check pause-state-paused "state is $(status $id)" is_status $id paused
  $R resume $id 2>/tmp/cpu.resume || fail resume "$(cat /tmp/cpu.resume)"
  check resume-thaws "cgroup.events: $(val $d/cgroup.events)" [ "$(key $d/cgroup.events frozen)" = 0 ]
  check resume-state-running "state is $(status $id)" is_status $id running
  remove_container $id
fi

# ---- io.max on a brd RAM disk (1:0): 2 MiB of direct writes at 512 KiB/s ----
section io
id=io d=$CG/skiff/io
if [ -b /dev/ram0 ]; then
  t0=$(date +%s)
  if start_container $id; then
    check io-max "io.max is $(val $d/io.max)" grep -q '^1:0 rbps=max wbps=524288 ' $d/io.max
    wait_for 600 is_status $id stopped
    t1=$(date +%s)
    check io-dd-done "container said: $(cat /tmp/io.out)" grep -q 'dd-exit=0' /tmp/io.out
    wbytes=$(sed -n 's/^1:0 .*wbytes=\([0-9]*\).*/\1/p' $d/io.stat)
    check io-stat-counts-writes "io.stat: $(val $d/io.stat)" ge "$wbytes" 2097152
    # 2 MiB at 512 KiB/s takes 4 s; a lower bound only (a slow machine can only make it longer).
    check io-throttled "2 MiB written in $((t1 - t0)) s" [ $((t1 - t0)) -ge 2 ]
    remove_container $id
  fi
else
  fail io-ram-disk "/dev/ram0 is missing (brd not loaded)"
fi

# ---- the BPF device program: only reads of 1:0 are allowed ----
section devices
if [ -b /dev/ram1 ]; then
  $R run --bundle $B/devices devices >/tmp/devices.out 2>&1 </dev/null
  out=$(tr '\n' ' ' </tmp/devices.out)
  check devices-allowed-read "container said: $out" grep -q 'read-ram0=ok' /tmp/devices.out
  check devices-denied-write "container said: $out" grep -q 'write-ram0=denied' /tmp/devices.out
  check devices-denied-other "container said: $out" grep -q 'read-ram1=denied' /tmp/devices.out
  check devices-default-null "container said: $out" grep -q 'write-null=ok' /tmp/devices.out
  check devices-run-removes-cgroup "$CG/skiff/devices still exists" gone $CG/skiff/devices
fi

# ---- processes in a sub-cgroup: ps sees them, delete kills them and removes the whole tree ----
section nested
id=nested d=$CG/skiff/nested
if start_container $id; then
  init=$(cat $d/cgroup.procs)
  mkdir $d/inner $d/inner/deeper
  echo "$init" >$d/inner/deeper/cgroup.procs
  nps=$($R ps $id 2>/dev/null | tail -n +2 | wc -l)
  check nested-ps-sees-sub-cgroups "ps shows $nps processes" [ "$nps" = 1 ]
  $R delete --force $id 2>/tmp/nested.delete
  check nested-delete-removes-tree "$d still exists: $(cat /tmp/nested.delete)" gone $d
  check nested-delete-kills "init $init is still alive" dead "$init"
  # Whatever is left must not linger into later checks.
  [ -e $d ] && { kill -9 "$init"; sleep 0.2; rmdir $d/inner/deeper $d/inner $d; }
fi

# ---- bad input: a clear error and nothing left behind ----
section bad-input
for id in badlimit dotdot; do
  $R create --bundle $B/$id $id >/tmp/$id.out 2>&1 </dev/null
  rc=$?
  check $id-refused "exit $rc: $(cat /tmp/$id.out)" one_line_error $rc /tmp/$id.out
  check $id-nothing-left "state or cgroup left" \
    sh -c "! $R state $id >/dev/null 2>&1 && [ ! -e $CG/skiff/$id ] && [ ! -e $CG/escape ]"
done
grep -q 'memory.limit' /tmp/badlimit.out || fail badlimit-names-field "$(cat /tmp/badlimit.out)"
grep -q '"\.\."' /tmp/dotdot.out || fail dotdot-names-dotdot "$(cat /tmp/dotdot.out)"

# ---- delete leaves nothing ----
section leftovers
# Cycles of run (create, start, wait, delete), each in a fresh cgroup of the same path.
i=0 bad=""
while [ $i -lt 20 ]; do
  $R run --bundle $B/cycle cycle >/tmp/cycle.out 2>&1 </dev/null || bad="run $i: $(tail -1 /tmp/cycle.out)"
  [ -e $CG/skiff/cycle ] && bad="run $i left $CG/skiff/cycle"
  [ -n "$bad" ] && break
  i=$((i + 1))
done
check run-cycles-leave-nothing "$bad" [ -z "$bad" ]
left=$(find $CG/skiff -mindepth 1 -type d 2>/dev/null | tr '\n' ' ')
check no-container-cgroups-left "left: $left" [ -z "$left" ]

# ---- rootless (uid 1000): a delegated subtree is used; without one, a warning and no cgroup ----
section rootless
# Delegated as systemd does: the subtree and its cgroup.procs/subtree_control/threads are chowned;
# the user's shell lives in a leaf of it (session), so moving a child into a sibling is allowed.
mkdir -p /run/user/1000 && chown 1000:1000 /run/user/1000 && chmod 0700 /run/user/1000
mkdir $CG/deleg $CG/deleg/session $CG/nodeleg
for c in cpu memory pids; do echo "+$c" >$CG/deleg/cgroup.subtree_control; done
chown 1000:1000 $CG/deleg $CG/deleg/cgroup.procs $CG/deleg/cgroup.subtree_control $CG/deleg/cgroup.threads
chown -R 1000:1000 $CG/deleg/session
as_user() { # CMD...: as uid 1000, from the delegated session cgroup
  sh -c 'echo $$ >/sys/fs/cgroup/deleg/session/cgroup.procs && exec su skiff -s /bin/sh -c "$0"' \
    "export XDG_RUNTIME_DIR=/run/user/1000; $*"
}
d=$CG/deleg/rl
as_user "$R create --bundle $B/rootless-deleg rl </dev/null >/tmp/rl.out 2>&1 && $R start rl 2>>/tmp/rl.out"
if [ -d $d ]; then
  check rootless-deleg-memory-max "memory.max is $(val $d/memory.max)" [ "$(val $d/memory.max)" = 50331648 ]
  check rootless-deleg-pids-max "pids.max is $(val $d/pids.max)" [ "$(val $d/pids.max)" = 20 ]
  init=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' /run/user/1000/skiff-runtime/rl/state.json)
  check rootless-deleg-init-in-cgroup "init $init, cgroup.procs: $(val $d/cgroup.procs)" \
    grep -qx "$init" $d/cgroup.procs
  check rootless-deleg-owned-by-user "owner $(stat -c %u $d)" [ "$(stat -c %u $d)" = 1000 ]
  as_user "$R update --pids-limit 30 rl 2>/tmp/rl.update"
  check rootless-deleg-update "pids.max $(val $d/pids.max): $(cat /tmp/rl.update)" [ "$(val $d/pids.max)" = 30 ]
  as_user "$R delete --force rl 2>/tmp/rl.delete"
  check rootless-deleg-delete-removes-cgroup "$d still exists: $(cat /tmp/rl.delete)" gone $d
else
  fail rootless-deleg-cgroup "no $d; runtime said: $(tr '\n' ' ' </tmp/rl.out)"
  as_user "$R delete --force rl" 2>/dev/null
fi
# Without a cgroupsPath the container goes next to the caller's own cgroup: inside the delegation.
d=$CG/deleg/rldef
as_user "$R run -d --bundle $B/rootless-default rldef </dev/null >/tmp/rldef.out 2>&1"
check rootless-default-next-to-own-cgroup "no $d; runtime said: $(tr '\n' ' ' </tmp/rldef.out)" [ -d $d ]
check rootless-default-pids-max "pids.max is $(val $d/pids.max)" [ "$(val $d/pids.max)" = 25 ]
as_user "$R delete --force rldef 2>/tmp/rldef.delete"
check rootless-default-delete-removes-cgroup "$d still exists: $(cat /tmp/rldef.delete)" gone $d
# Delegated without the memory controller: a memory limit cannot be enforced there, which is an
# error naming it (only rootless without any delegation gets away with a warning).
mkdir $CG/deleg/partial
echo +pids >$CG/deleg/partial/cgroup.subtree_control
chown 1000:1000 $CG/deleg/partial $CG/deleg/partial/cgroup.procs $CG/deleg/partial/cgroup.subtree_control
as_user "$R create --bundle $B/rootless-partial rl3 </dev/null >/tmp/rl3.out 2>&1"
rc=$?
check rootless-partial-refused "exit $rc: $(cat /tmp/rl3.out)" one_line_error $rc /tmp/rl3.out
check rootless-partial-names-memory "said: $(cat /tmp/rl3.out)" grep -q 'memory' /tmp/rl3.out
check rootless-partial-nothing-left "cgroup or state left" \
  sh -c "[ ! -e $CG/deleg/partial/rl3 ] && [ ! -e /run/user/1000/skiff-runtime/rl3 ]"
rmdir $CG/deleg/partial
# Without delegation: from the root cgroup, into a root-owned subtree.
su skiff -s /bin/sh -c "export XDG_RUNTIME_DIR=/run/user/1000; $R run --bundle $B/rootless-nodeleg rl2 </dev/null >/tmp/rl2.out 2>/tmp/rl2.err"
rc=$?
check rootless-nodeleg-runs "exit $rc: $(tr '\n' ' ' </tmp/rl2.err)" [ $rc = 0 ]
check rootless-nodeleg-warns "stderr: $(tr '\n' ' ' </tmp/rl2.err)" grep -qi 'cgroup.*not used' /tmp/rl2.err
left=$(find $CG/nodeleg -mindepth 1 -type d | tr '\n' ' ')
check rootless-nodeleg-no-cgroup "left: $left" [ -z "$left" ]
rmdir $CG/deleg/session $CG/deleg $CG/nodeleg 2>/dev/null

section end
echo "SKIFF-VM summary pass=$npass fail=$nfail"
