// views.js - what the aggregator serves, shown: status and parameters, the
// certificate chain, artifacts with their certificates, signers per epoch.

import { ARTIFACT_KINDS } from './api.js';
import { stakeChart } from './chart.js';
import { el, entityBeacon, entityName, fmtAda, fmtDate, replace, short, table } from './dom.js';

const params = (p) => (p ? `k=${p.k}, m=${p.m}, φ_f=${p.phi_f}` : '');

export function renderStatus(status, settings, features) {
  const kv = (k, v) => el('tr', null, el('th', null, k), el('td', null, v));
  const types = features?.capabilities?.signed_entity_types || [];
  replace('status',
    kv('epoch', status?.epoch ?? settings?.epoch ?? '?'),
    kv('network', status?.cardano_network ?? ''),
    kv('Cardano era', status?.cardano_era ?? ''),
    kv('Mithril era', status?.mithril_era ?? ''),
    kv('aggregator version', status?.aggregator_node_version ?? ''),
    kv('signed entity types', types.join(', ')),
    kv('signers (this epoch / next)', status ? `${status.total_signers} / ${status.total_next_signers}` : ''),
    kv('signers stake (this epoch / next)',
      status ? `${fmtAda(status.total_stakes_signers)} / ${fmtAda(status.total_next_stakes_signers)}` : ''),
    kv('Cardano pools / stake', status ? `${status.total_cardano_spo} / ${fmtAda(status.total_cardano_stake)}` : ''));
  replace('parameters',
    el('caption', null, 'protocol parameters'),
    el('tr', null, el('th', null, ''), el('th', null, 'k'), el('th', null, 'm'), el('th', null, 'φ_f')),
    [['current epoch', status?.protocol], ['next epoch', status?.next_protocol],
      ['signer registration', settings?.signer_registration_protocol]]
      .filter(([, p]) => p)
      .map(([name, p]) => el('tr', null, el('th', null, name), el('td', null, p.k), el('td', null, p.m),
        el('td', null, p.phi_f))));
}

function certLink(hash, onOpen) {
  if (!hash) return '(genesis)';
  return el('a', { href: `#certificate/${hash}`, class: 'hash', title: hash, onclick: () => onOpen(hash) },
    short(hash));
}

export function renderCertificates(list, onOpen) {
  const known = new Set(list.map((c) => c.hash));
  const body = document.querySelector('#certificates tbody');
  body.replaceChildren(...list.map((c) => el('tr', { id: `cert-${c.hash}`, class: known.has(c.previous_hash) ? 'linked' : '' },
    el('td', null, certLink(c.hash, onOpen)),
    el('td', null, c.epoch),
    el('td', null, `${entityName(c.signed_entity_type)} ${entityBeacon(c.signed_entity_type)}`),
    el('td', null, c.metadata?.total_signers ?? ''),
    el('td', null, c.previous_hash ? certLink(c.previous_hash, onOpen) : 'genesis'),
    el('td', null, fmtDate(c.metadata?.sealed_at)))));
}

// One certificate: its fields, signers with stake, parent link.
export function renderCertificate(c, onOpen) {
  const signers = c.metadata?.signers || [];
  const total = signers.reduce((s, x) => s + Number(x.stake), 0);
  const parts = Object.entries(c.protocol_message?.message_parts || {});
  const box = replace('certificate-detail',
    el('h3', null, `Certificate ${short(c.hash)}`),
    table(['field', 'value'], [
      ['hash', el('code', null, c.hash)],
      ['parent', c.previous_hash ? certLink(c.previous_hash, onOpen) : 'none: genesis certificate'],
      ['epoch', c.epoch],
      ['signed entity', `${entityName(c.signed_entity_type)} ${entityBeacon(c.signed_entity_type)}`],
      ['protocol parameters', params(c.metadata?.parameters)],
      ['kind', c.genesis_signature ? 'genesis (signed with the genesis key)' : 'multi-signed by the signers below'],
      ['signed message', el('code', null, c.signed_message)],
      ['sealed at', fmtDate(c.metadata?.sealed_at)],
    ], { class: 'kv' }),
    el('h4', null, `Signers (${signers.length})`),
    table(['party id', 'stake', 'share'], signers.map((s) => [
      el('code', { class: 'party' }, s.party_id), fmtAda(s.stake),
      total ? `${((100 * Number(s.stake)) / total).toFixed(2)} %` : '']), { id: 'certificate-signers' }),
    el('h4', null, 'Protocol message'),
    table(['part', 'value'], parts.map(([k, v]) => [k, el('code', { class: 'wrap' }, v)]), { class: 'kv' }));
  box.hidden = false;
}

export function renderArtifacts(results, onOpen) {
  const sections = ARTIFACT_KINDS.map((kind, i) => {
    const r = results[i];
    const head = el('h3', null, kind.name);
    if (r.error) return el('div', { class: 'artifact-kind', id: `artifacts-${kind.name}` }, head, el('p', { class: 'error' }, r.error));
    if (!r.items || r.items.length === 0) {
      return el('div', { class: 'artifact-kind empty', id: `artifacts-${kind.name}` }, head, el('p', { class: 'note' }, 'none certified'));
    }
    return el('div', { class: 'artifact-kind', id: `artifacts-${kind.name}` }, head,
      table(['artifact', ...kind.columns.map(([n]) => n), 'certificate', 'created'],
        r.items.map((a) => [el('code', { title: a.hash }, short(a.hash)),
          ...kind.columns.map(([, f, isHash]) => (isHash ? el('code', { title: f(a) }, short(f(a))) : f(a) ?? '')),
          certLink(a.certificate_hash, onOpen), fmtDate(a.created_at)])));
  });
  replace('artifacts', sections);
}

// regs: [{epoch, data: SignersRegistrationMessage | null}], newest first.
export function renderSigners(regs, settings) {
  const blocks = regs.filter((r) => r.data && r.data.registrations?.length).map(({ epoch, data }) => {
    const rs = [...data.registrations].sort((a, b) => Number(b.stake) - Number(a.stake));
    return el('div', { class: 'signers-epoch', id: `signers-${epoch}` },
      el('h3', null, `Registered at epoch ${data.registered_at}, signing at epoch ${data.signing_at}`),
      el('div', { class: 'cols' },
        table(['party id', 'stake'], rs.map((r) => [el('code', { class: 'party' }, r.party_id), fmtAda(r.stake)])),
        stakeChart(rs.map((r) => ({ label: r.party_id, value: r.stake })),
          `stake shares of the ${rs.length} signers registered at epoch ${data.registered_at}`)));
  });
  if (blocks.length === 0) blocks.push(el('p', { class: 'note' }, 'no signer registrations known'));
  if (settings) {
    const ids = (l) => (l || []).map((s) => s.party_id).join(', ') || 'none';
    blocks.unshift(el('p', null, `Epoch ${settings.epoch}: signing now: ${ids(settings.current_signers)}; `
      + `next epoch: ${ids(settings.next_signers)}`));
  }
  replace('signers', blocks);
}
