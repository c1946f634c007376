/* aggregate.c - the clerk (aggregation into a concatenation proof) and the
 * verification of a multi-signature against an AVK. */
#include <pthread.h>
#include <stdlib.h>

#include "stm_int.h"

struct sig_reg {
    const struct stm_single *src;
    uint64_t *idx; /* own copy of the indexes, trimmed to those kept */
    size_t nidx;
    const struct stm_party *party;
    uint64_t *removed; /* indexes another signature took */
    size_t nremoved;
    int included;
};

/* A multi-signature as its parts (built by the clerk or parsed from JSON). */
struct parsed_proof {
    struct stm_single *sigs;
    struct stm_vk *vks;
    uint64_t *stakes;
    size_t n;
    uint8_t (*values)[32];
    size_t nvalues;
    uint64_t *indices;
    size_t nindices;
};

static void proof_clear(struct parsed_proof *p)
{
    for (size_t i = 0; p->sigs && i < p->n; i++)
        stm_single_clear(&p->sigs[i]);
    mtl_free(p->sigs);
    mtl_free(p->vks);
    mtl_free(p->stakes);
    mtl_free(p->values);
    mtl_free(p->indices);
}

static int has_index(const uint64_t *v, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

static int by_signer_index(const void *a, const void *b)
{
    const struct sig_reg *const *x = a, *const *y = b;
    if ((*x)->src->signer_index != (*y)->src->signer_index)
        return (*x)->src->signer_index < (*y)->src->signer_index ? -1 : 1;
    return 0;
}

static json_t *proof_to_json(struct sig_reg **sel, size_t nsel, uint8_t (*values)[32],
                             size_t nvalues)
{
    json_t *root = json_object(), *sigs = json_array(), *bp = json_object(), *vals = json_array(),
           *ind = json_array();
    if (!root || !sigs || !bp || !vals || !ind) {
        json_decref(root), json_decref(sigs), json_decref(bp), json_decref(vals);
        json_decref(ind);
        return NULL;
    }
    for (size_t i = 0; i < nsel; i++) {
        json_t *pair = json_array(), *party = json_array();
        struct stm_single kept = *sel[i]->src;
        kept.indexes = sel[i]->idx;
        kept.nindexes = sel[i]->nidx;
        json_array_append_new(party,
                              stm_json_from_bytes(sel[i]->party->vk.bytes, MTL_STM_VK_BYTES));
        json_array_append_new(party, json_integer((json_int_t)sel[i]->party->stake));
        json_array_append_new(pair, stm_single_to_json(&kept));
        json_array_append_new(pair, party);
        json_array_append_new(sigs, pair);
        json_array_append_new(ind, json_integer((json_int_t)kept.signer_index));
    }
    for (size_t i = 0; i < nvalues; i++)
        json_array_append_new(vals, stm_json_from_bytes(values[i], 32));
    json_object_set_new(root, "signatures", sigs);
    json_object_set_new(bp, "values", vals);
    json_object_set_new(bp, "indices", ind);
    json_object_set_new(bp, "hasher", json_null());
    json_object_set_new(root, "batch_proof", bp);
    return root;
}

/* The same proof as its parts, byte for byte what proof_to_json writes
 * (points left to decode_points, as for a parsed one). */
static mtl_err proof_from_selection(struct parsed_proof *p, struct sig_reg **sel, size_t nsel,
                                    uint8_t (*values)[32], size_t nvalues)
{
    memset(p, 0, sizeof(*p));
    p->sigs = mtl_calloc(nsel ? nsel : 1, sizeof(*p->sigs));
    p->vks = mtl_calloc(nsel ? nsel : 1, sizeof(*p->vks));
    p->stakes = mtl_calloc(nsel ? nsel : 1, sizeof(*p->stakes));
    p->values = mtl_calloc(nvalues ? nvalues : 1, 32);
    p->indices = mtl_calloc(nsel ? nsel : 1, sizeof(uint64_t));
    MTL_CHECK(p->sigs && p->vks && p->stakes && p->values && p->indices, MTL_ERR_NOMEM,
              "aggregate: out of memory");
    for (size_t i = 0; i < nsel; i++) {
        struct stm_single *s = &p->sigs[i];
        s->indexes = mtl_malloc((sel[i]->nidx ? sel[i]->nidx : 1) * sizeof(uint64_t));
        MTL_CHECK(s->indexes, MTL_ERR_NOMEM, "aggregate: out of memory");
        p->n = i + 1;
        memcpy(s->sigma.bytes, sel[i]->src->sigma.bytes, MTL_STM_SIG_BYTES);
        memcpy(s->indexes, sel[i]->idx, sel[i]->nidx * sizeof(uint64_t));
        s->nindexes = sel[i]->nidx;
        s->signer_index = sel[i]->src->signer_index;
        memcpy(p->vks[i].bytes, sel[i]->party->vk.bytes, MTL_STM_VK_BYTES);
        p->stakes[i] = sel[i]->party->stake;
        p->indices[i] = s->signer_index;
    }
    memcpy(p->values, values, nvalues * 32);
    p->nvalues = nvalues;
    p->nindices = nsel;
    return MTL_OK;
}

/* The reference's selection over signatures already checked (or accepted as
 * checked): each lottery index goes to the signature with the smallest sigma
 * bytes; walking indexes in order, signatures (minus the indexes they lost)
 * are taken until k indexes are covered. The inputs are not modified. */
static mtl_err clerk(const struct mtl_stm_closed_reg *closed, const struct mtl_stm_params *params,
                     const struct stm_single *const *in, size_t nin, char **multisig_jsonhex,
                     struct parsed_proof *typed)
{
    *multisig_jsonhex = NULL;
    mtl_err rc = MTL_OK;
    struct sig_reg *regs = mtl_calloc(nin ? nin : 1, sizeof(*regs));
    struct sig_reg **owner = mtl_calloc(params->m + 1, sizeof(*owner));
    struct sig_reg **sel = mtl_calloc(nin ? nin : 1, sizeof(*sel));
    uint64_t *mt_idx = mtl_calloc(nin ? nin : 1, sizeof(*mt_idx));
    uint8_t(*values)[32] = NULL;
    size_t nvalid = 0, nsel = 0, nvalues = 0;
    if (!regs || !owner || !sel || !mt_idx) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "aggregate: out of memory");
        goto out;
    }
    for (size_t i = 0; i < nin; i++) {
        const struct stm_single *s = in[i];
        if (s->signer_index >= closed->n)
            continue;
        int dup = 0;
        for (size_t d = 0; d < nvalid && !dup; d++)
            dup = memcmp(regs[d].src->sigma.bytes, s->sigma.bytes, MTL_STM_SIG_BYTES) == 0;
        if (dup)
            continue;
        /* Indexes beyond m were refused by the per-signature check. */
        int bad = 0;
        for (size_t x = 0; x < s->nindexes; x++)
            bad |= s->indexes[x] > params->m;
        if (bad)
            continue;
        struct sig_reg *r = &regs[nvalid];
        r->src = s;
        r->party = &closed->parties[s->signer_index];
        r->idx = mtl_malloc((s->nindexes ? s->nindexes : 1) * sizeof(uint64_t));
        r->removed = mtl_malloc((s->nindexes ? s->nindexes : 1) * sizeof(uint64_t));
        if (!r->idx || !r->removed) {
            mtl_free(r->idx);
            mtl_free(r->removed);
            rc = mtl_seterr(MTL_ERR_NOMEM, "aggregate: out of memory");
            goto out;
        }
        memcpy(r->idx, s->indexes, s->nindexes * sizeof(uint64_t));
        r->nidx = s->nindexes;
        nvalid++;
        for (size_t x = 0; x < r->nidx; x++) {
            uint64_t idx = r->idx[x];
            struct sig_reg *prev = owner[idx];
            if (!prev) {
                owner[idx] = r;
            } else if (memcmp(s->sigma.bytes, prev->src->sigma.bytes, MTL_STM_SIG_BYTES) < 0) {
                prev->removed[prev->nremoved++] = idx;
                owner[idx] = r;
            } else {
                r->removed[r->nremoved++] = idx;
            }
        }
    }
    uint64_t count = 0;
    for (uint64_t idx = 0; idx <= params->m && count < params->k; idx++) {
        struct sig_reg *r = owner[idx];
        if (!r || r->included)
            continue;
        size_t keep = 0;
        for (size_t x = 0; x < r->nidx; x++)
            if (!has_index(r->removed, r->nremoved, r->idx[x]))
                r->idx[keep++] = r->idx[x];
        r->nidx = keep;
        r->included = 1;
        sel[nsel++] = r;
        count += keep;
    }
    if (count < params->k) {
        rc = mtl_seterr(MTL_ERR_NOT_ENOUGH_SIGS,
                        "aggregate: %llu unique lottery indexes from %zu valid signatures, k=%llu",
                        (unsigned long long)count, nvalid, (unsigned long long)params->k);
        goto out;
    }
    mtl_sort(sel, nsel, sizeof(*sel), by_signer_index);
    for (size_t i = 0; i < nsel; i++)
        mt_idx[i] = sel[i]->src->signer_index;
    rc = stm_tree_batch_path(&closed->tree, mt_idx, nsel, &values, &nvalues);
    if (rc == MTL_OK)
        rc = stm_json_dump_hex(multisig_jsonhex, proof_to_json(sel, nsel, values, nvalues));
    if (rc == MTL_OK && typed)
        rc = proof_from_selection(typed, sel, nsel, values, nvalues);
