import type { QueueName } from '../routes.ts'

/** Sends jobs to a named queue: SQS in AWS, the durable in-process queue locally. */
export interface QueuePort {
  /**
   * The queues this process may send to; undefined = all. The outbox is published only for these (a
   * Lambda is granted only the queues its route-table entry names); the sweep, granted all, sends the rest.
   */
  readonly sendable?: readonly QueueName[]
  send(queue: QueueName, bodies: object[]): Promise<void>
  /** Approximate number of waiting messages per queue, for /health. */
  depths(): Promise<Partial<Record<QueueName, number>>>
}
