import DOMPurify from 'dompurify'
import { marked } from 'marked'
import { useMemo } from 'react'

/**
 * The article as Markdown renders it. marked turns it into HTML and DOMPurify removes anything that could
 * run or load (script, event handlers, javascript: links) before it reaches the page; the CSP would block
 * it anyway.
 */
export function MarkdownPreview({ markdown }: { markdown: string }) {
  const html = useMemo(
    () => DOMPurify.sanitize(marked.parse(markdown, { async: false, gfm: true }) as string),
    [markdown],
  )
  return (
    <section
      className="markdown"
      aria-label="Preview"
      // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify just above
      dangerouslySetInnerHTML={{ __html: html }}
    />
  )
}
