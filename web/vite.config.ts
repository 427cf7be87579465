import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by the API's own origin (`npm start`, or the stack's CDN in front of it).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/dev': 'http://127.0.0.1:3000', '/config.json': 'http://127.0.0.1:3000' } },
});
