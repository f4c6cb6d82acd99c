/* SPDX-License-Identifier: Apache-2.0 */
/* A rule ahead of the block that matches only some output interfaces can or cannot see a
 * container's packet to the metadata service depending on where the kernel routes that packet:
 * on an ECS instance, out of the uplink (eth0, ens5). `ip route get` asks the same question. */
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <time.h>

#include "fw/rtnl-route.h"
#include "lib/util.h"

DEFINE_POINTER_CLEANUP(struct mnl_socket, mnl_socket_close)

struct answer {
        int oif;
};

static int route_attr_cb(const struct nlattr *attr, void *data) {
        struct answer *a = data;

        if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
                a->oif = (int) mnl_attr_get_u32(attr);
        return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data) {
        if (nlh->nlmsg_type != RTM_NEWROUTE)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr_cb, data);
        return MNL_CB_OK;
}

int rtnl_route_oif(int family, const void *addr, char ret[IFNAMSIZ]) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[8192];
        struct answer a = {};
        size_t len = family == AF_INET6 ? 16 : 4;
        unsigned seq, portid;

        nl = mnl_socket_open(NETLINK_ROUTE);
        if (!nl)
                return negative_errno();
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return negative_errno();
        portid = mnl_socket_get_portid(nl);

        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETROUTE;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        nlh->nlmsg_seq = seq = (unsigned) time(NULL);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        rtm->rtm_family = (unsigned char) family;
        rtm->rtm_dst_len = (unsigned char) (len * 8);
        mnl_attr_put(nlh, RTA_DST, len, addr);

        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return negative_errno();
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
        if (n < 0)
                return negative_errno();
        /* An unreachable address comes back as an error message: mnl_cb_run sets errno from it. */
        if (mnl_cb_run(buf, (size_t) n, seq, portid, route_cb, &a) < 0)
                return negative_errno();
        if (a.oif <= 0)
                return -ENETUNREACH;
        char name[IF_NAMESIZE];
        if (!if_indextoname((unsigned) a.oif, name))
                return negative_errno();
        snprintf(ret, IFNAMSIZ, "%s", name);
        return 0;
}
