import { App } from 'aws-cdk-lib'
import { createDraftdesk } from './draftdesk.ts'

createDraftdesk(new App())
