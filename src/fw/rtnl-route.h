/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <net/if.h>

/* The route the kernel would take to an address, asked with one rtnetlink RTM_GETROUTE (libmnl),
 * as `ip route get ADDR` does. */

/* Writes into RET the name of the output device for ADDR (4 bytes for AF_INET, 16 for AF_INET6).
 * 0, -ENETUNREACH (no route: the kernel's own answer) or another negative errno. */
int rtnl_route_oif(int family, const void *addr, char ret[IFNAMSIZ]);
