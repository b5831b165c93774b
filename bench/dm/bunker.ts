// A NIP-46 signer (bunker) for benchmarks: holds a bot key and answers over a relay. Prints
// the bunker:// URL to start the service with (BOT_DM_SIGNER), then runs until killed.
//
//   node bench/dm/bunker.ts --relay ws://127.0.0.1:7777 [--key <hex secret key>]
//
// With the service on that URL, bench/dm/roundtrip.ts measures what remote signing adds per DM
// round trip; `--cpu-of 'bunker.ts'` there counts this process's CPU too.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { startBunker } from '../../test/support/bunker.ts';
import { options } from '../relay/common.ts';

const o = options({ relay: { type: 'string', default: 'ws://127.0.0.1:7777' }, key: { type: 'string' } });
const key = o.key ? hexToBytes(o.key) : generateSecretKey();
await startBunker(key, o.relay!);
const pubkey = getPublicKey(key);
console.log(JSON.stringify({ bunker: `bunker://${pubkey}?relay=${encodeURIComponent(o.relay!)}`, pubkey, key: o.key ? undefined : bytesToHex(key) }));
