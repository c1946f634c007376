/* aggregator_certifier.c - the certifier (see aggregator_certifier.h): the
 * open messages being signed, each with its signatures held once, decoded
 * and verified, by signer index, and the distinct lottery indexes they won;
 * on quorum the aggregation, then the certificate (aggregator_certificate.c).
 *
 * Threads: request threads add signatures (under mu); only the runtime
 * thread removes messages or signatures, so it reads the signatures of a
 * snapshot without the lock while it aggregates them. */
#include <string.h>

#include "aggregator_certifier.h"
#include "common/common_int.h"
#include "log.h"

struct held {
    char *key; /* signed entity JSON */
    uint64_t epoch, key_epoch;
    size_t n;                 /* signers of key_epoch */
    struct mtl_stm_sig **sig; /* by signer index, NULL when absent */
    size_t count;             /* signatures held */
    uint8_t *won;             /* lottery indexes won, a bit each (m bits) */
    uint64_t m, unique;       /* distinct indexes won */
    size_t tried;             /* count when an aggregation last lacked the quorum */
    int64_t quorum_at_ns;     /* when unique first reached k */
    struct held *next;
};

/* A signature that came before its open message (agg_certifier_buffer). */
struct buffered {
    struct mtl_signed_entity_type type;
    char *key, *party, *text;
    struct mtl_stm_sig *sig;
    struct buffered *next;
};

struct agg_certifier {
    pthread_mutex_t mu;
    size_t max_open, nopen;
    struct held *open;
    struct buffered *early; /* newest first */
    size_t nearly;
    void (*quorum)(void *);
    void *arg;
};

mtl_err agg_certifier_new(struct agg_certifier **out, size_t max_open, void (*quorum)(void *),
                          void *arg)
{
    *out = NULL;
    MTL_CHECK(max_open > 0, MTL_ERR_INVALID_ARG, "certifier: at least one open message");
    struct agg_certifier *c = mtl_calloc(1, sizeof(*c));
    MTL_CHECK(c, MTL_ERR_NOMEM, "certifier: out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->max_open = max_open;
    c->quorum = quorum;
    c->arg = arg;
    *out = c;
    return MTL_OK;
}

static void held_free(struct held *h)
{
    if (!h)
        return;
    for (size_t i = 0; h->sig && i < h->n; i++)
        mtl_stm_sig_free(h->sig[i]);
    mtl_free(h->sig);
    mtl_free(h->won);
    mtl_free(h->key);
    mtl_free(h);
}

static void buffered_free(struct buffered *b)
{
    if (!b)
        return;
    mtl_stm_sig_free(b->sig);
    mtl_free(b->key);
    mtl_free(b->party);
    mtl_free(b->text);
    mtl_free(b);
}

void agg_certifier_free(struct agg_certifier *c)
{
    if (!c)
        return;
    for (struct buffered *b = c->early, *nx; b; b = nx) {
        nx = b->next;
        buffered_free(b);
    }
    for (struct held *h = c->open, *nx; h; h = nx) {
        nx = h->next;
        held_free(h);
    }
    pthread_mutex_destroy(&c->mu);
    mtl_free(c);
}

static struct held *find(struct agg_certifier *c, const char *key)
{
    for (struct held *h = c->open; h; h = h->next)
        if (strcmp(h->key, key) == 0)
            return h;
    return NULL;
}

static mtl_err held_new(struct held **out, const char *key, uint64_t epoch,
                        const struct agg_signers *g, const struct mtl_stm_params *p)
{
    struct held *h = mtl_calloc(1, sizeof(*h));
    *out = NULL;
    MTL_CHECK(h, MTL_ERR_NOMEM, "certifier: out of memory");
    h->key = mtl_strdup(key);
    h->epoch = epoch;
    h->key_epoch = g->key_epoch;
    h->n = g->n;
    h->m = p->m;
    h->sig = mtl_calloc(g->n ? g->n : 1, sizeof(*h->sig));
    h->won = mtl_calloc((size_t)(p->m / 8 + 1), 1);
    if (!h->key || !h->sig || !h->won) {
        held_free(h);
        return mtl_seterr(MTL_ERR_NOMEM, "certifier: out of memory");
    }
    *out = h;
    return MTL_OK;
}

/* Hold sig (owned) at its signer index unless one is there; 1 when the
 * message reaches k distinct indexes with it. Under mu. */
static int held_add(struct held *h, struct mtl_stm_sig *sig, uint64_t k)
{
    size_t i = (size_t)mtl_stm_sig_signer_index(sig), nidx = 0;
    if (i >= h->n || h->sig[i]) { /* a party holds one signature per message */
        mtl_stm_sig_free(sig);
        return 0;
    }
    h->sig[i] = sig;
    h->count++;
    const uint64_t *idx = mtl_stm_sig_indexes(sig, &nidx);
    uint64_t before = h->unique;
    for (size_t j = 0; j < nidx; j++)
        if (idx[j] < h->m && !(h->won[idx[j] / 8] & (1u << (idx[j] % 8)))) {
            h->won[idx[j] / 8] |= (uint8_t)(1u << (idx[j] % 8));
            h->unique++;
        }
    if (before < k && h->unique >= k) {
        h->quorum_at_ns = agg_now_ns();
        return 1;
    }
    return 0;
}

/* A message with the signatures the store has for it (after a restart):
 * decoded once here; one that does not decode or whose party is not its
 * signer index (a damaged store) is left out. */
static mtl_err held_load(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                         const char *key, uint64_t epoch, struct held **out)
{
    char **party = NULL, **text = NULL;
    size_t n = 0;
    *out = NULL;
    MTL_TRY(agg_store_signatures(&a->store, key, &party, &text, &n));
    struct held *h = NULL;
    mtl_err e = held_new(&h, key, epoch, g, p);
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        struct mtl_stm_sig *sig = NULL;
        if (mtl_stm_sig_decode_jsonhex(&sig, text[i]) != MTL_OK ||
            mtl_stm_sig_signer_index(sig) != agg_signers_find(g, party[i])) {
            log_warn("stored_signature_ignored", "entity=%s party=%s", key, party[i]);
            mtl_stm_sig_free(sig);
            mtl_err_clear();
            continue;
        }
        held_add(h, sig, p->k);
    }
    agg_strv_free(party, n);
    agg_strv_free(text, n);
    if (e == MTL_OK && n)
        log_info("signatures_reloaded", "entity=%s signatures=%zu unique_indexes=%llu", key,
                 h->count, (unsigned long long)h->unique);
    *out = h;
    return e;
}

