import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as rds from 'aws-cdk-lib/aws-rds'
import * as route53 from 'aws-cdk-lib/aws-route53'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import type { Construct } from 'constructs'
import type { DeployConfig } from '../config.ts'
import type { DatabaseBinding } from '../constructs/draftdesk-function.ts'

/** Private DNS zone of the VPC; the model host registers `ollama.<zone>` in it. */
export const privateZoneName = 'draftdesk.internal'
const databaseName = 'draftdesk'
const postgresPort = 5432

export interface DataStackProps extends StackProps {
  config: DeployConfig
}

/**
 * Everything that holds state or is shared by the other stacks: the network, PostgreSQL behind RDS Proxy,
 * and the three secrets. Deploy rarely; the database is protected from deletion and snapshotted on removal.
 */
export class DataStack extends Stack {
  readonly vpc: ec2.Vpc
  /** Attached to every application Lambda: may reach the proxy and the model host, nothing else inbound. */
  readonly functionSecurityGroup: ec2.SecurityGroup
  /** Attached to the migration Lambda only: the one client allowed straight to the database. */
  readonly migrationSecurityGroup: ec2.SecurityGroup
  readonly database: rds.DatabaseInstance
  readonly proxy: rds.DatabaseProxy
  readonly dbSecret: secretsmanager.ISecret
  readonly jwtSecret: secretsmanager.Secret
  readonly bootstrapSecret: secretsmanager.Secret
  readonly dataKeySecret: secretsmanager.Secret
  readonly privateZone: route53.PrivateHostedZone

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props)
    const { config } = props

    this.vpc = network(this)
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Draftdesk Lambda functions',
      // Outbound stays open: WHMCS installations listen on arbitrary hosts and ports.
      allowAllOutbound: true,
    })
    this.migrationSecurityGroup = new ec2.SecurityGroup(this, 'MigrationSecurityGroup', {
      vpc: this.vpc,
      description: 'Draftdesk schema migration Lambda',
      allowAllOutbound: true,
    })

    this.database = postgres(this, this.vpc, config)
    // fromGeneratedSecret always yields a secret; the non-null assertion documents that.
    this.dbSecret = this.database.secret!

    this.proxy = this.database.addProxy('Proxy', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      secrets: [this.dbSecret],
      // Clients log in with the same secret (DB_SECRET_ARN); IAM auth would add a token call per connection.
      iamAuth: false,
      requireTLS: true,
      clientPasswordAuthType: rds.ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
      // Lambdas keep idle connections between invocations; let the proxy close them after 10 minutes.
      idleClientTimeout: Duration.minutes(10),
      maxConnectionsPercent: 90,
      borrowTimeout: Duration.seconds(20),
    })
    this.proxy.connections.allowFrom(
      this.functionSecurityGroup,
      ec2.Port.tcp(postgresPort),
      'Draftdesk functions',
    )
    // Migrations go straight to the instance: on first deploy the proxy target may still be registering,
    // and DDL in one long transaction would pin a proxy connection anyway.
    this.database.connections.allowFrom(this.migrationSecurityGroup, ec2.Port.tcp(postgresPort), 'Migrations')

    const secrets = appSecrets(this, config)
    this.jwtSecret = secrets.jwtSecret
    this.dataKeySecret = secrets.dataKeySecret
    this.bootstrapSecret = secrets.bootstrapSecret
    new CfnOutput(this, 'BootstrapAdminSecretArn', { value: this.bootstrapSecret.secretArn })

    this.privateZone = new route53.PrivateHostedZone(this, 'PrivateZone', {
      zoneName: privateZoneName,
      vpc: this.vpc,
    })

    // With one NAT gateway every call to WHMCS leaves from this address: the one to allow under WHMCS's
    // "API IP Access Restriction".
    const natIp = this.vpc.publicSubnets
      .map((subnet) => subnet.node.tryFindChild('EIP'))
      .find((child): child is ec2.CfnEIP => child instanceof ec2.CfnEIP)
    if (natIp) {
      new CfnOutput(this, 'WhmcsEgressIp', {
        value: natIp.attrPublicIp,
        description: 'Source IP of Draftdesk calls to WHMCS (allow it in WHMCS API IP restrictions)',
      })
    }
    new CfnOutput(this, 'DatabaseSecretArn', { value: this.dbSecret.secretArn })
    new CfnOutput(this, 'ProxyEndpoint', { value: this.proxy.endpoint })
  }

  /** How application functions reach the database: through the proxy. */
  get proxyBinding(): DatabaseBinding {
    return { secret: this.dbSecret, host: this.proxy.endpoint, name: databaseName }
  }

  /** How the migration function reaches the database: straight to the instance. */
  get directBinding(): DatabaseBinding {
    return { secret: this.dbSecret, host: this.database.dbInstanceEndpointAddress, name: databaseName }
  }
}

