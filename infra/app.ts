import { App } from 'aws-cdk-lib'
import { ensureConsoleBuilt } from '../local/console-build.ts'
import { createDraftdesk } from './draftdesk.ts'
import { dropBundlingProgress } from './quiet-bundling.ts'

dropBundlingProgress()
// The console stack uploads console/dist: build it first when it is missing or stale (offline, like npm start),
// silently: the CDK CLI prints an app's stderr as errors, and `npm run synth` says only what it synthesised.
await ensureConsoleBuilt()
createDraftdesk(new App())
