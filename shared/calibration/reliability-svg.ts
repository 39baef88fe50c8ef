/**
 * Reliability diagrams as standalone SVG, one panel per series (the desk's live drafts beside the
 * calibration in force; the evaluation harness's one round): one bar per confidence bin (observed share
 * right), the diagonal of perfect calibration, and each bin's draft count. Hand-written rather than drawn
 * with a charting package: a few bars per panel, and the registry's SVG chart libraries need a DOM (d3,
 * vega) or a browser to render, which a Lambda and `npm run eval` on a bare Node machine do not have.
 */
import type { ReliabilityBin } from '../trust/calibration.ts'

/** One panel: its caption and its bins (bounds on 0..1 or 0..100; accuracy on 0..1). */
export interface ReliabilityPanel {
  label: string
  bins: readonly ReliabilityBin[]
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const W = 560
const H = 420
const M = { left: 60, right: 20, top: 50, bottom: 60 }

/** One panel's SVG elements, drawn at horizontal offset `dx`. */
function panel(p: ReliabilityPanel, dx: number): string[] {
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const x = (v: number) => dx + M.left + v * pw
  const y = (v: number) => M.top + (1 - v) * ph
  const scale = p.bins.some((b) => b.max > 1) ? 100 : 1
  const parts = [
    `<text x="${dx + W / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.label)}</text>`,
  ]
  for (let t = 0; t <= 10; t += 2) {
    const v = t / 10
    parts.push(
      `<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${x(0) - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
      `<text x="${x(v)}" y="${H - M.bottom + 18}" text-anchor="middle">${Math.round(v * 100)}</text>`,
    )
  }
  for (const b of p.bins) {
    const lo = b.min / scale
    const bw = ((b.max - b.min) / scale) * pw
    if (b.drafts > 0 && b.accuracy !== null) {
      parts.push(
        `<rect x="${x(lo) + 2}" y="${y(b.accuracy)}" width="${bw - 4}" height="${y(0) - y(b.accuracy)}" fill="#4a7bd0" fill-opacity="0.8"><title>${esc(b.bucket)}: ${b.drafts} drafts, ${Math.round(b.accuracy * 100)}% right</title></rect>`,
      )
    }
    parts.push(
      `<text x="${x(lo) + bw / 2}" y="${y(0) - 4}" text-anchor="middle" fill="${b.drafts && b.accuracy ? '#fff' : '#999'}" font-size="10">${b.drafts}</text>`,
    )
  }
  parts.push(
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#d04a4a" stroke-dasharray="6 4" stroke-width="2"/>`,
    `<rect x="${x(0)}" y="${y(1)}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${dx + M.left + pw / 2}" y="${H - 20}" text-anchor="middle">confidence bucket (%), bar label = drafts in bucket</text>`,
    `<text x="${x(0) + 8}" y="${y(1) + 16}" fill="#d04a4a">dashed: perfect calibration</text>`,
  )
  return parts
}

/** The panels side by side in one SVG document. */
export function reliabilityDiagram(panels: readonly ReliabilityPanel[], title?: string): string {
  const width = W * Math.max(1, panels.length)
  const label = title ?? panels.map((p) => p.label).join(' | ')
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(label)}">`,
    `<title>${esc(label)}</title>`,
    `<rect width="${width}" height="${H}" fill="#fff"/>`,
    `<text x="16" y="${M.top + (H - M.top - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + (H - M.top - M.bottom) / 2})">observed share right</text>`,
    ...panels.flatMap((p, i) => panel(p, i * W)),
    '</svg>',
  ]
  return `${parts.join('\n')}\n`
}