/**
 * The network: public subnets for the NAT gateway, private ones with egress for the functions and the model
 * host, isolated ones for the database, and endpoints for the AWS APIs the functions call.
 */
function network(scope: Construct): ec2.Vpc {
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
    maxAzs: 2,
    // One NAT gateway, not one per AZ: tenants' WHMCS servers are on the public internet (sync and send
    // workers call their API) and the model host downloads Ollama and the models. AWS APIs go through
    // the endpoints below, so the NAT carries only that traffic; losing its AZ pauses WHMCS calls and
    // model downloads, which queue and retry, and nothing else.
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    gatewayEndpoints: {
      // Free; keeps package downloads (Amazon Linux repositories live in S3) off the NAT.
      S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
    },
  })
  // SQS and Secrets Manager are the AWS APIs the functions call on every cold start and every enqueue.
  // No CloudWatch Logs endpoint: Lambda ships function logs itself, outside the VPC, so one would only
  // cost money. (Each interface endpoint is ~$7/month per AZ.)
  const endpointSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
  vpc.addInterfaceEndpoint('SqsEndpoint', {
    service: ec2.InterfaceVpcEndpointAwsService.SQS,
    subnets: endpointSubnets,
  })
  vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
    service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    subnets: endpointSubnets,
  })
  return vpc
}

/** PostgreSQL on RDS, encrypted, TLS only, in the isolated subnets. */
function postgres(scope: Construct, vpc: ec2.Vpc, config: DeployConfig): rds.DatabaseInstance {
  return new rds.DatabaseInstance(scope, 'Database', {
    // Major version only: RDS picks the current 16.x (pgvector >= 0.7 since 16.3) and auto minor upgrades
    // do not fight a pinned minor in the template.
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    instanceType: new ec2.InstanceType(config.dbInstanceType),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('draftdesk_admin', {
      // Kept out of connection strings and shell commands.
      excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
    }),
    databaseName,
    port: postgresPort,
    publiclyAccessible: false,
    storageEncrypted: true,
    storageType: rds.StorageType.GP3,
    allocatedStorage: config.dbAllocatedStorageGiB,
    maxAllocatedStorage: config.dbMaxAllocatedStorageGiB,
    multiAz: config.dbMultiAz,
    backupRetention: Duration.days(config.dbBackupRetentionDays),
    deletionProtection: config.dbDeletionProtection,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    autoMinorVersionUpgrade: true,
    cloudwatchLogsExports: ['postgresql'],
    parameters: {
      // Encrypted connections only, from the proxy and the migration Lambda alike.
      'rds.force_ssl': '1',
      // Statements slower than 1 s are logged: the vector queries are the ones to watch.
      log_min_duration_statement: '1000',
    },
  })
}

/** The application's secrets: the JWT signing key, the data key and the first superadmin's login. */
function appSecrets(scope: Construct, config: DeployConfig) {
  const jwtSecret = new secretsmanager.Secret(scope, 'JwtSigningKey', {
    description: 'Draftdesk HS256 signing key for access tokens',
    generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
  })
  const dataKeySecret = new secretsmanager.Secret(scope, 'DataEncryptionKey', {
    description:
      'Draftdesk AES-256-GCM key for tenant WHMCS credentials: 43 base64 characters (unpadded) = 32 bytes',
    // Secrets Manager cannot emit random bytes; 43 characters drawn from [A-Za-z0-9] are valid unpadded
    // base64 and decode to exactly 32 bytes (~254 bits of entropy).
    generateSecretString: {
      passwordLength: 43,
      excludePunctuation: true,
      includeSpace: false,
    },
    // Losing this key makes every stored WHMCS credential unreadable: never delete it with the stack.
    removalPolicy: RemovalPolicy.RETAIN,
  })

  // The first superadmin's login, generated once; the migration trigger creates the account from it.
  const bootstrapSecret = new secretsmanager.Secret(scope, 'BootstrapAdmin', {
    description:
      'Draftdesk first superadmin: tenant, email and generated password (read it once, then rotate)',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ tenant: 'draftdesk', email: config.adminEmail }),
      generateStringKey: 'password',
      passwordLength: 24,
      excludePunctuation: true,
    },
  })
  return { jwtSecret, dataKeySecret, bootstrapSecret }
}
