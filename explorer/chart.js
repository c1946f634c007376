// chart.js - stake shares as a horizontal bar chart in plain SVG.

const NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#3b6fd8', '#e0823d', '#3aa57a', '#c34b6e', '#8a63c9', '#b8a02f', '#2f9fb8', '#7a7a7a'];

function svg(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// items: [{label, value}] (value: a stake, any non-negative number). Each bar's
// length is its share of the total, labelled with the percentage.
export function stakeChart(items, title) {
  const total = items.reduce((s, i) => s + Number(i.value), 0);
  const rowH = 22, labelW = 250, barW = 320, pad = 6;
  const height = items.length * rowH + 28;
  const root = svg('svg', {
    class: 'stake-chart', width: labelW + barW + 80, height,
    viewBox: `0 0 ${labelW + barW + 80} ${height}`, role: 'img',
  });
  root.append(svg('title', {}, title));
  root.append(svg('text', { x: 0, y: 14, class: 'chart-title' }, title));
  items.forEach((item, i) => {
    const share = total > 0 ? Number(item.value) / total : 0;
    const y = 24 + i * rowH;
    const label = item.label.length > 34 ? `${item.label.slice(0, 20)}…${item.label.slice(-10)}` : item.label;
    root.append(svg('text', { x: 0, y: y + 14, class: 'chart-label' }, label));
    root.append(svg('rect', {
      x: labelW, y: y + 3, height: rowH - pad, width: Math.max(1, share * barW),
      fill: PALETTE[i % PALETTE.length], 'data-party': item.label, 'data-share': share.toFixed(6),
    }));
    root.append(svg('text', { x: labelW + share * barW + 6, y: y + 14, class: 'chart-value' },
      `${(share * 100).toFixed(2)} %`));
  });
  return root;
}