out:
    for (size_t i = 0; regs && i < nvalid; i++) {
        mtl_free(regs[i].idx);
        mtl_free(regs[i].removed);
    }
    mtl_free(regs);
    mtl_free(owner);
    mtl_free(sel);
    mtl_free(mt_idx);
    mtl_free(values);
    return rc;
}

/* JSON-hex inputs: parsed once; with verify, each is checked as
 * mtl_stm_single_sig_verify_jsonhex does and invalid ones are skipped, as
 * the reference's clerk does. */
static mtl_err aggregate(const struct mtl_stm_closed_reg *closed,
                         const struct mtl_stm_params *params, const char *const *sigs_jsonhex,
                         size_t nsigs, const uint8_t *msg, size_t msg_len, char **multisig_jsonhex,
                         int verify)
{
    *multisig_jsonhex = NULL;
    MTL_TRY(mtl_stm_params_check(params));
    struct stm_single *parsed = mtl_calloc(nsigs ? nsigs : 1, sizeof(*parsed));
    const struct stm_single **ptrs = mtl_calloc(nsigs ? nsigs : 1, sizeof(*ptrs));
    uint8_t *msgp = stm_msgp(msg, msg_len, closed->tree.nodes[0]);
    size_t np = 0;
    mtl_err rc =
        parsed && ptrs && msgp ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "aggregate: out of memory");
    for (size_t i = 0; rc == MTL_OK && i < nsigs; i++) {
        json_t *j;
        if (stm_json_load_hex(&j, sigs_jsonhex[i], "single signature") != MTL_OK)
            continue;
        struct stm_single *s = &parsed[np];
        mtl_err e = stm_single_from_json(s, j);
        json_decref(j);
        if (e != MTL_OK)
            continue;
        if (verify) {
            const struct stm_party *party =
                s->signer_index < closed->n ? &closed->parties[s->signer_index] : NULL;
            if (!party || stm_bls_verify(&s->sigma, &party->vk, msgp, msg_len + 32) != MTL_OK ||
                stm_single_check_indices(s, params, party->stake, closed->total_stake, msgp,
                                         msg_len + 32) != MTL_OK) {
                stm_single_clear(s);
                continue;
            }
        }
        ptrs[np++] = s;
    }
    if (rc == MTL_OK) {
        mtl_err_clear(); /* skipped signatures are not this call's error */
        rc = clerk(closed, params, ptrs, np, multisig_jsonhex, NULL);
    }
    for (size_t i = 0; parsed && i < np; i++)
        stm_single_clear(&parsed[i]);
    mtl_free(parsed);
    mtl_free(ptrs);
    mtl_free(msgp);
    return rc;
}

