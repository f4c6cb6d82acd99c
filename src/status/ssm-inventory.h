/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* status's results as an SSM Inventory custom inventory item (Custom:ECSHarden), in the file the
 * SSM Agent collects with every inventory run: its custom inventory folder
 * /var/lib/amazon/ssm/<instance-id>/inventory/custom/ (amazon-ssm-agent, agent/plugins/inventory/
 * gatherers/custom/customGatherer.go: every *.json file there is one item). */

#define SSM_AGENT_DATA_DIR "/var/lib/amazon/ssm"
#define SSM_INVENTORY_SUBDIR "inventory/custom"
#define SSM_INVENTORY_FILE "ECSHarden.json"
#define SSM_INVENTORY_TYPE_NAME "Custom:ECSHarden"
#define SSM_INVENTORY_SCHEMA_VERSION "1.0"

/* The limits of PutInventory (botocore's ssm model: InventoryItemEntryList max 10000 entries,
 * InventoryItemEntry max 50 attributes, AttributeName 1..64, AttributeValue max 4096) and of the
 * agent's own check of the file, which counts bytes (Go len()). Values are cut in bytes, at a
 * UTF-8 character boundary, so both hold. */
#define SSM_INVENTORY_MAX_ENTRIES 10000
#define SSM_INVENTORY_MAX_ATTRIBUTES 50
#define SSM_INVENTORY_MAX_NAME 64
#define SSM_INVENTORY_MAX_VALUE 4096

/* The file is root's, like the agent's own files (appconfig.ReadWriteAccess 0600); folders made
 * here are 0700 (the agent makes its folders 0600 and relies on CAP_DAC_OVERRIDE). */
#define SSM_INVENTORY_FILE_MODE 0600
#define SSM_INVENTORY_DIR_MODE 0700

struct ssm_inventory_entry {
        const char *check_id;
        const char *status;
        const char *summary;
};

struct ssm_inventory_item {
        const struct ssm_inventory_entry *entries;
        size_t n_entries;              /* more than SSM_INVENTORY_MAX_ENTRIES: the rest is left out */
        const char *backend;
        const char *flavour;
        const char *version;
        time_t capture_time;
};

/* True for an id SSM accepts (PutInventory's InstanceId pattern: i- and 8 or 17 word characters,
 * or mi- and 17): only such an id becomes a folder name. */
bool ssm_instance_id_valid(const char *id);

/* VALUE as an attribute value: control characters, DEL and bytes that are not UTF-8 as \xNN, and
 * cut to at most MAX bytes (ending in "…" when cut), never inside a character or an escape.
 * 0 or -ENOMEM; *ret is to be freed. MAX must be at least 8. */
int ssm_inventory_value(const char *value, size_t max, char **ret);

/* The item as the agent reads it: {"SchemaVersion","TypeName","Content":[{…}]}, one Content entry
 * per check with the attributes CheckId, Status, Summary, Backend, Flavour, Version, CaptureTime
 * (UTC, 2006-01-02T15:04:05Z), strings only. 0 or -ENOMEM / -EIO; *ret (NUL-terminated) is to
 * be freed. */
int ssm_inventory_render(const struct ssm_inventory_item *item, char **ret, size_t *ret_size);

/* Writes DATA atomically as ROOT + BASE + "/" + SUB + "/" SSM_INVENTORY_FILE, mode 0600 (a file
 * already there keeps its owner and mode). BASE must exist (-ENOENT otherwise: no agent folder,
 * nothing is created); SUB (NULL or relative, e.g. "inventory/custom") is created below it
 * when missing. No component may be a symbolic link (-ELOOP). 0 or negative errno. */
int ssm_inventory_write(const char *root, const char *base, const char *sub, const void *data, size_t size);

struct imds;

/* The SSM Agent's folder for this instance, SSM_AGENT_DATA_DIR "/<instance-id>", the id asked of
 * IMDS. 0; -EBADMSG when IMDS answered with something other than 200 and a valid id (*ret_status,
 * if not NULL, holds the status); or imds_get()'s negative errno. */
int ssm_agent_instance_dir(struct imds *m, char **ret, long *ret_status);
