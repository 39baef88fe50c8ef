/**
 * The console's charts: stacked bars (vertical or horizontal) and the reliability diagram, drawn by
 * Chart.js (bundled, only the parts registered below). Each chart has a caption and a table of its numbers
 * for screen readers and for copying.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartData,
  type ChartOptions,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js'
import type { ReactNode } from 'react'
import { Bar, Scatter } from 'react-chartjs-2'

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
)
// Screenshots and tests compare what they see: no animation.
Chart.defaults.animation = false
Chart.defaults.font.family = 'inherit'

export interface Series {
  name: string
  color: string
}

function Frame(props: { title: string; table: ReactNode; children: ReactNode; height: number }) {
  return (
    <figure className="chart">
      <figcaption>
        <strong>{props.title}</strong>
      </figcaption>
      <div style={{ height: props.height, position: 'relative' }}>{props.children}</div>
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

interface BarsProps {
  title: string
  labels: string[]
  series: Series[]
  /** One row per label, one value per series. */
  values: number[][]
}

function barData({ labels, series, values }: BarsProps): ChartData<'bar'> {
  return {
    labels,
    datasets: series.map((s, j) => ({
      label: s.name,
      backgroundColor: s.color,
      data: values.map((row) => row[j] ?? 0),
    })),
  }
}

function barOptions(horizontal: boolean): ChartOptions<'bar'> {
  return {
    indexAxis: horizontal ? 'y' : 'x',
    maintainAspectRatio: false,
    plugins: { legend: { position: 'bottom' } },
    scales: {
      x: { stacked: true, beginAtZero: true },
      y: { stacked: true, beginAtZero: true },
    },
  }
}

/** Bars per label (days, buckets), each split into its series, stacked upwards. */
export function StackedBars(props: BarsProps) {
  return (
    <Frame title={props.title} height={240} table={<DataTable {...props} />}>
      <Bar data={barData(props)} options={barOptions(false)} aria-label={props.title} role="img" />
    </Frame>
  )
}

/** One horizontal bar per label, split into its series: shares of a whole (channels, versions, reasons). */
export function HorizontalBars(props: BarsProps) {
  return (
    <Frame title={props.title} height={70 + props.labels.length * 30} table={<DataTable {...props} />}>
      <Bar data={barData(props)} options={barOptions(true)} aria-label={props.title} role="img" />
    </Frame>
  )
}

const RELIABILITY_OPTIONS: ChartOptions<'scatter'> = {
  maintainAspectRatio: false,
  plugins: { legend: { position: 'bottom' } },
  scales: {
    x: { min: 0, max: 100, title: { display: true, text: 'Confidence' } },
    y: {
      min: 0,
      max: 1,
      title: { display: true, text: 'Share right' },
      ticks: { callback: (v) => `${Math.round(Number(v) * 100)}%` },
    },
  },
}

/**
 * Lines over confidence (0-100) against how often drafts were right (0-1), with the diagonal a perfectly
 * calibrated score would follow.
 */
export function ReliabilityChart(props: {
  title: string
  series: (Series & { points: [number, number | null][] })[]
}) {
  const data: ChartData<'scatter'> = {
    datasets: [
      ...props.series.map((s) => ({
        label: s.name,
        borderColor: s.color,
        backgroundColor: s.color,
        showLine: true,
        data: s.points.filter((p): p is [number, number] => p[1] !== null).map(([x, y]) => ({ x, y })),
      })),
      {
        label: 'Perfectly calibrated',
        borderColor: '#9ca3af',
        borderDash: [4, 4],
        pointRadius: 0,
        showLine: true,
        data: [
          { x: 0, y: 0 },
          { x: 100, y: 1 },
        ],
      },
    ],
  }
  const labels = [...new Set(props.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b)
  const values = labels.map((l) =>
    props.series.map((s) => {
      const y = s.points.find(([x]) => x === l)?.[1]
      return y == null ? 0 : Math.round(y * 100) / 100
    }),
  )
  return (
    <Frame
      title={props.title}
      height={280}
      table={<DataTable labels={labels.map(String)} series={props.series} values={values} />}
    >
      <Scatter data={data} options={RELIABILITY_OPTIONS} aria-label={props.title} role="img" />
    </Frame>
  )
}