/* ---- verification ---- */

/* Points already decoded and checked (encoding, not infinity, subgroup) by
 * the same decoders: a multi-signature element with identical bytes reuses
 * the point instead of decoding it again (same bytes, same result). */
struct decode_hint {
    const struct mtl_stm_closed_reg *closed;    /* vks by signer index */
    const struct mtl_stm_sig *const *by_index; /* signatures by signer index (closed->n) */
    uint8_t fp[32]; /* fingerprint of this verification's checks */
};

/* Decoding of the points of signatures [lo, hi): status per signature. */
struct decode_job {
    struct parsed_proof *p;
    const struct decode_hint *hint;
    size_t lo, hi;
    mtl_err *status;
};

static mtl_err decode_one(struct parsed_proof *p, const struct decode_hint *h, size_t i)
{
    struct stm_single *s = &p->sigs[i];
    struct stm_vk *vk = &p->vks[i];
    uint64_t si = s->signer_index;
    const struct stm_single *known = h && si < h->closed->n && h->by_index[si]
                                         ? &h->by_index[si]->s
                                         : NULL;
    if (known && memcmp(known->sigma.bytes, s->sigma.bytes, MTL_STM_SIG_BYTES) == 0)
        s->sigma.pt = known->sigma.pt;
    else
        MTL_TRY(stm_single_decode_sigma(s));
    if (h && si < h->closed->n &&
        memcmp(h->closed->parties[si].vk.bytes, vk->bytes, MTL_STM_VK_BYTES) == 0) {
        vk->pt = h->closed->parties[si].vk.pt;
        return MTL_OK;
    }
    uint8_t vkb[MTL_STM_VK_BYTES];
    memcpy(vkb, vk->bytes, sizeof(vkb));
    mtl_err rc = stm_vk_decode(vk, vkb);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "party");
}

