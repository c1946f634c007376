/* client_ancillary.h - ancillary archive restore and manifest check. */
#ifndef MTL_CLIENT_ANCILLARY_H
#define MTL_CLIENT_ANCILLARY_H

#include <jansson.h>
#include <stdint.h>

#include "mithril/err.h"

/* Check dir/ancillary_manifest.json: listed files' SHA-256 and the Ed25519
 * signature under vk. *data_out (optional) gets the manifest's data object. */
mtl_err client_ancillary_verify_dir(const char *dir, const uint8_t vk[32], json_t **data_out);
/* Download the archive at url (http(s) only) to a private temp file in
 * db_dir, check the manifest's signature under vk first, then extract only
 * the files it lists (each hashed and matched, all together at most
 * max_bytes, 0 = unbounded) into a temp dir, move them into db_dir, remove
 * the temp file and dir. */
mtl_err client_ancillary_restore(const char *url, const char *db_dir, const uint8_t vk[32],
                                 uint64_t max_bytes);

#endif
