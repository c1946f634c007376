// api.js - the aggregator's read routes (openapi.yaml of the reference).

const API_VERSION = '0.1.68';

export class Aggregator {
  constructor(url) {
    this.url = url.replace(/\/+$/, '');
  }

  // GET a route; null when the aggregator answers 404 (nothing of that kind).
  async get(route) {
    const res = await fetch(this.url + route, {
      headers: { 'mithril-api-version': API_VERSION, 'mithril-origin-tag': 'EXPLORER' },
    });
    if (res.status === 404) return null;
    if (!res.ok) {
      let why = '';
      try { why = (await res.json()).message || ''; } catch { /* not JSON */ }
      throw new Error(`GET ${route}: HTTP ${res.status}${why ? `: ${why}` : ''}`);
    }
    return res.json();
  }
}

// The artifact kinds: list route, and the columns of a list item.
export const ARTIFACT_KINDS = [
  {
    name: 'MithrilStakeDistribution', route: '/artifact/mithril-stake-distributions',
    columns: [['epoch', (a) => a.epoch]],
  },
  {
    name: 'CardanoDatabase', route: '/artifact/cardano-database',
    columns: [
      ['epoch', (a) => a.beacon?.epoch],
      ['immutable file', (a) => a.beacon?.immutable_file_number],
      ['Merkle root', (a) => a.merkle_root, true],
      ['size', (a) => (a.total_db_size_uncompressed === undefined ? '' : `${a.total_db_size_uncompressed} B`)],
    ],
  },
  {
    name: 'CardanoStakeDistribution', route: '/artifact/cardano-stake-distributions',
    columns: [['epoch', (a) => a.epoch]],
  },
  {
    name: 'CardanoTransactions', route: '/artifact/cardano-transactions',
    columns: [['epoch', (a) => a.epoch], ['block', (a) => a.block_number], ['Merkle root', (a) => a.merkle_root, true]],
  },
  {
    name: 'CardanoBlocksTransactions', route: '/artifact/cardano-blocks-transactions',
    columns: [
      ['epoch', (a) => a.epoch], ['block signed', (a) => a.block_number_signed],
      ['block tip', (a) => a.block_number_tip], ['Merkle root', (a) => a.merkle_root, true],
    ],
  },
];

// The proof routes by kind of the Verify form.
export const PROOF_ROUTES = {
  transaction: (h) => `/proof/cardano-transaction?transaction_hashes=${encodeURIComponent(h)}`,
  'transaction-v2': (h) => `/proof/v2/cardano-transaction?transaction_hashes=${encodeURIComponent(h)}`,
  block: (h) => `/proof/v2/cardano-block?block_hashes=${encodeURIComponent(h)}`,
};
