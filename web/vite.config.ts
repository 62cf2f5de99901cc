import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Relative base: the built files work from any folder of any static host, or a sub-path.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  // The page imports the library from ../src.
  server: { fs: { allow: ['..'] } },
});
