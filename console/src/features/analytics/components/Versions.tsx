import { ColumnHeads } from '../../../components/ui.tsx'
import { num, percent } from '../../../lib/format.ts'
import type { Summary } from '../api/summary.ts'

/** The figures of each prompt version side by side. */
export function Versions({ s }: { s: Summary }) {
  return (
    <>
      <h2>By prompt version</h2>
      <table aria-label="Prompt versions">
        <ColumnHeads
          names={[
            'Version',
            'Drafts',
            'Used',
            'Used unedited',
            'Edit similarity',
            'Escalated',
            'Mean confidence',
            'Latency p50',
          ]}
        />
        <tbody>
          {s.byPromptVersion.map((v) => (
            <tr key={v.promptVersionId ?? 'none'}>
              <td>{v.version ? `${v.version} ${v.name ?? ''}` : 'built-in'}</td>
              <td>{v.drafts}</td>
              <td>{percent(v.approvalRate)}</td>
              <td>{percent(v.approvedUneditedRate)}</td>
              <td>{num(v.meanEditSimilarity, '', 2)}</td>
              <td>{percent(v.escalation.rate)}</td>
              <td>{num(v.meanConfidence)}</td>
              <td>{num(v.latencyMs.p50, ' ms')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