/* Insert h (owned) unless the key is held already; refused when full. */
static mtl_err hold(struct agg_certifier *c, struct held *h)
{
    pthread_mutex_lock(&c->mu);
    mtl_err e = MTL_OK;
    if (find(c, h->key)) {
        held_free(h);
    } else if (c->nopen >= c->max_open) {
        e = mtl_seterr(MTL_ERR_TOO_BIG,
                       "certifier: %zu open messages already collect signatures"
                       " (MAX_OPEN_MESSAGES), none taken for %s",
                       c->nopen, h->key);
        held_free(h);
    } else {
        h->next = c->open;
        c->open = h;
        c->nopen++;
    }
    pthread_mutex_unlock(&c->mu);
    return e;
}

/* Make sure m is held (loading what the store has: a restart). */
static mtl_err ensure_held(struct agg *a, const struct agg_open_message *m, struct agg_signers *g,
                           const struct mtl_stm_params *p)
{
    struct agg_certifier *c = a->certifier;
    pthread_mutex_lock(&c->mu);
    struct held *h = find(c, m->signed_entity);
    int full = !h && c->nopen >= c->max_open;
    mtl_err e = h && h->key_epoch != g->key_epoch
                    ? mtl_seterr(MTL_ERR_INTERNAL,
                                 "certifier: %s is signed by the signers of"
                                 " epoch %llu",
                                 m->signed_entity, (unsigned long long)h->key_epoch)
                    : MTL_OK;
    pthread_mutex_unlock(&c->mu);
    if (h || e != MTL_OK)
        return e;
    if (full) /* checked again by hold(): not loaded for nothing */
        return mtl_seterr(MTL_ERR_TOO_BIG,
                          "certifier: %zu open messages already collect signatures"
                          " (MAX_OPEN_MESSAGES), none taken for %s",
                          c->max_open, m->signed_entity);
    /* Certified since the caller read it (the certifier let it go): */
    struct agg_open_message now;
    e = agg_store_open_message_get(&a->store, m->signed_entity, &now);
    if (e == MTL_OK && now.is_certified)
        e = mtl_seterr(MTL_ERR_STATE, "%s is already certified", m->signed_entity);
    agg_open_message_clear(&now);
    struct held *loaded = NULL;
    if (e == MTL_OK)
        e = held_load(a, g, p, m->signed_entity, mtl_signed_entity_signed_epoch(&m->type), &loaded);
    return e == MTL_OK ? hold(c, loaded) : e;
}

