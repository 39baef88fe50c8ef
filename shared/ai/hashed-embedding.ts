/**
 * The built-in provider's embeddings (shared/ai/builtin.ts): hashed word, word-bigram and character n-gram
 * features in 768 dimensions. Lexical, deterministic and fixed forever: stored vectors depend on every
 * constant here, so a change is a new embedding space that needs a re-index.
 */
import { STOP_WORDS, stem, words } from '../text/words.ts'

const DIMENSIONS = 768

/**
 * Relative weight of each feature family. Each family is first scaled to unit length on its own, so the
 * many character n-grams of long words cannot drown out whole-word matches, and short texts still get a
 * morphology signal (Cyrillic inflections, typos, compounds like "cpanel" vs "c-panel").
 */
const FAMILY_WEIGHTS = { word: 1, bigram: 0.5, char: 0.6 } as const

/**
 * 32-bit FNV-1a over UTF-16 code units: tiny, fast, and fixed forever (stored vectors depend on it).
 * @internal
 */
export function fnv1a(text: string): number {
  return fnv1aContinue(0x811c9dc5, text)
}

function countFeatures(features: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1)
  return counts
}

const SURROGATE = /[\uD800-\uDFFF]/

/**
 * Character 3- and 4-grams of a word with boundary marks, so prefixes and suffixes are features too.
 * Characters are code points; a word without surrogate pairs (nearly all) is cut as a string directly,
 * which gives the same grams without an array per word and per gram (it runs for every word indexed).
 * @internal
 */
export function charGrams(word: string): string[] {
  const marked = `⟨${word}⟩`
  const grams: string[] = []
  if (!SURROGATE.test(marked)) {
    for (const n of [3, 4]) {
      for (let i = 0; i + n <= marked.length; i++) grams.push(`c:${marked.slice(i, i + n)}`)
    }
    return grams
  }
  const chars = Array.from(marked)
  for (const n of [3, 4]) {
    for (let i = 0; i + n <= chars.length; i++) grams.push(`c:${chars.slice(i, i + n).join('')}`)
  }
  return grams
}

/**
 * What the embedder needs of one distinct word, computed once and kept (see `wordFeatures`): its stem and
 * the ids of its character grams in `GRAMS`. A KB repeats the same few thousand words in every chunk, and
 * cutting and counting each occurrence's grams as strings was most of the embedder's CPU (bench/kb.ts).
 * Hand-written because the output must stay bit-identical to the plain definition (stored vectors depend
 * on it; test/unit/ai-builtin.test.ts compares the two); a generic memoiser would not remove the per-gram
 * string counting, which is the cost.
 */
interface WordFeatures {
  stem: string
  grams: Int32Array
}

/** Character-gram dictionary: gram → id, and by id the FNV-1a hash of the feature `c:<gram>`. */
const GRAMS = {
  ids: new Map<string, number>(),
  hashes: new Uint32Array(4096),
  /** Per-call scratch: occurrences of each gram in the text being embedded; all zero between calls. */
  counts: new Int32Array(4096),
}
const WORDS = new Map<string, WordFeatures>()
/**
 * Past this many distinct grams or words both caches start again, so memory stays bounded (~20 MB at the
 * limits) however many distinct tokens (ids, numbers, other languages) a long-lived process sees.
 */
const GRAM_LIMIT = 250_000
const WORD_LIMIT = 100_000
/** FNV-1a state after the feature prefix "c:", so a gram's feature hash needs no concatenated string. */
const CHAR_PREFIX_STATE = fnv1aContinue(0x811c9dc5, 'c:')

