import type { QueueName } from '../routes.ts'

/** Sends jobs to a named queue: SQS in AWS, the durable in-process queue locally. */
export interface QueuePort {
  send(queue: QueueName, bodies: object[]): Promise<void>
  /** Approximate number of waiting messages per queue, for /health. */
  depths(): Promise<Partial<Record<QueueName, number>>>
}
