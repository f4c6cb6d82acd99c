/* SPDX-License-Identifier: Apache-2.0 */
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <time.h>

#include "status/rtnl-link.h"
#include "lib/util.h"

DEFINE_POINTER_CLEANUP(struct mnl_socket, mnl_socket_close)

/* A dump message is sized by the kernel for a 32 KiB reader (netlink_dump's minimum); a page,
 * as MNL_SOCKET_BUFFER_SIZE gives, truncates links with many attributes. */
#define DUMP_BUFFER_SIZE 32768

struct collect {
        struct rtnl_link *links;
        size_t n, alloc;
        int error;
};

static int linkinfo_cb(const struct nlattr *attr, void *data) {
        const struct nlattr **tb = data;
        int type = mnl_attr_get_type(attr);

        if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0)
                return MNL_CB_OK;
        tb[type] = attr;
        return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data) {
        const struct nlattr **tb = data;
        int type = mnl_attr_get_type(attr);

        if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
                return MNL_CB_OK;
        switch (type) {
        case IFLA_IFNAME:
                if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
                        return MNL_CB_OK;
                break;
        case IFLA_MASTER:
                if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                        return MNL_CB_OK;
                break;
        case IFLA_LINKINFO:
                if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
                        return MNL_CB_OK;
                break;
        }
        tb[type] = attr;
        return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data) {
        struct collect *c = data;
        const struct nlattr *tb[IFLA_MAX + 1] = {};
        const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

        if (nlh->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb);
        if (!tb[IFLA_IFNAME])
                return MNL_CB_OK;

        if (c->n == c->alloc) {
                size_t a = c->alloc ? c->alloc * 2 : 32;
                struct rtnl_link *l = realloc(c->links, a * sizeof(*l));
                if (!l) {
                        c->error = -ENOMEM;
                        return MNL_CB_ERROR;
                }
                c->links = l;
                c->alloc = a;
        }

        struct rtnl_link *l = &c->links[c->n++];
        memset(l, 0, sizeof(*l));
        l->ifindex = ifm->ifi_index;
        snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
        if (tb[IFLA_MASTER])
                l->master = (int) mnl_attr_get_u32(tb[IFLA_MASTER]);
        if (tb[IFLA_LINKINFO]) {
                const struct nlattr *info[IFLA_INFO_MAX + 1] = {};
                mnl_attr_parse_nested(tb[IFLA_LINKINFO], linkinfo_cb, info);
                if (info[IFLA_INFO_KIND] && mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_STRING) >= 0)
                        snprintf(l->kind, sizeof(l->kind), "%.*s",
                                 (int) strnlen(mnl_attr_get_str(info[IFLA_INFO_KIND]),
                                               mnl_attr_get_payload_len(info[IFLA_INFO_KIND])),
                                 mnl_attr_get_str(info[IFLA_INFO_KIND]));
        }
        return MNL_CB_OK;
}

int rtnl_link_list(struct rtnl_link **ret, size_t *ret_n) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        _cleanup_free_ char *buf = NULL;
        struct collect c = {};
        struct nlmsghdr *nlh;
        unsigned seq, portid;
        int r;

        buf = malloc(DUMP_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;

        nl = mnl_socket_open(NETLINK_ROUTE);
        if (!nl)
                return negative_errno();
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return negative_errno();
        portid = mnl_socket_get_portid(nl);

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = seq = (unsigned) time(NULL);
        struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
        ifm->ifi_family = AF_UNSPEC;

        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return negative_errno();

        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, DUMP_BUFFER_SIZE);
                if (n < 0) {
                        r = negative_errno();
                        break;
                }
                r = mnl_cb_run(buf, (size_t) n, seq, portid, link_cb, &c);
                if (r <= MNL_CB_STOP) {
                        r = r < 0 ? (c.error < 0 ? c.error : negative_errno()) : 0;
                        break;
                }
        }
        if (r < 0) {
                free(c.links);
                return r;
        }
        *ret = c.links;
        *ret_n = c.n;
        return 0;
}

const struct rtnl_link *rtnl_link_find(const struct rtnl_link *links, size_t n, int ifindex) {
        for (size_t i = 0; i < n; i++)
                if (links[i].ifindex == ifindex)
                        return &links[i];
        return NULL;
}