static void *decode_range(void *arg)
{
    struct decode_job *job = arg;
    for (size_t i = job->lo; i < job->hi; i++)
        job->status[i] = decode_one(job->p, job->hint, i);
    return NULL;
}

/* Point decoding dominates verification (a G2 and a G1 decompression and
 * subgroup check per signature): split over two threads when there are
 * many; the first failure in order is reported (decoded again here, so its
 * message is this thread's error). */
static mtl_err decode_points(struct parsed_proof *p, const struct decode_hint *hint)
{
    mtl_err *status = mtl_calloc(p->n, sizeof(*status));
    MTL_CHECK(status, MTL_ERR_NOMEM, "multi-signature: out of memory");
    struct decode_job jobs[2] = {{p, hint, 0, p->n / 2, status}, {p, hint, p->n / 2, p->n, status}};
    pthread_t th;
    int threaded = p->n >= 32 && pthread_create(&th, NULL, decode_range, &jobs[1]) == 0;
    if (!threaded)
        jobs[0].hi = p->n;
    decode_range(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    mtl_err rc = MTL_OK;
    for (size_t i = 0; i < p->n && rc == MTL_OK; i++)
        if (status[i] != MTL_OK) {
            rc = decode_one(p, hint, i);
            if (rc == MTL_OK) /* cannot happen: decoding is deterministic */
                rc = mtl_seterr(status[i], "multi-signature: signatures[%zu] does not decode", i);
            else
                rc = mtl_err_wrap(rc, "multi-signature: signatures[%zu]", i);
        }
    mtl_free(status);
    return rc;
}

static mtl_err proof_from_json(struct parsed_proof *p, const json_t *j,
                               const struct decode_hint *hint)
{
    memset(p, 0, sizeof(*p));
    MTL_CHECK(json_is_object(j), MTL_ERR_BAD_ENCODING, "multi-signature: expected an object");
    const json_t *sigs = json_object_get(j, "signatures"), *bp = json_object_get(j, "batch_proof");
    MTL_CHECK(json_is_array(sigs), MTL_ERR_BAD_ENCODING, "multi-signature: missing signatures");
    MTL_CHECK(json_is_object(bp), MTL_ERR_BAD_ENCODING, "multi-signature: missing batch_proof");
    const json_t *vals = json_object_get(bp, "values"), *ind = json_object_get(bp, "indices");
    MTL_CHECK(json_is_array(vals) && json_is_array(ind), MTL_ERR_BAD_ENCODING,
              "multi-signature: batch_proof needs values and indices arrays");
    size_t n = json_array_size(sigs), nv = json_array_size(vals), ni = json_array_size(ind);
    MTL_CHECK(n > 0, MTL_ERR_BAD_ENCODING, "multi-signature: no signature");
    MTL_CHECK(n <= (1u << 20) && nv <= (1u << 24) && ni <= (1u << 20), MTL_ERR_TOO_BIG,
              "multi-signature: too many elements");
    p->sigs = mtl_calloc(n, sizeof(*p->sigs));
    p->vks = mtl_calloc(n, sizeof(*p->vks));
    p->stakes = mtl_calloc(n, sizeof(*p->stakes));
    p->values = mtl_calloc(nv ? nv : 1, 32);
    p->indices = mtl_calloc(ni ? ni : 1, sizeof(uint64_t));
    MTL_CHECK(p->sigs && p->vks && p->stakes && p->values && p->indices, MTL_ERR_NOMEM,
              "multi-signature: out of memory");
    /* Structure and bytes first, then the points. */
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = json_array_get(sigs, i);
        MTL_CHECK(json_is_array(pair) && json_array_size(pair) == 2, MTL_ERR_BAD_ENCODING,
                  "multi-signature: signatures[%zu] is not [signature, party]", i);
        mtl_err rc = stm_single_from_json_raw(&p->sigs[i], json_array_get(pair, 0));
        if (rc != MTL_OK)
            return mtl_err_wrap(rc, "multi-signature: signatures[%zu]", i);
        p->n = i + 1;
        const json_t *party = json_array_get(pair, 1);
        MTL_CHECK(json_is_array(party) && json_array_size(party) == 2, MTL_ERR_BAD_ENCODING,
                  "multi-signature: signatures[%zu] party is not [vk, stake]", i);
        MTL_TRY(stm_json_bytes(p->vks[i].bytes, MTL_STM_VK_BYTES, json_array_get(party, 0),
                               "party vk"));
        MTL_TRY(stm_json_u64(&p->stakes[i], json_array_get(party, 1), "party stake"));
    }
    for (size_t i = 0; i < nv; i++)
        MTL_TRY(stm_json_bytes(p->values[i], 32, json_array_get(vals, i), "batch_proof value"));
    p->nvalues = nv;
    for (size_t i = 0; i < ni; i++)
        MTL_TRY(stm_json_u64(&p->indices[i], json_array_get(ind, i), "batch_proof index"));
    p->nindices = ni;
    return decode_points(p, hint);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Signature i of the proof is one mtl_stm_sigs_verify_batch passed with
 * these very checks (its remembered fingerprint: registration, parameters,
 * message): same signer index, sigma bytes, registered key and stake, and
 * indexes among those it won then. Its lottery and BLS checks hold already
 * (same inputs, same verdict); everything else is checked here. */
static int preverified(const struct parsed_proof *p, size_t i, const struct decode_hint *h)
{
    const struct stm_single *s = &p->sigs[i];
    uint64_t si = s->signer_index;
    if (!h || si >= h->closed->n || !h->by_index[si] || !h->by_index[si]->verified ||
        memcmp(h->by_index[si]->verified_for, h->fp, sizeof(h->fp)) != 0)
        return 0;
    const struct stm_single *known = &h->by_index[si]->s;
    const struct stm_party *party = &h->closed->parties[si];
    if (memcmp(known->sigma.bytes, s->sigma.bytes, MTL_STM_SIG_BYTES) != 0 ||
        memcmp(party->vk.bytes, p->vks[i].bytes, MTL_STM_VK_BYTES) != 0 ||
        party->stake != p->stakes[i])
        return 0;
    for (size_t x = 0; x < s->nindexes; x++)
        if (!has_index(known->indexes, known->nindexes, s->indexes[x]))
            return 0;
    return 1;
}

static mtl_err verify_proof(const struct parsed_proof *p, const struct stm_avk *avk,
                            const uint8_t *msg, size_t msg_len, const struct mtl_stm_params *params,
                            const struct decode_hint *hint)
{
    mtl_err rc = MTL_OK;
    uint8_t *msgp = stm_msgp(msg, msg_len, avk->root);
    size_t total = 0;
    for (size_t i = 0; i < p->n; i++)
        total += p->sigs[i].nindexes;
    uint64_t *all = mtl_malloc((total ? total : 1) * sizeof(uint64_t));
    uint8_t(*leaves)[32] = mtl_malloc(p->n * 32);
    const struct stm_vk **vks = mtl_malloc(p->n * sizeof(*vks));
    const struct stm_sig **sigs = mtl_malloc(p->n * sizeof(*sigs));
    uint8_t *pre = mtl_calloc(p->n, 1);
    if (!msgp || !all || !leaves || !vks || !sigs || !pre) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "multi-signature: out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        pre[i] = (uint8_t)preverified(p, i, hint);
        if (!pre[i])
            rc = stm_single_check_indices(&p->sigs[i], params, p->stakes[i], avk->total_stake,
                                          msgp, msg_len + 32);
        if (rc != MTL_OK)
            goto out;
        memcpy(all + k, p->sigs[i].indexes, p->sigs[i].nindexes * sizeof(uint64_t));
        k += p->sigs[i].nindexes;
    }
    mtl_sort(all, total, sizeof(uint64_t), cmp_u64);
    for (size_t i = 1; i < total; i++)
        if (all[i] == all[i - 1]) {
            rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "multi-signature: lottery index %llu used twice",
                            (unsigned long long)all[i]);
            goto out;
        }
    if (total < params->k) {
        rc = mtl_seterr(MTL_ERR_NOT_ENOUGH_SIGS,
                        "multi-signature: %zu lottery indexes, quorum k=%llu", total,
                        (unsigned long long)params->k);
        goto out;
    }
    if (p->nindices != p->n) {
        rc = mtl_seterr(MTL_ERR_VERIFY_FAIL,
                        "multi-signature: batch proof has %zu indices for %zu signatures",
                        p->nindices, p->n);
        goto out;
    }
    size_t nbls = 0; /* the BLS signatures not verified alone already */
    for (size_t i = 0; i < p->n; i++) {
        stm_hash_leaf(leaves[i], p->vks[i].bytes, p->stakes[i]);
        if (!pre[i]) {
            vks[nbls] = &p->vks[i];
            sigs[nbls++] = &p->sigs[i].sigma;
        }
    }
    rc = stm_batch_path_verify(avk->root, avk->nr_leaves, leaves, p->indices, p->nindices,
                               p->values, p->nvalues);
    if (rc != MTL_OK || nbls == 0)
        goto out;
    rc = stm_bls_verify_aggregate(vks, sigs, nbls, msgp, msg_len + 32);
