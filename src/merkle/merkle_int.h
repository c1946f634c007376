/* merkle_int.h - internals of the Merkle module (not installed). */
#ifndef MTL_MERKLE_INT_H
#define MTL_MERKLE_INT_H

#include <openssl/evp.h>

#include "common/common_int.h"
#include "mithril/mktree.h"

/* Heights stay below 64 and positions below 2^62: bigger sizes are refused
 * before any arithmetic can overflow. */
#define MK_MAX_SIZE ((uint64_t)1 << 60)
#define MK_MAX_PEAKS 64

/* A node: owned bytes (leaves any length, inner nodes 32). */
struct mk_node {
    uint8_t *b;
    size_t len;
};

/* The reference's MKProof (one tree). */
struct mk_proof {
    struct mk_node root;
    size_t nleaves;
    uint64_t *pos;          /* nleaves positions, in the listed order */
    struct mk_node *leaves; /* nleaves */
    uint64_t size;          /* mmr_size */
    size_t nitems;
    struct mk_node *items;
};

struct mk_sub {
    uint64_t start, end;
    struct mtl_mkproof *proof;
};

/* The reference's MKMapProof. */
struct mtl_mkproof {
    struct mk_proof master;
    size_t nsub;
    struct mk_sub *subs;
};

/* mkindex.c: the leaves a map proof lists (the master's; with subs, every
 * sub-proof's too), sorted for lookups by value. */
struct mk_index {
    const struct mk_node **v;
    size_t n;
};
mtl_err mk_index_build(struct mk_index *ix, const struct mtl_mkproof *p, int subs);
bool mk_index_has(const struct mk_index *ix, const void *leaf, size_t len);
void mk_index_free(struct mk_index *ix);

/* mmr.c: position arithmetic (ckb's helpers), all for sizes <= MK_MAX_SIZE. */
unsigned mk_pos_height(uint64_t pos);
/* Peak positions of a size, left to right; returns their count. */
size_t mk_peaks(uint64_t size, uint64_t out[MK_MAX_PEAKS]);
/* Whether some tree has exactly this many nodes. */
bool mk_size_valid(uint64_t size);

/* BLAKE2s-256(l || r) into out[32]; ctx is reused between calls. */
mtl_err mk_merge(EVP_MD_CTX *ctx, uint8_t out[MTL_MKNODE_BYTES], const uint8_t *l, size_t llen,
                 const uint8_t *r, size_t rlen);
/* Bag peak nodes from the right into out (32 bytes, or the lone peak's bytes
 * copied when n == 1; out must then hold it: *len set). */
struct mk_ref {
    const uint8_t *p;
    size_t len;
};
mtl_err mk_bag(EVP_MD_CTX *ctx, const struct mk_ref *peaks, size_t n, uint8_t out[MTL_MKNODE_BYTES],
               struct mk_ref *root);
/* Verify one MKProof (spec §6, with our refusals); `what` names it in errors. */
mtl_err mk_proof_verify(EVP_MD_CTX *ctx, const struct mk_proof *p, const char *what);

/* mkproof_json.c: hex (trimmed, at most 16 MiB) to bytes, mtl_malloc'ed. */
mtl_err mk_hex_bytes(uint8_t **out, size_t *n, const char *hex, size_t len);

/* mkproof.c */
mtl_err mk_node_set(struct mk_node *n, const uint8_t *b, size_t len);
void mk_proof_clear(struct mk_proof *p);
/* A new empty map proof (all zero). */
struct mtl_mkproof *mk_map_new(void);
/* Allocate a proof's leaf and item arrays (zeroed). */
mtl_err mk_proof_alloc(struct mk_proof *p, size_t nleaves, size_t nitems);

#endif