mtl_err agg_certifier_register(struct agg *a, const struct agg_open_message *m,
                               struct agg_signers *g, const struct mtl_stm_params *p,
                               const char *party, const char *sig_text, struct mtl_stm_sig *sig)
{
    struct agg_certifier *c = a->certifier;
    size_t won = 0;
    mtl_stm_sig_indexes(sig, &won);
    mtl_err e = ensure_held(a, m, g, p);
    /* Stored before it is acknowledged (see the header); a party's second
     * signature of m is refused there. */
    if (e == MTL_OK)
        e = agg_store_put_signature(&a->store, m->signed_entity,
                                       mtl_signed_entity_signed_epoch(&m->type), party, sig_text,
                                    won);
    int quorum = 0;
    if (e == MTL_OK) {
        pthread_mutex_lock(&c->mu);
        struct held *h = find(c, m->signed_entity);
        if (h) /* else certified or expired meanwhile: stored, that is all */
            quorum = held_add(h, sig, p->k);
        pthread_mutex_unlock(&c->mu);
        if (!h)
            mtl_stm_sig_free(sig);
        sig = NULL;
    }
    mtl_stm_sig_free(sig);
    if (quorum && c->quorum)
        c->quorum(c->arg);
    return e;
}

/* Unlink and free the message key (runtime thread). */
static void let_go(struct agg_certifier *c, const char *key)
{
    pthread_mutex_lock(&c->mu);
    for (struct held **pp = &c->open; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->key, key) == 0) {
            struct held *h = *pp;
            *pp = h->next;
            c->nopen--;
            held_free(h);
            break;
        }
    pthread_mutex_unlock(&c->mu);
}

