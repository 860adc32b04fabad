/** Entry point of the bundled CLI (agent/bundle.mjs): same as bin/gdl.mjs, without tsx. */
import { main } from './main.ts';

process.exitCode = await main(process.argv);
