import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

describe('Function: tickets', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  // Workers off: these tests look at tickets and the jobs they queue, not at drafting.
  beforeAll(async () => {
    app = await startTestApp({ workers: false })
    ;[acme, globex] = await Promise.all([createTenant(app, 'acme'), createTenant(app, 'globex')])
  })
  afterAll(async () => app?.stop())

  const create = (token: string, body: object) => app.call('POST', '/tickets', body, { token })

  it('creates a ticket with its first message, a queued draft job and an audit entry', async () => {
    // Act
    const res = await create(acme.customer, {
      subject: 'Cannot log in to cPanel',
      content: 'It says invalid login',
      priority: 'high',
    })
    // Assess
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      subject: 'Cannot log in to cPanel',
      status: 'open',
      priority: 'high',
      clientEmail: 'user@acme.test',
    })
    // A customer's answer carries no triage; the draft is queued all the same.
    expect(res.body).not.toHaveProperty('draftState')
    const sql = app.rt.deps.sql
    const [stored] = await sql`SELECT draft_state FROM tickets WHERE id = ${res.body.id}`
    expect(stored!.draftState).toBe('queued')
    const messages = await sql`SELECT role, content FROM messages WHERE ticket_id = ${res.body.id}`
    expect(messages).toEqual([{ role: 'user', content: 'It says invalid login' }])
    const jobs = await sql`SELECT body FROM local_runtime.jobs WHERE queue = 'draft'`
    expect(jobs.map((j) => JSON.parse(j.body).ticketId)).toContain(res.body.id)
    const [audit] = await sql`SELECT action, user_id FROM audit_logs WHERE ticket_id = ${res.body.id}`
    expect(audit).toEqual({ action: 'ticket_created', userId: acme.customerId })
  })

  it('rejects malformed JSON, wrong types and oversized bodies with clear errors', async () => {
    const malformed = await app.call('POST', '/tickets', undefined, {
      token: acme.agent,
      raw: '{"subject": ',
    })
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.code).toBe('invalid_json')
    const wrongTypes = await create(acme.agent, { subject: 42, content: ['x'], priority: 'asap' })
    expect(wrongTypes.status).toBe(400)
    expect(wrongTypes.body.error.code).toBe('validation_failed')
    expect(wrongTypes.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'content',
      'priority',
      'subject',
    ])
    const huge = await app.call('POST', '/tickets', undefined, {
      token: acme.agent,
      raw: JSON.stringify({ subject: 'x', content: 'y'.repeat(2 * 1024 * 1024) }),
    })
    expect(huge.status).toBe(413)
    expect(huge.body.error.code).toBe('payload_too_large')
    const notJson = await app.call('POST', '/tickets', undefined, {
      token: acme.agent,
      raw: 'subject=Hi&content=there',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(notJson.status).toBe(415)
    expect(notJson.body.error.code).toBe('unsupported_media_type')
    const empty = await app.call('POST', '/tickets', undefined, { token: acme.agent })
    expect(empty.status).toBe(400)
    expect(empty.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'content',
      'subject',
    ])
    const badId = await app.call('GET', '/tickets/abc', undefined, { token: acme.agent })
    expect(badId.status).toBe(400)
  })

  it('shows customers only their own tickets and never drafts', async () => {
    // Prepare
    const u2 = await app.call(
      'POST',
      '/users',
      { email: 'other@acme.test', password: 'password-123', role: 'user' },
      { token: acme.admin },
    )
    expect(u2.status).toBe(201)
    const other = await app.login('acme', 'other@acme.test', 'password-123')
    const mine = await create(acme.customer, { subject: 'Mine', content: 'mine' })
    const theirs = await create(other, { subject: 'Theirs', content: 'theirs' })
    // Act
    const list = await app.call('GET', '/tickets?limit=200', undefined, { token: other })
    // Assess
    const ids = list.body.items.map((t: { id: number }) => t.id)
    expect(ids).toContain(theirs.body.id)
    expect(ids).not.toContain(mine.body.id)
    expect((await app.call('GET', `/tickets/${mine.body.id}`, undefined, { token: other })).status).toBe(404)
    const own = await app.call('GET', `/tickets/${theirs.body.id}`, undefined, { token: other })
    expect(own.body).not.toHaveProperty('latestDraft')
    // Customers cannot change status.
    expect(
      (await app.call('PATCH', `/tickets/${theirs.body.id}`, { status: 'closed' }, { token: other })).status,
    ).toBe(403)
  })

  it('shows customers their messages and a public status, never internal triage', async () => {
    // Prepare: a ticket of the customer that staff escalated, whose draft failed with an internal error,
    // with an AI draft and a system note in its thread.
    const sql = app.rt.deps.sql
    const created = await create(acme.customer, { subject: 'Triage', content: 'My site is down' })
    const id = created.body.id as number
    expect(
      (await app.call('PATCH', `/tickets/${id}`, { status: 'escalated' }, { token: acme.agent })).status,
    ).toBe(200)
    await sql`UPDATE tickets SET draft_state = 'failed', draft_error = 'ollama 10.0.3.7:11434 timed out' WHERE id = ${id}`
    await sql`INSERT INTO messages (tenant_id, ticket_id, role, content)
              VALUES (${acme.id}, ${id}, 'assistant', 'unapproved AI draft')`
    await app.call(
      'POST',
      `/tickets/${id}/messages`,
      { content: 'internal: VIP', role: 'system' },
      { token: acme.agent },
    )
    await app.call('POST', `/tickets/${id}/messages`, { content: 'We are on it' }, { token: acme.agent })
    const internal = ['draftState', 'draftError', 'pendingDraftId', 'escalated', 'latestDraft']
    const internalOf = (o: object) => internal.filter((k) => k in o)

    // Act
    const list = await app.call('GET', '/tickets?limit=200', undefined, { token: acme.customer })
    const one = await app.call('GET', `/tickets/${id}`, undefined, { token: acme.customer })
    const byOpen = await app.call('GET', '/tickets?status=open&limit=200', undefined, {
      token: acme.customer,
    })
    const byEscalated = await app.call('GET', '/tickets?status=escalated', undefined, {
      token: acme.customer,
    })
    const queue = await app.call('GET', '/tickets?needsReview=true', undefined, { token: acme.customer })
    const staff = await app.call('GET', `/tickets/${id}`, undefined, { token: acme.agent })
    const reply = await app.call(
      'POST',
      `/tickets/${id}/messages`,
      { content: 'Thanks' },
      { token: acme.customer },
    )

    // Assess: the customer's views carry no triage and the escalation reads as open.
    expect(internalOf(created.body)).toEqual([])
    const listed = list.body.items.find((t: { id: number }) => t.id === id)
    expect(listed.status).toBe('open')
    for (const t of list.body.items) expect(internalOf(t)).toEqual([])
    expect(one.status).toBe(200)
    expect(internalOf(one.body)).toEqual([])
    expect(one.body.status).toBe('open')
    expect(JSON.stringify(one.body)).not.toMatch(/ollama|unapproved AI draft|internal: VIP/)
    expect(one.body.messages.map((m: { content: string }) => m.content)).toEqual([
      'My site is down',
      'We are on it',
    ])
    expect(byOpen.body.items.map((t: { id: number }) => t.id)).toContain(id)
    expect(byEscalated.status).toBe(200)
    expect(byEscalated.body.items).toEqual([])
    expect(queue.status).toBe(403)
    expect(reply.status).toBe(201)
    expect(Object.keys(reply.body).sort()).toEqual(['content', 'createdAt', 'id', 'role', 'ticketId'])
    // Staff still see all of it.
    expect(staff.body).toMatchObject({ status: 'escalated', draftState: 'failed' })
    expect(staff.body.draftError).toContain('timed out')
    expect(staff.body.messages.map((m: { role: string }) => m.role)).toContain('system')
  })

  it('documents the customer and the staff views of a ticket apart in OpenAPI', async () => {
    // Act
    const doc = (await app.call('GET', '/openapi.json')).body
    // Assess
    const ok = doc.paths['/tickets/{id}'].get.responses['200']
    const variants = ok.content['application/json'].schema.anyOf as Array<{
      title: string
      properties: Record<string, { enum?: string[] }>
    }>
    const customer = variants.find((v) => /customer/i.test(v.title))!
    const staff = variants.find((v) => /staff/i.test(v.title))!
    expect(Object.keys(customer.properties)).not.toContain('draftState')
    expect(customer.properties.status!.enum).not.toContain('escalated')
    expect(Object.keys(staff.properties)).toEqual(expect.arrayContaining(['draftState', 'latestDraft']))
    expect(staff.properties.status!.enum).toContain('escalated')
  })

  it('isolates tenants: another tenant’s ticket is a 404 for every verb', async () => {
    const t = await create(acme.agent, { subject: 'Acme only', content: 'private' })
    expect((await app.call('GET', `/tickets/${t.body.id}`, undefined, { token: globex.admin })).status).toBe(
      404,
    )
    expect(
      (await app.call('PATCH', `/tickets/${t.body.id}`, { priority: 'low' }, { token: globex.admin })).status,
    ).toBe(404)
    expect(
      (await app.call('POST', `/tickets/${t.body.id}/messages`, { content: 'hi' }, { token: globex.admin }))
        .status,
    ).toBe(404)
    const list = await app.call('GET', '/tickets?limit=200', undefined, { token: globex.admin })
    expect(list.body.items.map((x: { id: number }) => x.id)).not.toContain(t.body.id)
  })

  it('enforces the status state machine with 409 on illegal transitions', async () => {
    const t = await create(acme.agent, { subject: 'Flow', content: 'flow' })
    const patch = (status: string) =>
      app.call('PATCH', `/tickets/${t.body.id}`, { status }, { token: acme.agent })
    expect((await patch('in_progress')).status).toBe(200)
    expect((await patch('resolved')).status).toBe(200)
    expect((await patch('closed')).status).toBe(200)
    const illegal = await patch('in_progress')
    expect(illegal.status).toBe(409)
    expect(illegal.body.error.code).toBe('conflict')
    expect(illegal.body.error.details).toEqual({ from: 'closed', to: 'in_progress' })
    expect((await patch('reopened')).status).toBe(200)
    const audits = await app.rt.deps
      .sql`SELECT details FROM audit_logs WHERE ticket_id = ${t.body.id} AND action = 'ticket_updated' ORDER BY id`
    expect(audits.map((a) => a.details.status)).toEqual(['in_progress', 'resolved', 'closed', 'reopened'])
  })

  it('assigns only to staff of the same tenant', async () => {
    const t = await create(acme.agent, { subject: 'Assign', content: 'me' })
    const ok = await app.call(
      'PATCH',
      `/tickets/${t.body.id}`,
      { assignedTo: acme.agentId },
      { token: acme.agent },
    )
    expect(ok.body.assignedTo).toBe(acme.agentId)
    const foreign = await app.call(
      'PATCH',
      `/tickets/${t.body.id}`,
      { assignedTo: globex.agentId },
      { token: acme.agent },
    )
    expect(foreign.status).toBe(400)
    const customer = await app.call(
      'PATCH',
      `/tickets/${t.body.id}`,
      { assignedTo: acme.customerId },
      { token: acme.agent },
    )
    expect(customer.status).toBe(400)
  })

  it('moves an answered ticket to customer_reply when the customer writes, and queues a draft', async () => {
    const t = await create(acme.customer, { subject: 'Reply flow', content: 'first' })
    await app.call(
      'POST',
      `/tickets/${t.body.id}/messages`,
      { content: 'Here is the fix' },
      { token: acme.agent },
    )
    await app.call('PATCH', `/tickets/${t.body.id}`, { status: 'answered' }, { token: acme.agent })
    const msg = await app.call(
      'POST',
      `/tickets/${t.body.id}/messages`,
      { content: 'Still broken', role: 'agent' },
      { token: acme.customer },
    )
    expect(msg.status).toBe(201)
    expect(msg.body.role).toBe('user') // customers always speak as the customer
    const ticket = await app.call('GET', `/tickets/${t.body.id}`, undefined, { token: acme.agent })
    expect(ticket.body.status).toBe('customer_reply')
    expect(ticket.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'agent', 'user'])
    const jobs = await app.rt.deps.sql`SELECT body FROM local_runtime.jobs WHERE queue = 'draft'`
    const forTicket = jobs.map((j) => JSON.parse(j.body)).filter((b) => b.ticketId === t.body.id)
    expect(forTicket.map((b) => b.messageId)).toContain(msg.body.id)
  })

  it('filters by status, priority and text, newest first, with cursor pagination', async () => {
    for (let i = 0; i < 7; i++) {
      await create(globex.agent, {
        subject: `Billing question ${i}`,
        content: 'invoice',
        priority: i % 2 ? 'low' : 'urgent',
      })
    }
    const urgent = await app.call('GET', '/tickets?priority=urgent&q=billing&limit=2', undefined, {
      token: globex.agent,
    })
    expect(urgent.body.items).toHaveLength(2)
    expect(urgent.body.items.every((t: { priority: string }) => t.priority === 'urgent')).toBe(true)
    expect(urgent.body.items[0].id).toBeGreaterThan(urgent.body.items[1].id)
    const next = await app.call(
      'GET',
      `/tickets?priority=urgent&q=billing&limit=2&cursor=${urgent.body.nextCursor}`,
      undefined,
      { token: globex.agent },
    )
    expect(next.body.items).toHaveLength(2)
    expect(next.body.nextCursor).toBeNull()
    const none = await app.call('GET', '/tickets?status=closed&q=billing', undefined, { token: globex.agent })
    expect(none.body.items).toEqual([])
    expect(
      (await app.call('GET', '/tickets?status=nonsense', undefined, { token: globex.agent })).status,
    ).toBe(400)
  })
})
