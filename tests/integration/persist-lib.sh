# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared by persist.sh and boot.sh: TAP reporting, a network namespace of the test's own, and
# fake roots that look like each AMI flavour to `ecs-harden --root`.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UNITS_DIR=${UNITS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/units}

# Grep a file or fail with what it holds.
has_line() { grep -qxF -- "$2" "$1" 2>/dev/null; }
has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }

# A listing of everything below a root, with contents' checksums: equal before and after means
# nothing was changed.
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# ---- fake roots ----

os_release() { mkdir -p "$1/etc" && printf '%s\n' "$2" >"$1/etc/os-release"; }

# A vendor unit with an [Install] section, as packages ship them.
vendor_unit() {
	mkdir -p "$1/usr/lib/systemd/system"
	printf '[Unit]\nDescription=%s\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nWantedBy=%s\n' \
		"$2" "$3" >"$1/usr/lib/systemd/system/$2"
}

install_our_units() {
	mkdir -p "$1/usr/lib/systemd/system"
	cp "$UNITS_DIR/ecs-harden.service" "$UNITS_DIR/ecs-harden-repair.service" "$UNITS_DIR/ecs-harden-repair.timer" \
		"$1/usr/lib/systemd/system/"
}

make_root_al2() {
	os_release "$1" 'NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"'
	mkdir -p "$1/etc/sysconfig"
	vendor_unit "$1" iptables.service basic.target
	vendor_unit "$1" ip6tables.service basic.target
	install_our_units "$1"
}

make_root_al1() {
	os_release "$1" 'NAME="Amazon Linux AMI"
VERSION="2018.03"
ID="amzn"
ID_LIKE="rhel fedora"
VERSION_ID="2018.03"'
	mkdir -p "$1/etc/sysconfig" "$1/etc/rc.d/init.d"
	for l in 0 1 2 3 4 5 6; do mkdir -p "$1/etc/rc.d/rc$l.d"; done
	for s in iptables ip6tables; do
		printf '#!/bin/sh\n#\n# %s\tStart %s firewall\n#\n# chkconfig: 2345 08 92\n# description: x\n' "$s" "$s" \
			>"$1/etc/rc.d/init.d/$s"
		chmod 755 "$1/etc/rc.d/init.d/$s"
		# What the package's chkconfig --add left: off everywhere.
		for l in 0 1 2 3 4 5 6; do ln -s "../init.d/$s" "$1/etc/rc.d/rc$l.d/K92$s"; done
	done
}

make_root_al2023() {
	os_release "$1" 'NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"'
	install_our_units "$1"
}

make_root_debian() {
	os_release "$1" 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian'
	install_our_units "$1"
}

make_root_none() {
	os_release "$1" 'NAME="Fedora Linux"
ID=fedora
VERSION_ID=39'
	install_our_units "$1"
}
