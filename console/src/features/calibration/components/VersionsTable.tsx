import { ColumnHeads, ErrorNote, Loading, Notice } from '../../../components/ui.tsx'
import { formatDateTime, num, percent } from '../../../lib/format.ts'
import { useCalibrationVersions, usePinVersion } from '../api/calibration.ts'

/** Every fit of the desk, newest first, with its out-of-sample figures, why it was (not) adopted, and *Pin*. */
export function VersionsTable({ latestFitId }: { latestFitId: number | null }) {
  const versions = useCalibrationVersions(latestFitId)
  const pin = usePinVersion()
  if (versions.isPending) return <Loading what="Loading the versions" />
  if (!versions.data) return <ErrorNote error={versions.error} prefix="The versions could not be read" />
  if (versions.data.items.length === 0)
    return <p className="notice">No fits yet: start a replay, or wait for enough reviewed drafts.</p>
  return (
    <>
      <ErrorNote error={pin.error} prefix="Not pinned" />
      {pin.isSuccess && <Notice>Pinned: automatic refits leave it in force until you unpin it.</Notice>}
      <table aria-label="Calibration versions">
        <ColumnHeads
          names={[
            'Version',
            'From',
            'Answerable escalated',
            'Unanswerable caught',
            'ECE',
            'Adopted',
            'Made',
            'Action',
          ]}
        />
        <tbody>
          {versions.data.items.map((v) => (
            <tr key={v.id}>
              <td>
                {v.version} {v.inForce && <span className="badge">In force</span>}
              </td>
              <td>{v.source === 'replay' ? 'Replay' : 'Reviewed drafts'}</td>
              <td>{percent(v.crossValidated?.answerableEscalated, 1)}</td>
              <td>{percent(v.crossValidated?.unanswerableCaught, 1)}</td>
              <td>{num(v.crossValidated?.ece, '', 3)}</td>
              <td title={v.reason}>{v.adopted ? 'Yes' : `No: ${v.reason}`}</td>
              <td>{formatDateTime(v.createdAt)}</td>
              <td>
                {!v.inForce && (
                  <button type="button" onClick={() => pin.mutate(v.id)} disabled={pin.isPending}>
                    Pin version {v.version}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
