/*
 * mithril/era.h - Mithril era markers (the reference's internal/mithril-era):
 * which era of the protocol a network runs at an epoch, announced by a list
 * of markers {name, epoch} that the network's era key signs (Ed25519) and
 * stores on chain, in the inline datum of a UTxO at a known address.
 *
 * Wire forms, byte-identical to the reference:
 *  - markers: the serde JSON array [{"name":"pythagoras","epoch":0},
 *    {"name":"lagrange","epoch":null}] (what the era key signs);
 *  - payload: JSON-hex of {"markers":[...],"signature":"<128 hex digits>"};
 *  - tx datum: {"constructor":0,"fields":[{"bytes":"<payload hex>"},...]},
 *    the payload cut in 128-digit chunks (cardano-cli's limit per field).
 * Era keys are Ed25519 keys in the genesis keys' JSON-hex form
 * (mtl_genesis_vkey_decode / mtl_genesis_key_encode read and write them).
 *
 * Pure functions: no I/O, no threads. Reading markers from a file or the
 * chain is the programs' job (src/util/era_reader.h).
 */
#ifndef MITHRIL_ERA_H
#define MITHRIL_ERA_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_ERA_NAME_MAX 64     /* bytes of a marker name, NUL included */
#define MTL_ERA_MARKERS_MAX 256 /* markers in one list */
#define MTL_ERA_SK_BYTES 32     /* Ed25519 seed */
#define MTL_ERA_VK_BYTES 32
#define MTL_ERA_SIG_BYTES 64

struct mtl_era_marker {
    char name[MTL_ERA_NAME_MAX];
    int has_epoch;  /* 0: announced, epoch not decided yet ("epoch":null) */
    uint64_t epoch; /* first epoch of the era when has_epoch */
};

/* The eras this library supports, oldest first (the reference's
 * SupportedEra: "pythagoras", "lagrange"). i >= count gives NULL. */
MTL_API size_t mtl_era_supported_count(void);
MTL_API const char *mtl_era_supported_name(size_t i);
/* 1 when name is a supported era. */
MTL_API int mtl_era_is_supported(const char *name);

/* Parse a markers JSON array (the file adapter's file, the dummy adapter's
 * "markers"). Each marker needs a "name" (1-63 printable ASCII characters,
 * no '"' or '\\'); "epoch" is a non-negative integer, null or absent. The
 * markers that have an epoch must come in strictly increasing epoch order.
 * *out (free with mtl_free) receives *n >= 1 markers. MTL_ERR_BAD_ENCODING
 * naming the marker and what is wrong. */
MTL_API mtl_err mtl_era_markers_parse(struct mtl_era_marker **out, size_t *n, const char *json,
                                      size_t len);
/* The serde JSON text of markers (what the era key signs); free with mtl_free. */
MTL_API mtl_err mtl_era_markers_to_json(char **json, const struct mtl_era_marker *m, size_t n);

/* Sign markers with the era secret key (32-byte Ed25519 seed) and encode the
 * payload as JSON-hex (free with mtl_free). */
MTL_API mtl_err mtl_era_payload_sign(char **jsonhex, const struct mtl_era_marker *m, size_t n,
                                     const uint8_t sk[MTL_ERA_SK_BYTES]);
/* Decode a JSON-hex payload and verify its signature over its markers with
 * the era verification key; *out (free with mtl_free) gets the markers only
 * when the signature verifies. MTL_ERR_BAD_ENCODING (not hex, not JSON, no
 * markers, markers out of order, signature not 64 bytes of hex),
 * MTL_ERR_VERIFY_FAIL (signature missing or not by this key). */
MTL_API MTL_NODISCARD mtl_err mtl_era_payload_verify(struct mtl_era_marker **out, size_t *n,
                                                     const char *jsonhex,
                                                     const uint8_t vk[MTL_ERA_VK_BYTES]);

/* The tx datum JSON carrying a payload (free with mtl_free). */
MTL_API mtl_err mtl_era_tx_datum_build(char **datum, const char *payload_jsonhex);
/* The payload of a tx datum JSON object text: its "bytes" fields joined in
 * order (free with mtl_free). MTL_ERR_BAD_ENCODING when it has no "fields"
 * array or no bytes field. */
MTL_API mtl_err mtl_era_tx_datum_payload(char **payload_jsonhex, const char *datum, size_t len);

/* What markers say at an epoch (the reference's EraEpochToken). */
struct mtl_era_token {
    uint64_t epoch;                /* the epoch asked about */
    struct mtl_era_marker current; /* latest marker with an epoch <= epoch */
    int has_next;
    struct mtl_era_marker next; /* the last marker, when it is not `current` */
};
/* Compute the token of markers at epoch; MTL_ERR_NOT_FOUND naming the
 * markers when none is active yet. Whether the eras are supported is the
 * caller's question (mtl_era_is_supported). */
MTL_API mtl_err mtl_era_token_compute(struct mtl_era_token *t, const struct mtl_era_marker *m,
                                      size_t n, uint64_t epoch);

#ifdef __cplusplus
}
#endif
#endif
