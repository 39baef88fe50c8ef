/** `npx vite console` (the dev server) reads this; `npm start` and `npm run build:console` use the same config. */
export { default } from './build-config.ts'
