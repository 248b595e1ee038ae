// Writes docs/events.md from the event catalogue (src/modules/events/events.catalogue.ts).
import { writeFileSync } from 'node:fs';
import { renderEventsDoc } from '../src/modules/events/events.doc.ts';

writeFileSync(new URL('../docs/events.md', import.meta.url), renderEventsDoc());
process.stdout.write('docs/events.md written\n');
