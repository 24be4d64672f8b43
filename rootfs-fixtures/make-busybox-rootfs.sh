#!/bin/sh
# Builds a minimal rootfs from Debian's busybox-static.
#   make-busybox-rootfs.sh BUSYBOX OUTDIR STAMP
# The tree is assembled next to OUTDIR and swapped in only when complete, so an interrupted build never
# leaves a half-made rootfs that a test would mistake for the real one. STAMP is touched last: CMake's
# custom command depends on it.
set -eu

busybox=$1
out=$2
stamp=$3

# Files and directories get the modes written here, not whatever the builder's umask says.
umask 022

tmp="$out.tmp.$$"
old="$out.old.$$"
# --one-file-system: a test that died with a mount inside the rootfs must not make us delete through it.
trap 'rm -rf --one-file-system "$tmp" "$old"' EXIT
rm -rf --one-file-system "$tmp"
mkdir -p "$tmp"

for d in bin sbin usr/bin usr/sbin usr/local/bin etc proc sys dev tmp run root home/skiff var; do
  mkdir -p "$tmp/$d"
done
chmod 1777 "$tmp/tmp"
chmod 0700 "$tmp/root"

cp "$busybox" "$tmp/bin/busybox"
chmod 0755 "$tmp/bin/busybox"

# Every applet the binary reports, as a relative symlink so the link resolves the same inside the
# container and when the tree is looked at from the host.
"$busybox" --list-full | while read -r applet; do
  case "$applet" in
    bin/busybox | "") continue ;;
  esac
  dir=$(dirname "$applet")
  up=""
  if [ "$dir" != "." ]; then
    # One "../" per path component of the applet's directory.
    up=$(printf '%s\n' "$dir" | sed -e 's|[^/][^/]*|..|g')/
  fi
  mkdir -p "$tmp/$dir"
  ln -s "${up}bin/busybox" "$tmp/$applet"
done

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
skiff:x:1000:1000:skiff test user:/home/skiff:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
tty:x:5:
skiff:x:1000:
nogroup:x:65534:
EOF
echo skiff-fixture >"$tmp/etc/hostname"
# Empty targets for the bind mounts network set-ups put here.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$tmp/etc/hosts"
: >"$tmp/etc/resolv.conf"

# The test user's home belongs to it; a build that is not root cannot chown, and only tests that need
# a writable home depend on this.
chown 1000:1000 "$tmp/home/skiff" 2>/dev/null || true

if [ -e "$out" ]; then
  mv "$out" "$old"
fi
mv "$tmp" "$out"
touch "$stamp"
