import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` serves the dashboard with hot reload and hands API calls to a server on :8080. Two pages: the
// dashboard (index.html) and the customer portal (portal.html, served by the server at /portal/).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rollupOptions: { input: { dashboard: 'index.html', portal: 'portal.html' } },
  },
  server: { proxy: { '/v1': 'http://localhost:8080', '/portal/api': 'http://localhost:8080' } },
});
