/**
 * The CloudWatch EMF metrics operators watch, captured from stdout as Lambda would ship them: a signed
 * WHMCS webhook, its redelivery, the draft it queues (through the fake Ollama, so model calls count too).
 * Metrics are off outside Lambda by default; this file turns them on before anything is imported.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { signWebhook } from '#shared/whmcs/signature'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'
import { captureOutput } from '../helpers/logs.ts'

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false'
})

interface EmfBlob {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
  [key: string]: unknown
}

/** Every EMF object written to stdout (one JSON object per line; log lines have no `_aws`). */
function emfOf(output: string): EmfBlob[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfBlob)
}

/** Values of metric `name` across blobs, optionally only where the blob's dimensions match. */
function valuesOf(blobs: EmfBlob[], name: string, dims: Record<string, string> = {}): number[] {
  return blobs
    .filter((b) => b._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name))
    .filter((b) => Object.entries(dims).every(([k, v]) => b[k] === v))
    .flatMap((b) => [b[name]].flat() as number[])
}

describe('Function: EMF metrics of webhooks, drafts and model calls', () => {
  let app: TestApp
  let fake: FakeOllama
  let t: TenantFixture

  beforeAll(async () => {
    fake = await startFakeOllama()
    app = await startTestApp({ env: { OLLAMA_HOST: fake.url, OLLAMA_RETRIES: '0' } })
    t = await createTenant(app, 'metrics')
    // Captured only to keep the indexing's metrics off the test output.
    await captureOutput(async () => {
      await app.call(
        'POST',
        '/kb/articles',
        { title: 'Refund policy', content: 'Refunds are possible within 30 days.', category: 'policy' },
        { token: t.admin },
      )
      await app.rt.queues.idle()
    })
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
    delete process.env.POWERTOOLS_METRICS_DISABLED
  })

  it('emits webhook events, duplicates, the draft (confidence, latency, escalation reason) and model latency', async () => {
    // Prepare: a TicketOpen that asks for a refund, sent twice with the same event id.
    const raw = JSON.stringify({
      event: 'TicketOpen',
      occurredAt: Math.floor(Date.now() / 1000),
      data: {
        ticketid: '501',
        ticketmask: 'MET-501',
        userid: '7',
        deptid: '1',
        deptname: 'Billing',
        subject: 'Refund please',
        message: 'I want a refund for my hosting plan.',
        priority: 'Medium',
      },
    })
    const eventId = randomUUID()
    const send = () => {
      const timestamp = Math.floor(Date.now() / 1000)
      return app.call('POST', `/webhooks/whmcs/${t.slug}`, undefined, {
        raw,
        headers: {
          'X-Draftdesk-Event-Id': eventId,
          'X-Draftdesk-Timestamp': String(timestamp),
          'X-Draftdesk-Signature': signWebhook(t.webhookSecret, timestamp, raw),
        },
      })
    }

    // Act
    const { result, output } = await captureOutput(async () => {
      const first = await send()
      const again = await send()
      await app.rt.queues.idle()
      return { first, again }
    })

    // Assess: the HTTP side.
    expect(result.first.status).toBe(200)
    expect(result.again.body).toEqual({ duplicate: true })
    const blobs = emfOf(output)
    for (const blob of blobs) {
      expect(blob._aws.CloudWatchMetrics[0]!.Namespace).toBe('Draftdesk')
      expect(blob.service).toBe('draftdesk')
    }
    expect(valuesOf(blobs, 'WebhookEvents', { event: 'TicketOpen' })).toEqual([1])
    expect(valuesOf(blobs, 'WebhookDuplicates')).toEqual([1])

    // Assess: the draft, against what was stored.
    const [stored] = await app.rt.deps.sql<{ confidenceScore: number; latencyMs: number }[]>`
      SELECT r.confidence_score, r.latency_ms FROM ai_replies r JOIN tickets t ON t.id = r.ticket_id
      WHERE t.tenant_id = ${t.id} AND t.whmcs_ticket_id = 501`
    expect(stored).toBeDefined()
    expect(valuesOf(blobs, 'DraftsGenerated')).toEqual([1])
    expect(valuesOf(blobs, 'DraftConfidence')).toEqual([stored!.confidenceScore])
    const [latency] = valuesOf(blobs, 'DraftLatency')
    expect(latency).toBeGreaterThan(0)
    expect(valuesOf(blobs, 'DraftsEscalated')).toEqual([1])
    expect(valuesOf(blobs, 'DraftEscalations', { reason: 'refund' })).toEqual([1])

    // Assess: the model calls behind that draft (query embedding and chat), one data point each.
    expect(valuesOf(blobs, 'ModelLatency', { operation: 'chat' })).toHaveLength(1)
    expect(valuesOf(blobs, 'ModelLatency', { operation: 'embed' }).length).toBeGreaterThanOrEqual(1)
    expect(valuesOf(blobs, 'ModelErrors')).toEqual([])
  })

  it('counts a failed model call as a model error, and the retried draft as one draft', async () => {
    // Prepare: the model host fails the next chat; OLLAMA_RETRIES=0, so the draft job itself retries.
    fake.failNext(1, '/api/chat')

    // Act
    const { result, output } = await captureOutput(async () => {
      const ticket = await app.call(
        'POST',
        '/tickets',
        { subject: 'Domain transfer', content: 'How do I move my domain to you?' },
        { token: t.customer },
      )
      await app.rt.queues.idle()
      return ticket
    })

    // Assess
    expect(result.status).toBe(201)
    const blobs = emfOf(output)
    expect(valuesOf(blobs, 'ModelErrors', { operation: 'chat' })).toEqual([1])
    expect(valuesOf(blobs, 'ModelLatency', { operation: 'chat' })).toHaveLength(1)
    expect(valuesOf(blobs, 'DraftsGenerated')).toEqual([1])
  })
})
