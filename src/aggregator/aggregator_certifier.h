/* aggregator_certifier.h - the certifier: owns the open messages being
 * signed and their single signatures, each held once, decoded and verified,
 * by signer index; sees the quorum as they arrive; on quorum aggregates them
 * into a certificate the store writes with its artifact in one transaction.
 *
 * Bounded: at most MAX_OPEN_MESSAGES messages hold signatures at a time; a
 * signature for one more is refused (MTL_ERR_TOO_BIG), nothing is evicted.
 * A message leaves when certified or when its epoch is over.
 *
 * Durability: each accepted signature is also written to the store before
 * it is acknowledged, as the reference's certifier does (its
 * SingleSignatureRepository): our signers mark a message signed on a 201 and
 * never send it again, so signatures kept only in memory would leave the
 * message without a quorum after a restart. The store is only written, never
 * read back on the quorum path; after a restart the certifier reloads a
 * message's signatures from it once.
 *
 * Signatures that arrive before their message opens are buffered (in memory,
 * one per party and kind) and handed over when it opens (agg_certifier_drain). */
#ifndef MTL_AGGREGATOR_CERTIFIER_H
#define MTL_AGGREGATOR_CERTIFIER_H

#include "aggregator_int.h"

struct agg_certifier;

/* A certifier holding at most max_open messages (> 0); quorum(arg) is
 * called (from the thread handing the signature) when a message reaches
 * its quorum. */
mtl_err agg_certifier_new(struct agg_certifier **out, size_t max_open, void (*quorum)(void *),
                          void *arg);
void agg_certifier_free(struct agg_certifier *c);

/* Hand one accepted signature of open message m (decoded, its signer index
 * that of party in g, verified against m): stored, then held. sig is owned
 * from now on (also on failure). MTL_ERR_CONFLICT when the party already
 * signed m, MTL_ERR_STATE when m is certified meanwhile, MTL_ERR_TOO_BIG
 * when the certifier is full. Calls the quorum callback when m reaches it.
 * Any thread. */
mtl_err agg_certifier_register(struct agg *a, const struct agg_open_message *m,
                               struct agg_signers *g, const struct mtl_stm_params *p,
                               const char *party, const char *sig_text, struct mtl_stm_sig *sig);

/* Certify the open message key with the signers g when it has the quorum
 * (loading its stored signatures first after a restart). Runtime thread. */
void agg_certifier_try(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                       const char *key);

/* Let go of the messages of epochs before epoch (no longer signable).
 * Runtime thread. */
void agg_certifier_expire(struct agg_certifier *c, uint64_t epoch);

/* ---- signatures that arrive before their open message ----------------------- */
/* Keep sig (owned from now on, also on failure; sig_text its wire form) of
 * party for the signed entity t (key: its JSON) whose message is not open
 * yet: the caller authenticated it (a signer of the epoch, its signature
 * valid for the signed_message it claims). Bounded per signer as the
 * reference's buffer: one per party and kind, a newer one replaces the
 * older (dropped). Any thread. */
mtl_err agg_certifier_buffer(struct agg_certifier *c, const struct mtl_signed_entity_type *t,
                             const char *key, const char *party, const char *sig_text,
                             struct mtl_stm_sig *sig);
/* Hand over the buffered signatures whose message is open now (epoch's,
 * signers g): each verified against that message then and registered as
 * if it had just arrived; one that does not verify, or whose message is
 * certified, is dropped with a log line; those of epochs before `epoch` are
 * dropped. One store read and one batch verification per message. Runtime
 * thread, after messages are opened. */
void agg_certifier_drain(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                         uint64_t epoch);
/* Signatures buffered (all kinds). */
size_t agg_certifier_buffered(struct agg_certifier *c);

/* Signatures held for key and the distinct lottery indexes they won (0, 0
 * when key is not held); the number of messages held. */
void agg_certifier_held(struct agg_certifier *c, const char *key, size_t *count, uint64_t *unique);
size_t agg_certifier_open_count(struct agg_certifier *c);

/* ---- between the certifier and the certificate builder ------------------- */
/* The signatures of one certification, in party id order (borrowed from the
 * certifier: valid until the runtime thread lets the message go). */
struct agg_cert_sigs {
    const struct mtl_stm_sig **sig;
    size_t *pos, n; /* signer index of each */
    char *multisig; /* their aggregate (JSON-hex) */
    int64_t quorum_at_ns, t0, t_loaded, t_aggregated;
    int64_t cpu0, cpu_aggregated; /* the runtime thread's CPU time then */
};
void agg_cert_sigs_clear(struct agg_cert_sigs *s);
/* aggregator_certificate.c: the certificate of m from s->multisig, checked
 * against the chain, its artifact, both stored in one transaction. */
mtl_err agg_certificate_make(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                             const struct agg_open_message *m, const struct agg_cert_sigs *s);

#endif
