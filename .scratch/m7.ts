import { hash, createHmac, createHash, randomBytes } from 'node:crypto';
function bench(name: string, n: number, f: () => void) { for (let i = 0; i < 50; i++) f(); const c = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(c); console.log(name.padEnd(28), ((d.user + d.system) / n).toFixed(2), 'us cpu'); }
const k = randomBytes(32), m = randomBytes(65), big = randomBytes(1500);
console.log(hash('sha256', m, 'buffer'));
bench('hash buffer small', 20000, () => hash('sha256', m, 'buffer'));
bench('hash hex str 1500', 20000, () => hash('sha256', big.toString('latin1')));
bench('createHash small', 20000, () => createHash('sha256').update(m).digest());
bench('createHmac small', 20000, () => createHmac('sha256', k).update(m).digest());
const ipad = Buffer.alloc(64, 0x36), opad = Buffer.alloc(64, 0x5c);
const ki = Buffer.alloc(64); k.copy(ki); for (let i = 0; i < 64; i++) ki[i]! ^= 0x36;
const ko = Buffer.alloc(64); k.copy(ko); for (let i = 0; i < 64; i++) ko[i]! ^= 0x5c;
bench('manual hmac small', 20000, () => hash('sha256', Buffer.concat([ko, hash('sha256', Buffer.concat([ki, m]), 'buffer')]), 'buffer'));
bench('manual hmac 1500', 20000, () => hash('sha256', Buffer.concat([ko, hash('sha256', Buffer.concat([ki, big]), 'buffer')]), 'buffer'));
bench('createHmac 1500', 20000, () => createHmac('sha256', k).update(big).digest());
