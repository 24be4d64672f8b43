// Rootless `skiff run` and `skiff rm`: an unprivileged caller moves itself into a user namespace of its
// own (plus a mount namespace) before it touches a container's rootfs, as podman does. Inside, the
// caller's uid is 0 and its /etc/subuid and /etc/subgid ranges are 1..N, so an image's non-root users
// exist; the overlay is mounted there (with userxattr) and lives only as long as the namespace's
// processes; files the container's users made in its upper dir can be removed from there.
#pragma once

namespace skiff::cli {

// Moves this process into a new user + mount namespace: uid/gid 0 -> the caller's own ids, 1..N -> its
// first subordinate ranges (written by newuidmap/newgidmap). Must be called while the process has one
// thread. Pins $SKIFF_IMAGE_STORE and $SKIFF_RUNTIME_ROOT to the caller's rootless locations first (inside,
// geteuid() is 0 and would pick the host's). Throws Error saying why (no ranges, no uidmap helpers).
void enter_rootless_user_namespace();

}  // namespace skiff::cli
