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
#include "mithril/stm.h"
#include "mithril/signed_entity.h"
#include "mithril/certificate.h"
#include "mithril/era.h"
#include "mithril/pool_identity.h"
#include "mithril/cardano_db.h"
#include "mithril/mktree.h"
#include "mithril/cardano_proofs.h"
#include "mithril/cardano_block.h"

#endif
