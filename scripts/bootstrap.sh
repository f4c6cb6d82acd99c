#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Installs what ecs-harden needs to build and test on Debian/Ubuntu, then configures and builds it.
# Idempotent: packages already there are not fetched again; a configured tree is rebuilt.
#   scripts/bootstrap.sh [--no-build] [CONFIGURE-ARGS...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=yes
if [ "${1:-}" = --no-build ]; then build=no; shift; fi

packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	libiptc-dev libnftnl-dev libmnl-dev libsystemd-dev libyajl-dev libcurl4-openssl-dev zlib1g-dev
	libxtables-dev libnftables-dev
	# run and test: real netfilter, namespaces, packets, systemd tools
	iptables nftables iproute2 iputils-ping netcat-openbsd python3 curl util-linux
	systemd systemd-container debootstrap dbus
	# tests/integration/docker.sh: Docker's own daemon (20.10), an image made of busybox-static
	docker.io busybox-static
	# test tooling: fault injection, sanitizers, fuzzing, benchmarks, signatures, packaging
	strace valgrind clang libclang-rt-14-dev hyperfine python3-botocore shellcheck rpm
	debhelper dpkg-dev bash-completion
)

missing=()
for p in "${packages[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *'install ok installed' ]] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bootstrap: missing packages: ${missing[*]}; run as root (sudo) to install them" >&2
		exit 3
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$build" = yes ] || exit 0
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
	./configure -q "$@"
fi
make -j"$(nproc)" >/dev/null
echo "bootstrap: built $top/ecs-harden"
