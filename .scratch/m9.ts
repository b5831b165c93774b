import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import { base64 } from '@scure/base';
function bench(name: string, n: number, f: () => void) { for (let i = 0; i < 200; i++) f(); const c = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(c); console.log(name.padEnd(28), ((d.user + d.system) / n).toFixed(2), 'us cpu'); }
const k = randomBytes(32), iv = randomBytes(16);
for (const len of [40, 300]) {
  const d = randomBytes(len);
  bench('node cbc enc ' + len, 10000, () => { const c = createCipheriv('aes-256-cbc', k, iv); Buffer.concat([c.update(d), c.final()]); });
  bench('noble cbc enc ' + len, 10000, () => cbc(k, iv).encrypt(d));
  const ct = cbc(k, iv).encrypt(d);
  bench('noble cbc dec ' + len, 10000, () => cbc(k, iv).decrypt(ct));
  bench('scure b64 ' + len, 10000, () => base64.encode(ct));
  bench('buffer b64 ' + len, 10000, () => Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength).toString('base64'));
}
