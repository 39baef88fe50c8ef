import { errors, jwtVerify, SignJWT } from 'jose'
import * as z from 'zod'
import { UnauthorizedError } from '../errors.ts'
import { type AuthContext, roleSchema } from './roles.ts'

export interface JwtSettings {
  key: Uint8Array
  issuer: string
  audience: string
  ttlSeconds: number
}

const claims = z.object({
  sub: z.string().regex(/^\d+$/),
  tid: z.number().int(),
  role: roleSchema,
  // Tokens issued before token versions existed carry none: version 0, the column's default.
  tv: z.number().int().min(0).default(0),
})

/** A verified token: who it was issued to, and the account's token version at the time. */
export type TokenClaims = AuthContext & { tokenVersion: number }

/**
 * Issues an HS256 token for a user. `tokenVersion` is the user's `token_version`: the token is valid only
 * while it stays the same (see `authenticate`).
 */
export async function issueToken(
  settings: JwtSettings,
  user: { id: number; tenantId: number; role: string; tokenVersion: number },
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now.getTime() / 1000)
  const exp = iat + settings.ttlSeconds
  const token = await new SignJWT({ tid: user.tenantId, role: user.role, tv: user.tokenVersion })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(user.id))
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(settings.key)
  return { token, expiresAt: new Date(exp * 1000) }
}

/** Verifies signature, algorithm, issuer, audience and expiry (required); any failure is a 401. */
export async function verifyToken(settings: JwtSettings, token: string, now: Date): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, settings.key, {
      algorithms: ['HS256'],
      issuer: settings.issuer,
      audience: settings.audience,
      currentDate: now,
      // jose checks `exp` only when present: a token without one would never expire.
      requiredClaims: ['exp', 'sub'],
    })
    const c = claims.parse(payload)
    return { kind: 'user', tenantId: c.tid, userId: Number(c.sub), role: c.role, tokenVersion: c.tv }
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new UnauthorizedError('token expired')
    throw new UnauthorizedError('invalid token')
  }
}
