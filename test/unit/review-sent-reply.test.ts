import { describe, expect, it } from 'vitest'
import { compareSentReply, plainReply, replyCore } from '#shared/review/sent-reply'
import { similarityRatio } from '#shared/review/similarity'

const DRAFT =
  'You can reset your cPanel password in the client area: open Services, choose your hosting plan, then ' +
  'Login to cPanel and Change Password. [1]\n\nThe new password works right away.'

describe('Function: compareSentReply', () => {
  it.each([
    [
      'greeting and signature, CRLF',
      `Hi Anna,\r\n\r\n${DRAFT.replace(/\n/g, '\r\n')}\r\n\r\nBest regards,\r\nJane Doe\r\nAcme Hosting Support`,
    ],
    [
      'HTML from the WHMCS editor',
      `<p>Hello Anna,</p><p>${DRAFT.replace('\n\n', '</p><p>')}</p><p>Kind regards,<br>Jane</p>`,
    ],
    [
      'quoted customer text',
      `Hi,\n\n${DRAFT}\n\nThanks,\nJane\n\nOn Mon, 3 Mar 2025, Anna wrote:\n> How do I reset my password?`,
    ],
    ['quoted lines and re-wrapped whitespace', `> How do I reset it?\n\n${DRAFT.replace(/ /g, '  ')}\n`],
    ['a name block after a separator', `${DRAFT}\n\n--\nJane Doe\nAcme Hosting`],
    ['a signature without sign-off words', `Dear Anna,\n${DRAFT}\nJane Doe\nAcme Hosting`],
    ['Draftdesk marker characters', `${DRAFT}\u200B\u2060\u200B\u2060`],
  ])('classifies the draft with %s as sent as drafted, similarity 1', (_label, sent) => {
    // Act
    const result = compareSentReply(DRAFT, sent)
    // Assess
    expect(result.outcome).toBe('sent_as_drafted')
    expect(result.similarity).toBeGreaterThanOrEqual(0.95)
    expect(result.review).toMatchObject({ edited: false, kind: 'approved_example', isCorrection: false })
    expect(result.core.replace(/\s+/g, ' ')).toBe(DRAFT.replace(/\s+/g, ' '))
  })

  it('classifies an edit as sent edited with the similarity of the draft and the edited core', () => {
    // Prepare
    const edited = DRAFT.replace('works right away', 'works after about five minutes')
    // Act
    const result = compareSentReply(DRAFT, `Hi Anna,\n\n${edited}\n\nBest regards,\nJane`)
    // Assess
    expect(result.outcome).toBe('sent_edited')
    expect(result.similarity).toBeCloseTo(similarityRatio(DRAFT, edited), 10)
    expect(result.similarity).toBeLessThan(1)
    expect(result.review).toMatchObject({ edited: true, kind: 'approved_example' })
    expect(result.review.editSummary).toMatch(/Reworded|Added|Removed|Minor/)
  })

  it('counts an added sentence of content as an edit, not as framing', () => {
    const sent = `${DRAFT}\nIf that does not work, send us the exact error message you see.`
    expect(compareSentReply(DRAFT, sent).outcome).toBe('sent_edited')
  })

  it("classifies the agent's own answer as replaced, a correction", () => {
    // Act
    const result = compareSentReply(
      DRAFT,
      'Hello Anna,\n\nI have reset the password for you and sent the new one by SMS to the phone number on ' +
        'file. Please change it after your first login.\n\nRegards,\nJane',
    )
    // Assess
    expect(result.outcome).toBe('replaced')
    expect(result.similarity).toBeLessThan(0.5)
    expect(result.review).toMatchObject({ edited: true, kind: 'correction', isCorrection: true })
    expect(result.review.editSummary).toMatch(/^Replaced/)
    expect(result.core).toMatch(/^I have reset the password/)
  })

  it('keeps a heavily shortened draft an edit: what the agent kept is all draft text', () => {
    const result = compareSentReply(DRAFT, 'The new password works right away.')
    expect(result.outcome).toBe('sent_edited')
  })
})

describe('Function: replyCore and plainReply', () => {
  it('never strips a reply down to nothing', () => {
    expect(replyCore('Thanks!')).toBe('Thanks!')
    expect(replyCore('Hi Anna,\nThanks!')).toBe('Thanks!')
  })

  it('keeps a greeting that runs into the answer', () => {
    expect(replyCore('Hi, please restart the server.\nIt helps.')).toBe(
      'Hi, please restart the server.\nIt helps.',
    )
  })

  it('decodes HTML entities and leaves text with angle brackets alone', () => {
    expect(plainReply('<p>Use &lt;port&gt; 587 &amp; STARTTLS&#33;</p>')).toBe('Use <port> 587 & STARTTLS!')
    expect(plainReply('Switch PHP back to 8.1 <for now>.')).toBe('Switch PHP back to 8.1 <for now>.')
  })
})
