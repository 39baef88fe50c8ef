/**
 * Tracing as it runs in Lambda: this file sets the environment Lambda gives a traced function (execution
 * env, task root, trace header) before anything is imported, and plays the X-Ray daemon on a UDP socket,
 * so the subsegments `traced` writes are read back exactly as the daemon would receive them.
 */
import { createSocket, type Socket } from 'node:dgram'
import type { AddressInfo } from 'node:net'
import { SQSClient } from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

vi.hoisted(() => {
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x'
  process.env.LAMBDA_TASK_ROOT = '/var/task'
  process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'
})

import { NotFoundError } from '#shared/errors'
import { withLogKeys } from '#shared/logger'
import { captureAwsClient, isTracing, traced } from '#shared/observability'

interface SubsegmentDoc {
  name: string
  start_time: number
  end_time?: number
  fault?: boolean
  error?: boolean
  annotations?: Record<string, unknown>
}

let daemon: Socket
const received: SubsegmentDoc[] = []

let tracingBeforeWorkers: boolean

beforeAll(async () => {
  tracingBeforeWorkers = isTracing()
  // Workers install the Tracer when they are loaded; HTTP functions never do.
  await import('#shared/handlers/sqs-worker')
  daemon = createSocket('udp4')
  daemon.on('message', (msg) => {
    // Each datagram is a header line, then the segment document.
    const doc = msg.toString('utf8').split('\n')[1]
    if (doc) received.push(JSON.parse(doc) as SubsegmentDoc)
  })
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve))
  // The daemon address is global to the X-Ray SDK, whichever Tracer sets it.
  const { Tracer } = await import('@aws-lambda-powertools/tracer')
  new Tracer().provider.setDaemonAddress(`127.0.0.1:${(daemon.address() as AddressInfo).port}`)
})
afterAll(() => {
  daemon?.close()
  for (const key of ['AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT', '_X_AMZN_TRACE_ID']) delete process.env[key]
})

const subsegment = (name: string) =>
  vi.waitFor(() => {
    const doc = received.find((d) => d.name === name)
    if (!doc) throw new Error(`no subsegment ${name} yet`)
    return doc
  })

describe('Function: traced', () => {
  it('runs the call in a closed subsegment and returns its result', async () => {
    // Act
    const value = await traced('Model chat', async () => 42)

    // Assess
    expect(tracingBeforeWorkers).toBe(false)
    expect(isTracing()).toBe(true)
    expect(value).toBe(42)
    const doc = await subsegment('Model chat')
    expect(doc.end_time).toBeGreaterThanOrEqual(doc.start_time)
    expect(doc.fault).toBeFalsy()
  })

  it('marks a failure as a fault and a client error as an error, and rethrows both', async () => {
    // Act
    await expect(traced('WHMCS GetTicket', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    await expect(traced('DB transaction', () => Promise.reject(new NotFoundError('ticket')))).rejects.toThrow(
      NotFoundError,
    )

    // Assess
    expect(await subsegment('WHMCS GetTicket')).toMatchObject({ fault: true })
    const clientError = await subsegment('DB transaction')
    expect(clientError).toMatchObject({ error: true })
    expect(clientError.fault).toBeFalsy()
  })
})

describe('Function: traced, inside a log scope', () => {
  it('annotates the subsegment with whose work it is: the scope’s tenant, job and ticket', async () => {
    // Act: a job's model call, as the draft worker's record scope runs it.
    const keys = { queue: 'draft', jobId: 'job-7f3a', tenantId: 42, ticketId: 9, params: { id: 1 } }
    await withLogKeys(keys, () => traced('Model embed', async () => 'vector'))

    // Assess: primitive keys only (X-Ray annotations hold no objects).
    expect((await subsegment('Model embed')).annotations).toEqual({
      queue: 'draft',
      jobId: 'job-7f3a',
      tenantId: 42,
      ticketId: 9,
    })
  })
})

describe('Function: captureAwsClient', () => {
  it('adds the X-Ray middleware to an SDK v3 client', () => {
    // Prepare
    const client = new SQSClient({ region: 'us-east-1' })

    // Act
    const captured = captureAwsClient(client)

    // Assess
    expect(captured).toBe(client)
    const names = client.middlewareStack.identify()
    expect(names.some((n) => /xray/i.test(n))).toBe(true)
  })
})
