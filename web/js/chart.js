// Small SVG charts, drawn by us (no chart library): a bar chart whose colours are the theme's
// custom properties (so it reads in light and dark), with the same numbers in a table that
// screen readers get instead of the picture. User data only ever goes in as text nodes.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** A "nice" top for the axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((step) => step * power).find((value) => value >= max);
}

/**
 * A bar chart as a <figure>: the SVG (aria-hidden) and a table with the numbers (visually
 * hidden, read by screen readers; `data-chart-table` for tests).
 *
 * @param {object} options
 * @param {string} options.title     the caption
 * @param {{label: string, value: number, title?: string}[]} options.data  one bar each
 * @param {string} options.labelHeader  the table's first column header ("Day")
 * @param {string} options.valueHeader  the table's second column header ("Plays")
 * @param {(value: number) => string} [options.format]  how a value is written
 * @param {number} [options.tickEvery]  label every n-th bar on the axis (default: about 8 labels)
 */
export function barChart({ title, data, labelHeader, valueHeader, format = String, tickEvery }) {
  const width = 720, height = 220, left = 40, bottom = 28, top = 10, right = 8;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...data.map((d) => d.value)));
  const step = data.length ? plotW / data.length : plotW;
  const every = tickEvery || Math.max(1, Math.ceil(data.length / 8));
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', 'aria-hidden': 'true', focusable: 'false' });
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotH - plotH * fraction;
    picture.append(svg('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'chart-grid' }),
      svg('text', { x: left - 6, y: y + 4, class: 'chart-axis', 'text-anchor': 'end' }, format(Math.round(max * fraction))));
  }
  data.forEach((d, i) => {
    const barH = plotH * (d.value / max);
    const x = left + i * step;
    picture.append(svg('rect', { x: x + step * 0.12, y: top + plotH - barH, width: Math.max(1, step * 0.76), height: Math.max(0, barH),
      class: 'chart-bar', 'data-value': d.value }, svg('title', {}, `${d.title || d.label}: ${format(d.value)}`)));
    if (i % every === 0) picture.append(svg('text', { x: x + step / 2, y: height - 8, class: 'chart-axis', 'text-anchor': 'middle' }, d.label));
  });
  const table = h('table', { class: 'visually-hidden', 'data-chart-table': '' },
    h('caption', { text: title }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: labelHeader }), h('th', { scope: 'col', text: valueHeader }))),
    h('tbody', {}, data.map((d) => h('tr', {}, h('th', { scope: 'row', text: d.title || d.label }), h('td', { text: format(d.value) })))));
  return h('figure', { class: 'chart-figure', 'data-chart': '' }, h('figcaption', { text: title }), picture, table);
}
