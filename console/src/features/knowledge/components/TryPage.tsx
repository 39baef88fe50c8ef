import { type FormEvent, useState } from 'react'
import { CitedReply } from '../../../components/CitedReply.tsx'
import { ConfidenceDetails, EscalationReasons, SourceList } from '../../../components/DraftDetails.tsx'
import { ErrorNote, Field, PageHeader } from '../../../components/ui.tsx'
import { useTryQuestion } from '../api/try.ts'

/**
 * *Try a question*: what the drafter would retrieve and write for a customer's question, with its confidence
 * and escalation, without a ticket and without storing anything: check an article before customers ask.
 */
export function TryPage() {
  const attempt = useTryQuestion()
  const [question, setQuestion] = useState('')
  const [subject, setSubject] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    attempt.mutate({ question, ...(subject.trim() ? { subject: subject.trim() } : {}) })
  }
  const r = attempt.data
  return (
    <section>
      <PageHeader title="Try a question" />
      <form onSubmit={submit} aria-label="Try a question">
        <Field label="Subject (optional)">
          {(p) => (
            <input {...p} value={subject} onChange={(e) => setSubject(e.target.value)} maxLength={500} />
          )}
        </Field>
        <Field label="Question" hint="As a customer would write it">
          {(p) => (
            <textarea
              {...p}
              value={question}
              onChange={(e) => setQuestion(e.target.value)}
              rows={4}
              required
            />
          )}
        </Field>
        <ErrorNote error={attempt.error} />
        <button type="submit" className="primary" disabled={attempt.isPending}>
          {attempt.isPending ? 'Drafting…' : 'Try it'}
        </button>
      </form>
      {r && (
        <section className="card" style={{ marginTop: '1rem' }} aria-label="What the drafter would do">
          {r.escalated && <EscalationReasons reasons={r.escalationReasons} />}
          <h2>Reply it would draft</h2>
          <CitedReply reply={r.reply} linkSources />
          <ConfidenceDetails score={r.confidence} breakdown={r.confidenceBreakdown} />
          <SourceList sources={r.sources} />
          <p className="muted">
            {r.provider} · {r.model} · language {r.language}. Nothing was stored.
          </p>
        </section>
      )}
    </section>
  )
}
