import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { call } from '../../../lib/api.ts'
import type { ReplyOf } from '../../../lib/contract.ts'

export type Calibration = ReplyOf<'GET /calibration'>
export type ReplayRun = NonNullable<Calibration['run']>
export type KnowledgeGap = ReplyOf<'GET /knowledge-gaps'>['items'][number]

const CALIBRATION = ['calibration'] as const
const VERSIONS = ['calibration', 'versions'] as const

/** The calibration in force, its newest fit and the replay; polled every 2 s while a replay runs. */
export function useCalibration() {
  return useQuery({
    queryKey: CALIBRATION,
    queryFn: ({ signal }) => call('GET /calibration', { signal }),
    refetchInterval: (query) => (query.state.data?.run?.status === 'running' ? 2_000 : false),
  })
}

/**
 * Every fit of the desk, newest first (the API's largest page: a desk refits a few times a month), read again
 * whenever the newest fit changes (a replay or a refit that finishes while the page is open).
 */
export function useCalibrationVersions(latestFitId: number | null) {
  return useQuery({
    queryKey: [...VERSIONS, latestFitId],
    queryFn: ({ signal }) => call('GET /calibration/versions', { query: { limit: 200 }, signal }),
  })
}

/** A write whose answer is the new calibration view: it replaces the cached one, and the versions reload. */
function useCalibrationWrite<I>(write: (input: I) => Promise<Calibration | ReplayRun>) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: write,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: CALIBRATION })
    },
  })
}

export const usePinVersion = () =>
  useCalibrationWrite((id: number) => call('POST /calibration/versions/{id}/pin', { params: { id } }))
export const useRollback = () => useCalibrationWrite(() => call('POST /calibration/rollback'))
export const useUnpin = () => useCalibrationWrite(() => call('DELETE /calibration/pin'))
export const useSaveBudget = () =>
  useCalibrationWrite((budget: number) => call('PUT /calibration/settings', { body: { budget } }))
export const useStartReplay = () =>
  useCalibrationWrite((days: number) => call('POST /calibration/replay', { body: { days } }))
export const useCancelReplay = () =>
  useCalibrationWrite((id: number) => call('POST /calibration/runs/{id}/cancel', { params: { id } }))

/** Topics the knowledge base could not answer, largest first. */
export function useKnowledgeGaps() {
  return useQuery({
    queryKey: ['knowledge-gaps'],
    queryFn: ({ signal }) => call('GET /knowledge-gaps', { signal }),
  })
}

/** An article written from the agents' replies of one gap, for the editor to open prefilled. */
export const useGapSuggestion = () =>
  useMutation({
    mutationFn: (id: number) => call('POST /knowledge-gaps/{id}/suggestion', { params: { id } }),
  })