out:
    mtl_free(pre);
    mtl_free(msgp);
    mtl_free(all);
    mtl_free(leaves);
    mtl_free(vks);
    mtl_free(sigs);
    return rc;
}

static mtl_err verify_multisig(const char *multisig_jsonhex, const char *avk_jsonhex,
                               const struct stm_avk *avk_parsed, const uint8_t *msg, size_t msg_len,
                               const struct mtl_stm_params *params, const struct decode_hint *hint)
{
    MTL_TRY(mtl_stm_params_check(params));
    json_t *jm = NULL, *ja = NULL;
    struct stm_avk avk;
    struct parsed_proof p;
    memset(&p, 0, sizeof(p));
    mtl_err rc = MTL_OK;
    if (avk_parsed) {
        avk = *avk_parsed;
    } else {
        rc = stm_json_load_hex(&ja, avk_jsonhex, "aggregate verification key");
        if (rc == MTL_OK)
            rc = stm_avk_from_json(&avk, ja);
    }
    if (rc == MTL_OK)
        rc = stm_json_load_hex(&jm, multisig_jsonhex, "multi-signature");
    if (rc == MTL_OK)
        rc = proof_from_json(&p, jm, hint);
    if (rc == MTL_OK)
        rc = verify_proof(&p, &avk, msg, msg_len, params, hint);
    proof_clear(&p);
    json_decref(jm);
    json_decref(ja);
    return rc;
}

