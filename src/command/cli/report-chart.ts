import { escapeHtml } from './html';

const WIDTH = 720;
const HEIGHT = 220;
const MARGIN = { top: 16, right: 16, bottom: 40, left: 44 };

/**
 * Unattested calls per day as an inline SVG bar chart: no script and no network at view time.
 * Each bar carries its day and count (data attributes and a <title> tooltip).
 */
export function perDayChart(perDay: Array<{ day: string; count: number }>): string {
  if (perDay.length === 0) return '<p class="empty">No unattested calls to chart.</p>';
  // A loop, not Math.max(...counts): spreading a long array overflows the call stack.
  let max = 1;
  for (const d of perDay) if (d.count > max) max = d.count;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotW / perDay.length;
  const barW = Math.min(48, Math.max(1, slot * 0.7));
  // Label at most ~10 days, so the axis stays readable over months.
  const labelEvery = Math.ceil(perDay.length / 10);
  const bars = perDay.map((d, i) => {
    const h = (d.count / max) * plotH;
    const x = MARGIN.left + i * slot + (slot - barW) / 2;
    const y = MARGIN.top + plotH - h;
    const label =
      i % labelEvery === 0
        ? `<text class="tick" x="${(x + barW / 2).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(d.day.slice(5))}</text>`
        : '';
    return (
      `<rect class="bar" data-day="${escapeHtml(d.day)}" data-count="${d.count}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}">` +
      `<title>${escapeHtml(d.day)}: ${d.count} unattested</title></rect>${label}`
    );
  });
  const axisY = MARGIN.top + plotH;
  return [
    `<svg id="per-day-chart" role="img" aria-label="Unattested calls per day" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">`,
    `<line class="axis" x1="${MARGIN.left}" y1="${axisY}" x2="${WIDTH - MARGIN.right}" y2="${axisY}"/>`,
    `<text class="tick" x="${MARGIN.left - 6}" y="${MARGIN.top + 4}" text-anchor="end">${max}</text>`,
    `<text class="tick" x="${MARGIN.left - 6}" y="${axisY}" text-anchor="end">0</text>`,
    ...bars,
    '</svg>',
  ].join('\n');
}