void agg_certifier_expire(struct agg_certifier *c, uint64_t epoch)
{
    pthread_mutex_lock(&c->mu);
    for (struct held **pp = &c->open; *pp;) {
        struct held *h = *pp;
        if (h->epoch < epoch) {
            log_info("open_message_expired", "entity=%s signatures=%zu", h->key, h->count);
            *pp = h->next;
            c->nopen--;
            held_free(h);
        } else {
            pp = &h->next;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void agg_certifier_held(struct agg_certifier *c, const char *key, size_t *count, uint64_t *unique)
{
    pthread_mutex_lock(&c->mu);
    struct held *h = find(c, key);
    *count = h ? h->count : 0;
    *unique = h ? h->unique : 0;
    pthread_mutex_unlock(&c->mu);
}

size_t agg_certifier_open_count(struct agg_certifier *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->nopen;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* ---- certification (runtime thread) --------------------------------------- */

void agg_cert_sigs_clear(struct agg_cert_sigs *s)
{
    mtl_free(s->sig);
    mtl_free(s->pos);
    mtl_free(s->multisig);
    s->sig = NULL;
    s->pos = NULL;
    s->multisig = NULL;
    s->n = 0;
}

/* The signatures held for h in party id order (the certificate lists its
 * signers so), with their signer indexes. Under mu. */
static mtl_err snapshot(const struct held *h, const struct agg_signers *g, struct agg_cert_sigs *s)
{
    s->n = 0;
    MTL_CHECK(h->key_epoch == g->key_epoch && h->n == g->n, MTL_ERR_INTERNAL,
              "certifier: %s was signed by the signers of epoch %llu", h->key,
              (unsigned long long)h->key_epoch);
    s->sig = mtl_calloc(h->count ? h->count : 1, sizeof(*s->sig));
    s->pos = mtl_calloc(h->count ? h->count : 1, sizeof(*s->pos));
    if (!s->sig || !s->pos) {
        agg_cert_sigs_clear(s);
        return mtl_seterr(MTL_ERR_NOMEM, "certifier: out of memory");
    }
    for (size_t j = 0; j < g->n && s->n < h->count; j++) {
        size_t i = g->by_name[j];
        if (h->sig[i]) {
            s->sig[s->n] = h->sig[i];
            s->pos[s->n++] = i;
        }
    }
    s->quorum_at_ns = h->quorum_at_ns;
    return MTL_OK;
}

/* Each signature checked again alone; those that fail are let go (and the
 * won indexes recounted). Returns how many were let go. */
static size_t drop_invalid(struct agg_certifier *c, const char *key, struct agg_signers *g,
                           const struct mtl_stm_params *p, const char *msg,
                           const struct agg_cert_sigs *s)
{
    size_t dropped = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (agg_verify_signature(g, p, s->sig[i], msg))
            continue;
        log_warn("signature_dropped", "entity=%s party=%s reason=\"does not verify\"", key,
                 g->party[s->pos[i]]);
        pthread_mutex_lock(&c->mu);
        struct held *h = find(c, key);
        if (h && h->sig[s->pos[i]] == s->sig[i]) {
            mtl_stm_sig_free(h->sig[s->pos[i]]);
            h->sig[s->pos[i]] = NULL;
            h->count--;
            dropped++;
        }
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_lock(&c->mu);
    struct held *h = find(c, key);
    if (h && dropped) { /* recount the distinct indexes of those left */
        memset(h->won, 0, (size_t)(h->m / 8 + 1));
        h->unique = 0;
        for (size_t i = 0; i < h->n; i++) {
            struct mtl_stm_sig *sig = h->sig[i];
            if (sig) {
                h->sig[i] = NULL;
                h->count--;
                held_add(h, sig, p->k);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return dropped;
}

/* Aggregate the signatures held for key: they were verified on arrival, and
 * mtl_stm_aggregate_decoded verifies the multi-signature it builds. Should
 * that fail, each is checked again alone, the failing ones dropped, and the
 * rest aggregated once more. */
static mtl_err aggregate(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                         const struct agg_open_message *m, struct agg_cert_sigs *s)
{
    struct agg_certifier *c = a->certifier;
    for (int attempt = 0;; attempt++) {
        pthread_mutex_lock(&c->mu);
        struct held *h = find(c, m->signed_entity);
        mtl_err e = h ? snapshot(h, g, s)
                      : mtl_seterr(MTL_ERR_STATE, "certifier: %s not held", m->signed_entity);
        pthread_mutex_unlock(&c->mu);
        MTL_TRY(e);
        s->t_loaded = agg_now_ns();
        e = mtl_stm_aggregate_decoded(g->closed, p, (const struct mtl_stm_sig *const *)s->sig, s->n,
                                      (const uint8_t *)m->signed_message, 64, &s->multisig);
        if (e == MTL_OK || e == MTL_ERR_NOT_ENOUGH_SIGS || e == MTL_ERR_NOMEM || attempt)
            return e;
        log_warn("aggregate_recheck", "entity=%s error=\"%s\"", m->signed_entity, mtl_err_detail());
        size_t dropped = drop_invalid(c, m->signed_entity, g, p, m->signed_message, s);
        agg_cert_sigs_clear(s);
        if (!dropped)
            return mtl_seterr(MTL_ERR_INTERNAL,
                              "aggregate of %s does not verify, every signature does",
                              m->signed_entity);
    }
}

/* After a restart: hold what the store has for m, if anything. */
static mtl_err reload(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                      const struct agg_open_message *m, int *ready, size_t *count)
{
    struct held *h = NULL;
    MTL_TRY(held_load(a, g, p, m->signed_entity, mtl_signed_entity_signed_epoch(&m->type), &h));
    *ready = h->unique >= p->k;
    *count = h->count;
    if (h->count)
        return hold(a->certifier, h);
    held_free(h);
    return MTL_OK;
}

void agg_certifier_try(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                       const char *key)
{
    struct agg_certifier *c = a->certifier;
    pthread_mutex_lock(&c->mu);
    struct held *h = find(c, key);
    int ready = h && h->unique >= p->k && h->count != h->tried;
    size_t count = h ? h->count : 0;
    pthread_mutex_unlock(&c->mu);
    if (h && !ready)
        return; /* every signature is held: no quorum yet */
    struct agg_open_message m;
    struct agg_cert_sigs s;
    memset(&s, 0, sizeof(s));
    s.t0 = agg_now_ns();
    s.cpu0 = agg_thread_cpu_ns();
    mtl_err e = agg_store_open_message_get(&a->store, key, &m);
    if (e == MTL_OK && !h)
        e = reload(a, g, p, &m, &ready, &count);
    if (e == MTL_OK && ready)
        e = aggregate(a, g, p, &m, &s);
    s.t_aggregated = agg_now_ns();
    s.cpu_aggregated = agg_thread_cpu_ns();
    if (e == MTL_OK && ready)
        e = agg_certificate_make(a, g, p, &m, &s);
    if (e == MTL_OK && ready)
        let_go(c, key);
    else if (e == MTL_ERR_NOT_ENOUGH_SIGS) {
        log_debug("no_quorum", "entity=%s signatures=%zu", key, count);
        pthread_mutex_lock(&c->mu);
        if ((h = find(c, key)))
            h->tried = h->count;
        pthread_mutex_unlock(&c->mu);
        mtl_err_clear();
    } else if (e != MTL_OK)
        log_error("certify", "entity=%s error=\"%s\"", key, mtl_err_detail());
    agg_cert_sigs_clear(&s);
    agg_open_message_clear(&m);
}

/* ---- signatures before their open message ----------------------------------- */

mtl_err agg_certifier_buffer(struct agg_certifier *c, const struct mtl_signed_entity_type *t,
                             const char *key, const char *party, const char *sig_text,
                             struct mtl_stm_sig *sig)
{
    struct buffered *b = mtl_calloc(1, sizeof(*b));
    if (b) {
        b->type = *t;
        b->sig = sig;
        b->key = mtl_strdup(key);
        b->party = mtl_strdup(party);
        b->text = mtl_strdup(sig_text);
    }
    if (!b || !b->key || !b->party || !b->text) {
        if (b)
            buffered_free(b);
        else
            mtl_stm_sig_free(sig);
        return mtl_seterr(MTL_ERR_NOMEM, "certifier: out of memory");
    }
    pthread_mutex_lock(&c->mu);
    for (struct buffered **pp = &c->early; *pp; pp = &(*pp)->next)
        if ((*pp)->type.kind == t->kind && strcmp((*pp)->party, party) == 0) {
            struct buffered *old = *pp; /* one per party and kind: the newer wins */
            *pp = old->next;
            log_debug("buffered_signature_replaced", "party=%s entity=%s by=%s", party, old->key,
                      key);
            buffered_free(old);
            c->nearly--;
            break;
        }
    b->next = c->early;
    c->early = b;
    c->nearly++;
    pthread_mutex_unlock(&c->mu);
    return MTL_OK;
}

size_t agg_certifier_buffered(struct agg_certifier *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->nearly;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* One buffered signature whose message m is open, its verification
 * against m done (valid): registered (b->sig handed over) or dropped. */
static void drain_one(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                      const struct agg_open_message *m, struct buffered *b, int valid)
{
    const char *why = NULL;
    if (m->is_certified)
        why = "already certified";
    else if (mtl_stm_sig_signer_index(b->sig) != agg_signers_find(g, b->party))
        why = "not a signer of this message";
    else if (!valid)
        why = "does not verify against the open message";
    if (why) {
        log_warn("buffered_signature_dropped", "entity=%s party=%s reason=\"%s\"", b->key,
                 b->party, why);
        return;
    }
    struct mtl_stm_sig *sig = b->sig;
    b->sig = NULL; /* the certifier's from now on */
    mtl_err e = agg_certifier_register(a, m, g, p, b->party, b->text, sig);
    if (e == MTL_OK)
        log_debug("buffered_signature_registered", "entity=%s party=%s", b->key, b->party);
    else
        log_warn("buffered_signature_dropped", "entity=%s party=%s reason=\"%s\"", b->key,
                 b->party, mtl_err_detail());
    mtl_err_clear();
}

/* The n buffered signatures of one open message m: verified together (one
 * batch), then each registered or dropped. */
static void drain_group(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                        const struct agg_open_message *m, struct buffered **grp, size_t n)
{
    const struct mtl_stm_sig **sigs = mtl_calloc(n, sizeof(*sigs));
    int *ok = mtl_calloc(n, sizeof(*ok));
    for (size_t i = 0; sigs && ok && i < n; i++)
        sigs[i] = grp[i]->sig;
    if (!sigs || !ok || mtl_stm_sigs_verify_batch(g->closed, p, sigs, n,
                                                  (const uint8_t *)m->signed_message, 64,
                                                  ok) != MTL_OK) {
        log_warn("buffered_signatures_kept", "entity=%s error=\"%s\"", m->signed_entity,
                 mtl_err_detail());
        mtl_err_clear();
        for (size_t i = 0; ok && i < n; i++)
            ok[i] = 0;
    }
    for (size_t i = 0; i < n; i++)
        drain_one(a, g, p, m, grp[i], ok ? ok[i] : 0);
    mtl_free(sigs);
    mtl_free(ok);
}

/* Put the buffered signatures kept back in, unless a newer one of the same
 * party and kind came meanwhile. */
static void unbuffer(struct agg_certifier *c, struct buffered *keep)
{
    pthread_mutex_lock(&c->mu);
    while (keep) {
        struct buffered *b = keep, *x = c->early;
        keep = b->next;
        while (x && !(x->type.kind == b->type.kind && strcmp(x->party, b->party) == 0))
            x = x->next;
        if (x) {
            buffered_free(b);
            continue;
        }
        b->next = c->early;
        c->early = b;
        c->nearly++;
    }
    pthread_mutex_unlock(&c->mu);
}

void agg_certifier_drain(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                         uint64_t epoch)
{
    struct agg_certifier *c = a->certifier;
    pthread_mutex_lock(&c->mu);
    struct buffered *list = c->early, *keep = NULL;
    size_t total = c->nearly;
    c->early = NULL;
    c->nearly = 0;
    pthread_mutex_unlock(&c->mu);
    struct buffered **grp = list ? mtl_calloc(total, sizeof(*grp)) : NULL;
    while (list) {
        /* the signatures of the first one's entity, one store read for them */
        struct buffered *first = list, **pp = &list;
        size_t n = 0;
        while (*pp) {
            struct buffered *b = *pp;
            if (grp && strcmp(b->key, first->key) == 0) {
                *pp = b->next;
                grp[n++] = b;
            } else
                pp = &b->next;
        }
        if (!grp) { /* out of memory: all kept for the next tick */
            keep = list;
            break;
        }
        struct agg_open_message m;
        uint64_t signed_epoch = mtl_signed_entity_signed_epoch(&first->type);
        int open = signed_epoch >= epoch &&
                   agg_store_open_message_get(&a->store, first->key, &m) == MTL_OK;
        mtl_err_clear();
        if (signed_epoch < epoch)
            log_info("buffered_signatures_expired", "entity=%s signatures=%zu", first->key, n);
        else if (open && signed_epoch == epoch)
            drain_group(a, g, p, &m, grp, n);
        int wait = signed_epoch >= epoch && !(open && signed_epoch == epoch);
        for (size_t i = 0; i < n; i++) { /* grp[0] is first: not read below */
            if (wait) {
                grp[i]->next = keep; /* not open yet */
                keep = grp[i];
            } else
                buffered_free(grp[i]);
        }
        if (open)
            agg_open_message_clear(&m);
    }
    mtl_free(grp);
    unbuffer(c, keep);
}
