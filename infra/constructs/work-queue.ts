import { Duration } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import type { QueueDef } from '#shared/routes'

export interface WorkQueueProps {
  def: QueueDef
  /**
   * Upper bound on concurrent worker invocations (SQS event source `maxConcurrency`, minimum 2). Workers
   * that call the single GPU host are capped so a backlog queues in SQS instead of timing out on Ollama.
   */
  maxConcurrency?: number
}

/** Age of the oldest message past which a queue is considered stuck (workers down or far behind). */
const maxMessageAge = Duration.minutes(15)

/**
 * One queue of the queue table: the SQS queue, its dead-letter queue and the two alarms that say it needs
 * a human (anything dead-lettered, or work waiting too long).
 */
export class WorkQueue extends Construct {
  readonly def: QueueDef
  readonly queue: sqs.Queue
  readonly dlq: sqs.Queue
  readonly maxConcurrency: number | undefined
  readonly dlqAlarm: cloudwatch.Alarm
  readonly ageAlarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id)
    const { def } = props
    this.def = def
    this.maxConcurrency = props.maxConcurrency

    this.dlq = new sqs.Queue(this, 'Dlq', {
      // The longest SQS allows: time to find the bug, fix it and redrive.
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    })
    this.queue = new sqs.Queue(this, 'Queue', {
      // AWS guidance for Lambda event sources: at least 6x the function timeout, so a message is not
      // redelivered while a throttled or retrying invocation still holds it.
      visibilityTimeout: Duration.seconds(def.timeoutSeconds * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: def.maxReceiveCount },
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    })

    this.dlqAlarm = new cloudwatch.Alarm(this, 'DlqNotEmpty', {
      alarmDescription: `Draftdesk ${def.name}: messages in the dead-letter queue (failed ${def.maxReceiveCount} times)`,
      metric: this.dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    this.ageAlarm = new cloudwatch.Alarm(this, 'OldestMessageAge', {
      alarmDescription: `Draftdesk ${def.name}: oldest message waiting over ${maxMessageAge.toMinutes()} min`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: maxMessageAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
  }

  /** Name of the environment variable holding this queue's URL, e.g. `QUEUE_URL_DRAFT`. */
  get urlEnvVar(): string {
    return `QUEUE_URL_${this.def.name.toUpperCase()}`
  }
}