mtl_err mtl_stm_verify_multisig_jsonhex(const char *multisig_jsonhex, const char *avk_jsonhex,
                                        const uint8_t *msg, size_t msg_len,
                                        const struct mtl_stm_params *params)
{
    return verify_multisig(multisig_jsonhex, avk_jsonhex, NULL, msg, msg_len, params, NULL);
}

mtl_err mtl_stm_aggregate_decoded(const struct mtl_stm_closed_reg *closed,
                                  const struct mtl_stm_params *params,
                                  const struct mtl_stm_sig *const *sigs, size_t nsigs,
                                  const uint8_t *msg, size_t msg_len, char **multisig_jsonhex)
{
    *multisig_jsonhex = NULL;
    MTL_TRY(mtl_stm_params_check(params));
    const struct stm_single **in = mtl_calloc(nsigs ? nsigs : 1, sizeof(*in));
    const struct mtl_stm_sig **by_index = mtl_calloc(closed->n ? closed->n : 1, sizeof(*by_index));
    char *ms = NULL;
    struct parsed_proof typed;
    memset(&typed, 0, sizeof(typed));
    mtl_err rc = in && by_index ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "aggregate: out of memory");
    for (size_t i = 0; rc == MTL_OK && i < nsigs; i++) {
        in[i] = &sigs[i]->s;
        uint64_t si = in[i]->signer_index; /* a verified one first */
        if (si < closed->n && (!by_index[si] || (!by_index[si]->verified && sigs[i]->verified)))
            by_index[si] = sigs[i];
    }
    if (rc == MTL_OK)
        rc = clerk(closed, params, in, nsigs, &ms, &typed);
    if (rc == MTL_OK) {
        /* The result is verified like any multi-signature, against this
         * registration's AVK, from the parts its JSON was written from (not
         * parsed back: ~1 MB); only the decoding of points already checked
         * is reused. */
        struct stm_avk avk;
        memcpy(avk.root, closed->tree.nodes[0], 32);
        avk.nr_leaves = closed->n;
        avk.total_stake = closed->total_stake;
        struct decode_hint hint = {.closed = closed, .by_index = by_index};
        stm_check_fingerprint(hint.fp, closed, params, msg, msg_len);
        rc = decode_points(&typed, &hint);
        if (rc == MTL_OK)
            rc = verify_proof(&typed, &avk, msg, msg_len, params, &hint);
        if (rc != MTL_OK)
            rc = mtl_err_wrap(rc, "aggregate: the multi-signature does not verify");
    }
    if (rc == MTL_OK) {
        *multisig_jsonhex = ms;
        ms = NULL;
    }
    proof_clear(&typed);
    mtl_free(ms);
    mtl_free(in);
    mtl_free(by_index);
    return rc;
}

mtl_err mtl_stm_aggregate_jsonhex(const struct mtl_stm_closed_reg *closed,
                                  const struct mtl_stm_params *params,
                                  const char *const *sigs_jsonhex, size_t nsigs, const uint8_t *msg,
                                  size_t msg_len, char **multisig_jsonhex)
{
    return aggregate(closed, params, sigs_jsonhex, nsigs, msg, msg_len, multisig_jsonhex, 1);
}

mtl_err mtl_stm_aggregate_preverified_jsonhex(const struct mtl_stm_closed_reg *closed,
                                              const struct mtl_stm_params *params,
                                              const char *const *sigs_jsonhex, size_t nsigs,
                                              const uint8_t *msg, size_t msg_len,
                                              char **multisig_jsonhex)
{
    return aggregate(closed, params, sigs_jsonhex, nsigs, msg, msg_len, multisig_jsonhex, 0);
}
