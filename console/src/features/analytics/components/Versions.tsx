import { num, percent } from '../../../lib/format.ts'
import type { Summary } from '../api/summary.ts'

/** The figures of each prompt version side by side. */
export function Versions({ s }: { s: Summary }) {
  return (
    <>
      <h2>By prompt version</h2>
      <table aria-label="Prompt versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Drafts</th>
            <th scope="col">Used</th>
            <th scope="col">Used unedited</th>
            <th scope="col">Edit similarity</th>
            <th scope="col">Escalated</th>
            <th scope="col">Mean confidence</th>
            <th scope="col">Latency p50</th>
          </tr>
        </thead>
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
