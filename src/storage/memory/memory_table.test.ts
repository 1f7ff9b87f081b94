import { runConformance } from '../conformance.js';
import { openMemoryBackend } from './memory_table.js';

runConformance('memory', {
  open: async ({ clock, ...tuning }) => openMemoryBackend({ now: clock.now, ...tuning }),
});
