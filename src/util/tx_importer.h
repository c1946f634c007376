/*
 * tx_importer.h - the transactions import on a thread of its own (issue #19),
 * for the aggregator's runtime and the signer's cycle: the first import of a
 * long chain takes minutes and must not hold them back. The thread owns its
 * store object (the only writer of the transactions tables), imports the
 * completed chunks one app_tx_import call (one SQLite transaction) each,
 * publishes how far it is after each chunk and stops between two chunks.
 * Readers use a store object of their own on the same file: WAL shows them
 * whole chunks only.
 */
#ifndef MTL_UTIL_TX_IMPORTER_H
#define MTL_UTIL_TX_IMPORTER_H

#include <stdint.h>

#include "mithril/err.h"
#include "tx_store.h"

struct app_tx_importer;
/* Start importing the completed chunks of immutable_dir into s, now, every
 * interval_ms and whenever app_tx_importer_ready is asked. Takes s (freed by
 * app_tx_importer_stop, or here on error). Starts a thread. */
mtl_err app_tx_importer_start(struct app_tx_importer **out, struct app_tx_store *s,
                              const char *immutable_dir, unsigned interval_ms);
/* Stop after the chunk being imported, join the thread, free (NULL: no-op). */
void app_tx_importer_stop(struct app_tx_importer *w);
/* Never waits for the import: 1 with *tip, the highest block imported, when
 * every completed chunk of the directory is imported; 0 while the import has
 * not caught up (or nothing is imported). Wakes the importer. */
int app_tx_importer_ready(struct app_tx_importer *w, uint64_t *tip);

#endif
