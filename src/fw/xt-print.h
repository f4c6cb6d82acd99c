/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/* Formats one rule as iptables-save / ip6tables-save print it, so an operator can find it:
 * "-A FORWARD -s 10.0.0.0/255.255.0.255 ! -o docker0 -p tcp -m tcp --dport 80 -j REJECT
 * --reject-with icmp-port-unreachable" (no counters, no trailing newline).
 *
 * family: AF_INET (entry is a struct ipt_entry) or AF_INET6 (struct ip6t_entry), exactly as
 * libiptc/libip6tc return them from iptc_first_rule()/iptc_next_rule() (or ip6tc_…).
 * chain: the chain the rule is in. target_name: what iptc_get_target()/ip6tc_get_target()
 * returns for the entry (needed for jumps to user chains, whose name the entry does not hold);
 * may be NULL, then ACCEPT/DROP/RETURN/QUEUE are still decoded.
 *
 * The options of every match and of the target are printed by the extensions' own ->save()
 * through libxtables, dlopen()ed on the first call (nothing is loaded on the boot path). When
 * libxtables or an extension cannot be loaded, the parts that can be decoded here are printed
 * (addresses, masks, interfaces, protocol, fragments, "-m NAME", the target) and each match or
 * target whose options could not be printed is followed by " [...]", so nothing printed is false.
 *
 * Returns 0 when the text is complete, 1 when it is partial (" [...]" marks what is missing),
 * or a negative errno (-EINVAL for a malformed entry, -ENOMEM); sets *ret (free() it) on 0 or 1. */
int xt_entry_format(int family, const void *entry, const char *chain, const char *target_name, char **ret);

/* Why libxtables could not be loaded (dlerror() text), or NULL if it is loaded or not tried. */
const char *xt_print_load_error(void);

/* For tests: never load libxtables; use the built-in formatting only. */
void xt_print_force_builtin(bool b);
