#!/bin/sh
# Makes the fixture image for the client tests: an OCI image layout (tar) with one layer holding the
# busybox fixture rootfs, built with Debian's umoci, as `ctr images import` and `podman load` read it.
#   make-oci-layout.sh ROOTFS OUT.tar
# The tar is written next to OUT and renamed into place only when complete.
set -eu
rootfs=$1
out=$2
work=$(mktemp -d "${out}.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/layout"
umoci new --image "$work/layout:latest"
umoci insert --image "$work/layout:latest" "$rootfs" /
umoci config --image "$work/layout:latest" --config.cmd /bin/sh --config.workingdir /
# umoci config leaves the unreferenced blobs of the config it replaced: drop them.
umoci gc --layout "$work/layout"
tar -C "$work/layout" -cf "$work/layout.tar" .
sync "$work/layout.tar"
mv "$work/layout.tar" "$out"