/** FNV-1a of `text` continued from the hash state of a prefix already hashed. */
function fnv1aContinue(state: number, text: string): number {
  let hash = state
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

function gramId(gram: string): number {
  let id = GRAMS.ids.get(gram)
  if (id === undefined) {
    id = GRAMS.ids.size
    if (id === GRAMS.hashes.length) {
      const hashes = new Uint32Array(id * 2)
      hashes.set(GRAMS.hashes)
      GRAMS.hashes = hashes
      GRAMS.counts = new Int32Array(id * 2)
    }
    GRAMS.ids.set(gram, id)
    GRAMS.hashes[id] = fnv1aContinue(CHAR_PREFIX_STATE, gram)
  }
  return id
}

function wordFeatures(word: string): WordFeatures {
  let features = WORDS.get(word)
  if (!features) {
    // charGrams gives `c:<gram>`; the dictionary keys the gram alone (same order, same hash).
    const grams = charGrams(word).map((g) => gramId(g.slice(2)))
    features = { stem: stem(word), grams: Int32Array.from(grams) }
    WORDS.set(word, features)
  }
  return features
}

/**
 * Adds one feature family to `vector`: feature i (FNV-1a hash `hashes[i]`, count `tfs[i]`) goes to bucket
 * hash mod 768 with the hash's top bit as sign, weighted 1 + ln tf, the family scaled to length `weight`.
 */
function addFamily(vector: number[], weight: number, hashes: number[], tfs: number[]): void {
  let norm = 0
  for (const tf of tfs) norm += (1 + Math.log(tf)) ** 2
  if (norm === 0) return
  const scale = weight / Math.sqrt(norm)
  for (let i = 0; i < hashes.length; i++) {
    const hash = hashes[i]!
    const sign = hash & 0x80000000 ? -1 : 1
    const bucket = hash % DIMENSIONS
    vector[bucket] = (vector[bucket] ?? 0) + sign * scale * (1 + Math.log(tfs[i]!))
  }
}

/**
 * Deterministic 768-d embedding of `text` by feature hashing: stemmed word unigrams, word bigrams and
 * character 3/4-grams, each with sublinear term frequency (1 + ln tf), hashed with FNV-1a into one of 768
 * buckets with a sign taken from the hash's top bit (so collisions cancel out instead of piling up), then
 * L2-normalised. Stop words are dropped so paraphrases overlap on the words that matter. An empty text maps
 * to a fixed unit vector rather than a zero vector, which cosine distance cannot handle.
 *
 * Every family adds its features to the vector in the order of their first occurrence in the text, so the
 * floating-point sums, and the vector, are the same however the counting is done.
 */
export function hashedEmbedding(text: string): number[] {
  if (GRAMS.ids.size > GRAM_LIMIT || WORDS.size > WORD_LIMIT) {
    GRAMS.ids.clear()
    WORDS.clear()
  }
  const all = words(text)
  const kept = all.filter((w) => !STOP_WORDS.has(w))
  const tokens = kept.length > 0 ? kept : all
  const features = tokens.map(wordFeatures)
  const stems = features.map((f) => f.stem)
  const vector = new Array<number>(DIMENSIONS).fill(0)
  const wordFamily = countFeatures(stems.map((s) => `w:${s}`))
  addFamily(vector, FAMILY_WEIGHTS.word, [...wordFamily.keys()].map(fnv1a), [...wordFamily.values()])
  const bigrams = countFeatures(stems.slice(1).map((s, i) => `b:${stems[i]} ${s}`))
  addFamily(vector, FAMILY_WEIGHTS.bigram, [...bigrams.keys()].map(fnv1a), [...bigrams.values()])
  // Character grams, counted by id in first-occurrence order; the scratch counts are zeroed again after.
  const { counts, hashes } = GRAMS
  const order: number[] = []
  for (const f of features) {
    for (const id of f.grams) {
      if (counts[id] === 0) order.push(id)
      counts[id]!++
    }
  }
  addFamily(
    vector,
    FAMILY_WEIGHTS.char,
    order.map((id) => hashes[id]!),
    order.map((id) => counts[id]!),
  )
  for (const id of order) counts[id] = 0
  const length = Math.hypot(...vector)
  if (length === 0) {
    vector[fnv1a('∅') % DIMENSIONS] = 1
    return vector
  }
  return vector.map((x) => x / length)
}

/** Dot product; equals cosine similarity for the unit vectors produced here. */
export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0)
  return sum
}
