import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs'
import { type QueueName, queues } from '../routes.ts'
import type { QueuePort } from './port.ts'

/**
 * SQS adapter. Queue URLs come from `QUEUE_URL_<NAME>` env vars, which CDK sets only for the queues a
 * function sends to (or, for `GET /health`, reads the depth of): those are the queues it publishes.
 */
export class SqsQueue implements QueuePort {
  readonly sendable: readonly QueueName[]

  constructor(
    private readonly client: SQSClient,
    private readonly urls: Partial<Record<QueueName, string>>,
  ) {
    this.sendable = queues.filter((q) => urls[q.name]).map((q) => q.name)
  }

  private url(queue: QueueName): string {
    const url = this.urls[queue]
    if (!url) throw new Error(`QUEUE_URL_${queue.toUpperCase()} is not set`)
    return url
  }

  async send(queue: QueueName, bodies: object[]): Promise<void> {
    // SendMessageBatch takes at most 10 entries.
    for (let i = 0; i < bodies.length; i += 10) {
      const slice = bodies.slice(i, i + 10)
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.url(queue),
          Entries: slice.map((body, j) => ({ Id: String(j), MessageBody: JSON.stringify(body) })),
        }),
      )
      if (out.Failed?.length) {
        throw new Error(`SQS rejected ${out.Failed.length} messages for ${queue}: ${out.Failed[0]?.Message}`)
      }
    }
  }

  async depths(): Promise<Partial<Record<QueueName, number>>> {
    const entries = await Promise.all(
      queues
        .filter((q) => this.urls[q.name])
        .map(async (q) => {
          const out = await this.client.send(
            new GetQueueAttributesCommand({
              QueueUrl: this.url(q.name),
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
          )
          return [q.name, Number(out.Attributes?.ApproximateNumberOfMessages ?? 0)] as const
        }),
    )
    return Object.fromEntries(entries)
  }
}
