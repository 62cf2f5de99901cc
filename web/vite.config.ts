import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * The built page must also run opened straight from disk (file://). Chromium refuses module
 * scripts and `crossorigin` (CORS-mode) loads there, and Vite's HTML writes both. The bundle is
 * one classic script (format 'iife', below); this turns its tag into `<script defer src>` (a
 * module script is deferred too, so the timing is unchanged) and drops `crossorigin` from the
 * style sheet's link. A tag it does not recognise fails the build rather than ship a dead page.
 */
function classicScripts(): Plugin {
  return {
    name: 'descent:classic-scripts',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const out = html.replace(
          /<(script|link)\b([^>]*)>/g,
          (tag, name: string, attrs: string) => {
            if (!/\bcrossorigin\b|\btype="module"/.test(attrs)) return tag;
            const rest = attrs.replace(/\s+crossorigin\b(="[^"]*")?/, '');
            return name === 'script'
              ? `<script defer${rest.replace(/\s+type="module"/, '')}>`
              : `<link${rest}>`;
          },
        );
        const left = /<script\b[^>]*type="module"|\bcrossorigin\b/.exec(out);
        if (left) throw new Error(`descent:classic-scripts left "${left[0]}" in the page`);
        return out;
      },
    },
  };
}

// Relative base: the built files work from any folder of any static host, a sub-path, or disk.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  plugins: [classicScripts()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // No module preloads (and no polyfill for them): the page is one script.
    modulePreload: false,
    // One classic, self-running script: file:// refuses module scripts.
    rolldownOptions: { output: { format: 'iife' } },
    // The style sheet stays a file linked from the page (an iife would otherwise carry it and
    // add it only once the script runs, after a first unstyled paint).
    cssCodeSplit: false,
  },
  // The page imports the library from ../src.
  server: { fs: { allow: ['..'] } },
});
