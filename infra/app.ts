import { App } from 'aws-cdk-lib'
import { createDraftdesk } from './draftdesk.ts'
import { dropBundlingProgress } from './quiet-bundling.ts'

dropBundlingProgress()
createDraftdesk(new App())
