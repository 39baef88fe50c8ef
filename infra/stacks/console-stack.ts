import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2'
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront'
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment'
import type { Construct } from 'constructs'

export interface ConsoleStackProps extends StackProps {
  api: apigwv2.HttpApi
  /** The built console (`console/dist`, made by `npm run build:console`). */
  consoleDir: string
}

/**
 * The same policy the local runtime sends with the console (local/console-static.ts): scripts, styles,
 * fonts and API calls from this origin only.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * Serves the console's page for every app address that is not a file (`/app/tickets/12` is a route of the
 * single-page app), and sends `/app` to `/app/`. A viewer-request function rather than the distribution's
 * error pages: those would also rewrite the API's own 403s and 404s.
 */
const SPA_REWRITE = `function handler(event) {
  var request = event.request;
  if (request.uri === '/app') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/app/' } } };
  }
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) request.uri = '/app/index.html';
  return request;
}`

/**
 * The desk console as static files in a private S3 bucket behind CloudFront, with the HTTP API behind the
 * same distribution: one origin for the app and the API, so the browser needs no CORS and the console
 * calls the API by relative paths, as it does on one server. `/app/*` comes from S3 (hashed assets cached
 * for a year, the page revalidated); everything else goes to the API uncached, with the caller's headers.
 */
export class ConsoleStack extends Stack {
  readonly distribution: cloudfront.Distribution

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props)
    const bucket = new s3.Bucket(this, 'ConsoleBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only build output lives here: a redeploy writes it again.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    })
    // https://abc.execute-api.region.amazonaws.com → abc.execute-api.region.amazonaws.com
    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint))
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Draftdesk: the console (/app/) and the API',
      defaultBehavior: {
        origin: new origins.HttpOrigin(apiDomain, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      additionalBehaviors: { '/app*': this.appBehavior(bucket) },
      // No TLS floor here: it only applies with a certificate of your own (a domain); the default
      // *.cloudfront.net certificate's policy is CloudFront's.
    })
    this.deploy(bucket, props.consoleDir)
    new CfnOutput(this, 'ConsoleUrl', {
      value: `https://${this.distribution.distributionDomainName}/app/`,
      description: 'The desk console; the API answers at the same origin (set PUBLIC_URL to it)',
    })
  }

  private appBehavior(bucket: s3.Bucket): cloudfront.BehaviorOptions {
    return {
      origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      compress: true,
      functionAssociations: [
        {
          eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
          function: new cloudfront.Function(this, 'SpaRewrite', {
            code: cloudfront.FunctionCode.fromInline(SPA_REWRITE),
            runtime: cloudfront.FunctionRuntime.JS_2_0,
          }),
        },
      ],
      responseHeadersPolicy: new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
        securityHeadersBehavior: {
          contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
          referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override: true },
          strictTransportSecurity: { accessControlMaxAge: Duration.days(365), override: true },
        },
      }),
    }
  }

  /** The page revalidates on every load; the hashed assets never change, so they are cached for a year. */
  private deploy(bucket: s3.Bucket, consoleDir: string) {
    const common = { destinationBucket: bucket, destinationKeyPrefix: 'app/', prune: false }
    const assets = new s3deploy.BucketDeployment(this, 'ConsoleAssets', {
      ...common,
      sources: [s3deploy.Source.asset(consoleDir, { exclude: ['index.html'] })],
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
    })
    const page = new s3deploy.BucketDeployment(this, 'ConsolePage', {
      ...common,
      sources: [s3deploy.Source.asset(consoleDir, { exclude: ['*', '!index.html'] })],
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/app/', '/app/index.html'],
    })
    // The new page names the new assets: they are uploaded first.
    page.node.addDependency(assets)
  }
}
