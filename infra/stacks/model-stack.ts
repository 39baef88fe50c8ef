import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { type DeployConfig, ollamaModelsToPull } from '../config.ts'
import { OllamaHost } from '../constructs/ollama-host.ts'
import type { DataStack } from './data-stack.ts'

/** Host name of the model server inside the private zone. */
export const ollamaRecordName = 'ollama'

export interface ModelStackProps extends StackProps {
  config: DeployConfig
  data: DataStack
}

/**
 * The GPU model host, in its own stack so it can be resized, replaced (a new AMI) or torn down to save
 * money without touching the database or the API. The API stack does not reference it: functions use the
 * fixed DNS name, which this stack points at whatever instance currently runs.
 */
export class ModelStack extends Stack {
  readonly host: OllamaHost

  constructor(scope: Construct, id: string, props: ModelStackProps) {
    super(scope, id, props)
    const { config, data } = props

    this.host = new OllamaHost(this, 'Ollama', {
      vpc: data.vpc,
      clientSecurityGroup: data.functionSecurityGroup,
      instanceType: config.ollamaInstanceType,
      amiParameter: config.ollamaAmiParameter,
      amiId: config.ollamaAmiId,
      models: ollamaModelsToPull(config),
      volumeGiB: config.ollamaVolumeGiB,
      zone: data.privateZone,
      recordName: ollamaRecordName,
    })

    new CfnOutput(this, 'OllamaInstanceId', {
      value: this.host.instance.instanceId,
      description: 'aws ssm start-session --target <id>; setup log: /var/log/draftdesk-ollama-setup.log',
    })
    new CfnOutput(this, 'OllamaUrl', { value: this.host.url })
  }
}
