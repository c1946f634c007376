/*
 * mithril/mithril.h - umbrella header of libmithril.
 *
 * libmithril verifies (and produces) Mithril stake-based threshold
 * multi-signatures and certificates, byte-compatible with the reference
 * implementation. It never prints, starts no threads behind your back (except
 * where a function says so) and owns no global state but its error detail.
 */
#ifndef MITHRIL_MITHRIL_H
#define MITHRIL_MITHRIL_H

#include "mithril/export.h"
#include "mithril/err.h"
#include "mithril/util.h"
#if __has_include("mithril/stm.h")
#include "mithril/stm.h"
#endif
#if __has_include("mithril/certificate.h")
#include "mithril/certificate.h"
#endif
#if __has_include("mithril/chain_observer.h")
#include "mithril/chain_observer.h"
#endif
#include "mithril/pool_identity.h"
#if __has_include("mithril/cardano_db.h")
#include "mithril/cardano_db.h"
#endif
#include "mithril/mktree.h"
#include "mithril/cardano_proofs.h"
#include "mithril/cardano_block.h"

#endif
