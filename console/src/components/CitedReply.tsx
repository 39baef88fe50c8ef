import type { ReactNode } from 'react'

const MARKER = /\[(\d{1,3})\]/g

/**
 * A draft's text with each sentence that cites a source highlighted and its `[n]` markers as links to
 * source n below (`#source-n`), so an agent checks every claim against its passage.
 */
export function CitedReply({ reply, linkSources = false }: { reply: string; linkSources?: boolean }) {
  const paragraphs = reply.split(/\n{2,}/)
  return (
    <div className="reply">
      {paragraphs.map((paragraph, p) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs of one fixed text
        <p key={p}>
          {sentences(paragraph).map((sentence, s) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: sentences of one fixed paragraph
            <Sentence key={s} text={sentence} link={linkSources} />
          ))}
        </p>
      ))}
    </div>
  )
}

/** Sentences with their trailing space and markers kept: "It works [1]. Then…" → ["It works [1]. ", "Then…"]. */
function sentences(text: string): string[] {
  return text.match(/[^.!?\n]+(?:[.!?]+(?:\s*\[\d{1,3}\])*|\n|$)\s*/g) ?? [text]
}

function Sentence({ text, link }: { text: string; link: boolean }) {
  const refs = [...text.matchAll(MARKER)].map((m) => m[1]!)
  if (refs.length === 0) return <>{text}</>
  const parts: ReactNode[] = []
  let last = 0
  for (const m of text.matchAll(MARKER)) {
    parts.push(text.slice(last, m.index))
    const n = m[1]!
    parts.push(
      <sup key={m.index}>
        {link ? (
          <a href={`#source-${n}`} aria-label={`source ${n}`}>
            [{n}]
          </a>
        ) : (
          `[${n}]`
        )}
      </sup>,
    )
    last = m.index + m[0].length
  }
  parts.push(text.slice(last))
  return (
    <span className="cited" title={`Cites source ${refs.join(', ')}`}>
      {parts}
    </span>
  )
}
