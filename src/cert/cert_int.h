/* cert_int.h - internals of the certificate module. */
#ifndef MTL_CERT_INT_H
#define MTL_CERT_INT_H

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/certificate.h"

#define PM_NKEYS 12
struct mtl_protocol_message {
    char *values[PM_NKEYS]; /* indexed by the reference's key order */
};
extern const char *const mtl_pm_keys[PM_NKEYS];
mtl_err pm_from_json(struct mtl_protocol_message *pm, const json_t *j);
json_t *pm_to_json(const struct mtl_protocol_message *pm);
void pm_clear(struct mtl_protocol_message *pm);
mtl_err pm_copy(struct mtl_protocol_message *dst, const struct mtl_protocol_message *src);

struct cert_signer {
    char *party_id;
    uint64_t stake;
};
struct mtl_certificate {
    char hash[MTL_HASH_HEX_BYTES];
    char *previous_hash;
    uint64_t epoch;
    struct mtl_signed_entity_type set;
    char *network, *version;
    struct mtl_stm_params params;
    char *initiated_at, *sealed_at; /* RFC 3339 as received/produced */
    int64_t initiated_ns, sealed_ns;
    struct cert_signer *signers;
    size_t nsigners;
    struct mtl_protocol_message pm;
    char signed_message[MTL_HASH_HEX_BYTES];
    char *avk, *multi_signature, *genesis_signature;
    /* Optional SNARK-era fields ancillary_prover_data / _verifier_data: NULL
     * when absent; when present the reference hashes their raw bytes and
     * serves them as hex, so we keep them to verify and re-emit a chain
     * that carries them. */
    uint8_t *anc_prover, *anc_verifier;
    size_t anc_prover_len, anc_verifier_len;
};

/* json_lift.c: a JSON message parsed with its long plain strings (the
 * proofs' hex) lifted out of jansson's way and read back in place. */
struct cert_span {
    size_t off, len;
};
struct cert_lift {
    const char *json; /* the message (borrowed) */
    size_t len;
    char *text; /* what jansson parsed */
    size_t text_len;
    struct cert_span *spans; /* the lifted strings' contents in json */
    size_t n, cap;
};
/* Parse json (MTL_ERR_BAD_ENCODING naming jansson's error) into *out;
 * free *out, then l (cert_lift_free), when done. */
mtl_err cert_json_load_lifted(json_t **out, struct cert_lift *l, const char *json, size_t len);
/* A string value (lifted or not) and its length, not NUL-terminated; NULL
 * when v is not a string. */
const char *cert_json_string(const struct cert_lift *l, const json_t *v, size_t *len);
void cert_lift_free(struct cert_lift *l);

/* RFC 3339 UTC timestamps <-> Unix nanoseconds (chrono's format). */
mtl_err cert_parse_time(int64_t *ns, const char *s);
void cert_format_time(char out[40], int64_t ns);
/* Signed entity JSON (signed_entity.c): strict parse; NULL for an unknown kind. */
mtl_err set_from_json(struct mtl_signed_entity_type *t, const json_t *j);
json_t *set_to_json(const struct mtl_signed_entity_type *t);
/* Feed the entity's beacon into a certificate hash (reference feed_hash). */
void set_feed_hash(crypto_hash_sha256_state *ctx, const struct mtl_signed_entity_type *t);

/* signed_parts.c: the certificate's protocol message with parts keys[i]
 * set to values[i] must hash to its signed_message (MTL_ERR_INTEGRITY
 * naming the first key otherwise). */
mtl_err cert_check_parts(const struct mtl_certificate *cert, const char *const *keys,
                         const char *const *values, size_t n);

#endif
