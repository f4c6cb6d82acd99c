/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <net/if.h>
#include <stddef.h>

/* The network devices of this namespace, read with one rtnetlink RTM_GETLINK dump (libmnl). */

struct rtnl_link {
        int ifindex;
        char name[IFNAMSIZ];
        char kind[32];          /* IFLA_INFO_KIND: "bridge", "veth", ...; "" for plain devices */
        int master;             /* IFLA_MASTER: ifindex of the bridge (or bond) it is enslaved to; 0 */
};

/* Lists every link. 0 or a negative errno (socket, send, receive, -ENOMEM). */
int rtnl_link_list(struct rtnl_link **ret, size_t *ret_n);

/* The link with IFINDEX in LINKS, or NULL. */
const struct rtnl_link *rtnl_link_find(const struct rtnl_link *links, size_t n, int ifindex);
