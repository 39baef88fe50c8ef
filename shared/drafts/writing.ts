/**
 * Stages 4 and 5 of the draft pipeline (shared/drafts/pipeline.ts): the prompt and the model call, then the
 * citations checked against the sources the model was shown.
 */
import type { AiProvider } from '../ai/provider.ts'
import { SOURCE_KIND_LABEL } from '../knowledge/rerank.ts'
import { extractCitations } from '../text/citations.ts'
import { unmaskPii } from '../text/pii.ts'
import { modelFacts } from './account-text.ts'
import { buildDraftPrompt, type PromptSource, takeNoAnswerMarker } from './prompt.ts'
import type { ModelReply, Ranking, StageContext, VerifiedReply } from './types.ts'

/**
 * Stage 4, prompt and model: the active prompt version filled with the shown sources (and the customer's
 * account facts, numbered after them), then the LLM.
 */
export async function writeReply(ai: AiProvider, ctx: StageContext, ranking: Ranking): Promise<ModelReply> {
  const { promptVersion, ticket, maskedQuestion, language } = ctx
  const promptSources: PromptSource[] = ranking.shown.map((s) => ({
    ref: s.rank,
    title: s.hit.title ?? SOURCE_KIND_LABEL[s.sourceKind],
    text: s.hit.text,
    sourceKind: s.sourceKind,
  }))
  const facts = modelFacts(ranking.account?.facts ?? [])
  const messages = buildDraftPrompt({
    promptVersion,
    ticket: { subject: ctx.maskedSubject, priority: ticket.priority, department: ticket.department },
    question: maskedQuestion,
    threadSummary: ctx.threadSummary,
    sources: promptSources,
    language,
    account: { facts, readAt: ranking.account?.context.readAt ?? null },
  })
  const result = await ai.chat(messages, {
    model: promptVersion.model,
    temperature: promptVersion.temperature,
    maxTokens: promptVersion.maxTokens,
    grounding: {
      question: maskedQuestion,
      sources: promptSources.map(({ ref, title, text }) => ({ ref, title, text })),
      language,
      sourcesLanguage: ranking.sourcesLanguage ?? undefined,
      account: facts.flatMap((f) => (f.grounding ? [f.grounding] : [])),
    },
  })
  if (!result.content.trim()) throw new Error(`model ${result.model} returned an empty reply`)
  return { promptSources, result }
}

/**
 * Stage 5, verify citations: keeps only citations of sources and account facts the model was shown, and
 * restores the customer's details in the reply.
 */
export function verifyCitations(ctx: StageContext, ranking: Ranking, written: ModelReply): VerifiedReply {
  const { reply: content, noAnswer } = takeNoAnswerMarker(written.result.content)
  const facts = modelFacts(ranking.account?.facts ?? [])
  const citations = extractCitations(content, [
    ...written.promptSources.map((s) => s.ref),
    ...facts.map((f) => f.ref),
  ])
  const reply = unmaskPii(citations.cleanedReply.trim(), ctx.vault)
  const cited = new Set(citations.cited)
  const citedSources = ranking.shown.filter((s) => cited.has(s.rank))
  const citedFacts = facts.filter((f) => cited.has(f.ref))
  return { citations, reply, cited, citedSources, citedFacts, noAnswer }
}
