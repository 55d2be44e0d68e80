import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` serves the dashboard with hot reload and hands API calls to a server on :8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/v1': 'http://localhost:8080' } },
});
