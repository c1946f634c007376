/* follower_fixture.h - a leader's chain for the follower's test and benchmark:
 * genesis at epoch 1, then one multi-signed MithrilStakeDistribution
 * certificate per epoch by the same signers (stakes 1/(i+1), as skewed as a
 * real distribution), and a stand-in leader serving it over HTTP. */
#ifndef MTL_FOLLOWER_FIXTURE_H
#define MTL_FOLLOWER_FIXTURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "httpd.h"
#include "mithril/mithril.h"

struct ff_chain {
    json_t *by_hash; /* hash -> certificate JSON text; the leader serves what it holds */
    char genesis[MTL_HASH_HEX_BYTES], latest[MTL_HASH_HEX_BYTES];
    uint64_t latest_epoch;
    char *vk_text; /* genesis verification key, JSON-hex */
};

/* A chain of ncerts certificates (epochs 1..ncerts) of nsigners signers;
 * progress (optional) is called every 50 certificates. */
mtl_err ff_chain_make(struct ff_chain *ch, size_t ncerts, size_t nsigners,
                      const struct mtl_stm_params *p, void (*progress)(size_t done));
void ff_chain_clear(struct ff_chain *ch);
/* Serve ch on 127.0.0.1 (any port): /aggregator/certificates (the latest),
 * /aggregator/certificate/genesis and /aggregator/certificate/<hash>; url
 * gets the /aggregator endpoint. */
mtl_err ff_leader_start(struct app_httpd **h, struct ff_chain *ch, char url[128]);
/* mtl_certificate_fetch_fn over ch->by_hash (ctx). */
mtl_err ff_memory_fetch(void *ctx, const char *hash, char **json, size_t *len);

#endif
