/* stm_int.h - internals shared by the STM files. */
#ifndef MTL_STM_INT_H
#define MTL_STM_INT_H

#include <blst.h>
#include <jansson.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/stm.h"

/* ---- bls.c: BLS12-381 min_sig with the reference's empty DST ---- */
struct stm_vk {
    uint8_t bytes[MTL_STM_VK_BYTES];
    blst_p2_affine pt;
};
struct stm_sig {
    uint8_t bytes[MTL_STM_SIG_BYTES];
    blst_p1_affine pt;
};
void stm_bls_keygen(blst_scalar *sk, const uint8_t ikm[32]);
void stm_bls_sk_to_vk(struct stm_vk *vk, const blst_scalar *sk);
void stm_bls_sign(struct stm_sig *sig, const blst_scalar *sk, const uint8_t *msg, size_t len);
void stm_bls_pop(uint8_t pop[MTL_STM_POP_BYTES], const blst_scalar *sk);
/* Decoders check encoding, not-infinity and subgroup membership. */
mtl_err stm_vk_decode(struct stm_vk *vk, const uint8_t bytes[MTL_STM_VK_BYTES]);
mtl_err stm_sig_decode(struct stm_sig *sig, const uint8_t bytes[MTL_STM_SIG_BYTES]);
mtl_err stm_pop_check(const struct stm_vk *vk, const uint8_t pop[MTL_STM_POP_BYTES]);
mtl_err stm_bls_verify(const struct stm_sig *sig, const struct stm_vk *vk, const uint8_t *msg,
                       size_t len);
/* Random-linear-combination aggregate of n (vk, sig) then one verification. */
mtl_err stm_bls_verify_aggregate(const struct stm_vk *const *vks, const struct stm_sig *const *sigs,
                                 size_t n, const uint8_t *msg, size_t len);

/* ---- merkle.c: Blake2b-256 tree over (vk || stake BE) leaves ---- */
void stm_hash_leaf(uint8_t out[32], const uint8_t vk[MTL_STM_VK_BYTES], uint64_t stake);
struct stm_tree {
    uint8_t (*nodes)[32];
    size_t nnodes, n;
};
mtl_err stm_tree_build(struct stm_tree *t, uint8_t (*leaves)[32], size_t n);
void stm_tree_free(struct stm_tree *t);
/* Batch path for sorted, distinct leaf indices: values (mtl_free). */
mtl_err stm_tree_batch_path(const struct stm_tree *t, const uint64_t *idx, size_t nidx,
                            uint8_t (**values)[32], size_t *nvalues);
mtl_err stm_batch_path_verify(const uint8_t root[32], uint64_t nr_leaves, uint8_t (*leaves)[32],
                              const uint64_t *idx, size_t nidx, uint8_t (*values)[32],
                              size_t nvalues);

/* ---- eligibility.c ---- */
void stm_dense_mapping(uint8_t ev[64], const uint8_t *msgp, size_t len, uint64_t index,
                       const uint8_t sigma[MTL_STM_SIG_BYTES]);

/* ---- registration.c ---- */
struct stm_party {
    struct stm_vk vk;
    uint64_t stake;
};
struct mtl_stm_closed_reg {
    struct stm_party *parties;
    size_t n;
    uint64_t total_stake;
    struct stm_tree tree;
};

/* ---- json.c: serde-shaped JSON helpers ---- */
mtl_err stm_json_load_hex(json_t **out, const char *jsonhex, const char *what);
mtl_err stm_json_bytes(uint8_t *out, size_t len, const json_t *arr, const char *what);
json_t *stm_json_from_bytes(const uint8_t *in, size_t len);
mtl_err stm_json_u64(uint64_t *out, const json_t *v, const char *what);
mtl_err stm_json_dump_hex(char **hex, json_t *obj);

/* A parsed AVK. */
struct stm_avk {
    uint8_t root[32];
    uint64_t nr_leaves;
    uint64_t total_stake;
};
mtl_err stm_avk_from_json(struct stm_avk *avk, const json_t *j);
json_t *stm_avk_to_json(const struct stm_avk *avk);

/* A parsed single signature. */
struct stm_single {
    struct stm_sig sigma;
    uint64_t *indexes;
    size_t nindexes;
    uint64_t signer_index;
};
mtl_err stm_single_from_json(struct stm_single *s, const json_t *j);
/* The same without decoding sigma (bytes only, pt unset); then
 * stm_single_decode_sigma does the point decoding and subgroup check. */
mtl_err stm_single_from_json_raw(struct stm_single *s, const json_t *j);
mtl_err stm_single_decode_sigma(struct stm_single *s);
json_t *stm_single_to_json(const struct stm_single *s);
void stm_single_clear(struct stm_single *s);
/* Index bounds + lottery for every index (msgp = msg || root). */
mtl_err stm_single_check_indices(const struct stm_single *s, const struct mtl_stm_params *p,
                                 uint64_t stake, uint64_t total, const uint8_t *msgp,
                                 size_t msgp_len);
uint8_t *stm_msgp(const uint8_t *msg, size_t len, const uint8_t root[32]);

/* What a single signature's checks depend on besides the signature: the
 * registration (Merkle root, leaves, total stake), the parameters and the
 * message, hashed (Blake2b-256). */
void stm_check_fingerprint(uint8_t out[32], const struct mtl_stm_closed_reg *closed,
                           const struct mtl_stm_params *p, const uint8_t *msg, size_t msg_len);

/* A decoded single signature (public opaque type). verified_for: the
 * fingerprint of the checks mtl_stm_sigs_verify_batch last passed it with
 * (a cache of that verdict: same inputs, same verdict), when verified. */
struct mtl_stm_sig {
    struct stm_single s;
    uint8_t verified_for[32];
    int verified;
};

#endif
