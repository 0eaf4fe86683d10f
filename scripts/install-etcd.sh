#!/usr/bin/env bash
# Installs etcd 3.4 (Debian's etcd-server + etcd-client) for the control-plane
# benchmark. Idempotent: does nothing when etcd is already on PATH. The package's
# own service does not start here; cpbench runs its members itself.
set -euo pipefail

if command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; then
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y etcd-server etcd-client
command -v etcd >/dev/null
