import { Duration } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as route53 from 'aws-cdk-lib/aws-route53'
import { Construct } from 'constructs'

export const ollamaPort = 11434
/** Mount point of the models volume; Ollama keeps its models under it. */
const ollamaDataDir = '/var/lib/ollama'
/** Device name of the models volume in the block device mapping (a udev symlink on Amazon Linux). */
const modelsDevice = '/dev/sdf'

export interface OllamaHostProps {
  vpc: ec2.IVpc
  /** The only security group allowed to reach the Ollama API. */
  clientSecurityGroup: ec2.ISecurityGroup
  instanceType: string
  /** SSM public parameter with the AMI id, resolved by CloudFormation at deploy time (synth needs no account). */
  amiParameter: string
  /** Fixed AMI id; when set, `amiParameter` is ignored. */
  amiId?: string
  models: string[]
  volumeGiB: number
  zone: route53.IPrivateHostedZone
  /** Host name inside the zone, e.g. `ollama` → `ollama.draftdesk.internal`. */
  recordName: string
}

/**
 * A GPU EC2 instance serving Ollama to the VPC: private subnet, no SSH key (Session Manager only), IMDSv2,
 * an encrypted gp3 volume for the models, and a DNS name that survives instance replacement so the
 * functions' OLLAMA_HOST never changes.
 */
export class OllamaHost extends Construct {
  readonly instance: ec2.Instance
  readonly securityGroup: ec2.SecurityGroup
  /** `http://ollama.<zone>:11434`: the value of OLLAMA_HOST. */
  readonly url: string

  constructor(scope: Construct, id: string, props: OllamaHostProps) {
    super(scope, id)

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Draftdesk Ollama host: API from the functions only, no SSH',
      // Downloads Ollama and the models through the NAT gateway; Session Manager also needs HTTPS out.
      allowAllOutbound: true,
    })
    this.securityGroup.addIngressRule(
      props.clientSecurityGroup,
      ec2.Port.tcp(ollamaPort),
      'Ollama API from functions',
    )

    const userData = ec2.UserData.forLinux()
    userData.addCommands(ollamaUserData(props.models))

    const machineImage: ec2.IMachineImage = props.amiId
      ? {
          getImage: () => ({
            imageId: props.amiId!,
            osType: ec2.OperatingSystemType.LINUX,
            userData,
          }),
        }
      : ec2.MachineImage.fromSsmParameter(props.amiParameter, { os: ec2.OperatingSystemType.LINUX })

    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage,
      userData,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      // CloudFormation waits for the user data to report the models pulled (cfn-signal below), so the API
      // stack deploys against a host that answers; functions that cold-start against a host still
      // installing would fall back to the offline provider.
      resourceSignalTimeout: Duration.minutes(30),
      // AmazonSSMManagedInstanceCore: a shell through Session Manager, so no key pair and no port 22.
      ssmSessionPermissions: true,
      blockDevices: [
        {
          deviceName: modelsDevice,
          // Models are a cache (re-pulled by user data), so the volume goes with the instance.
          volume: ec2.BlockDeviceVolume.ebs(props.volumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    })

    userData.addSignalOnExitCommand(this.instance)

    const record = new route53.ARecord(this, 'DnsRecord', {
      zone: props.zone,
      recordName: props.recordName,
      target: route53.RecordTarget.fromIpAddresses(this.instance.instancePrivateIp),
      // Short, so a replaced instance is picked up within a minute.
      ttl: Duration.seconds(30),
    })
    this.url = `http://${record.domainName}:${ollamaPort}`
  }
}

/**
 * First-boot script: mount the models volume, install Ollama as a systemd service listening on all
 * interfaces (the security group is the gate), keep models under the volume, pull them. Idempotent, so
 * re-running it by hand (`sudo bash /var/lib/cloud/instance/user-data.txt`) repairs a half-done setup.
 */
function ollamaUserData(models: string[]): string {
  for (const model of models) {
    if (!/^[a-z0-9][a-z0-9._:/-]*$/i.test(model)) throw new Error(`Invalid Ollama model name: ${model}`)
  }
  return `set -euo pipefail
exec > >(tee -a /var/log/draftdesk-ollama-setup.log) 2>&1
echo "draftdesk: setting up Ollama at $(date -Is)"
# cfn-signal (run on exit, see the trap above) reports success or failure to CloudFormation.
[ -x /opt/aws/bin/cfn-signal ] || dnf install -y -q aws-cfn-bootstrap

# 1. Models volume. Nitro exposes EBS as NVMe; amazon-ec2-utils links the requested name (${modelsDevice}).
dev=""
for _ in $(seq 1 90); do
  if [ -e ${modelsDevice} ]; then dev=$(readlink -f ${modelsDevice}); break; fi
  sleep 2
done
if [ -z "$dev" ]; then
  # Fallback: the EBS disk that is not the root disk (g5 also has an NVMe instance store: skip it).
  root_disk=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)" || true)
  dev=$(lsblk -dpno NAME,MODEL | awk '/Amazon Elastic Block Store/ {print $1}' | grep -v "/dev/$root_disk$" | head -n1 || true)
fi
if [ -z "$dev" ]; then echo "draftdesk: models volume not found" >&2; exit 1; fi
blkid "$dev" >/dev/null 2>&1 || mkfs -t xfs "$dev"
mkdir -p ${ollamaDataDir}
uuid=$(blkid -s UUID -o value "$dev")
grep -q "$uuid" /etc/fstab || echo "UUID=$uuid ${ollamaDataDir} xfs defaults,nofail 0 2" >> /etc/fstab
mountpoint -q ${ollamaDataDir} || mount ${ollamaDataDir}

# 2. Ollama (the installer creates the ollama user and ollama.service, and uses the AMI's NVIDIA driver).
command -v ollama >/dev/null 2>&1 || curl -fsSL https://ollama.com/install.sh | sh
mkdir -p ${ollamaDataDir}/models
chown -R ollama:ollama ${ollamaDataDir}
mkdir -p /etc/systemd/system/ollama.service.d
cat > /etc/systemd/system/ollama.service.d/draftdesk.conf <<'UNIT'
[Unit]
RequiresMountsFor=${ollamaDataDir}
[Service]
Environment="OLLAMA_HOST=0.0.0.0:${ollamaPort}"
Environment="OLLAMA_MODELS=${ollamaDataDir}/models"
Environment="OLLAMA_KEEP_ALIVE=24h"
Restart=always
UNIT
systemctl daemon-reload
systemctl enable ollama
systemctl restart ollama

# 3. Models.
for _ in $(seq 1 60); do
  curl -fsS http://127.0.0.1:${ollamaPort}/api/version >/dev/null 2>&1 && break
  sleep 2
done
for model in ${models.join(' ')}; do
  for attempt in 1 2 3 4 5; do
    OLLAMA_HOST=127.0.0.1:${ollamaPort} ollama pull "$model" && break
    echo "draftdesk: pull $model failed (attempt $attempt), retrying"
    sleep $((attempt * 15))
  done
  OLLAMA_HOST=127.0.0.1:${ollamaPort} ollama show "$model" >/dev/null
done
echo "draftdesk: Ollama ready with ${models.join(', ')}"
`
}
