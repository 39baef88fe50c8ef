import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** API paths the dev server (`npx vite console`) passes to a running `npm start`; the app lives under /app/. */
const API_PREFIXES = [
  '/auth',
  '/me',
  '/tickets',
  '/drafts',
  '/kb',
  '/prompts',
  '/settings',
  '/analytics',
  '/audit',
  '/integrations',
  '/users',
  '/api-keys',
  '/tenants',
  '/health',
  '/calibration',
  '/knowledge-gaps',
]

export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    target: 'es2022',
    // Every asset is a file of its own: the CSP allows no inline data but images.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(API_PREFIXES.map((p) => [p, 'http://127.0.0.1:3000'])),
  },
})
