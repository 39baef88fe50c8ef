import { useNavigate } from 'react-router'
import { ErrorNote, Loading, PageHeader } from '../../../components/ui.tsx'
import { formatDateTime } from '../../../lib/format.ts'
import { type KnowledgeGap, useGapSuggestion, useKnowledgeGaps } from '../api/calibration.ts'

/**
 * Knowledge gaps: topics customers asked about that the knowledge base could not answer (from replays and
 * live drafts), each with what the agents replied, and *Create article from these replies*, which opens the
 * article editor prefilled with an article written from those replies only.
 */
export function GapsPage() {
  const gaps = useKnowledgeGaps()
  if (gaps.isPending) return <Loading what="Loading the knowledge gaps" />
  if (!gaps.data) return <ErrorNote error={gaps.error} prefix="The knowledge gaps could not be read" />
  return (
    <section>
      <PageHeader title="Knowledge gaps" />
      {gaps.data.items.length === 0 ? (
        <p className="notice">
          No gaps found yet. They come from replays (Calibration) and from drafts agents had to replace.
        </p>
      ) : (
        <ol className="gaps" aria-label="Knowledge gaps">
          {gaps.data.items.map((gap) => (
            <Gap key={gap.id} gap={gap} />
          ))}
        </ol>
      )}
    </section>
  )
}

function Gap({ gap }: { gap: KnowledgeGap }) {
  const suggest = useGapSuggestion()
  const navigate = useNavigate()
  const create = () =>
    suggest.mutate(gap.id, {
      onSuccess: (suggestion) => navigate('/kb/new', { state: { suggestion } }),
    })
  return (
    <li className="card" aria-label={gap.title}>
      <h2>{gap.title}</h2>
      <p className="muted">
        {gap.count} tickets ({gap.replayCount} from replays, {gap.liveCount} live) · terms:{' '}
        {gap.terms.join(', ')} · {formatDateTime(gap.refreshedAt)}
      </p>
      <ul aria-label={`What agents replied: ${gap.title}`}>
        {gap.examples.map((x) => (
          <li key={`${x.origin}-${x.ticketId ?? x.ticketRef}-${x.subject}`}>
            <strong>{x.subject}</strong>
            {x.reply ? <p>{x.reply}</p> : <p className="muted">No reply recorded.</p>}
          </li>
        ))}
      </ul>
      <ErrorNote error={suggest.error} prefix="No article could be suggested" />
      <button type="button" className="primary" onClick={create} disabled={suggest.isPending}>
        Create article from these replies
      </button>
    </li>
  )
}
