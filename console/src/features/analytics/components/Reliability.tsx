import { ReliabilityChart } from '../../../components/charts.tsx'
import { num, percent } from '../../../lib/format.ts'
import type { Summary } from '../api/summary.ts'

/**
 * The reliability diagram: for each confidence bucket, how often this desk's decided drafts were used
 * unedited, next to how often the evaluation set's drafts were right under the same calibration.
 */
export function Reliability({ s }: { s: Summary }) {
  const live = s.liveCalibration
  const mid = (b: { min: number; max: number }) => (b.min + b.max) / 2
  return (
    <div>
      <ReliabilityChart
        title="Reliability: confidence against drafts used unedited"
        series={[
          {
            name: 'This desk (live)',
            color: '#1d4ed8',
            points: live.buckets.filter((b) => b.decided > 0).map((b) => [mid(b), b.observed]),
          },
          {
            name: 'Evaluation set',
            color: '#9333ea',
            points: (live.eval?.reliability ?? [])
              .filter((b) => b.drafts > 0)
              .map((b) => [mid(b), b.accuracy]),
          },
        ]}
      />
      <p className="muted">
        {live.decided} decided drafts, {live.right} used unedited; calibration error {num(live.ece, '', 3)}
        {live.eval ? ` · calibration ${live.eval.id}` : ''}. A growing gap between the lines says:
        recalibrate.
      </p>
      <p className="muted">
        Share used unedited overall: {percent(live.decided ? live.right / live.decided : null)}
      </p>
    </div>
  )
}
