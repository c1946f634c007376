/* aggregator_follower.h - shared by the follower's files
 * (aggregator_follower.c: epochs, signers, status; aggregator_follower_chain.c:
 * the certificate chain). */
#ifndef MTL_AGGREGATOR_FOLLOWER_H
#define MTL_AGGREGATOR_FOLLOWER_H

#include "aggregator_int.h"

struct agg_follower {
    char endpoint[1024]; /* no trailing slash */
    uint8_t genesis_vk[MTL_GENESIS_VK_BYTES];
    pthread_mutex_t mu; /* state and error, read by /status */
    char state[32], error[512];
    uint64_t refused_epoch; /* a refused chain is fetched again at the next epoch */
    int refused, waiting_logged;
};

/* GET route of the leader: *body on 200 (its length in *len when not
 * NULL); MTL_ERR_NOT_FOUND on 404; else MTL_ERR_HTTP naming the URL (*status,
 * when not NULL, is 0 when the leader could not be reached). */
mtl_err agg_leader_get(const struct agg_follower *f, const char *route, char **body, size_t *len,
                       long *status);
/* The same, parsed as JSON. */
mtl_err agg_leader_json(const struct agg_follower *f, const char *route, json_t **out,
                        long *status);

#endif
