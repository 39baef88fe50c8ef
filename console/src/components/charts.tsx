/**
 * Small SVG charts: stacked bars (vertical or horizontal) and a line chart. Hand-drawn rather than a chart
 * library because these three shapes take ~150 lines, add nothing to load, and draw with the page's own
 * styles; uPlot (the smallest library measured, ~21 KB gzip) would have been the next choice. Each chart
 * has a title and a table of its numbers for screen readers.
 */
import type { ReactNode } from 'react'

export interface Series {
  name: string
  color: string
}

const W = 640
const PAD = { left: 44, right: 12, top: 10, bottom: 34 }

function niceMax(max: number): number {
  if (max <= 0) return 1
  const step = 10 ** Math.floor(Math.log10(max))
  return Math.ceil(max / step) * step
}

function Frame(props: {
  title: string
  series: Series[]
  table: ReactNode
  children: ReactNode
  height: number
}) {
  return (
    <figure className="chart">
      <figcaption>
        <strong>{props.title}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${props.height}`} role="img" aria-label={props.title}>
        {props.children}
      </svg>
      <div className="legend">
        {props.series.map((s) => (
          <span key={s.name}>
            <i style={{ background: s.color }} />
            {s.name}
          </span>
        ))}
      </div>
      <details>
        <summary>Numbers</summary>
        {props.table}
      </details>
    </figure>
  )
}

function DataTable({ labels, series, values }: { labels: string[]; series: Series[]; values: number[][] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col" />
          {series.map((s) => (
            <th scope="col" key={s.name}>
              {s.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {labels.map((l, i) => (
          <tr key={l}>
            <th scope="row">{l}</th>
            {series.map((s, j) => (
              <td key={s.name}>{values[i]![j]}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Bars per label (days, versions), each split into its series, stacked upwards. */
export function StackedBars(props: {
  title: string
  labels: string[]
  series: Series[]
  values: number[][]
}) {
  const height = 220
  const innerH = height - PAD.top - PAD.bottom
  const max = niceMax(Math.max(0, ...props.values.map((v) => v.reduce((a, b) => a + b, 0))))
  const slot = (W - PAD.left - PAD.right) / Math.max(props.labels.length, 1)
  const every = Math.ceil(props.labels.length / 10)
  return (
    <Frame title={props.title} series={props.series} height={height} table={<DataTable {...props} />}>
      <Axis max={max} height={height} />
      {props.values.map((stack, i) => {
        let y = PAD.top + innerH
        const x = PAD.left + i * slot + slot * 0.15
        return (
          <g key={props.labels[i]}>
            {stack.map((v, j) => {
              const h = (v / max) * innerH
              y -= h
              return (
                <rect
                  key={props.series[j]!.name}
                  x={x}
                  y={y}
                  width={slot * 0.7}
                  height={h}
                  fill={props.series[j]!.color}
                />
              )
            })}
            {i % every === 0 && (
              <text x={x + slot * 0.35} y={height - 14} fontSize="11" textAnchor="middle" fill="currentColor">
                {props.labels[i]}
              </text>
            )}
          </g>
        )
      })}
    </Frame>
  )
}

function Axis({
  max,
  height,
  format = String,
}: {
  max: number
  height: number
  format?: (v: number) => string
}) {
  const innerH = height - PAD.top - PAD.bottom
  return (
    <g fontSize="11" fill="currentColor">
      {[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const y = PAD.top + innerH * (1 - f)
        return (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#e5e7eb" />
            <text x={PAD.left - 6} y={y + 4} textAnchor="end">
              {format(max * f)}
            </text>
          </g>
        )
      })}
    </g>
  )
}

/** One horizontal bar per label, split into its series: shares of a whole (channels, versions, reasons). */
export function HorizontalBars(props: {
  title: string
  labels: string[]
  series: Series[]
  values: number[][]
}) {
  const row = 26
  const height = PAD.top + props.labels.length * row + 8
  const left = 150
  const max = Math.max(1, ...props.values.map((v) => v.reduce((a, b) => a + b, 0)))
  const scale = (W - left - PAD.right) / max
  return (
    <Frame title={props.title} series={props.series} height={height} table={<DataTable {...props} />}>
      {props.values.map((stack, i) => {
        let x = left
        const y = PAD.top + i * row
        return (
          <g key={props.labels[i]}>
            <text x={left - 8} y={y + 15} fontSize="12" textAnchor="end" fill="currentColor">
              {props.labels[i]}
            </text>
            {stack.map((v, j) => {
              const w = v * scale
              x += w
              return (
                <rect
                  key={props.series[j]!.name}
                  x={x - w}
                  y={y}
                  width={w}
                  height={row - 8}
                  fill={props.series[j]!.color}
                />
              )
            })}
            <text x={x + 6} y={y + 15} fontSize="12" fill="currentColor">
              {stack.reduce((a, b) => a + b, 0)}
            </text>
          </g>
        )
      })}
    </Frame>
  )
}

/**
 * Lines over a shared x axis from 0 to 100 and a y axis from 0 to 1 (confidence against how often drafts
 * were right), with the diagonal a perfectly calibrated score would follow.
 */
export function ReliabilityChart(props: {
  title: string
  series: (Series & { points: [number, number | null][] })[]
}) {
  const height = 260
  const innerW = W - PAD.left - PAD.right
  const innerH = height - PAD.top - PAD.bottom
  const x = (v: number) => PAD.left + (v / 100) * innerW
  const y = (v: number) => PAD.top + (1 - v) * innerH
  const labels = [...new Set(props.series.flatMap((s) => s.points.map(([px]) => px)))].sort((a, b) => a - b)
  const values = labels.map((l) => props.series.map((s) => s.points.find(([px]) => px === l)?.[1] ?? NaN))
  return (
    <Frame
      title={props.title}
      series={props.series}
      height={height}
      table={
        <DataTable
          labels={labels.map(String)}
          series={props.series}
          values={values.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : Math.round(v * 100) / 100)))}
        />
      }
    >
      <Axis max={1} height={height} format={(v) => `${Math.round(v * 100)}%`} />
      <line x1={x(0)} y1={y(0)} x2={x(100)} y2={y(1)} stroke="#9ca3af" strokeDasharray="4 4" />
      {[0, 20, 40, 60, 80, 100].map((v) => (
        <text key={v} x={x(v)} y={height - 14} fontSize="11" textAnchor="middle" fill="currentColor">
          {v}
        </text>
      ))}
      {props.series.map((s) => {
        const pts = s.points.filter((p): p is [number, number] => p[1] !== null)
        return (
          <g key={s.name} stroke={s.color} fill={s.color}>
            <polyline
              points={pts.map(([px, py]) => `${x(px)},${y(py)}`).join(' ')}
              fill="none"
              strokeWidth="2"
            />
            {pts.map(([px, py]) => (
              <circle key={px} cx={x(px)} cy={y(py)} r="4" />
            ))}
          </g>
        )
      })}
    </Frame>
  )
}
